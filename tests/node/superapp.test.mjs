// The superapp backend through the sidecar, driven by vscode-jsonrpc against the real binary
// and the SuperApp console emulator (`portal serve --backend superapp --seed-demo`):
// login (the sidecar fills the console's login page in a headless Chromium) → bind with ids and targetApps → publish → release → apply → (the target-app admin
// approves on the emulator over HTTP) → official. The snapshots offer no step the console's
// API lacks; such a step asked for anyway is `not_available_on_portal` with its hint, and the
// sidecar offers to open the portal (window/showMessageRequest, then window/showDocument).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { cli, copyFixture, readVersion, startPortal, startSidecar, tempDir, waitFor } from "./helpers.mjs";

const STAGING = "GoPay Staging";
/** What the console's API can do (superapp capabilities): nothing else may be offered. */
const POSSIBLE = new Set(["apply", "official"]);

let portal;
before(async () => {
  portal = await startPortal({ backend: "superapp" });
  await waitFor("the emulator's ids", () => portal.ids()[`target-app ${STAGING}`]);
});
after(() => portal?.stop());

/** A session on the emulator's login form (`POST /login`): the Cookie header. */
async function formCookie(username, password) {
  const answer = await fetch(`${portal.url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password }),
  });
  assert.equal(answer.status, 303, `login of ${username}`);
  const cookie = answer.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .find((c) => c.startsWith("SA_CONSOLE_SESSION="));
  assert.ok(cookie, `no session cookie for ${username}`);
  return cookie;
}

/** A console read route with the observer's session: `data`. */
async function read(cookie, route, query) {
  const answer = await fetch(`${portal.url}/rest/intercnn/app${route}?${new URLSearchParams(query)}`, {
    headers: { Cookie: cookie, Accept: "application/json" },
  });
  const body = await answer.json();
  assert.equal(body.success, true, JSON.stringify(body));
  return body.data;
}

/**
 * Every step any snapshot offers, on every release: its `allowedSteps`, and its `nextStep`
 * unless that is the admin's review (`approve`: the main road's "wait for the review", which
 * happens on the portal, not a step offered to the developer).
 */
function offered(snapshot) {
  const steps = [];
  const next = (step) => step && step !== "approve" && steps.push(step);
  for (const version of snapshot.versions ?? []) {
    for (const release of version.releases ?? []) {
      steps.push(...(release.allowedSteps ?? []));
      next(release.nextStep);
    }
  }
  for (const target of snapshot.targetApps ?? []) next(target.inFlight?.nextStep);
  return steps;
}

test("superapp: login → bind with ids → publish → release → apply → approve → official; unavailable steps", async () => {
  const home = tempDir("gopay-home-");
  const project = copyFixture();
  const ids = portal.ids();
  const space = ids["space Demo Space"];
  const app = ids["app Hello MiniApp"];
  const channel = ids[`target-app ${STAGING}`];
  const unavailable = [
    ["miniapp.setWhitelist", { version: "1.0.1", targetApp: STAGING, users: ["100001", "100002"] }, { kind: "step", value: "whitelist" }],
    ["miniapp.startGrayscale", { version: "1.0.1", targetApp: STAGING, ratio: 10 }, { kind: "step", value: "grayscale" }],
    ["miniapp.temporaryCode", { version: "1.0.1", targetApp: STAGING }, { kind: "step", value: "temporary_code" }],
    ["miniapp.rollback", { targetApp: STAGING }, { kind: "step", value: "rollback" }],
    ["miniapp.listSpaces", undefined, { kind: "listSpaces" }],
  ];
  const sidecar = startSidecar({
    home,
    portal: portal.url,
    answers: [
      ["Submit", "Yes"],
      ["Officially release 1.0.1", "Yes"],
      ...unavailable.map(() => ["is not available on this portal", "Open on Portal"]),
    ],
  });
  try {
    await sidecar.initialize(project);
    // The sidecar logs in as VS Code's Log In does: it fills the console's login page in a
    // headless Chromium.
    const login = await sidecar.execute("miniapp.login", { username: "demo", password: "demo" });
    assert.equal(login.username, "demo");
    let status = await sidecar.execute("miniapp.status");
    assert.equal(status.loggedIn, true, JSON.stringify(status));
    assert.equal(status.backend, "superapp");

    // Bind with ids and the target app as NAME=ID (the console cannot list them).
    const bound = await sidecar.execute("miniapp.bind", { space, app, targetApps: [`${STAGING}=${channel}`] });
    assert.equal(bound.binding.backend, "superapp");
    assert.equal(bound.binding.app.id, app);
    assert.deepEqual(bound.binding.targetApps, [{ id: channel, name: STAGING }]);
    const observer = await formCookie("demo", "demo");
    const versionsOnConsole = async () =>
      (await read(observer, "/version/query", { currentPage: 1, pageSize: 50, appId: app, spaceId: space })).list;
    const statusOnConsole = async (version) =>
      (await read(observer, "/publish/version/query", { appId: app, channelCode: channel, version, currentPage: 1, pageSize: 20 })).list.map(
        (r) => r.versionStatus,
      );
    assert.deepEqual(await versionsOnConsole(), []);

    const published = await sidecar.execute("miniapp.publish", {}, { workDoneToken: "sa-publish" });
    assert.equal(published.version, "1.0.1");
    assert.equal(readVersion(project), "1.0.1");
    const onConsole = await versionsOnConsole();
    assert.equal(onConsole.length, 1);
    assert.equal(onConsole[0].sha256, published.sha256);
    assert.match(onConsole[0].artifactList[0], new RegExp(`^app/version/${app}/1\\.0\\.1/${app}_v1\\.0\\.1_\\w+\\.zip$`));

    const released = await sidecar.execute("miniapp.release", { version: "1.0.1", targetApp: STAGING });
    assert.equal(released.release.state, "version_creation");
    assert.deepEqual(released.release.allowedSteps, ["apply"]);
    assert.deepEqual(await statusOnConsole("1.0.1"), ["INIT"]);

    const applied = await sidecar.execute("miniapp.applyRelease", { version: "1.0.1", targetApp: STAGING });
    assert.equal(applied.release.state, "in_review");
    assert.deepEqual(await statusOnConsole("1.0.1"), ["APPROVE"]);

    // The target-app admin approves on the emulator (its review route, with the admin's session).
    const admin = await formCookie("admin", "admin");
    const review = await fetch(`${portal.url}/emulator/review`, {
      method: "POST",
      headers: { Cookie: admin, Origin: portal.url, "Content-Type": "application/json" },
      body: JSON.stringify({ appId: app, channelCode: channel, version: "1.0.1", decision: "APPROVE" }),
    });
    const decided = await review.json();
    assert.equal(decided.success, true, JSON.stringify(decided));
    assert.deepEqual(await statusOnConsole("1.0.1"), ["PASSED"]);
    status = await sidecar.execute("miniapp.status");
    const pilot = status.versions.find((v) => v.version === "1.0.1").releases[0];
    assert.equal(pilot.state, "pilot_test");
    assert.deepEqual(pilot.allowedSteps, ["official"], "no whitelist, grayscale or cancel offered");

    const official = await sidecar.execute("miniapp.officialRelease", { version: "1.0.1", targetApp: STAGING });
    assert.equal(official.release.state, "released");
    assert.deepEqual(await statusOnConsole("1.0.1"), ["ONLINE"]);
    status = await sidecar.execute("miniapp.status");
    assert.equal(status.targetApps.find((t) => t.targetApp === STAGING).liveVersion, "1.0.1");

    // No snapshot ever offered a step the console's API lacks (rollback of the live release
    // included).
    assert.ok(sidecar.seen.status.length > 0, "miniapp/didChangeStatus was sent");
    for (const snapshot of [...sidecar.seen.status, status]) {
      for (const step of offered(snapshot)) assert.ok(POSSIBLE.has(step), `offered ${step}: ${JSON.stringify(snapshot)}`);
    }

    // Asked for anyway: the typed error with its hint, and the offer to open the portal.
    for (const [command, args, feature] of unavailable) {
      await assert.rejects(sidecar.execute(command, args), (err) => {
        assert.equal(err.code, -32803, `${command}: ${err.message}`);
        assert.equal(err.data.code, "not_available_on_portal", command);
        assert.ok(err.data.message.includes(portal.url), err.data.message);
        assert.match(err.data.hint.text, /portal's own pages/);
        assert.equal(err.data.hint.kind, 'useThePortal');
        assert.equal(err.data.portalUrl, portal.url);
        assert.deepEqual(err.data.feature, feature);
        return true;
      });
    }
    await waitFor("the portal opened for each unavailable step", () => sidecar.seen.documents.length === unavailable.length);
    for (const shown of sidecar.seen.documents) {
      assert.equal(shown.external, true);
      assert.ok(shown.uri.startsWith(portal.url), shown.uri);
    }
    const offers = sidecar.seen.questions.filter((q) => q.message.includes("is not available on this portal"));
    assert.equal(offers.length, unavailable.length);
    assert.deepEqual(
      offers[0].actions.map((a) => a.title),
      ["Open on Portal"],
    );
    // Nothing moved on the console.
    assert.deepEqual(await statusOnConsole("1.0.1"), ["ONLINE"]);
    assert.equal((await versionsOnConsole()).length, 1);
    // The cookie never reaches the wire's results or the logs.
    const credentials = JSON.parse(fs.readFileSync(path.join(home, "credentials.json"), "utf8"));
    const cookie = credentials.sessions[portal.url].session.cookie;
    assert.ok(!JSON.stringify(sidecar.seen).includes(cookie));
    assert.ok(!sidecar.stderr().includes(cookie));
  } finally {
    const code = await sidecar.stop();
    assert.equal(code, 0, sidecar.stderr());
  }
});
