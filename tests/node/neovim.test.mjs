// Runs tests/neovim/run.sh: Debian's Neovim (0.7+) headless with its built-in LSP client and
// the editors/neovim plugin, login → bind → publish against the real binary.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";

import { repo, requireBinary } from "./helpers.mjs";

const hasNvim = spawnSync("nvim", ["--version"], { encoding: "utf8" }).status === 0;
// Under tests/run-all.sh neovim is installed up front: there a missing nvim fails the test.
const skip = hasNvim || process.env.GOPAY_MINIAPP_TESTS_REQUIRE_TOOLS ? false : "nvim is not installed (Debian: apt-get install neovim) — SKIPPED";

test("Neovim's built-in LSP client: login → bind → publish", { skip }, () => {
  requireBinary();
  const result = spawnSync("bash", [path.join(repo, "tests/neovim/run.sh")], { encoding: "utf8", timeout: 240000 });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /neovim: ok/);
});
