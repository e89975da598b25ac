// `gopay-miniapp learn` LIVE (issue #22), both console variants of the SuperApp emulator, in
// Debian's Chromium: the CLI opens its own browser with the stored session on the portal and
// records the portal's requests through DevTools; this test is the user: it attaches a second
// DevTools connection (playwright-core's connectOverCDP, to the address the CLI prints under
// its test switch GOPAY_MINIAPP_LEARN_HEADLESS=1), clicks through the console page as a user
// would, and then presses Enter (variant a) or closes the tab (variant b, the moment the page
// is told of its re-read's answer, whose body a proxy sends 1.5 s later). The recipe saved
// equals the one `learn --har` makes from a playwright `recordHar` of the same clicks, and it
// replays (`whitelist` on a new version reaches "Testing" in the observed release query).
// On a terminal (util-linux `script`) without --yes, Enter or the closed tab ends the recording
// of the temporary code, the question that follows gets its own answer, and the learned code
// replays (`qr`).
// Closing the tab without doing the step is a clear refusal with nothing saved; so are no
// terminal without --yes (before the browser opens) and no browser (the hint: a HAR). The session's
// values are in no recipe and no output or log (RUST_LOG=trace).
// Then every feature (the lists, the temporary code, withdraw, whitelist, grayscale, rollback,
// cancel) is learned live from the console story's clicks made in the CLI's browser, and the
// CLI and the sidecar replay them all on new versions (learn-story.mjs `learnLiveAndReplay`).
//
// Needs: `cargo build -p gopay-miniapp` (or GOPAY_MINIAPP_BIN), /usr/bin/chromium (or
// CHROMIUM), `npm ci` in this folder. Run: `node --test tests/browser/`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { builtBinary } from "../cargo-target.mjs";
import { apply, approve, logIn, observedStatus, official, release, startEmulator } from "./console-story.mjs";
import { cliFor, learnLiveAndReplay, recipeOf, sessionCookie } from "./learn-story.mjs";
import { browserForTests } from "./support.mjs";

const shared = browserForTests("gopay-miniapp-learn-live-");
const USERS = "1001,1002";

/**
 * slow-bodies-proxy.mjs in front of the emulator at `target`: {url, slow(text), fast(), close()}.
 */
async function slowBodiesProxy(target) {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./slow-bodies-proxy.mjs", import.meta.url)), target], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("the proxy exited");
    return value;
  };
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(await next())[1];
  const say = async (line) => {
    child.stdin.write(`${line}\n`);
    assert.equal(await next(), "ok");
  };
  return {
    url,
    slow: (text) => say(`slow ${text}`),
    fast: () => say("fast"),
    close: () => {
      const exited = new Promise((done) => child.once("exit", done));
      child.stdin.end();
      return exited;
    },
  };
}

/**
 * The whitelist's clicks on the console page of release `pid`, as the HAR story makes them.
 * `untilReread`: they end as soon as the page is told of the answer to its own re-read of the
 * release (the console's release query: `publishId` on a, `/releases/PID` on b), before the
 * page has read that answer or shown it.
 */
async function whitelistClicks(page, url, ids, pid, { untilReread = false } = {}) {
  const hash = `#/spaces/${ids["space Demo Space"]}/apps/${ids["app Hello MiniApp"]}/releases/${pid}`;
  await page.goto(`${url}/console${hash}`);
  await page.waitForSelector('body[data-ready="release"]');
  await page.click("#btn-set-whitelist");
  await page.fill("#whitelist-users", "1001, 1002");
  const isReread = (r) => {
    const u = new URL(r.url());
    return r.request().method() === "GET" && (u.searchParams.get("publishId") === pid || u.pathname.endsWith(`/releases/${pid}`));
  };
  const reread = untilReread ? page.waitForResponse(isReread) : null;
  await page.click("#btn-start-testing");
  if (untilReread) {
    await reread;
    return;
  }
  await page.waitForSelector('body[data-done="btn-start-testing"], body[data-done="error:btn-start-testing"]');
  assert.equal(await page.getAttribute("body", "data-done"), "btn-start-testing", await page.textContent("#console-error"));
}

for (const variant of ["a", "b"]) {
  test(`variant ${variant}: learn whitelist live, as a user clicks in the CLI's browser; the same recipe as from a HAR, and it replays`, async () => {
    const dir = join(shared.work, variant);
    const emulator = await startEmulator(variant, dir);
    const proxy = await slowBodiesProxy(emulator.url);
    try {
      // Everything goes through the proxy: the recipes' origin is its own.
      const { url } = proxy;
      const { ids } = emulator;
      const channel = ids["target-app GoPay"];
      const app = ids["app Hello MiniApp"];
      const bin = builtBinary();
      const project = join(dir, "project");
      mkdirSync(project, { recursive: true });
      writeFileSync(join(project, "package.json"), JSON.stringify({ name: "hello-miniapp", version: "1.0.0" }));
      const logs = [];
      const live = cliFor({ bin, url, home: join(dir, "home-live"), project, logs });
      const fromHar = cliFor({ bin, url, home: join(dir, "home-har"), project, logs });

      const dev = await logIn(shared.browser, url, "demo", "demo");
      const admin = await logIn(shared.browser, url, "admin", "admin");
      const cookie = await sessionCookie(url, dev);
      const secrets = cookie.split("; ").map((c) => c.split("=").slice(1).join("=")).filter((v) => v.length >= 8);
      assert.ok(secrets.length >= 1, cookie);
      for (const cli of [live, fromHar]) cli.ok(["--json", "login", "--backend", "superapp", "--cookie-stdin"], `${cookie}\n`);
      live.ok(["--json", "--yes", "bind", "--backend", "superapp", "--space", `Demo Space=${ids["space Demo Space"]}`, "--app", `Hello MiniApp=${app}`, "--target-app", `GoPay=${channel}`]);

      // 1.0.0 live (a first release only goes straight to official), 1.0.1 approved.
      await release(url, dev, ids, "1.0.0");
      await apply(url, dev, ids, "1.0.0");
      await approve(url, admin, ids, "1.0.0");
      await official(url, dev, ids, "1.0.0");
      const pid1 = await release(url, dev, ids, "1.0.1");
      await apply(url, dev, ids, "1.0.1");
      await approve(url, admin, ids, "1.0.1");
      const learnArgs = ["--json", "--yes", "learn", "whitelist", "1.0.1", "--target-app", "GoPay", "--users", USERS];
      const whitelistState = () => live.ok(["--json", "learn", "--list"]).features.find((f) => f.feature === "whitelist");

      // Without a terminal and without --yes: refused before any browser opens.
      const asking = live.run(["--json", "learn", "whitelist", "1.0.1", "--target-app", "GoPay", "--users", USERS]);
      assert.equal(asking.status, 2, `${asking.stdout}\n${asking.stderr}`);
      assert.equal(JSON.parse(asking.stdout).error.code, "needs_input", asking.stdout);

      // No browser here: refused before anything happens, with the HAR way as the hint.
      const noBrowser = spawnSync(bin, ["--portal", url, ...learnArgs], {
        cwd: project,
        encoding: "utf8",
        env: { ...process.env, GOPAY_MINIAPP_HOME: join(dir, "home-live"), GOPAY_MINIAPP_BROWSER: join(dir, "no-such-browser"), GOPAY_MINIAPP_LEARN_HEADLESS: "1" },
        timeout: 60_000,
      });
      logs.push(noBrowser.stdout, noBrowser.stderr);
      assert.equal(noBrowser.status, 4, `${noBrowser.stdout}\n${noBrowser.stderr}`);
      const unavailable = JSON.parse(noBrowser.stdout).error;
      assert.equal(unavailable.code, "recording_unavailable", noBrowser.stdout);
      assert.equal(unavailable.hint.kind, "recordHar", noBrowser.stdout);
      assert.match(unavailable.hint.text, /--har FILE/);

      // The user closes the tab without doing the step: a clear refusal, nothing saved.
      const nothing = await live.live(learnArgs, async (page, user) => {
        await user.close();
      });
      assert.equal(nothing.status, 9, `${nothing.stdout}\n${nothing.stderr}`);
      assert.equal(JSON.parse(nothing.stdout).error.code, "not_learned", nothing.stdout);
      assert.match(nothing.stderr, /Setting Whitelist/);
      assert.match(nothing.stderr, /REAL step/);
      assert.equal(whitelistState().state, "missing");
      assert.equal(await observedStatus(url, dev, app, channel, "1.0.1"), "PASSED");

      // The user does the step in the CLI's browser, then presses Enter (a) or closes the tab
      // (b) the moment the page is told of the answer to its re-read of the release, whose body
      // comes 1.5 s after its head (slow-bodies-proxy.mjs): the recorder holds the page's
      // answers until it has read their bodies, so the status word seen after the step is
      // recorded all the same.
      if (variant === "b") await proxy.slow(pid1);
      const learned = await live.live(learnArgs, async (page, user) => {
        await whitelistClicks(page, url, ids, pid1, { untilReread: variant === "b" });
        if (variant === "a") user.enter();
        else await user.close();
      });
      await proxy.fast();
      assert.equal(learned.status, 0, `${learned.stdout}\n${learned.stderr}`);
      assert.ok(JSON.parse(learned.stdout).saved, learned.stdout);
      assert.equal(await observedStatus(url, dev, app, channel, "1.0.1"), "BETA");
      const liveFile = whitelistState().file;

      // The same clicks recorded by playwright's recordHar (1.0.2), learned with --har.
      await official(url, dev, ids, "1.0.1");
      const pid2 = await release(url, dev, ids, "1.0.2");
      await apply(url, dev, ids, "1.0.2");
      await approve(url, admin, ids, "1.0.2");
      const har = join(dir, "whitelist.har");
      const context = await shared.browser.newContext({ storageState: dev, recordHar: { path: har, mode: "full", content: "embed" } });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      await whitelistClicks(page, url, ids, pid2);
      await context.close();
      fromHar.ok(["--json", "--yes", "learn", "whitelist", "1.0.2", "--target-app", "GoPay", "--users", USERS, "--har", har]);
      const harFile = fromHar.ok(["--json", "learn", "--list"]).features.find((f) => f.feature === "whitelist").file;
      // The same recipe, the status word seen after the step included.
      const liveRecipe = recipeOf(liveFile);
      assert.ok("status_after" in liveRecipe, JSON.stringify(liveRecipe));
      assert.deepEqual(liveRecipe, recipeOf(harFile));

      // The live recipe replays: 1.0.3 to "Testing" with other users.
      await official(url, dev, ids, "1.0.2");
      await release(url, dev, ids, "1.0.3");
      await apply(url, dev, ids, "1.0.3");
      await approve(url, admin, ids, "1.0.3");
      live.ok(["--json", "--yes", "whitelist", "1.0.3", "--target-app", "GoPay", "--users", "2001,2002,2003"]);
      assert.equal(await observedStatus(url, dev, app, channel, "1.0.3"), "BETA");

      // On a terminal, without --yes: Enter (a) or the closed tab (b) ends the recording,
      // the recipe is shown and the question answered. The temporary code changes nothing.
      const pid4 = await release(url, dev, ids, "1.0.4");
      const asked = await live.live(
        ["learn", "temporary_code", "1.0.4", "--target-app", "GoPay"],
        async (page, user) => {
          const hash = `#/spaces/${ids["space Demo Space"]}/apps/${app}/releases/${pid4}`;
          await page.goto(`${url}/console${hash}`);
          await page.waitForSelector('body[data-ready="release"]');
          await page.click("#btn-temp-code");
          await page.waitForSelector('body[data-done="btn-temp-code"]');
          // Closing the tab leaves the terminal's Enter unpressed: the question still gets
          // its answer.
          if (variant === "a") user.enter();
          else await user.close();
        },
        { tty: true, confirm: "y" },
      );
      assert.equal(asked.status, 0, asked.stdout);
      assert.match(asked.stdout, /Show Temporary Code/);
      assert.match(asked.stdout, /Saved: \S+temporary_code\.json/);
      const code = live.ok(["--json", "qr", "1.0.4", "--target-app", "GoPay"]);
      assert.match(JSON.stringify(code), new RegExp(`mini-app/windvane\\?app_id=${app}&publish_id=${pid4}\\b`));

      // No session value in the recipes, or in any output and log.
      const recipe = readFileSync(liveFile, "utf8") + readFileSync(live.ok(["--json", "learn", "--list"]).features.find((f) => f.feature === "temporary_code").file, "utf8");
      for (const secret of secrets) {
        for (const text of [recipe, ...logs]) assert.ok(!text.includes(secret), `a session value leaked: ${text.slice(0, 400)}`);
      }
    } finally {
      await proxy.close();
      await emulator.stop();
    }
  });
}

for (const variant of ["a", "b"]) {
  test(`variant ${variant}: every feature learned live through the console's own clicks, then replayed by the CLI and the sidecar`, async () => {
    await learnLiveAndReplay({ browser: shared.browser, variant, dir: join(shared.work, `story-${variant}`) });
  });
}
