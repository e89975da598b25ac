#!/usr/bin/env bash
# Every test of the project, from a fresh clone: installs what the tests need from the
# registries (npm packages of the fixtures), builds, and runs the Rust tests (unit and
# integration, against the local portal over real HTTP) and the cross-process tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "tests need \`$1\` on PATH ($2)" >&2; exit 2; }; }
need cargo "https://rustup.rs"
need node "Node.js 20+"
need npm "Node.js 20+"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  { echo "tests need Node.js 20+, this is $(node --version)" >&2; exit 2; }
# Every Debian package the tests use, before anything is built: installed when this can be
# done without asking, else a stop naming the install command.
bash tests/debian-packages.sh
# The tools are there now: a test that would skip without one fails instead.
export GOPAY_MINIAPP_TESTS_REQUIRE_TOOLS=1
# Where cargo builds (CARGO_TARGET_DIR and cargo's config are honoured).
source tests/cargo-target-dir.sh
bin="$(cargo_target_dir)/debug/gopay-miniapp"
# The CLI the cross-process tests run ($bin), resolved as the Rust tests resolved it: with the
# dev-dependencies' features. `cargo build -p gopay-miniapp` resolves fewer features and built
# a dozen shared crates and the binary a second time (time, and disk). After the Rust tests
# this is a no-op.
build_cli() { cargo build --workspace --tests; }

echo "==> npm packages of the fixtures"
for dir in tests/fixtures/*/; do
  if [ -f "$dir/package.json" ] && grep -q '"devDependencies"\|"dependencies"' "$dir/package.json"; then
    (cd "$dir" && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi)
  fi
done

echo "==> Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
  cargo test --workspace --doc
else
  echo "    (cargo-nextest is not installed: running cargo test; \`cargo install cargo-nextest\` is faster)"
  cargo test --workspace --no-fail-fast
fi

if [ -d tests/node ] && ls tests/node/*.test.mjs >/dev/null 2>&1; then
  echo "==> Node tests"
  build_cli
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
  node --test tests/node/
fi
echo "==> Browser tests (local portal web pages, Chromium)"
build_cli
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
node --test tests/browser/

echo "==> VS Code extension: unit tests"
npm ci --no-audit --no-fund --loglevel=error
npm test -w editors/vscode

echo "==> VS Code extension: end-to-end in a real VS Code (code-server)"
# The .vsix bundles the debug sidecar built above: the same code as a release package,
# without a second, slow optimised build (`npm run package` makes the release .vsix).
node tests/vscode/e2e.mjs --binary "$bin"
echo "==> VS Code extension: end-to-end on the superapp backend (the console emulator)"
node tests/vscode/superapp.mjs --binary "$bin"

echo "==> all tests passed"
