// `npm run package` (from the repository root): builds the sidecar with the `dist` profile and
// without the local portal (`cargo dist-sidecar`, .cargo/config.toml; what users download:
// release, stripped, sized for the download but for the hot crates, one codegen unit, no LTO;
// Cargo.toml), bundles the extension with esbuild and packs a .vsix for this platform with the
// sidecar inside (server/gopay-miniapp), recorded in the archive as executable (0755) whatever
// the platform packing it, and checked there.
//
//   node scripts/package.mjs [--binary PATH] [--target VSCODE_TARGET] [--universal] [--out FILE]
//
// --binary (or GOPAY_MINIAPP_BINARY) bundles an existing gopay-miniapp instead of running
// `cargo dist-sidecar` (handy while developing, and the release workflow's cross-built
// binaries). --target: the VS Code target (default: this machine's).
// Prints the .vsix path last.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const { modeOf, setMode } = createRequire(import.meta.url)('./zipMode.cjs');

const here = path.dirname(fileURLToPath(import.meta.url));
const extRoot = path.resolve(here, '..');
const repoRoot = path.resolve(extRoot, '../..');

function option(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

process.on('uncaughtException', (e) => {
  console.error(`package: ${e.message}`);
  process.exit(1);
});

function run(cmd, args, cwd) {
  console.error(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status}`);
}

/** The VS Code platform target of this machine (`linux-x64`, `darwin-arm64`, …). */
function vscodeTarget() {
  const arch = { x64: 'x64', arm64: 'arm64', arm: 'armhf' }[process.arch];
  if (!arch) throw new Error(`no VS Code target for the architecture ${process.arch}`);
  if (process.platform === 'linux') {
    const musl = fs.existsSync('/etc/alpine-release');
    return `${musl ? 'alpine' : 'linux'}-${arch}`;
  }
  if (process.platform === 'darwin') return `darwin-${arch}`;
  if (process.platform === 'win32') return `win32-${arch}`;
  throw new Error(`no VS Code target for the platform ${process.platform}`);
}

// --universal: no binary inside (discovery then finds `gopay-miniapp` on PATH or the setting),
// for the platforms no target .vsix exists for.
const universal = process.argv.includes('--universal');
const exe = process.platform === 'win32' ? 'gopay-miniapp.exe' : 'gopay-miniapp';
const serverDir = path.join(extRoot, 'server');
fs.rmSync(serverDir, { recursive: true, force: true });
if (!universal) {
  let binary = option('--binary') ?? process.env.GOPAY_MINIAPP_BINARY;
  if (!binary) {
    run('cargo', ['dist-sidecar'], repoRoot);
    const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR) : path.join(repoRoot, 'target');
    binary = path.join(targetDir, 'dist', exe);
  }
  // Relative to where `npm run` was typed (npm runs this script in editors/vscode).
  binary = path.resolve(process.env.INIT_CWD ?? process.cwd(), binary);
  if (!fs.existsSync(binary)) throw new Error(`the sidecar binary ${binary} does not exist`);
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (version.status !== 0 || !/^gopay-miniapp \d+\.\d+\.\d+/.test(version.stdout)) {
    throw new Error(`${binary} --version did not answer "gopay-miniapp X.Y.Z": ${version.stdout}${version.stderr}`);
  }
  console.error(`bundling ${binary} (${version.stdout.trim()})`);
  fs.mkdirSync(serverDir, { recursive: true });
  fs.copyFileSync(binary, path.join(serverDir, exe));
  fs.chmodSync(path.join(serverDir, exe), 0o755);
}

run(process.execPath, [path.join(here, 'build.mjs'), '--production'], extRoot);

const manifest = JSON.parse(fs.readFileSync(path.join(extRoot, 'package.json'), 'utf8'));
const target = universal ? undefined : (option('--target') ?? vscodeTarget());
const out = option('--out')
  ? path.resolve(process.env.INIT_CWD ?? process.cwd(), option('--out'))
  : path.join(extRoot, 'dist', `${manifest.name}-${target ? `${target}-` : ''}${manifest.version}.vsix`);
fs.mkdirSync(path.dirname(out), { recursive: true });
const vsce = path.join(path.dirname(createRequire(import.meta.url).resolve('@vscode/vsce/package.json')), 'vsce');
run(
  process.execPath,
  [vsce, 'package', ...(target ? ['--target', target] : []), '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', out],
  extRoot,
);
if (!universal) {
  // The execute bit, in the archive: VS Code extracts the modes recorded there, and an archive
  // packed on Windows records none.
  const entry = `extension/server/${exe}`;
  const vsix = fs.readFileSync(out);
  setMode(vsix, entry, 0o755);
  fs.writeFileSync(out, vsix);
  const mode = modeOf(fs.readFileSync(out), entry);
  if (mode !== 0o755) throw new Error(`${out}: ${entry} has the mode ${mode?.toString(8)}, not 755`);
  console.error(`${entry}: mode 755 in the archive`);
}
console.log(out);
