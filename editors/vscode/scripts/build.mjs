// Bundles the extension (src/main.ts and vscode-languageclient) into out/main.js with esbuild.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const production = process.argv.includes('--production');

await build({
  entryPoints: [path.join(root, 'src/main.ts')],
  outfile: path.join(root, 'out/main.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  external: ['vscode'],
  sourcemap: production ? false : 'inline',
  minify: production,
  logLevel: 'info',
});
