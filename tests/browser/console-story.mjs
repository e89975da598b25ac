// The SuperApp console emulator's console pages (`/console`, ASSUMED routes, two variants)
// driven in a real Chromium by playwright-core, as a user clicks them: each feature in its own
// browser context, optionally recorded with `recordHar` (one HAR per feature). Shared by the
// browser test (superapp-console.test.mjs) and the HAR recorder (record-hars.mjs).
//
// The releases each feature needs are prepared through the OBSERVED routes (and the
// emulator's review), with the session's cookie, outside the recorded contexts.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

import { builtBinary } from "../cargo-target.mjs";
import { storedZip } from "./support.mjs";

const REST = "/rest/intercnn/app";

/** The features, in the order the story clicks them (each needs the state the one before left). */
export const FEATURES = ["spaces", "apps", "target-apps", "temporary-code", "withdraw", "whitelist", "grayscale", "rollback", "cancel"];

/** Starts `portal serve --backend superapp --console-variant VARIANT` on a free port. */
export async function startEmulator(variant, dir) {
  const bin = builtBinary();
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`cargo build -p gopay-miniapp\` first`);
  const child = spawn(
    bin,
    ["portal", "serve", "--backend", "superapp", "--console-variant", variant, "--seed-demo", "--addr", "127.0.0.1:0", "--data", join(dir, "portal")],
    { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GOPAY_MINIAPP_HOME: join(dir, "home"), RUST_LOG: "warn" } },
  );
  let log = "";
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator did not start:\n${log}`)), 30_000);
    child.stdout.on("data", (chunk) => {
      log += chunk;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m && /target-app \d+ GoPay Staging\n/.test(log)) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.stderr.on("data", (chunk) => (log += chunk));
    child.on("exit", (code) => reject(new Error(`the emulator exited (${code}):\n${log}`)));
  });
  const ids = {};
  for (const line of log.split("\n")) {
    const m = /^(space|app|target-app) (\d+) (.+)$/.exec(line);
    if (m) ids[`${m[1]} ${m[3]}`] = m[2];
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid, "SIGINT");
    } catch {}
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
  };
  return { url, ids, stop, log: () => log };
}

/** Logs in on the console's login page; the context's storage state (its cookies). */
export async function logIn(browser, url, username, password) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${url}/login`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(/#\/overview/), page.locator("#password").press("Enter")]);
  const state = await context.storageState();
  await context.close();
  return state;
}

function cookieHeader(state) {
  return state.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
}

/** One observed-route call with a session's cookies; `data`, or throws with the refusal. */
async function rest(url, state, method, path, body) {
  const resp = await fetch(`${url}${path}`, {
    method,
    headers: { Cookie: cookieHeader(state), Accept: "application/json", Origin: url, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const envelope = await resp.json();
  if (!envelope.success) throw new Error(`${method} ${path}: ${envelope.errorCode} ${envelope.errorMsg}`);
  return envelope.data;
}

/** The observed release query's item of a version (the words of the observed table). */
export async function observedStatus(url, state, app, channel, version) {
  const data = await rest(url, state, "GET", `${REST}/publish/version/query?appId=${app}&channelCode=${channel}&version=${version}&currentPage=1&pageSize=20`);
  return data.list[0].versionStatus;
}

/** The observed release query's item of a version: its publish id (the release page's id). */
export async function observedPublishId(url, state, app, channel, version) {
  const data = await rest(url, state, "GET", `${REST}/publish/version/query?appId=${app}&channelCode=${channel}&version=${version}&currentPage=1&pageSize=20`);
  return data.list[0].publishId;
}

/**
 * What a user does to save a HAR of one step from their own console: logs in on its login page,
 * opens the release's page in a context recording `har` (playwright-core's `recordHar`), clicks
 * `buttons` in order, waits until the page says the last one is done, and closes the context
 * (which writes the HAR). The session cookie in it is a throwaway emulator's.
 */
export async function recordReleaseStep({ browser, url, username, password, space, app, publishId, buttons, har }) {
  const state = await logIn(browser, url, username, password);
  const context = await browser.newContext({ storageState: state, recordHar: { path: har, mode: "full", content: "embed" } });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${url}/console#/spaces/${space}/apps/${app}/releases/${publishId}`);
    await page.waitForSelector('body[data-ready="release"]');
    for (const b of buttons) await page.click(`#${b}`);
    const last = buttons[buttons.length - 1];
    await page.waitForSelector(`body[data-done="${last}"], body[data-done="error:${last}"]`);
    const done = await page.getAttribute("body", "data-done");
    if (done !== last) throw new Error(`${last} failed on the page: ${await page.textContent("#console-error")}`);
  } finally {
    await context.close();
  }
}

/** Upload + version/create + publish/version/create: the publish id (INIT). */
export async function release(url, state, ids, version) {
  const app = ids["app Hello MiniApp"];
  const space = ids["space Demo Space"];
  const channel = ids["target-app GoPay"];
  const form = new FormData();
  form.append("spaceId", space);
  form.append("appId", app);
  form.append("version", version);
  const zip = storedZip({ "index.html": `<html><body>${version}</body></html>` });
  form.append("file", new Blob([zip], { type: "application/zip" }), `${app}_v${version}_story.zip`);
  const up = await (await fetch(`${url}${REST}/version/uploadResource`, { method: "POST", headers: { Cookie: cookieHeader(state), Origin: url }, body: form })).json();
  if (!up.success) throw new Error(`upload: ${JSON.stringify(up)}`);
  const artifactList = [up.data.path];
  await rest(url, state, "POST", `${REST}/version/create`, { appId: app, artifactList, artifactType: "FILE", name: version, source: "UPLOAD", version });
  const created = await rest(url, state, "POST", `${REST}/publish/version/create`, { appId: app, channelCode: channel, version, changelog: `story ${version}`, artifactType: "FILE", artifactList });
  return created.publishId;
}

function stepBody(ids, version) {
  return { appId: ids["app Hello MiniApp"], sourceSpaceId: ids["space Demo Space"], channelCode: ids["target-app GoPay"], version };
}

export const apply = (url, dev, ids, version) => rest(url, dev, "POST", `${REST}/publish/version/startApprove`, stepBody(ids, version));
export const approve = (url, admin, ids, version) =>
  rest(url, admin, "POST", "/emulator/review", { appId: ids["app Hello MiniApp"], channelCode: ids["target-app GoPay"], version, decision: "APPROVE" });
export async function official(url, dev, ids, version) {
  await rest(url, dev, "POST", `${REST}/publish/version/gray/skipBeta`, stepBody(ids, version));
  await rest(url, dev, "POST", `${REST}/publish/online`, stepBody(ids, version));
}

/** The variant's word for a state the observed table calls `observed` (b has its own). */
export function word(variant, observed) {
  if (variant !== "b") return observed;
  return { INIT: "DRAFT", BETA: "TESTING_WHITELIST", GRAY: "GRAY_RUNNING" }[observed] ?? observed;
}

/**
 * Runs every feature on the console pages of a started emulator. `harDir`: where to write
 * `<feature>.har` (none: no recording). `open(feature, hash)`: where a feature's clicks are
 * made instead of a fresh context of the story's own session ({page, close()}, the page on the
 * console URL `hash`; learn-story.mjs uses the CLI's browser while `learn` records live).
 * `onStep(feature, facts)` is called after each feature with what the page and the observed
 * query show. Returns the HAR files written.
 */
export async function runStory({ browser, url, ids, variant, harDir, open: openElsewhere, onStep = async () => {} }) {
  const dev = await logIn(browser, url, "demo", "demo");
  const admin = await logIn(browser, url, "admin", "admin");
  const space = ids["space Demo Space"];
  const app = ids["app Hello MiniApp"];
  const channel = ids["target-app GoPay"];
  if (harDir) mkdirSync(harDir, { recursive: true });
  const written = [];

  /** A fresh context with the session (recording `feature` if asked), on a console URL. */
  async function open(feature, hash) {
    if (openElsewhere) return openElsewhere(feature, hash);
    const har = harDir ? join(harDir, `${feature}.har`) : null;
    const context = await browser.newContext({
      storageState: dev,
      ...(har ? { recordHar: { path: har, mode: "full", content: "embed" } } : {}),
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${url}/console${hash}`);
    return {
      page,
      async close() {
        await context.close(); // writes the HAR
        if (har) written.push(har);
      },
    };
  }

  const releaseHash = (pid) => `#/spaces/${space}/apps/${app}/releases/${pid}`;
  async function ready(page, view) {
    await page.waitForSelector(`body[data-ready="${view}"]`);
  }
  /** Clicks `buttons` in order (`fill` before the last, once its inputs show); waits until
   * the last one's step and re-read are done. */
  async function click(page, buttons, fill) {
    for (const b of buttons.slice(0, -1)) await page.click(`#${b}`);
    if (fill) await fill(page);
    const last = buttons[buttons.length - 1];
    await page.click(`#${last}`);
    await page.waitForSelector(`body[data-done="${last}"], body[data-done="error:${last}"]`);
    const done = await page.getAttribute("body", "data-done");
    if (done !== last) throw new Error(`${last} failed on the page: ${await page.textContent("#console-error")}`);
    return { status: await page.textContent("#release-status"), message: await page.textContent("#console-message") };
  }

  // Lists: the page load lists the spaces (the switcher) and the space's MiniApps.
  for (const feature of ["spaces", "apps"]) {
    const s = await open(feature, `#/spaces/${space}`);
    await ready(s.page, "apps");
    const options = await s.page.$$eval("#space-switcher option", (os) => os.map((o) => o.value));
    const apps = await s.page.$$eval("#app-list a.app-link", (as) => as.map((a) => a.textContent));
    await s.close();
    await onStep(feature, { options, apps });
  }
  {
    const s = await open("target-apps", `#/spaces/${space}`);
    await ready(s.page, "apps");
    await s.page.click("#nav-target-apps");
    await ready(s.page, "target-apps");
    const targets = await s.page.$$eval("#target-app-list tr.target-app td:last-child", (tds) => tds.map((td) => td.textContent));
    await s.close();
    await onStep("target-apps", { targets });
  }

  // 1.0.0 live on GoPay (a first release only goes straight to official); 1.0.1 created.
  await release(url, dev, ids, "1.0.0");
  await apply(url, dev, ids, "1.0.0");
  await approve(url, admin, ids, "1.0.0");
  await official(url, dev, ids, "1.0.0");
  const second = await release(url, dev, ids, "1.0.1");

  const onRelease = async (feature, pid, version, buttons, fill) => {
    const s = await open(feature, releaseHash(pid));
    await ready(s.page, "release");
    const before = await s.page.textContent("#release-status");
    const after = await click(s.page, buttons, fill);
    const extra = {
      code: await s.page.textContent("#temp-code"),
      whitelist: await s.page.textContent("#release-whitelist"),
      ratio: await s.page.textContent("#release-ratio"),
    };
    await s.close();
    await onStep(feature, { before, after: after.status, message: after.message, observed: await observedStatus(url, dev, app, channel, version), publishId: pid, ...extra });
  };

  await onRelease("temporary-code", second, "1.0.1", ["btn-temp-code"]);
  await apply(url, dev, ids, "1.0.1");
  await onRelease("withdraw", second, "1.0.1", ["btn-withdraw"]);
  await apply(url, dev, ids, "1.0.1");
  await approve(url, admin, ids, "1.0.1");
  await onRelease("whitelist", second, "1.0.1", ["btn-set-whitelist", "btn-start-testing"], (page) => page.fill("#whitelist-users", "1001, 1002"));
  await onRelease("grayscale", second, "1.0.1", ["btn-set-grayscale", "btn-start-grayscale"], (page) => page.fill("#gray-ratio", "10"));
  await official(url, dev, ids, "1.0.1");
  await onRelease("rollback", second, "1.0.1", ["btn-rollback"]);
  const third = await release(url, dev, ids, "1.0.2");
  await onRelease("cancel", third, "1.0.2", ["btn-cancel"]);
  return written;
}

/** What the page and the observed release query showed after each of the story's features
 * (`runStory`'s `onStep` facts), on `variant`. */
export function checkStoryFacts(variant, ids, facts) {
  const w = (observed) => word(variant, observed);

  assert.deepEqual(facts.spaces.options, [ids["space Demo Space"]]);
  assert.deepEqual([...facts.apps.apps].sort(), ["Hello MiniApp", "Wallet Tools"]);
  assert.deepEqual(facts["target-apps"].targets.sort(), [ids["target-app GoPay"], ids["target-app GoPay Staging"]].sort());

  const code = facts["temporary-code"];
  assert.equal(code.before, w("INIT"));
  assert.equal(code.after, w("INIT"));
  // Variant a answers the publish id; variant b a QR image of the deeplink (no id).
  if (variant === "a") assert.match(code.code, new RegExp(`publish id ${code.publishId}\\b`));
  else assert.match(code.code, /scan the QR/);
  assert.equal(facts.withdraw.before, "APPROVE");
  assert.equal(facts.withdraw.after, w("INIT"));
  assert.equal(facts.withdraw.observed, "INIT");
  assert.equal(facts.whitelist.before, "PASSED");
  assert.equal(facts.whitelist.after, w("BETA"));
  assert.equal(facts.whitelist.whitelist, "1001, 1002");
  assert.equal(facts.whitelist.observed, "BETA");
  assert.equal(facts.grayscale.after, w("GRAY"));
  assert.equal(facts.grayscale.ratio, "10%");
  assert.equal(facts.grayscale.observed, "GRAY");
  assert.equal(facts.rollback.before, "ONLINE");
  assert.equal(facts.rollback.after, "OFFLINE");
  assert.equal(facts.rollback.observed, "OFFLINE");
  assert.equal(facts.cancel.before, w("INIT"));
  assert.equal(facts.cancel.after, "CANCELLED");
  assert.equal(facts.cancel.observed, "CANCELLED");
  if (variant === "b") {
    // Status words the observed table does not know, on the page only.
    assert.equal(facts.whitelist.after, "TESTING_WHITELIST");
    assert.equal(facts.grayscale.after, "GRAY_RUNNING");
  }
}
