// Sizes and times as people read them. Sizes follow the sidecar's units (crates/core
// `pack::human_size`: bytes, KiB, MiB), so a size reads the same in a progress message, the log
// and the sidebar. No `vscode` here.

export function formatSize(bytes: number): string {
  if (bytes === 1) return '1 byte';
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit + 1 < units.length) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "1 May 2024, 10:00 UTC". */
export function formatDate(at: Date): string {
  const hh = String(at.getUTCHours()).padStart(2, '0');
  const mm = String(at.getUTCMinutes()).padStart(2, '0');
  return `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

/** "5 min ago (1 May 2024, 10:00 UTC)"; the raw text when it is not a timestamp. */
export function formatWhen(iso: string, now: Date): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  let ago: string;
  if (seconds < 0) ago = 'just now';
  else if (seconds < 60) ago = 'just now';
  else if (seconds < 3600) ago = `${Math.floor(seconds / 60)} min ago`;
  else if (seconds < 86400) ago = `${Math.floor(seconds / 3600)} h ago`;
  else ago = `${Math.floor(seconds / 86400)} d ago`;
  return `${ago} (${formatDate(at)})`;
}
