// The story an editor drives, through vscode-jsonrpc against the real binary:
// login → bind → publish (progress seen) → release → temporary code → apply →
// (the target-app admin approves with the CLI) → official release.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { cli, copyFixture, readVersion, startPortal, startSidecar, tempDir } from "./helpers.mjs";

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal?.stop());

test("login → bind → publish → release → temporary code → apply → approve → official", async () => {
  const home = tempDir("gopay-home-");
  const project = copyFixture();
  const sidecar = startSidecar({
    home,
    portal: portal.url,
    answers: [
      ["Select the MiniApp", "Hello MiniApp"],
      ["Which version?", "1.0.1"],
      ["Release to which target app?", "GoPay Staging"],
      ["Submit Hello MiniApp 1.0.1 for review", "Yes"],
      ["Officially release 1.0.1", "Yes"],
    ],
  });
  try {
    const init = await sidecar.initialize(project);
    assert.ok(init.capabilities.executeCommandProvider.commands.includes("miniapp.publish"));

    const login = await sidecar.execute("miniapp.login", { username: "demo", password: "demo" });
    assert.equal(login.username, "demo");
    // The CLI sees the same session.
    const whoami = cli(["--json", "--portal", portal.url, "whoami"], { home });
    assert.equal(whoami.status, 0, whoami.stderr);
    assert.equal(JSON.parse(whoami.stdout).user.username, "demo");

    const bound = await sidecar.execute("miniapp.bind");
    assert.equal(bound.binding.app.name, "Hello MiniApp");

    const published = await sidecar.execute("miniapp.publish", { description: "from node" }, { workDoneToken: "node-publish" });
    assert.equal(published.version, "1.0.1");
    assert.equal(readVersion(project), "1.0.1");
    await new Promise((r) => setTimeout(r, 200));
    const progress = sidecar.seen.progress.filter((p) => p.token === "node-publish").map((p) => p.value);
    assert.equal(progress[0].kind, "begin");
    assert.equal(progress[0].cancellable, true);
    assert.equal(progress.at(-1).kind, "end");
    const percentages = progress.map((v) => v.percentage).filter((p) => p !== undefined);
    assert.ok(percentages.some((p) => p >= 60), `percentages: ${percentages}`);
    assert.ok(sidecar.seen.logs.some((l) => l.message === "build finished"), "build output as window/logMessage");

    const released = await sidecar.execute("miniapp.release");
    assert.equal(released.release.state, "version_creation");

    const code = await sidecar.execute("miniapp.temporaryCode", { version: "1.0.1", targetApp: "GoPay Staging" });
    assert.match(code.deeplink, /^gopaystaging:\/\/mini-app\/windvane\?app_id=/);
    assert.ok(code.svg.startsWith("<svg"));
    assert.equal(Buffer.from(code.pngBase64, "base64").subarray(1, 4).toString(), "PNG");

    const applied = await sidecar.execute("miniapp.applyRelease", { version: "1.0.1", targetApp: "GoPay Staging" });
    assert.equal(applied.release.state, "in_review");

    // The target-app admin approves from a terminal.
    const adminHome = tempDir("gopay-admin-");
    const adminLogin = cli(["--portal", portal.url, "login", "--username", "admin", "--password-stdin"], {
      home: adminHome,
      input: "admin\n",
    });
    assert.equal(adminLogin.status, 0, adminLogin.stderr);
    const approve = cli(
      ["--portal", portal.url, "review", "approve", "--app", bound.binding.app.id, "--version", "1.0.1", "--target-app", "GoPay Staging"],
      { home: adminHome },
    );
    assert.equal(approve.status, 0, approve.stderr + approve.stdout);

    const official = await sidecar.execute("miniapp.officialRelease", { version: "1.0.1", targetApp: "GoPay Staging" });
    assert.equal(official.release.state, "released");

    const status = await sidecar.execute("miniapp.status");
    const staging = status.targetApps.find((t) => t.targetApp === "GoPay Staging");
    assert.equal(staging.liveVersion, "1.0.1");
    assert.ok(sidecar.seen.status.length > 0, "miniapp/didChangeStatus was sent");
    assert.equal(sidecar.seen.status.at(-1).targetApps.find((t) => t.targetApp === "GoPay Staging").liveVersion, "1.0.1");
    // The MiniApp, the target app, both confirmations (and the version while core asks even for one).
    assert.ok([4, 5].includes(sidecar.seen.questions.length), JSON.stringify(sidecar.seen.questions));
    assert.ok(fs.existsSync(path.join(project, "gopay-miniapp.json")));
  } finally {
    const code = await sidecar.stop();
    assert.equal(code, 0, sidecar.stderr());
  }
});
