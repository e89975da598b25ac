#!/usr/bin/env bash
# The Neovim test: Debian's neovim (0.7+) headless, its built-in LSP client and the plugin in
# editors/neovim drive the real `gopay-miniapp lsp` through login → bind → publish against a
# local portal. Needs the debug gopay-miniapp where cargo builds (or GOPAY_MINIAPP_BIN) and `nvim`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../cargo-target-dir.sh
source "$repo/tests/cargo-target-dir.sh"
bin="${GOPAY_MINIAPP_BIN:-$(cargo_target_dir)/debug/gopay-miniapp}"
command -v nvim >/dev/null || { echo "nvim is not installed (Debian: apt-get install neovim)" >&2; exit 2; }
[ -x "$bin" ] || { echo "$bin is missing: cargo build -p gopay-miniapp" >&2; exit 2; }

work="$(mktemp -d)"
portal_pid=""
cleanup() {
  [ -n "$portal_pid" ] && kill "$portal_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" portal serve --addr 127.0.0.1:0 --data "$work/portal" --seed-demo >"$work/portal.log" 2>&1 &
portal_pid=$!
for _ in $(seq 1 300); do
  url="$(grep -o 'listening on http://[^ ]*' "$work/portal.log" | sed 's/listening on //' || true)"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || { echo "the portal did not start:" >&2; cat "$work/portal.log" >&2; exit 1; }

cp -r "$repo/crates/lsp/tests/fixtures/hello-miniapp" "$work/project"
mkdir -p "$work/home"

echo "nvim: $(nvim --version | head -1)"
status=0
GOPAY_MINIAPP_HOME="$work/home" MINIAPP_PROJECT="$work/project" MINIAPP_BIN="$bin" \
MINIAPP_PORTAL="$url" MINIAPP_RESULT="$work/result" XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" \
  timeout 180 nvim --headless -u NONE -i NONE -n \
    --cmd "set runtimepath^=$repo/editors/neovim" \
    -c "luafile $repo/tests/neovim/test.lua" </dev/null || status=$?
if [ -f "$work/result" ]; then cat "$work/result"; fi
if [ "$status" -ne 0 ] || [ "$(head -1 "$work/result" 2>/dev/null)" != "ok" ]; then
  echo "the Neovim test failed (exit $status)" >&2
  exit 1
fi
echo "neovim: ok"
