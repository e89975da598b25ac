// Where the sidecar binary is: the setting `gopayMiniapp.server.path`, else the binary bundled
// in the .vsix (`server/gopay-miniapp`), else `gopay-miniapp` on PATH. File-system access is
// passed in, so this stays testable. No `vscode` here.

import * as path from 'path';

export const BINARY_NAME = 'gopay-miniapp';

export type Source = 'setting' | 'bundled' | 'PATH';

export interface Found {
  path: string;
  source: Source;
}

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
  /** Is there an executable file at this path? */
  isExecutable: (file: string) => boolean;
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
    if (input.isExecutable(file)) return { ok: true, found: { path: file, source: 'setting' } };
    return {
      ok: false,
      problem: `the setting gopayMiniapp.server.path is "${setting}", but there is no executable file there`,
    };
  }
  const bundled = bundledPath(input.extensionPath, input.platform);
  if (input.isExecutable(bundled)) return { ok: true, found: { path: bundled, source: 'bundled' } };
  const name = binaryFileName(input.platform);
  const sep = input.platform === 'win32' ? ';' : ':';
  for (const dir of (input.pathEnv ?? '').split(sep)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (input.isExecutable(file)) return { ok: true, found: { path: file, source: 'PATH' } };
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
