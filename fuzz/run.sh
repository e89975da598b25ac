#!/usr/bin/env bash
# Fuzzes every target for SECONDS each (default 60), one after the other, on a temporary copy
# of the committed corpus (fuzz/corpus/<target>), and fails on the first crash, hang or leak.
# Installs cargo-fuzz when it is missing. Uses a nightly toolchain when one is installed, else
# stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly flags). See docs/fuzzing.md.
#
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: fuzz/run.sh [SECONDS]" >&2; exit 2; }
targets=(lsp_framing package_json_version version_number binding_file portal_json)
cargo_fuzz_version=0.13.2
started=$(date +%s)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz $cargo_fuzz_version"
  cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --quiet
fi
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi

echo "==> building the fuzz targets (${toolchain[*]:-stable, RUSTC_BOOTSTRAP=1})"
build_started=$(date +%s)
cargo "${toolchain[@]}" fuzz build
build_seconds=$(( $(date +%s) - build_started ))
bin_dir="target/x86_64-unknown-linux-gnu/release"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=()
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  artifacts="$work/artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  cp -R "corpus/$target/." "$corpus/"
  before_files=$(find "$corpus" -type f | wc -l)
  before_bytes=$(du -sb "$corpus" | cut -f1)
  echo "==> fuzzing $target for ${seconds}s (corpus: $before_files files)"
  log="$work/$target.log"
  status=0
  "$bin_dir/$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
  if ((status != 0)); then
    tail -n 60 "$log"
    for found in "$artifacts"*; do
      [ -f "$found" ] || continue
      echo "--- $target: crashing input $(basename "$found") (base64; keep it in fuzz/corpus/$target and add a regression test):"
      base64 "$found" | head -c 20000
      echo
    done
    echo "FAIL: fuzz target $target failed (exit $status)" >&2
    exit 1
  fi
  # Not anchored: libFuzzer's dictionary dump may leave a line unterminated before the stats.
  execs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  per_sec=$(grep -a -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  after_files=$(find "$corpus" -type f | wc -l)
  cov=$(grep -a -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  summary+=("$(printf '%-22s %10s %9s %7s -> %-7s %6s' "$target" "$execs" "$per_sec" "$before_files" "$after_files" "$cov")")
  echo "    $execs execs, $per_sec/s, corpus $before_files -> $after_files files ($before_bytes bytes before), cov $cov"
done

echo
printf '%-22s %10s %9s %7s    %-7s %6s\n' target execs execs/s corpus "" cov
printf '%s\n' "${summary[@]}"
echo "build ${build_seconds}s, total $(( $(date +%s) - started ))s; no crashes"
