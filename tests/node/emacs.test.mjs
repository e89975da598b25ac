// Runs tests/emacs/run.sh: Debian's emacs-nox (28) with elpa-eglot (1.9) in batch mode, the
// editors/emacs package byte-compiled with warnings as errors, then ERT driving the real binary
// through eglot: login → bind → publish, the portal and package.json checked after.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";

import { repo, requireBinary } from "./helpers.mjs";

const hasEmacs = spawnSync("emacs", ["--version"], { encoding: "utf8" }).status === 0;
// Under tests/run-all.sh emacs-nox and elpa-eglot are installed up front: there a missing
// emacs fails the test.
const skip = hasEmacs || process.env.GOPAY_MINIAPP_TESTS_REQUIRE_TOOLS ? false : "emacs is not installed (Debian: apt-get install emacs-nox elpa-eglot) — SKIPPED";

test("Emacs with eglot: login → bind → publish", { skip }, () => {
  requireBinary();
  const result = spawnSync("bash", [path.join(repo, "tests/emacs/run.sh")], { encoding: "utf8", timeout: 360000 });
  assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stdout, /emacs: ok/);
});
