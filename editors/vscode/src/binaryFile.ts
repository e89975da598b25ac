// The file system under binary discovery (pure/discovery.ts decides; this only looks and
// chmods). Without `vscode`, so the unit tests run it on real files.

import * as fs from 'fs';

import type { FileState } from './pure/discovery';

export function fileState(file: string, platform: NodeJS.Platform = process.platform): FileState {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return 'missing';
  }
  if (!stat.isFile()) return 'missing';
  // Windows has no execute bit: an .exe that exists runs.
  if (platform === 'win32') return 'executable';
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return 'executable';
  } catch {
    return 'notExecutable';
  }
}

/**
 * Adds the execute bits to the mode of the bundled binary (the extension's own file, never one
 * the user chose): a .vsix packed on Windows, or unpacked by a tool that drops modes, loses
 * them. The error code when it may not (a read-only or foreign-owned extension folder).
 */
export function restoreExecutable(file: string): string | undefined {
  try {
    fs.chmodSync(file, (fs.statSync(file).mode & 0o7777) | 0o111);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}
