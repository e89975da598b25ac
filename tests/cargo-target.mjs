// Where cargo builds this workspace, as cargo itself says (`cargo metadata`): honours
// CARGO_TARGET_DIR and build.target-dir in cargo's config, which a fixed `target/` would not.
// Shared by the JS tests (tests/node, tests/browser) and benchmarks; the shell twin is
// tests/cargo-target-dir.sh.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let cached;

export function cargoTargetDir() {
  if (cached) return cached;
  const r = spawnSync("cargo", ["metadata", "--format-version", "1", "--no-deps"], {
    cwd: repo,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`\`cargo metadata\` failed (is cargo on PATH?): ${r.error?.message ?? r.stderr}`);
  }
  cached = JSON.parse(r.stdout).target_directory;
  return cached;
}

/** The gopay-miniapp binary of a profile (`debug`, `release`): GOPAY_MINIAPP_BIN if set. */
export function builtBinary(profile = "debug") {
  if (process.env.GOPAY_MINIAPP_BIN) return process.env.GOPAY_MINIAPP_BIN;
  const exe = process.platform === "win32" ? "gopay-miniapp.exe" : "gopay-miniapp";
  return path.join(cargoTargetDir(), profile, exe);
}
