// The SuperApp console emulator (`portal serve --backend superapp`) in a real browser (Debian's
// Chromium, driven by playwright-core), the way the observed deploy script logs in: open
// /login, fill #username and #password, press Enter, wait for a URL with #/overview, take the
// console's cookies and call the REST API with them. Then a target-app administrator approves
// on the emulator's review page.
//
// Needs: `cargo build -p gopay-miniapp` (or GOPAY_MINIAPP_BIN), /usr/bin/chromium (or
// CHROMIUM), `npm ci` in this folder. Run: `node --test tests/browser/`.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { builtBinary } from "../cargo-target.mjs";
import { chromiumPath, launchChromium, storedZip } from "./support.mjs";

// Where cargo builds it (CARGO_TARGET_DIR honoured), or GOPAY_MINIAPP_BIN.
const bin = builtBinary();
const REST = "/rest/intercnn/app";

const work = mkdtempSync(join(tmpdir(), "gopay-miniapp-superapp-browser-"));
let emulator = null;
let log = "";
let url = null;
const ids = {}; // "space Demo Space" → id, …
let browser = null;

function stop() {
  if (emulator && emulator.exitCode === null && emulator.signalCode === null) {
    try {
      process.kill(-emulator.pid, "SIGKILL");
    } catch {
      emulator.kill("SIGKILL");
    }
  }
}
process.on("exit", stop);

before(async () => {
  assert.ok(existsSync(bin), `${bin} is missing: run \`cargo build -p gopay-miniapp\` first`);
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium`);
  emulator = spawn(
    bin,
    ["portal", "serve", "--backend", "superapp", "--seed-demo", "--addr", "127.0.0.1:0", "--data", join(work, "portal")],
    { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GOPAY_MINIAPP_HOME: join(work, "home"), RUST_LOG: "warn" } },
  );
  url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the emulator did not start:\n${log}`)), 30_000);
    emulator.stdout.on("data", (chunk) => {
      log += chunk;
      const m = /SuperApp console emulator listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      // The ids come after the URL; the last line printed is the last target app.
      if (m && /target-app \d+ GoPay Staging\n/.test(log)) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    emulator.stderr.on("data", (chunk) => (log += chunk));
    emulator.on("exit", (code) => reject(new Error(`the emulator exited (${code}):\n${log}`)));
  });
  for (const line of log.split("\n")) {
    const m = /^(space|app|target-app) (\d+) (.+)$/.exec(line);
    if (m) ids[`${m[1]} ${m[3]}`] = m[2];
  }
  browser = await launchChromium();
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    if (emulator && emulator.exitCode === null) {
      const exited = new Promise((r) => emulator.once("exit", r));
      try {
        process.kill(-emulator.pid, "SIGINT");
      } catch {}
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      stop();
    }
    rmSync(work, { recursive: true, force: true });
  }
});

/** Logs in like the observed script; returns the Cookie header of the console's cookies. */
async function logIn(page, username, password) {
  await page.goto(`${url}/login`, { waitUntil: "domcontentloaded" });
  await page.waitForSelector("#username");
  await page.waitForSelector("#password");
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(/#\/overview/i), page.locator("#password").press("Enter")]);
  const cookies = await page.context().cookies(url);
  assert.ok(cookies.length > 0, "no cookie after login");
  return cookies.map((c) => `${c.name}=${c.value}`).join("; ");
}

async function rest(cookie, method, path, body) {
  const resp = await fetch(`${url}${path}`, {
    method,
    headers: { Cookie: cookie, Accept: "application/json", Origin: url, Referer: `${url}/superapp`, "Bx-V": "2.5.36", ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.equal(resp.status, 200);
  return resp.json();
}

test("the demo ids are printed on start", () => {
  assert.equal(ids["space Demo Space"], "1532000000000000000001");
  assert.equal(ids["app Hello MiniApp"], "1512000000000000000001");
  assert.equal(ids["target-app GoPay"], "1611000000000000000001");
  assert.equal(ids["target-app GoPay Staging"], "1611000000000000000002");
});

test("log in at /login, land on #/overview, call the REST API with the cookies; an admin approves on the review page", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);

  // A wrong password: the form again, with the username kept.
  await page.goto(`${url}/login`);
  await page.fill("#username", "demo");
  await page.fill("#password", "wrong");
  await Promise.all([page.waitForLoadState("load"), page.locator("#password").press("Enter")]);
  assert.match(await page.textContent("#login-error"), /Wrong username or password/);
  assert.equal(await page.inputValue("#username"), "demo");
  assert.doesNotMatch(page.url(), /#\/overview/);

  const cookie = await logIn(page, "demo", "demo");
  const session = (await context.cookies(url)).find((c) => c.name === "SA_CONSOLE_SESSION");
  assert.ok(session && session.httpOnly, "the session cookie is HttpOnly");
  assert.equal(await page.textContent("#overview-user"), "Demo Developer");

  const app = ids["app Hello MiniApp"];
  const space = ids["space Demo Space"];
  const channel = ids["target-app GoPay"];
  const versions = await rest(cookie, "GET", `${REST}/version/query?currentPage=1&pageSize=10&appId=${app}&spaceId=${space}`);
  assert.equal(versions.success, true, JSON.stringify(versions));
  assert.deepEqual(versions.data.list, []);

  // Without the cookie: the lost-session answer.
  const lost = await rest("", "GET", `${REST}/version/query?appId=${app}&spaceId=${space}`);
  assert.equal(lost.errorCode, "401");
  assert.match(lost.errorMsg, /not login/);
  assert.equal(lost.data.loginUrl, `${url}/login`);

  // Publish 1.0.0 (a ZIP the browser's fetch uploads as multipart), release it, apply.
  const zip = storedZip({ "index.html": "<html><body>hello</body></html>" });
  const form = new FormData();
  form.append("spaceId", space);
  form.append("appId", app);
  form.append("version", "1.0.0");
  form.append("file", new Blob([zip], { type: "application/zip" }), `${app}_v1.0.0_browser.zip`);
  const up = await (await fetch(`${url}${REST}/version/uploadResource`, { method: "POST", headers: { Cookie: cookie, Origin: url }, body: form })).json();
  assert.equal(up.success, true, JSON.stringify(up));
  const artifactList = [up.data.path];
  assert.equal((await rest(cookie, "POST", `${REST}/version/create`, { appId: app, artifactList, artifactType: "FILE", name: "1.0.0", source: "UPLOAD", version: "1.0.0" })).success, true);
  assert.equal((await rest(cookie, "POST", `${REST}/publish/version/create`, { appId: app, channelCode: channel, version: "1.0.0", changelog: "From the browser test", artifactType: "FILE", artifactList })).data.versionStatus, "INIT");
  const body = { appId: app, sourceSpaceId: space, channelCode: channel, version: "1.0.0" };
  assert.equal((await rest(cookie, "POST", `${REST}/publish/version/startApprove`, body)).data.versionStatus, "APPROVE");

  // The admin, in a browser of their own, approves on the review page.
  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  admin.setDefaultTimeout(15_000);
  await logIn(admin, "admin", "admin");
  await admin.goto(`${url}/emulator/reviews`);
  const row = admin.locator("tr.review", { hasText: "Hello MiniApp" });
  assert.match(await row.textContent(), /From the browser test/);
  await Promise.all([admin.waitForURL(/done=approved/), row.locator("button:has-text('Approve')").click()]);
  assert.match(await admin.textContent("[role=status]"), /Approved/);

  const status = await rest(cookie, "GET", `${REST}/publish/version/query?appId=${app}&channelCode=${channel}&version=1.0.0&currentPage=1&pageSize=20`);
  assert.equal(status.data.list[0].versionStatus, "PASSED");
  assert.equal((await rest(cookie, "POST", `${REST}/publish/version/gray/skipBeta`, body)).success, true);
  assert.equal((await rest(cookie, "POST", `${REST}/publish/online`, body)).data.versionStatus, "ONLINE");

  // Logging out from the page ends the session the cookie names.
  await Promise.all([page.waitForURL(/\/login$/), page.click("header button:has-text('Log out')")]);
  assert.equal((await rest(cookie, "GET", `${REST}/version/query?appId=${app}&spaceId=${space}`)).errorCode, "401");
  await context.close();
  await adminContext.close();
});
