// Records one HAR per console feature per variant from the SuperApp console emulator's console
// pages, by clicking them in headless Chromium with playwright-core's `recordHar` (the same
// story as superapp-console.test.mjs). For the recipe learner's tests (`learn --har`).
//
//   cargo build -p gopay-miniapp
//   (cd tests/browser && npm ci --no-audit --no-fund)
//   node tests/browser/record-hars.mjs DIR [a] [b]
//
// writes DIR/<variant>/<feature>.har for the features spaces, apps, target-apps,
// temporary-code, withdraw, whitelist, grayscale, rollback and cancel (both variants unless
// named). Each variant runs on a fresh emulator with the demo data, so the ids are always the
// demo ones (`space 1532000000000000000001`, `app 1512000000000000000001`, GoPay
// `1611000000000000000001`); the versions are 1.0.0 (live, then restored by the rollback),
// 1.0.1 (temporary code, withdraw, whitelist `1001, 1002`, grayscale `10`, rollback) and 1.0.2
// (cancel). The HARs hold the session cookie of a throwaway emulator, never a real one.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { runStory, startEmulator } from "./console-story.mjs";
import { launchChromium } from "./support.mjs";

const [dirArg, ...variantArgs] = process.argv.slice(2);
if (!dirArg || variantArgs.some((v) => v !== "a" && v !== "b")) {
  console.error("usage: node tests/browser/record-hars.mjs DIR [a] [b]");
  process.exit(2);
}
const out = resolve(dirArg);
const variants = variantArgs.length > 0 ? variantArgs : ["a", "b"];
const work = mkdtempSync(join(tmpdir(), "gopay-miniapp-record-hars-"));
const browser = await launchChromium();
let failed = false;
try {
  for (const variant of variants) {
    const emulator = await startEmulator(variant, join(work, variant));
    try {
      const files = await runStory({ browser, url: emulator.url, ids: emulator.ids, variant, harDir: join(out, variant) });
      for (const file of files) console.log(file);
    } catch (err) {
      failed = true;
      console.error(`variant ${variant}: ${err.message}`);
    } finally {
      await emulator.stop();
    }
  }
} finally {
  await browser.close();
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
