// Binary discovery's file system on real files in a temporary folder: a bundled sidecar that lost
// its execute bit is restored and named, never skipped silently; and the packaging script's
// archive mode (scripts/zipMode.cjs) on a real ZIP made by Info-ZIP and extracted by unzip.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { fileState, restoreExecutable } from '../src/binaryFile';
import { discover } from '../src/pure/discovery';

const zipMode: {
  modeOf: (zip: Buffer, name: string) => number | undefined;
  setMode: (zip: Buffer, name: string, perm: number) => void;
} = require(path.resolve(__dirname, '../../scripts/zipMode.cjs'));

/** A temporary folder with `server/gopay-miniapp` (mode given) and a `bin` folder for PATH. */
function extension(mode: number | undefined): { ext: string; bundled: string; bin: string } {
  const ext = fs.mkdtempSync(path.join(os.tmpdir(), 'gopay-miniapp-ext-'));
  const bundled = path.join(ext, 'server', 'gopay-miniapp');
  const bin = path.join(ext, 'bin');
  fs.mkdirSync(path.dirname(bundled));
  fs.mkdirSync(bin);
  if (mode !== undefined) {
    fs.writeFileSync(bundled, '#!/bin/sh\necho gopay-miniapp 0.1.0\n');
    fs.chmodSync(bundled, mode);
  }
  return { ext, bundled, bin };
}

function onPath(bin: string): string {
  const file = path.join(bin, 'gopay-miniapp');
  fs.writeFileSync(file, '#!/bin/sh\necho gopay-miniapp 0.1.0\n');
  fs.chmodSync(file, 0o755);
  return file;
}

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

test('fileState: executable, not executable, missing, a folder; Windows has no execute bit', () => {
  const { ext, bundled } = extension(0o644);
  assert.equal(fileState(bundled), 'notExecutable');
  assert.equal(fileState(bundled, 'win32'), 'executable');
  fs.chmodSync(bundled, 0o755);
  assert.equal(fileState(bundled), 'executable');
  assert.equal(fileState(path.join(ext, 'nope')), 'missing');
  assert.equal(fileState(path.join(ext, 'server')), 'missing');
  fs.rmSync(ext, { recursive: true });
});

test('restoreExecutable adds the execute bits and keeps the rest of the mode', () => {
  const { ext, bundled } = extension(0o640);
  assert.equal(restoreExecutable(bundled), undefined);
  assert.equal(modeOf(bundled), 0o751);
  assert.equal(restoreExecutable(path.join(ext, 'gone')), 'ENOENT');
  fs.rmSync(ext, { recursive: true });
});

test('a bundled binary without its execute bit is restored, used, and said', () => {
  const { ext, bundled, bin } = extension(0o644);
  onPath(bin);
  const d = discover({ extensionPath: ext, platform: 'linux', pathEnv: bin, fileState: (f) => fileState(f), restoreExecutable });
  assert.ok(d.ok);
  assert.equal(d.found.path, bundled);
  assert.equal(d.found.source, 'bundled');
  assert.match(d.found.notice ?? '', /had lost its execute permission; the extension restored it/);
  assert.equal(modeOf(bundled), 0o755);
  // The file really runs now.
  assert.equal(execFileSync(bundled, { encoding: 'utf8' }), 'gopay-miniapp 0.1.0\n');
  fs.rmSync(ext, { recursive: true });
});

test('a bundled binary that cannot be restored: PATH is used and the bundled file named', () => {
  const { ext, bundled, bin } = extension(0o644);
  const pathBinary = onPath(bin);
  // Where the extension may not chmod (a read-only extensions folder): the error code is said.
  const d = discover({ extensionPath: ext, platform: 'linux', pathEnv: bin, fileState: (f) => fileState(f), restoreExecutable: () => 'EROFS' });
  assert.ok(d.ok);
  assert.equal(d.found.path, pathBinary);
  assert.equal(d.found.source, 'PATH');
  assert.ok(d.found.notice?.includes(bundled), d.found.notice);
  assert.match(d.found.notice ?? '', /could not be restored \(EROFS\)/);
  assert.equal(modeOf(bundled), 0o644);
  fs.rmSync(ext, { recursive: true });
});

test('a bundled binary that cannot be restored and nothing on PATH: the error names both', () => {
  const { ext, bundled, bin } = extension(0o644);
  const d = discover({ extensionPath: ext, platform: 'linux', pathEnv: bin, fileState: (f) => fileState(f), restoreExecutable: () => 'EPERM' });
  assert.equal(d.ok, false);
  const problem = !d.ok ? d.problem : '';
  assert.ok(problem.includes(bundled), problem);
  assert.match(problem, /EPERM.*no gopay-miniapp on PATH: reinstall the extension or set gopayMiniapp\.server\.path/);
  fs.rmSync(ext, { recursive: true });
});

test('no bundled binary (the universal .vsix): PATH, with nothing to say', () => {
  const { ext, bin } = extension(undefined);
  const pathBinary = onPath(bin);
  const d = discover({ extensionPath: ext, platform: 'linux', pathEnv: bin, fileState: (f) => fileState(f), restoreExecutable });
  assert.deepEqual(d, { ok: true, found: { path: pathBinary, source: 'PATH' } });
  fs.rmSync(ext, { recursive: true });
});

test('a setting pointing at a file without the execute bit says so and is not changed', () => {
  const { ext, bundled } = extension(0o644);
  const d = discover({ extensionPath: '/elsewhere', platform: 'linux', settingPath: bundled, fileState: (f) => fileState(f), restoreExecutable });
  assert.equal(d.ok, false);
  assert.match(!d.ok ? d.problem : '', /that file is not executable \(chmod \+x it\)/);
  assert.equal(modeOf(bundled), 0o644);
  fs.rmSync(ext, { recursive: true });
});

test('the .vsix mode: a ZIP entry recorded without the execute bit is set to 0755 and unzip extracts it so', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gopay-miniapp-zip-'));
  fs.mkdirSync(path.join(dir, 'extension/server'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'extension/server/gopay-miniapp'), '#!/bin/sh\necho gopay-miniapp 0.1.0\n');
  fs.chmodSync(path.join(dir, 'extension/server/gopay-miniapp'), 0o644);
  fs.writeFileSync(path.join(dir, 'extension/package.json'), '{}');
  // Info-ZIP, with an archive comment so the end record is not the last 22 bytes.
  execFileSync('zip', ['-q', '-r', '-z', 'v.zip', 'extension'], { cwd: dir, input: 'a comment\n.\n' });
  const file = path.join(dir, 'v.zip');
  const zip = fs.readFileSync(file);
  assert.equal(zipMode.modeOf(zip, 'extension/server/gopay-miniapp'), 0o644);
  zipMode.setMode(zip, 'extension/server/gopay-miniapp', 0o755);
  fs.writeFileSync(file, zip);
  const again = fs.readFileSync(file);
  assert.equal(zipMode.modeOf(again, 'extension/server/gopay-miniapp'), 0o755);
  assert.equal(zipMode.modeOf(again, 'extension/package.json'), 0o644);
  assert.throws(() => zipMode.modeOf(again, 'extension/server/other'), /the archive has no extension\/server\/other/);
  // The archive is still whole (unzip tests every entry's CRC) and extracts the mode.
  execFileSync('unzip', ['-tq', file]);
  const out = path.join(dir, 'out');
  execFileSync('unzip', ['-q', file, '-d', out]);
  assert.equal(modeOf(path.join(out, 'extension/server/gopay-miniapp')), 0o755);
  assert.equal(execFileSync(path.join(out, 'extension/server/gopay-miniapp'), { encoding: 'utf8' }), 'gopay-miniapp 0.1.0\n');
  assert.throws(() => zipMode.modeOf(Buffer.from('not a zip at all, just text'), 'x'), /not a ZIP archive/);
  fs.rmSync(dir, { recursive: true });
});
