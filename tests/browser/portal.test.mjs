// The local portal's web pages in a real browser (Debian's Chromium, driven by playwright-core):
// the seed's manual path from upload to approval, the page's refusals, and a version uploaded
// by the page next to one published by the CLI.
//
// Needs: `cargo build -p gopay-miniapp` (or GOPAY_MINIAPP_BIN), /usr/bin/chromium (or
// CHROMIUM), `npm ci` in this folder. Run: `node --test tests/browser/`.
// Screenshots go to tests/artifacts/browser/ (kept after the run, also when it fails).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { builtBinary } from "../cargo-target.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const bin = builtBinary("debug");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const artifacts = join(root, "tests/artifacts/browser");

const work = mkdtempSync(join(tmpdir(), "gopay-miniapp-browser-"));
const home = join(work, "home");
const project = join(work, "hello-miniapp");
const packageZip = join(work, "hello-miniapp.zip");
const notAZip = join(work, "not-a-zip.zip");

let portal = null; // the `portal serve` child process
let portalLog = "";
let url = null;
let browser = null;
let page = null;
let shot = 0;

function stopPortal() {
  if (portal && portal.exitCode === null && portal.signalCode === null) {
    try {
      process.kill(-portal.pid, "SIGKILL");
    } catch {
      portal.kill("SIGKILL");
    }
  }
}
// Whatever happens, the portal does not outlive the test process.
process.on("exit", stopPortal);

/** Runs the CLI against the test portal; returns stdout; throws with stderr on failure. */
function cli(args, { input, cwd } = {}) {
  const result = spawnSync(bin, ["--portal", url, "--project", project, ...args], {
    cwd: cwd ?? work,
    input,
    encoding: "utf8",
    env: { ...process.env, GOPAY_MINIAPP_HOME: home, NO_COLOR: "1" },
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(`gopay-miniapp ${args.join(" ")} exited ${result.status}:\n${result.stderr}\n${result.stdout}`);
  }
  return result.stdout;
}

async function screenshot(name) {
  shot += 1;
  const file = join(artifacts, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function logIn(username, password) {
  await page.goto(`${url}/web`);
  assert.match(page.url(), /\/web\/login/);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([page.waitForURL(/\/web(\?|$|\/(?!login))/), page.click("button:has-text('Log in')")]);
  assert.equal(await page.getAttribute(".who", "data-username"), username);
}

async function logOut() {
  await Promise.all([page.waitForURL(/\/web\/login\?logged_out=1/), page.click("header button:has-text('Log out')")]);
  assert.match(await page.textContent(".ok"), /logged out/);
}

async function openApp(name) {
  await page.goto(`${url}/web`);
  await Promise.all([page.waitForURL(/\/versions$/), page.click(`a:has-text("${name}")`)]);
}

async function addVersion({ version, description, file }) {
  await Promise.all([page.waitForURL(/\/versions\/new$/), page.click("a:has-text('Add Version')")]);
  assert.equal((await page.textContent(".tabs a.active")).trim(), "Upload by Files");
  await page.fill("#version", version);
  await page.fill("#description", description);
  await page.setInputFiles("#package", file);
  await Promise.all([page.waitForLoadState("load"), page.click("form button:has-text('OK')")]);
}

before(async () => {
  assert.ok(existsSync(bin), `${bin} is missing: run \`cargo build -p gopay-miniapp\` first`);
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium`);
  rmSync(artifacts, { recursive: true, force: true });
  mkdirSync(artifacts, { recursive: true });

  // The portal, on an ephemeral port, in its own process group (so it can be killed whole).
  portal = spawn(bin, ["portal", "serve", "--seed-demo", "--addr", "127.0.0.1:0", "--data", join(work, "portal")], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, GOPAY_MINIAPP_HOME: home, RUST_LOG: "warn" },
  });
  url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the portal did not start:\n${portalLog}`)), 30_000);
    const onData = (chunk) => {
      portalLog += chunk;
      const m = /Local portal listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(portalLog);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    };
    portal.stdout.on("data", onData);
    portal.stderr.on("data", (chunk) => (portalLog += chunk));
    portal.on("exit", (code) => reject(new Error(`the portal exited (${code}):\n${portalLog}`)));
  });

  // A project bound to Hello MiniApp, built and packed by the CLI.
  cpSync(join(root, "examples/hello-miniapp"), project, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|dist)$/.test(src),
  });
  cli(["login", "--username", "demo", "--password-stdin"], { input: "demo\n" });
  cli(["--yes", "bind", "--space", "Demo Space", "--app", "Hello MiniApp"]);
  const build = spawnSync("npm", ["run", "build"], { cwd: project, encoding: "utf8" });
  assert.equal(build.status, 0, build.stderr);
  cli(["pack", "--out", packageZip]);
  writeFileSync(notAZip, "this is a text file, not a ZIP archive\n");

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    if (portal && portal.exitCode === null) {
      const exited = new Promise((r) => portal.once("exit", r));
      try {
        process.kill(-portal.pid, "SIGINT");
      } catch {}
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      stopPortal();
    }
    rmSync(work, { recursive: true, force: true });
  }
});

const DESCRIPTION = 'Hello from the portal <img src=x onerror="window.__pwned=1"> & friends';

test("upload, release, temporary code, apply, approve: the seed's manual path", async (t) => {
  await t.test("log in as demo: the session cookie is HttpOnly and SameSite=Strict", async () => {
    await logIn("demo", "demo");
    const cookie = (await page.context().cookies()).find((c) => c.name === "gpm_web_session");
    assert.ok(cookie, "a session cookie");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");
    assert.match(await page.textContent("section[data-space='Demo Space']"), /Hello MiniApp/);
    await screenshot("spaces");
  });

  await t.test("Versions → Add Version → Upload by Files: the ZIP made by `gopay-miniapp pack`", async () => {
    await openApp("Hello MiniApp");
    assert.equal((await page.textContent(".tabs a.active")).trim(), "Versions");
    await addVersion({ version: "1.0.0", description: DESCRIPTION, file: packageZip });
    assert.match(page.url(), /\/versions\?uploaded=ver_/);
    assert.match(await page.textContent(".ok"), /Version 1\.0\.0 uploaded/);
    const row = page.locator("tr[data-version='1.0.0']");
    // Hostile text is shown as text, never run.
    assert.equal((await row.locator("td.reason").textContent()).trim(), DESCRIPTION);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.equal(await page.locator("img").count(), 0);
    assert.match(await row.locator("td[data-target-app='GoPay Staging']").textContent(), /Not released/);
    await screenshot("uploaded");
  });

  await t.test("a file that is not a ZIP is refused with its message", async () => {
    await openApp("Hello MiniApp");
    await addVersion({ version: "1.1.0", description: "not a zip", file: notAZip });
    assert.match(await page.textContent(".error"), /not a readable ZIP archive/);
    assert.equal(await page.inputValue("#version"), "1.1.0", "the form keeps what was typed");
    await screenshot("refused-not-a-zip");
  });

  await t.test("a version that is not higher is refused with its message", async () => {
    await openApp("Hello MiniApp");
    await addVersion({ version: "0.9.0", description: "older", file: packageZip });
    assert.match(await page.textContent(".error"), /0\.9\.0 of Hello MiniApp is not higher than the latest version 1\.0\.0/);
    await screenshot("refused-not-higher");
    // The same package as the same version again is the same upload (as in the API): no new version.
    await openApp("Hello MiniApp");
    await addVersion({ version: "1.0.0", description: "again", file: packageZip });
    assert.match(await page.textContent(".ok"), /Version 1\.0\.0 was already uploaded with this very package/);
    assert.equal(await page.locator("tr[data-version]").count(), 1);
  });

  await t.test("a version uploaded by the page and one published by the CLI look the same to `gopay-miniapp versions`", async () => {
    // The same files as the page's 1.0.0: publishing them again as 1.0.1 is asked about, and
    // under --yes it takes --allow-identical.
    cli(["--yes", "publish", "--allow-identical", "--description", DESCRIPTION]);
    const { versions } = JSON.parse(cli(["--json", "versions"]));
    assert.deepEqual(versions.map((v) => v.version), ["1.0.1", "1.0.0"]);
    const strip = ({ version, versionId, createdAt, sha256, page, ...rest }) => rest;
    assert.deepEqual(strip(versions[1]), strip(versions[0]));
    assert.deepEqual(Object.keys(versions[1]).sort(), Object.keys(versions[0]).sort());

    // The API's view too: the same createdBy, and the same audit entries.
    const login = await (await fetch(`${url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "demo", password: "demo" }),
    })).json();
    const auth = { authorization: `Bearer ${login.accessToken}` };
    const appId = JSON.parse(readFileSync(join(project, "gopay-miniapp.json"), "utf8")).app.id;
    const api = await (await fetch(`${url}/api/v1/apps/${appId}/versions`, { headers: auth })).json();
    const [cliVersion, pageVersion] = api.versions;
    assert.equal(pageVersion.createdBy, "demo");
    assert.equal(cliVersion.createdBy, pageVersion.createdBy);
    const audit = await (await fetch(`${url}/api/v1/apps/${appId}/audit`, { headers: auth })).json();
    const actions = (v) =>
      audit.entries.filter((e) => e.detail.startsWith(`${v}:`) || e.detail.startsWith(`${v} uploaded`)).map((e) => `${e.actor} ${e.action}`);
    assert.deepEqual(actions("1.0.0"), ["demo version.create", "demo upload.open"]);
    assert.deepEqual(actions("1.0.1"), actions("1.0.0"));
  });

  await t.test("Detail → Release to GoPay Staging → Show Temporary Code: the QR and the deeplink", async () => {
    await openApp("Hello MiniApp");
    await Promise.all([
      page.waitForURL(/\/versions\/ver_/),
      page.locator("tr[data-version='1.0.0']").locator("a:has-text('Detail')").click(),
    ]);
    await page.selectOption("#target_app_id", { label: "GoPay Staging" });
    await Promise.all([page.waitForURL(/released=rel_/), page.click("form button:has-text('Release')")]);
    assert.match(await page.textContent(".ok"), /Released 1\.0\.0 to GoPay Staging/);
    const card = page.locator("section.release[data-target-app='GoPay Staging']");
    assert.equal(await card.locator(".state").getAttribute("data-state"), "version_creation");
    await Promise.all([page.waitForLoadState("load"), card.locator("button[data-step='temporary_code']").click()]);
    const deeplink = (await page.textContent("#deeplink")).trim();
    assert.match(deeplink, /^gopaystaging:\/\/mini-app\/windvane\?app_id=\d{16}&publish_id=\d{16}$/);
    const qr = page.locator("#temporary-code [data-qr]");
    assert.equal(await qr.getAttribute("data-qr"), deeplink);
    const svg = qr.locator("svg");
    assert.ok(await svg.isVisible());
    const qrFile = join(artifacts, "temporary-code-qr.png");
    await svg.screenshot({ path: qrFile });
    const zbar = spawnSync("zbarimg", ["--quiet", "--raw", qrFile], { encoding: "utf8" });
    if (zbar.error) {
      // Under tests/run-all.sh zbar-tools is installed up front: missing is a failure there.
      assert.ok(!process.env.GOPAY_MINIAPP_TESTS_REQUIRE_TOOLS, `zbarimg could not run: ${zbar.error.message}`);
      t.diagnostic("zbarimg is not installed: the QR was not decoded (apt-get install zbar-tools)");
    } else {
      assert.equal(zbar.stdout.trim(), deeplink, "the QR on the page decodes to the deeplink");
    }
    await screenshot("temporary-code");
  });

  await t.test("Apply Release: confirm the release information, notes, OK", async () => {
    const card = page.locator("section.release[data-target-app='GoPay Staging']");
    await Promise.all([page.waitForURL(/\/apply\?from=detail$/), card.locator("a[data-step='apply']").click()]);
    assert.match(await page.textContent("h2"), /Confirm Release Information/);
    await page.fill("#notes", "First release from the portal </textarea><b>bold?</b>");
    await screenshot("apply-confirm");
    await Promise.all([page.waitForURL(/done=apply/), page.click("form button:has-text('OK')")]);
    assert.match(await page.textContent(".ok"), /1\.0\.0 → GoPay Staging is now in “Submit for Review”/);
    assert.equal(
      (await page.textContent("section.release[data-target-app='GoPay Staging'] .notes")).trim(),
      "First release from the portal </textarea><b>bold?</b>",
    );
    await screenshot("applied");
    await logOut();
  });

  await t.test("admin approves with a click", async () => {
    await logIn("admin", "admin");
    await Promise.all([page.waitForURL(/\/web\/reviews$/), page.click("header a:has-text('Reviews')")]);
    const review = page.locator("section.review", { hasText: "Hello MiniApp 1.0.0 → GoPay Staging" });
    assert.match(await review.locator(".notes").textContent(), /First release from the portal/);
    await screenshot("review-queue");
    await Promise.all([page.waitForURL(/done=approve/), review.locator("button[data-step='approve']").click()]);
    assert.match(await page.textContent(".ok"), /Approve: 1\.0\.0 → GoPay Staging is now in “Pilot test”/);
    await screenshot("approved");
    await logOut();
  });

  await t.test("back as demo: the version is in Pilot test, with the steps the table allows", async () => {
    await logIn("demo", "demo");
    await openApp("Hello MiniApp");
    const cell = page.locator("tr[data-version='1.0.0'] td[data-target-app='GoPay Staging']");
    assert.equal((await cell.locator(".state").textContent()).trim(), "Pilot test");
    const steps = await cell.locator("[data-step]").evaluateAll((els) => els.map((e) => e.dataset.step));
    // A first release may only go official (no whitelist or grayscale).
    assert.deepEqual(steps, ["temporary_code", "official", "cancel"]);
    await screenshot("pilot-test");
    const status = JSON.parse(cli(["--json", "versions"]));
    const release = status.versions.find((v) => v.version === "1.0.0").releases[0];
    assert.equal(release.state, "pilot_test");
  });
});
