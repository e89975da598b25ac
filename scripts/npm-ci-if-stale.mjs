// `npm ci` at the repository root (the npm workspaces: editors/vscode) unless node_modules is
// already installed from the current package-lock.json. Runs before `npm run package`, so a
// fresh clone packages without a separate install step.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const installed = path.join(root, "node_modules/.package-lock.json"); // written by npm ci/install
const lock = path.join(root, "package-lock.json");
const mtime = (file) => fs.statSync(file).mtimeMs;

if (fs.existsSync(installed) && mtime(installed) >= mtime(lock)) process.exit(0);
console.error(`npm ci (${fs.existsSync(installed) ? "package-lock.json changed" : "no node_modules yet"})`);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const r = spawnSync(npm, ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: root, stdio: "inherit" });
if (r.status !== 0) {
  console.error(`npm ci failed${r.error ? `: ${r.error.message}` : ""}; run it in ${root}, then npm run package again`);
  process.exit(r.status || 1);
}
