// tests/debian-packages.sh, the fresh-machine set-up of tests/run-all.sh and .ci/run, on a
// list with a package this machine does not have. `id`, `sudo` and `apt-get` are shims
// first on PATH (so nothing is installed or removed on this machine); dpkg-query is the
// real one.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";

import { repo, tempDir } from "./helpers.mjs";

const script = path.join(repo, "tests/debian-packages.sh");
const fake = "gopay-miniapp-no-such-package";

/** A shim dir, a package list, and a runner with the shims first on PATH. */
function world({ uid, sudo, aptInstalls }) {
  const dir = tempDir("gopay-debian-");
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  const calls = path.join(dir, "apt-calls");
  const shim = (name, body) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  shim("id", `[ "$1" = -u ] && { echo ${uid}; exit 0; }; exec /usr/bin/id "$@"`);
  if (sudo === "none") {
    // sudo is absent: a shim dir PATH entry cannot hide /usr/bin/sudo, so fail like a missing one.
    shim("sudo", "exit 127");
  } else if (sudo === "password") {
    shim("sudo", `[ "$1" = -n ] && { echo "sudo: a password is required" >&2; exit 1; }; exit 1`);
  } else {
    shim("sudo", `[ "$1" = -n ] && shift; exec "$@"`);
  }
  // apt-get records its arguments; `install` puts the fake package's command on PATH.
  shim(
    "apt-get",
    `echo "$*" >> "${calls}"\ncase "$*" in *install*) ${aptInstalls ? `printf '#!/bin/sh\\n' > "${bin}/${fake}"; chmod +x "${bin}/${fake}"` : "echo 'E: Unable to locate package' >&2; exit 100"};; esac`,
  );
  const list = path.join(dir, "packages.txt");
  fs.writeFileSync(list, `# a comment, then a present package and a missing one\n\nunzip unzip\n${fake}  ${fake}\n`);
  const run = () =>
    spawnSync("bash", [script, list], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  const aptCalls = () => (fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : []);
  return { run, aptCalls, list };
}

test("all packages present: nothing to do, apt-get is not run", () => {
  const w = world({ uid: 1000, sudo: "password", aptInstalls: false });
  fs.writeFileSync(w.list, "unzip unzip\nbuild-essential make gcc g++\n");
  const r = w.run();
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.deepEqual(w.aptCalls(), []);
});

test("missing, not root, sudo needs a password: stops at once naming the install command", () => {
  for (const sudo of ["password", "none"]) {
    const w = world({ uid: 1000, sudo, aptInstalls: true });
    const r = w.run();
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`missing: ${fake}\\n`));
    assert.ok(r.stderr.includes(`sudo apt-get update && sudo apt-get install -y ${fake}\n`), r.stderr);
    assert.deepEqual(w.aptCalls(), [], "nothing was attempted");
  }
});

test("missing, root: apt-get update, then apt-get install -y of just the missing ones", () => {
  const w = world({ uid: 0, sudo: "none", aptInstalls: true });
  const r = w.run();
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(w.aptCalls(), ["update -qq", `install -y -qq ${fake}`]);
  assert.match(r.stderr, new RegExp(`installed: ${fake}`));
});

test("missing, sudo without a password: installs through sudo -n", () => {
  const w = world({ uid: 1000, sudo: "nopassword", aptInstalls: true });
  const r = w.run();
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(w.aptCalls(), ["update -qq", `install -y -qq ${fake}`]);
});

test("apt-get cannot install it: exits 2 naming the command", () => {
  const w = world({ uid: 0, sudo: "none", aptInstalls: false });
  const r = w.run();
  assert.equal(r.status, 2, r.stderr);
  assert.ok(r.stderr.includes(`apt-get update && apt-get install -y ${fake}`), r.stderr);
});

test("the list has every package .ci/run and the tests name", () => {
  const listed = fs
    .readFileSync(path.join(repo, "tests/debian-packages.txt"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => l.split(/\s+/)[0]);
  for (const pkg of ["unzip", "zip", "zbar-tools", "chromium", "neovim", "emacs-nox", "elpa-eglot", "ripgrep", "libkrb5-dev", "build-essential", "python3"]) {
    assert.ok(listed.includes(pkg), `${pkg} is in tests/debian-packages.txt`);
  }
  const ci = fs.readFileSync(path.join(repo, ".ci/run"), "utf8");
  assert.ok(ci.includes("tests/debian-packages.sh"), ".ci/run uses the one list");
  assert.ok(!/apt-get install/.test(ci), ".ci/run keeps no list of its own");
});
