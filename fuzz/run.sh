#!/usr/bin/env bash
# Fuzzes every target for SECONDS each (default 60), FUZZ_JOBS at a time (default: the number
# of cores), on a temporary copy of the committed corpus (fuzz/corpus/<target>), and fails on a
# crash, hang or leak. Built without a sanitizer: the fuzzed code is safe Rust, where
# AddressSanitizer finds nothing the panics and assertions do not, and it made the cold build
# half as long again (docs/fuzzing.md).
# Installs cargo-fuzz when it is missing. Uses a nightly toolchain when one is installed, else
# stable with RUSTC_BOOTSTRAP=1 (cargo-fuzz needs nightly flags). See docs/fuzzing.md.
#
#   fuzz/run.sh [SECONDS]
#   fuzz/run.sh --build-only     # only build the targets (CI builds them while the tests run)
set -euo pipefail
cd "$(dirname "$0")"

build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi
seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: fuzz/run.sh [SECONDS] | --build-only" >&2; exit 2; }
targets=(lsp_framing package_json_version version_number binding_file portal_json guard_text guard_url package_entries)
cargo_fuzz_version=0.13.2
started=$(date +%s)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz $cargo_fuzz_version"
  # A debug build (it only drives cargo) in its own folder (not CARGO_TARGET_DIR's, whose lock
  # the tests' builds need).
  install_dir="$(mktemp -d)"
  cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked --quiet --debug --target-dir "$install_dir"
  rm -rf "$install_dir"
fi
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi

echo "==> building the fuzz targets (${toolchain[*]:-stable, RUSTC_BOOTSTRAP=1})"
build_started=$(date +%s)
# Its own target folder whatever CARGO_TARGET_DIR says: a build there would hold the lock of
# the workspace's folder (and the binaries' path below would move).
cargo "${toolchain[@]}" fuzz build --sanitizer none --target-dir target
build_seconds=$(( $(date +%s) - build_started ))
echo "    built in ${build_seconds}s"
((build_only)) && exit 0
bin_dir="target/x86_64-unknown-linux-gnu/release"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jobs="${FUZZ_JOBS:-$(nproc)}"

# One target: its run's log in $work/<target>.log, its summary row in $work/<target>.row.
fuzz_one() {
  local target=$1 corpus="$work/corpus/$1" artifacts="$work/artifacts/$1/" log="$work/$1.log"
  mkdir -p "$corpus" "$artifacts"
  cp -R "corpus/$target/." "$corpus/"
  local before_files status=0
  before_files=$(find "$corpus" -type f | wc -l)
  "$bin_dir/$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
  if ((status != 0)); then
    {
      tail -n 60 "$log"
      for found in "$artifacts"*; do
        [ -f "$found" ] || continue
        echo "--- $target: crashing input $(basename "$found") (base64; keep it in fuzz/corpus/$target and add a regression test):"
        base64 "$found" | head -c 20000
        echo
      done
      echo "FAIL: fuzz target $target failed (exit $status)"
    } >"$work/$target.failed"
    return 1
  fi
  # Not anchored: libFuzzer's dictionary dump may leave a line unterminated before the stats.
  local execs per_sec after_files cov
  execs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  per_sec=$(grep -a -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  after_files=$(find "$corpus" -type f | wc -l)
  cov=$(grep -a -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  printf '%-22s %10s %9s %7s -> %-7s %6s\n' "$target" "$execs" "$per_sec" "$before_files" "$after_files" "$cov" >"$work/$target.row"
}

echo "==> fuzzing ${#targets[@]} targets for ${seconds}s each, $jobs at a time"
fuzz_started=$(date +%s)
pids=()
for target in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  echo "    $target (corpus: $(find "corpus/$target" -type f | wc -l) files)"
  fuzz_one "$target" &
  pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
if ((failed)); then
  cat "$work"/*.failed >&2
  exit 1
fi
summary=()
for target in "${targets[@]}"; do summary+=("$(cat "$work/$target.row")"); done

echo
printf '%-22s %10s %9s %7s    %-7s %6s\n' target execs execs/s corpus "" cov
printf '%s\n' "${summary[@]}"
echo "build ${build_seconds}s, fuzzing $(( $(date +%s) - fuzz_started ))s, total $(( $(date +%s) - started ))s; no crashes"
