// Which portal: the presets the sidecar exports (`portalPresets` of the command table, made
// from crates/core `presets::PRESETS` — never a copy here), the first Log In's pick, the
// login's title, and the browser login's URL. No `vscode` here.

import { COMMAND_TABLE, PortalPreset } from './protocol';
import type { StatusSnapshot } from './snapshot';

export const PRESETS: PortalPreset[] = COMMAND_TABLE.portalPresets;

/** The value of the pick's last item: type another URL. */
export const OTHER_URL = 'other';

export interface PortalItem {
  label: string;
  description?: string;
  detail?: string;
  /** A preset's URL, or OTHER_URL. */
  value: string;
}

/**
 * Whether Log In must ask which portal: the sidecar found none (no binding, no setting, no
 * stored login) and the user set none. Never a silent default.
 */
export function mustChoosePortal(snapshot: StatusSnapshot | undefined, setting: string): boolean {
  return !setting.trim() && !!snapshot && !snapshot.portal;
}

/** The first Log In's quick pick: the presets, then Other URL; the preselected one first-active. */
export function portalItems(presets: PortalPreset[] = PRESETS): { items: PortalItem[]; active: string } {
  const items: PortalItem[] = presets.map((p) => ({ label: p.name, description: p.url, detail: p.detail, value: p.url }));
  items.push({ label: 'Other URL…', detail: 'Type the address of another portal', value: OTHER_URL });
  const active = presets.find((p) => p.preselected)?.url ?? items[0].value;
  return { items, active };
}

/** A typed portal URL: nothing, or why it is not one (http or https, with a host). */
export function checkPortalUrl(text: string): string | undefined {
  const t = text.trim();
  if (!t) return 'Type the portal’s address, e.g. https://miniapp.example.com';
  if (PRESETS.some((p) => p.id === t.toLowerCase())) return undefined;
  let url: URL;
  try {
    url = new URL(t);
  } catch {
    return 'Type a full address starting with https:// (or http:// for a portal on this computer)';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The address must start with https:// or http://';
  if (!url.host) return 'The address has no host';
  if (url.username || url.password) return 'Leave the user name and password out of the address';
  return undefined;
}

/** How a portal is named to the user: "GoPay (miniapp.midtrans.com)", else its host. */
export function portalName(url: string, presets: PortalPreset[] = PRESETS): string {
  const key = url.trim().replace(/\/+$/, '').toLowerCase();
  const preset = presets.find((p) => p.url.replace(/\/+$/, '').toLowerCase() === key);
  let host = url;
  try {
    host = new URL(url).host || url;
  } catch {
    // not a URL: shown as given
  }
  return preset ? `${preset.name} (${host})` : host;
}

/** Log In's title, naming the portal. */
export function loginTitle(url: string): string {
  return `Log In to ${portalName(url)}`;
}

/** `miniapp/browserLogin` (the sidecar sends only pages guard::url lets be opened). */
export interface BrowserLogin {
  url: string;
  userCode?: string;
  browserStarted: boolean;
}

export const OPEN_URL = 'Open URL';
export const COPY_URL = 'Copy URL';

/**
 * The browser login's message with its buttons. Open URL only for http(s) (the sidecar's
 * policy already refused anything else; this is a second lock, not a second policy).
 */
export function browserLoginView(b: BrowserLogin): { text: string; buttons: string[] } {
  const code = b.userCode ? ` and check the code ${b.userCode}` : '';
  const text = b.browserStarted
    ? `A browser window opened on ${b.url}: log in there${code}.`
    : `Approve the login in the browser at ${b.url}${code}.`;
  let openable = false;
  try {
    const u = new URL(b.url);
    openable = u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    openable = false;
  }
  return { text, buttons: openable ? [OPEN_URL, COPY_URL] : [COPY_URL] };
}
