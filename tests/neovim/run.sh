#!/usr/bin/env bash
# The Neovim test: Debian's neovim (0.7+) headless, its built-in LSP client and the plugin in
# editors/neovim drive the real `gopay-miniapp lsp` through login → bind → publish against a
# local portal. Needs the debug gopay-miniapp where cargo builds (or GOPAY_MINIAPP_BIN) and `nvim`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
command -v nvim >/dev/null || { echo "nvim is not installed (Debian: apt-get install neovim)" >&2; exit 2; }
# shellcheck source=../editor-test-setup.sh
source "$repo/tests/editor-test-setup.sh"

start_local_portal

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
