// The SuperApp console emulator's console pages (`/console`; the emulator's own ASSUMED
// routes, docs/portal-superapp.md "The console pages") in Debian's Chromium, both variants:
// log in, click each button as a user would, see the state change on the page and in the
// observed release query, and record one HAR per feature with playwright-core's `recordHar`
// (under a temporary directory) holding the XHRs the recipe learner reads; then `learn` from
// those HARs and every step replayed by the CLI (learn-story.mjs).
//
// Needs: `cargo build -p gopay-miniapp` (or GOPAY_MINIAPP_BIN), /usr/bin/chromium (or
// CHROMIUM), `npm ci` in this folder. Run: `node --test tests/browser/`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { checkStoryFacts, FEATURES, runStory, startEmulator } from "./console-story.mjs";
import { learnAndReplay } from "./learn-story.mjs";
import { browserForTests } from "./support.mjs";

const shared = browserForTests("gopay-miniapp-console-browser-");
/** The API requests (not the page, the script or the login) of a HAR. */
function apiEntries(file) {
  const har = JSON.parse(readFileSync(file, "utf8"));
  return har.log.entries.filter((e) => /\/(rest|api)\//.test(new URL(e.request.url).pathname));
}

for (const variant of ["a", "b"]) {
  test(`variant ${variant}: every button of the console pages changes the release, and each feature's HAR holds its XHRs`, async () => {
    const dir = join(shared.work, variant);
    const emulator = await startEmulator(variant, dir);
    try {
      const { ids } = emulator;
      const facts = {};
      const hars = await runStory({
        browser: shared.browser,
        url: emulator.url,
        ids,
        variant,
        harDir: join(dir, "hars"),
        onStep: async (feature, seen) => {
          facts[feature] = seen;
        },
      });
      checkStoryFacts(variant, ids, facts);

      // One HAR per feature, with the step's request and a later release query.
      assert.deepEqual(hars.map((h) => h.split("/").pop()), FEATURES.map((f) => `${f}.har`));
      const entries = Object.fromEntries(FEATURES.map((f) => [f, apiEntries(join(dir, "hars", `${f}.har`))]));
      for (const [feature, list] of Object.entries(entries)) {
        assert.ok(list.length > 0, `${feature}.har has no API request`);
        for (const e of list) {
          assert.equal(e.response.status, 200, `${feature}: ${e.request.url}`);
          assert.ok(e.request.headers.some((h) => h.name.toLowerCase() === "cookie"), `${feature}: the XHR carries the session cookie`);
          if (variant === "b") assert.ok(new URL(e.request.url).searchParams.has("_"), `${feature}: ${e.request.url} has no cache-buster`);
          else assert.ok(!new URL(e.request.url).searchParams.has("_"), `${feature}: ${e.request.url}`);
        }
      }
      const posts = (feature) => entries[feature].filter((e) => e.request.method === "POST");
      const body = (e) => JSON.parse(e.request.postData.text);
      const [wl] = posts("whitelist");
      const [gray] = posts("grayscale");
      if (variant === "a") {
        assert.deepEqual(body(wl).userIds, ["1001", "1002"]);
        assert.equal(body(gray).ratio, 10);
        assert.equal(posts("rollback").length, 1);
        assert.ok(entries.spaces.some((e) => JSON.parse(e.response.content.text).data.list?.some((s) => s.spaceId === ids["space Demo Space"])));
      } else {
        assert.equal(body(wl).user_ids, "1001;1002");
        assert.equal(body(gray).gray_ratio, "10");
        for (const feature of ["whitelist", "grayscale", "temporary-code", "rollback", "withdraw", "cancel"]) {
          for (const e of posts(feature)) {
            const header = e.request.headers.find((h) => h.name.toLowerCase() === "x-xsrf-token");
            assert.ok(header && header.value.length > 0, `${feature}: no X-XSRF-TOKEN`);
          }
        }
        // Roll Back is two requests chained through the operation id.
        const plan = entries.rollback.find((e) => e.request.method === "GET" && e.request.url.includes("/rollback-plan"));
        const [execute] = posts("rollback");
        assert.ok(plan && execute, "the rollback HAR holds the plan and the execution");
        const op = JSON.parse(plan.response.content.text).data.result.operation_id;
        assert.equal(body(execute).operation_id, op);
        assert.ok(entries.spaces.some((e) => JSON.parse(e.response.content.text).data.result?.items?.some((s) => s.space_id === ids["space Demo Space"])));
      }
      // After each step the page reads the release again.
      for (const feature of ["temporary-code", "withdraw", "whitelist", "grayscale", "rollback", "cancel"]) {
        const list = entries[feature];
        const lastPost = list.findLastIndex((e) => e.request.method === "POST");
        const reread = list.slice(lastPost + 1).some((e) => /\/publish\/detail|\/releases\/\d+$/.test(new URL(e.request.url).pathname));
        assert.ok(reread, `${feature}: no release query after the step`);
      }

      // Issue #22: the CLI learns every feature from these HARs and then does each step
      // through the learned recipes (learn-story.mjs), on this emulator.
      await learnAndReplay({ browser: shared.browser, url: emulator.url, ids, dir, hars: join(dir, "hars") });
    } finally {
      await emulator.stop();
    }
  });
}
