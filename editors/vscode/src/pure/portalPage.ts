// Open on Portal (#21 item 21): the page the sidecar names (a version's, the MiniApp's), else
// the portal itself. Only an http(s) URL on the portal's own origin is opened, whatever the
// snapshot says (the URL rule of docs/security.md, kept here too). No `vscode` here.

import type { StatusSnapshot } from './snapshot';

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    if (parsed.username || parsed.password) return undefined;
    return parsed.origin;
  } catch {
    return undefined;
  }
}

/** The URL to open for a row (its version, if any), or undefined when there is none to open. */
export function portalPageOf(snapshot: StatusSnapshot | undefined, version?: string): string | undefined {
  const portal = snapshot?.binding?.portal || snapshot?.portal;
  const origin = portal && originOf(portal);
  if (!portal || !origin) return undefined;
  const candidates = [version ? snapshot?.versions.find((v) => v.version === version)?.page : undefined, snapshot?.appPage, portal];
  return candidates.find((url): url is string => !!url && originOf(url) === origin);
}
