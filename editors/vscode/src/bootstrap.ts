// Finding the sidecar: the discovery order lives in pure/discovery.ts; here are the file
// system, the settings and the `--version` check.

import { execFile } from 'child_process';
import * as os from 'os';
import * as vscode from 'vscode';

import { fileState, restoreExecutable } from './binaryFile';
import type { Ctx } from './ctx';
import { discover, parseVersion, Source } from './pure/discovery';

export interface ServerInfo {
  path: string;
  source: Source;
  version: string;
  /** Said to the user once the sidecar runs (e.g. the bundled binary's execute bit restored). */
  notice?: string;
}

export type FindResult = { ok: true; server: ServerInfo } | { ok: false; problem: string };

function runVersion(file: string): Promise<{ stdout: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(file, ['--version'], { timeout: 15_000, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        const why =
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? 'it does not exist'
            : (error as NodeJS.ErrnoException).code === 'EACCES'
              ? 'it is not executable'
              : error.killed
                ? 'it did not answer within 15 s'
                : `${error.message.trim()}${stderr ? `: ${String(stderr).trim()}` : ''}`;
        resolve({ stdout: String(stdout ?? ''), error: why });
      } else {
        resolve({ stdout: String(stdout) });
      }
    });
  });
}

export async function findServer(ctx: Ctx): Promise<FindResult> {
  const found = discover({
    settingPath: ctx.config.get<string>('server.path'),
    extensionPath: ctx.ext.extensionPath,
    pathEnv: process.env.PATH,
    platform: process.platform,
    home: os.homedir(),
    baseDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    fileState: (file) => fileState(file),
    restoreExecutable,
  });
  if (!found.ok) return found;
  const { path, source, notice } = found.found;
  const ran = await runVersion(path);
  if (ran.error) return { ok: false, problem: `${path} --version failed: ${ran.error}` };
  const version = parseVersion(ran.stdout);
  if (!version) {
    return {
      ok: false,
      problem: `${path} --version printed "${ran.stdout.trim().slice(0, 80)}", so it is not gopay-miniapp`,
    };
  }
  return { ok: true, server: { path, source, version, notice } };
}
