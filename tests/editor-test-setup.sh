# Shared by the editor tests (tests/neovim/run.sh, tests/emacs/run.sh), sourced: finds the
# debug gopay-miniapp where cargo builds (or GOPAY_MINIAPP_BIN) as $bin, makes a work folder
# $work (removed on exit), and starts a local portal with the demo data on a free port
# (`start_local_portal`: its URL in $url, stopped on exit). Needs $repo.
# shellcheck source=cargo-target-dir.sh
source "$repo/tests/cargo-target-dir.sh"
bin="${GOPAY_MINIAPP_BIN:-$(cargo_target_dir)/debug/gopay-miniapp}"
[ -x "$bin" ] || { echo "$bin is missing: cargo build -p gopay-miniapp" >&2; exit 2; }

work="$(mktemp -d)"
portal_pid=""
cleanup() {
  [ -n "$portal_pid" ] && kill "$portal_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_local_portal() {
  "$bin" portal serve --addr 127.0.0.1:0 --data "$work/portal" --seed-demo >"$work/portal.log" 2>&1 &
  portal_pid=$!
  url=""
  for _ in $(seq 1 300); do
    url="$(grep -o 'listening on http://[^ ]*' "$work/portal.log" | sed 's/listening on //' || true)"
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the portal did not start:" >&2; cat "$work/portal.log" >&2; exit 1; }
}
