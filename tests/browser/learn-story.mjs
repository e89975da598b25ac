// `gopay-miniapp learn` end to end (issue #22), on an emulator whose console pages the story
// (console-story.mjs) has just clicked with playwright-core's `recordHar`: the CLI learns every
// feature from those HARs (`--yes`), `bind`'s lists come from the learned recipes, and then on
// new versions the CLI itself does the temporary code, withdraw, whitelist, grayscale (and the
// console's refusal of a lower ratio), official, rollback and cancel through the learned
// recipes, the release's state checked in the observed release query after each. The
// session's values (cookie, the echoed XSRF token) never reach a recipe, `--export`, the CLI's
// output or its logs at `RUST_LOG=trace`. Called by superapp-console.test.mjs for both
// variants, so the emulator and the HARs are the ones that test already made.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { builtBinary } from "../cargo-target.mjs";
import { logIn, observedStatus } from "./console-story.mjs";
import { startSidecar } from "../node/helpers.mjs";
import { storedZip } from "./support.mjs";

/** The session's Cookie header: the browser's cookies, and the console page's XSRF-TOKEN. */
export async function sessionCookie(url, state) {
  const cookies = state.cookies.map((c) => `${c.name}=${c.value}`);
  const page = await fetch(`${url}/console`, { headers: { Cookie: cookies.join("; ") }, redirect: "manual" });
  for (const set of page.headers.getSetCookie()) {
    const pair = set.split(";")[0];
    if (!cookies.some((c) => c.split("=")[0] === pair.split("=")[0])) cookies.push(pair);
  }
  return cookies.join("; ");
}

/** Learns every feature from the HARs in `hars`, then replays each step with the CLI. */
export async function learnAndReplay({ browser, url, ids, dir, hars }) {
  const bin = builtBinary();
  const home = join(dir, "cli-home");
  const project = join(dir, "project");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "hello-miniapp", version: "1.0.0" }));
  const logs = [];
  const cli = (args, input) => {
    const r = spawnSync(bin, ["--portal", url, ...args], {
      cwd: project,
      input,
      encoding: "utf8",
      env: { ...process.env, GOPAY_MINIAPP_HOME: home, RUST_LOG: "trace", NO_COLOR: "1" },
      timeout: 60_000,
    });
    logs.push(r.stdout, r.stderr);
    return r;
  };
  const ok = (args, input) => {
    const r = cli(args, input);
    assert.equal(r.status, 0, `${args.join(" ")}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : null;
  };
  const space = ids["space Demo Space"];
  const app = ids["app Hello MiniApp"];
  const channel = ids["target-app GoPay"];
  const dev = await logIn(browser, url, "demo", "demo");
  const admin = await logIn(browser, url, "admin", "admin");
  const cookie = await sessionCookie(url, dev);
  const secrets = cookie.split("; ").map((c) => c.split("=").slice(1).join("=")).filter((v) => v.length >= 8);
  assert.ok(secrets.length >= 1, cookie);

  ok(["--json", "login", "--backend", "superapp", "--cookie-stdin"], `${cookie}\n`);
  ok(["--json", "--yes", "bind", "--backend", "superapp", "--space", `Demo Space=${space}`, "--app", `Hello MiniApp=${app}`, "--target-app", `GoPay=${channel}`]);

  // Before: nothing learned.
  const before = ok(["--json", "learn", "--list"]);
  assert.deepEqual(before.features.map((f) => [f.feature, f.state]).filter(([, s]) => s !== "missing"), []);

  // Learn each feature from its HAR, with the values the story used.
  const step = ["--target-app", "GoPay"];
  const learnArgs = {
    spaces: ["spaces"],
    apps: ["apps"],
    "target-apps": ["target_apps"],
    "temporary-code": ["temporary_code", "1.0.1", ...step],
    withdraw: ["withdraw", "1.0.1", ...step],
    whitelist: ["whitelist", "1.0.1", ...step, "--users", "1001,1002"],
    grayscale: ["grayscale", "1.0.1", ...step, "--ratio", "10"],
    rollback: ["rollback", ...step],
    cancel: ["cancel", "1.0.2", ...step],
  };
  for (const [feature, args] of Object.entries(learnArgs)) {
    const learned = ok(["--json", "--yes", "learn", ...args, "--har", join(hars, `${feature}.har`)]);
    assert.ok(learned.saved, `${feature}: ${JSON.stringify(learned)}`);
  }
  const listed = ok(["--json", "learn", "--list"]);
  for (const f of listed.features) assert.equal(f.state, "learned", JSON.stringify(f));
  const exported = cli(["learn", "--export"]);
  assert.equal(exported.status, 0, exported.stderr);
  assert.equal(JSON.parse(exported.stdout).length, 9);

  // Refusals: exit 9, code not_learned, and nothing saved (whitelist forgotten first, so a
  // save would show).
  ok(["--json", "learn", "--forget", "whitelist"]);
  const har = (feature) => JSON.parse(readFileSync(join(hars, `${feature}.har`), "utf8"));
  const variantHar = (name, edit) => {
    const h = har("whitelist");
    edit(h.log.entries);
    const file = join(dir, `${name}.har`);
    writeFileSync(file, JSON.stringify(h));
    return file;
  };
  const isStep = (e) => e.request.method === "POST" && /whitelist/.test(e.request.url);
  const refusals = {
    // The same recording, as if made on another portal.
    "another origin": variantHar("foreign", (entries) => {
      for (const e of entries) e.request.url = e.request.url.replace(url, "http://127.0.0.1:9");
    }),
    // A recording of something else.
    "no matching request": join(hars, "spaces.har"),
    // The step clicked twice: which request is the step? (Two requests on different routes
    // that both carry the inputs are one step of two requests, not a refusal.)
    "two candidates": variantHar("twice", (entries) => {
      entries.push(structuredClone(entries.find(isStep)));
    }),
    // A literal that is no short constant: under --yes it needs --accept-literal.
    "an unexplained literal": variantHar("literal", (entries) => {
      const step = entries.find(isStep);
      const body = JSON.parse(step.request.postData.text);
      body.remark = "released by the Tuesday train, see the wiki";
      step.request.postData.text = JSON.stringify(body);
    }),
  };
  for (const [what, file] of Object.entries(refusals)) {
    const r = cli(["--json", "--yes", "learn", "whitelist", "1.0.1", ...step, "--users", "1001,1002", "--har", file]);
    assert.equal(r.status, 9, `${what}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).error.code, "not_learned", `${what}: ${r.stdout}`);
    const state = ok(["--json", "learn", "--list"]).features.find((f) => f.feature === "whitelist").state;
    assert.equal(state, "missing", `${what}: something was saved`);
  }
  // Canary secrets planted where a browser's recording may carry them: an `Authorization`
  // header on every request (dropped: the recipe refers to no such header), and a secret-named
  // query parameter and body field (refused: never kept). Checked against every recipe, the
  // export, every output and the logs at the end (`secrets`).
  const canary = { auth: "CanaryAuthorization7f3a9e", query: "CanaryQueryToken5b2c8d", body: "CanaryBodySecret9d4e1f" };
  secrets.push(...Object.values(canary));
  const withAuthorization = variantHar("authorization", (entries) => {
    for (const e of entries) e.request.headers.push({ name: "Authorization", value: `Bearer ${canary.auth}` });
  });
  ok(["--json", "--yes", "learn", "whitelist", "1.0.1", ...step, "--users", "1001,1002", "--har", withAuthorization]);
  ok(["--json", "learn", "--forget", "whitelist"]);
  const secretFields = {
    query: variantHar("query-secret", (entries) => {
      const e = entries.find(isStep);
      e.request.url += `${e.request.url.includes("?") ? "&" : "?"}access_token=${canary.query}`;
      e.request.queryString = [...(e.request.queryString ?? []), { name: "access_token", value: canary.query }];
    }),
    body: variantHar("body-secret", (entries) => {
      const e = entries.find(isStep);
      e.request.postData.text = JSON.stringify({ ...JSON.parse(e.request.postData.text), sessionToken: canary.body });
    }),
  };
  for (const [where, file] of Object.entries(secretFields)) {
    const r = cli(["--json", "--yes", "learn", "whitelist", "1.0.1", ...step, "--users", "1001,1002", "--har", file]);
    assert.equal(r.status, 9, `a secret in the ${where}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  }

  // A value equal to a known in two places (a page size of 10 beside the ratio 10): refused,
  // the hint naming the fields; said with --field, it is learned as told.
  {
    const h = har("grayscale");
    const isGray = (e) => e.request.method === "POST" && e.request.postData?.text?.includes("10");
    const e = h.log.entries.find(isGray);
    e.request.postData.text = JSON.stringify({ ...JSON.parse(e.request.postData.text), pageSize: 10 });
    const file = join(dir, "two-tens.har");
    writeFileSync(file, JSON.stringify(h));
    const grayArgs = ["--json", "--yes", "learn", "grayscale", "1.0.1", ...step, "--ratio", "10", "--har", file];
    const refused = cli(grayArgs);
    assert.equal(refused.status, 9, refused.stdout);
    const hint = JSON.parse(refused.stdout).error.hint;
    assert.equal(hint.kind, "sayWhichValue", refused.stdout);
    assert.equal(hint.fields.length, 2, refused.stdout);
    const pageSizeField = hint.fields.find((f) => /pageSize/.test(f));
    const ratioField = hint.fields.find((f) => f !== pageSizeField);
    assert.ok(pageSizeField && ratioField, refused.stdout);
    const told = ok([...grayArgs, "--field", `${pageSizeField}=literal`, "--field", `${ratioField}=ratio`]);
    const shownFields = JSON.stringify(told);
    assert.ok(shownFields.includes("pageSize"), shownFields);
    const badName = cli([...grayArgs, "--field", `${ratioField}=ratios`]);
    assert.equal(badName.status, 4, badName.stdout);
    ok(["--json", "--yes", "learn", "grayscale", "1.0.1", ...step, "--ratio", "10", "--har", join(hars, "grayscale.har")]);
  }

  // The literal, accepted by name, is learned (and the plain recording again after it).
  ok(["--json", "--yes", "learn", "whitelist", "1.0.1", ...step, "--users", "1001,1002", "--har", refusals["an unexplained literal"], "--accept-literal", "body.remark"]);
  ok(["--json", "--yes", "learn", "whitelist", "1.0.1", ...step, "--users", "1001,1002", "--har", join(hars, "whitelist.har")]);

  // `bind` picks from the learned lists now: in a terminal (a pty, through util-linux's
  // `script`), it asks to rebind, then offers the learned spaces and MiniApps by name.
  const spaces = ok(["--json", "spaces"]);
  assert.ok(JSON.stringify(spaces).includes(space), JSON.stringify(spaces));
  const targets = ok(["--json", "target-apps"]);
  assert.ok(JSON.stringify(targets).includes(channel), JSON.stringify(targets));
  const shellQuote = (a) => `'${a.replaceAll("'", "'\\''")}'`;
  const picked = spawnSync("script", ["-qec", [bin, "--portal", url, "bind", "--backend", "superapp"].map(shellQuote).join(" "), "/dev/null"], {
    cwd: project,
    input: "y\nDemo Space\nHello MiniApp\n",
    encoding: "utf8",
    env: { ...process.env, GOPAY_MINIAPP_HOME: home, NO_COLOR: "1", TERM: "dumb" },
    timeout: 60_000,
  });
  logs.push(picked.stdout, picked.stderr);
  assert.equal(picked.status, 0, `bind in a terminal: exit ${picked.status}\n${picked.stdout}\n${picked.stderr}`);
  const bound = JSON.parse(readFileSync(join(project, "gopay-miniapp.json"), "utf8"));
  assert.equal(bound.space.id, space, picked.stdout);
  assert.equal(bound.app.id, app, picked.stdout);
  // Target apps come from the learned list at release time, not from the binding.
  assert.deepEqual(bound.targetApps ?? [], [], JSON.stringify(bound));
  assert.match(picked.stdout, /Rebind it to another MiniApp\?/);
  if (spaces.spaces.length > 1) assert.match(picked.stdout, /Select a space/);
  assert.match(picked.stdout, /Bound to "Hello MiniApp"/);

  // Replay on new versions: 1.0.3 goes through every step.
  const zip = join(dir, "1.0.3.zip");
  writeFileSync(zip, storedZip({ "index.html": "<html><body>1.0.3</body></html>" }));
  ok(["--json", "--yes", "upload", zip, "--version", "1.0.3"]);
  const state = () => observedStatus(url, dev, app, channel, "1.0.3");
  ok(["--json", "--yes", "release", "1.0.3", ...step]);
  assert.equal(await state(), "INIT");
  const code = ok(["--json", "qr", "1.0.3", ...step]);
  assert.match(JSON.stringify(code), new RegExp(`mini-app/windvane\\?app_id=${app}&publish_id=\\d+`));
  ok(["--json", "--yes", "apply", "1.0.3", ...step]);
  assert.equal(await state(), "APPROVE");
  ok(["--json", "--yes", "withdraw", "1.0.3", ...step]);
  assert.equal(await state(), "INIT");
  ok(["--json", "--yes", "apply", "1.0.3", ...step]);
  const approved = await fetch(`${url}/emulator/review`, {
    method: "POST",
    headers: { Cookie: admin.cookies.map((c) => `${c.name}=${c.value}`).join("; "), "Content-Type": "application/json", Origin: url },
    body: JSON.stringify({ appId: app, channelCode: channel, version: "1.0.3", decision: "APPROVE" }),
  });
  assert.equal((await approved.json()).success, true);
  assert.equal(await state(), "PASSED");
  // --dry-run: the same checks, then the exact requests (a learned step's from its recipe,
  // the session's values named), nothing sent and nothing asked (no --yes).
  const dryWhitelist = ok(["--json", "whitelist", "1.0.3", ...step, "--users", "2001,2002,2003", "--dry-run"]);
  assert.equal(dryWhitelist.step, "whitelist");
  assert.ok(dryWhitelist.requests.length >= 1 && dryWhitelist.requests.every((r) => r.learned && r.url.startsWith(url)), JSON.stringify(dryWhitelist));
  assert.match(JSON.stringify(dryWhitelist.requests), /2001/);
  assert.ok(dryWhitelist.requests.every((r) => r.headers.some((h) => h.name === "cookie" && h.value === "<session cookie>")), JSON.stringify(dryWhitelist));
  const dryText = cli(["whitelist", "1.0.3", ...step, "--users", "2001,2002,2003", "--dry-run"]);
  assert.equal(dryText.status, 0, dryText.stderr);
  assert.match(dryText.stdout, /Dry run of `gopay-miniapp whitelist` for 1\.0\.3 on "GoPay".*nothing was sent/);
  const dryOfficial = ok(["--json", "official", "1.0.3", ...step, "--dry-run"]);
  assert.ok(dryOfficial.requests.length === 2 && dryOfficial.requests.every((r) => !r.learned), JSON.stringify(dryOfficial));
  const dryCode = ok(["--json", "qr", "1.0.3", ...step, "--dry-run"]);
  assert.ok(dryCode.requests.every((r) => r.learned), JSON.stringify(dryCode));
  // Inputs are checked as for the step: a ratio out of range is refused by the dry run too.
  const dryBadRatio = cli(["--json", "grayscale", "1.0.3", ...step, "--ratio", "0", "--dry-run"]);
  assert.notEqual(dryBadRatio.status, 0, dryBadRatio.stdout);
  assert.equal(await state(), "PASSED", "a dry run sent nothing");
  ok(["--json", "--yes", "whitelist", "1.0.3", ...step, "--users", "2001,2002,2003"]);
  assert.equal(await state(), "BETA");
  ok(["--json", "--yes", "grayscale", "1.0.3", ...step, "--ratio", "25"]);
  assert.equal(await state(), "GRAY");
  // The console refuses a lower ratio: its own words, a typed error, nothing changed.
  const lower = cli(["--json", "--yes", "grayscale", "1.0.3", ...step, "--ratio", "20"]);
  assert.notEqual(lower.status, 0, lower.stdout);
  assert.equal(await state(), "GRAY");
  ok(["--json", "--yes", "official", "1.0.3", ...step]);
  assert.equal(await state(), "ONLINE");
  const dryBack = ok(["--json", "rollback", ...step, "--dry-run"]);
  assert.equal(dryBack.version, "1.0.3", JSON.stringify(dryBack));
  assert.ok(dryBack.restoredVersion && dryBack.requests.every((r) => r.learned), JSON.stringify(dryBack));
  assert.equal(await state(), "ONLINE", "a dry run sent nothing");
  ok(["--json", "--yes", "rollback", ...step]);
  assert.equal(await state(), "OFFLINE");
  // 1.0.4: released, then cancelled.
  const zip4 = join(dir, "1.0.4.zip");
  writeFileSync(zip4, storedZip({ "index.html": "<html><body>1.0.4</body></html>" }));
  ok(["--json", "--yes", "upload", zip4, "--version", "1.0.4"]);
  ok(["--json", "--yes", "release", "1.0.4", ...step]);
  ok(["--json", "--yes", "cancel", "1.0.4", ...step]);
  assert.equal(await observedStatus(url, dev, app, channel, "1.0.4"), "CANCELLED");

  // A recipe whose answer no longer matches the recording (the console's page changed):
  // a typed error naming it, with what to do.
  const codeFile = listed.features.find((f) => f.feature === "temporary_code").file;
  const stale = JSON.parse(readFileSync(codeFile, "utf8"));
  for (const r of stale.requests) r.success.equals = [...(r.success.equals ?? []), { path: ["data", "noLongerThere"], value: true }];
  writeFileSync(codeFile, JSON.stringify(stale));
  const zip5 = join(dir, "1.0.5.zip");
  writeFileSync(zip5, storedZip({ "index.html": "<html><body>1.0.5</body></html>" }));
  ok(["--json", "--yes", "upload", zip5, "--version", "1.0.5"]);
  ok(["--json", "--yes", "release", "1.0.5", ...step]);
  const staleRun = cli(["--json", "qr", "1.0.5", ...step]);
  assert.notEqual(staleRun.status, 0, staleRun.stdout);
  const staleError = JSON.parse(staleRun.stdout).error;
  assert.equal(staleError.code, "learned_step_failed", staleRun.stdout);
  assert.match(staleError.message, /learn/);

  // --scope project: the recipe next to the binding (a team shares it in git), for the
  // binding's portal only, and run once its content is confirmed.
  ok(["--json", "learn", "--forget", "cancel"]);
  const shared = ok(["--json", "--yes", "learn", "cancel", "1.0.2", ...step, "--har", join(hars, "cancel.har"), "--scope", "project"]);
  assert.equal(shared.saved, join(project, "gopay-miniapp.recipes", "cancel.json"));
  const cancelState = () => ok(["--json", "learn", "--list"]).features.find((f) => f.feature === "cancel").state;
  assert.equal(cancelState(), "learned");
  const original = readFileSync(shared.saved, "utf8");
  // Someone's commit for another portal: not used here (exit 7: not available).
  writeFileSync(shared.saved, original.replace(JSON.parse(original).origin, "http://127.0.0.1:9"));
  assert.equal(cancelState(), "unusable");
  const foreign = cli(["--json", "--yes", "cancel", "1.0.5", ...step]);
  assert.equal(foreign.status, 7, foreign.stdout);
  // A changed recipe for this portal: not used until confirmed, then it runs.
  const changed = JSON.parse(original);
  changed.learned_at = "2026-01-02T03:04:05Z";
  writeFileSync(shared.saved, JSON.stringify(changed));
  assert.equal(cancelState(), "unconfirmed");
  assert.equal(cli(["--json", "--yes", "cancel", "1.0.5", ...step]).status, 7);
  ok(["--json", "--yes", "learn", "--trust", "cancel"]);
  assert.equal(cancelState(), "learned");
  ok(["--json", "--yes", "cancel", "1.0.5", ...step]);
  assert.equal(await observedStatus(url, dev, app, channel, "1.0.5"), "CANCELLED");

  // The sidecar (Node vscode-jsonrpc, as an editor drives it) takes the learned steps too:
  // its snapshot marks them learned, and on 1.0.6 it does the temporary code (the QR image
  // decodes to the deeplink, with zbar), withdraw, whitelist, grayscale, official and
  // rollback, 1.0.7 is cancelled; the console's own release query says the state after each.
  ok(["--json", "--yes", "learn", "temporary_code", "1.0.1", ...step, "--har", join(hars, "temporary-code.har")]);
  for (const v of ["1.0.6", "1.0.7"]) {
    const file = join(dir, `${v}.zip`);
    writeFileSync(file, storedZip({ "index.html": `<html><body>${v}</body></html>` }));
    ok(["--json", "--yes", "upload", file, "--version", v]);
  }
  const sidecar = startSidecar({
    home,
    answers: [
      ["for review on", "Submit for Review"],
      ["for review on", "Submit for Review"],
      ["Start the grayscale", "Start Grayscale"],
    ],
  });
  try {
    await sidecar.initialize(project);
    const snapshot = await sidecar.execute("miniapp.status");
    const learnedCaps = snapshot.capabilities.learned.map((f) => f.value ?? f.kind);
    for (const f of ["whitelist", "grayscale", "temporary_code", "rollback", "withdraw", "cancel", "listSpaces", "listApps", "listTargetApps"]) {
      assert.ok(learnedCaps.includes(f), `${f} not learned in the snapshot: ${JSON.stringify(snapshot.capabilities)}`);
    }
    const at6 = { version: "1.0.6", targetApp: "GoPay" };
    const state6 = () => observedStatus(url, dev, app, channel, "1.0.6");
    await sidecar.execute("miniapp.release", at6);
    assert.equal(await state6(), "INIT");
    const shown = await sidecar.execute("miniapp.temporaryCode", at6);
    const png = join(dir, "sidecar-code.png");
    writeFileSync(png, Buffer.from(shown.pngBase64, "base64"));
    const decoded = spawnSync("zbarimg", ["--raw", "-q", png], { encoding: "utf8" });
    assert.equal(decoded.status, 0, decoded.stderr);
    assert.equal(decoded.stdout.trim(), shown.deeplink);
    assert.match(shown.deeplink, new RegExp(`mini-app/windvane\\?app_id=${app}&publish_id=\\d+`));
    await sidecar.execute("miniapp.applyRelease", at6);
    assert.equal(await state6(), "APPROVE");
    await sidecar.execute("miniapp.withdrawRelease", at6);
    assert.equal(await state6(), "INIT");
    await sidecar.execute("miniapp.applyRelease", at6);
    const approve6 = await fetch(`${url}/emulator/review`, {
      method: "POST",
      headers: { Cookie: admin.cookies.map((c) => `${c.name}=${c.value}`).join("; "), "Content-Type": "application/json", Origin: url },
      body: JSON.stringify({ appId: app, channelCode: channel, version: "1.0.6", decision: "APPROVE" }),
    });
    assert.equal((await approve6.json()).success, true);
    const whitelisted = await sidecar.execute("miniapp.setWhitelist", { ...at6, users: ["3001", "3002"] });
    assert.equal(await state6(), "BETA", JSON.stringify(whitelisted));
    await sidecar.execute("miniapp.startGrayscale", { ...at6, ratio: 30 });
    assert.equal(await state6(), "GRAY");
    await sidecar.execute("miniapp.officialRelease", { ...at6, yes: true });
    assert.equal(await state6(), "ONLINE");
    const back = await sidecar.execute("miniapp.rollback", { targetApp: "GoPay", yes: true });
    assert.equal(await state6(), "OFFLINE", JSON.stringify(back));
    await sidecar.execute("miniapp.release", { version: "1.0.7", targetApp: "GoPay" });
    await sidecar.execute("miniapp.cancelRelease", { version: "1.0.7", targetApp: "GoPay", yes: true });
    assert.equal(await observedStatus(url, dev, app, channel, "1.0.7"), "CANCELLED");
    assert.equal(sidecar.seen.questions.length, 3, JSON.stringify(sidecar.seen.questions.map((q) => q.message)));
  } finally {
    logs.push(sidecar.stderr());
    await sidecar.stop();
  }

  // No session value in any recipe, the export, or any output and log (RUST_LOG=trace).
  const recipes = [];
  for (const f of ok(["--json", "learn", "--list"]).features) recipes.push(readFileSync(f.file, "utf8"));
  for (const secret of secrets) {
    for (const text of [...recipes, exported.stdout, ...logs]) assert.ok(!text.includes(secret), `a session value leaked: ${text.slice(0, 400)}`);
  }
}
