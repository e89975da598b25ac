#!/usr/bin/env bash
# Where cargo builds this workspace (CARGO_TARGET_DIR, build.target-dir in a config.toml, or
# target/), as cargo itself says. Source it for `cargo_target_dir`, or run it to print it.
cargo_target_dir() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  (cd "$root" && cargo metadata --format-version 1 --no-deps) |
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).target_directory));'
}
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cargo_target_dir
fi
