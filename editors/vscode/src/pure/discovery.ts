// Where the sidecar binary is: the setting `gopayMiniapp.server.path`, else the binary bundled
// in the .vsix (`server/gopay-miniapp`), else `gopay-miniapp` on PATH. File-system access is
// passed in, so this stays testable. No `vscode` here.
//
// A bundled binary that exists but lost its execute bit (a .vsix packed on Windows, an unzip
// that drops modes) is never skipped silently: the extension restores the bit where it may and
// says so, or says why it uses PATH instead, or fails naming the bundled file.

import * as path from 'path';

export const BINARY_NAME = 'gopay-miniapp';

export type Source = 'setting' | 'bundled' | 'PATH';

export interface Found {
  path: string;
  source: Source;
  /** Something the user should read although the binary was found (shown and logged). */
  notice?: string;
}

/** What is at a path: an executable file, a file without the execute bit, or nothing usable. */
export type FileState = 'executable' | 'notExecutable' | 'missing';

export interface DiscoveryInput {
  /** `gopayMiniapp.server.path` (empty: not set). */
  settingPath?: string;
  /** Where the extension is installed. */
  extensionPath: string;
  /** `process.env.PATH`. */
  pathEnv?: string;
  platform: NodeJS.Platform;
  home?: string;
  /** A relative setting is taken from here (the first workspace folder). */
  baseDir?: string;
  /** What is at this path? */
  fileState: (file: string) => FileState;
  /**
   * Gives the bundled file its execute bit back; the error's text when it may not (a read-only
   * extension folder). Absent: discovery does not try.
   */
  restoreExecutable?: (file: string) => string | undefined;
}

export type Discovery = { ok: true; found: Found } | { ok: false; problem: string };

export function binaryFileName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${BINARY_NAME}.exe` : BINARY_NAME;
}

export function bundledPath(extensionPath: string, platform: NodeJS.Platform): string {
  return path.join(extensionPath, 'server', binaryFileName(platform));
}

/** `~/bin/x` → `/home/me/bin/x`. */
export function expandHome(file: string, home: string | undefined): string {
  if (home && (file === '~' || file.startsWith('~/'))) return path.join(home, file.slice(1));
  return file;
}

export function discover(input: DiscoveryInput): Discovery {
  const setting = input.settingPath?.trim();
  if (setting) {
    const expanded = expandHome(setting, input.home);
    const file = path.isAbsolute(expanded) || !input.baseDir ? expanded : path.join(input.baseDir, expanded);
    const state = input.fileState(file);
    if (state === 'executable') return { ok: true, found: { path: file, source: 'setting' } };
    return {
      ok: false,
      problem:
        state === 'notExecutable'
          ? `the setting gopayMiniapp.server.path is "${setting}", but that file is not executable (chmod +x it)`
          : `the setting gopayMiniapp.server.path is "${setting}", but there is no executable file there`,
    };
  }
  const bundled = bundledPath(input.extensionPath, input.platform);
  const bundledState = input.fileState(bundled);
  if (bundledState === 'executable') return { ok: true, found: { path: bundled, source: 'bundled' } };
  // Why the bundled binary is not used, when there is one: said whatever happens next.
  let bundledProblem: string | undefined;
  if (bundledState === 'notExecutable') {
    const failed = input.restoreExecutable ? input.restoreExecutable(bundled) : 'not tried';
    if (failed === undefined && input.fileState(bundled) === 'executable') {
      return {
        ok: true,
        found: {
          path: bundled,
          source: 'bundled',
          notice: `The bundled GoPay MiniApp helper (${bundled}) had lost its execute permission; the extension restored it.`,
        },
      };
    }
    bundledProblem =
      failed === undefined
        ? `the bundled sidecar ${bundled} is still not executable after its execute permission was restored (is the extensions folder on a noexec mount?)`
        : `the bundled sidecar ${bundled} is not executable and its execute permission could not be restored (${failed})`;
  }
  const name = binaryFileName(input.platform);
  const sep = input.platform === 'win32' ? ';' : ':';
  for (const dir of (input.pathEnv ?? '').split(sep)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (input.fileState(file) === 'executable') {
      const found: Found = { path: file, source: 'PATH' };
      if (bundledProblem) found.notice = `GoPay MiniApp uses ${file} from PATH: ${bundledProblem}.`;
      return { ok: true, found };
    }
  }
  if (bundledProblem) {
    return { ok: false, problem: `${bundledProblem}, and there is no ${name} on PATH: reinstall the extension or set gopayMiniapp.server.path` };
  }
  return {
    ok: false,
    problem: `no ${name} was found: gopayMiniapp.server.path is not set, this build of the extension bundles no sidecar (${bundled}), and there is none on PATH`,
  };
}

/** `gopay-miniapp 0.1.0\n` → `0.1.0`; anything else → undefined. */
export function parseVersion(stdout: string): string | undefined {
  const match = /^gopay-miniapp\s+(\d+\.\d+\.\d+\S*)\s*$/m.exec(stdout.trim());
  return match?.[1];
}

/** The sidecar protocol this extension speaks (`capabilities.experimental.gopayMiniapp.protocolVersion`). */
export const PROTOCOL_VERSION = 1;

/** A problem with the `initialize` answer, or undefined when it is one we can talk to. */
export function checkCapabilities(experimental: unknown): string | undefined {
  const info = (experimental as { gopayMiniapp?: { protocolVersion?: unknown } } | undefined)?.gopayMiniapp;
  if (!info) return 'the binary answered initialize without the gopayMiniapp capability: it is not the GoPay MiniApp sidecar';
  if (info.protocolVersion !== PROTOCOL_VERSION) {
    return `the sidecar speaks protocol version ${String(info.protocolVersion)}, this extension ${PROTOCOL_VERSION}: install matching versions`;
  }
  return undefined;
}
