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
  // The literal, accepted by name, is learned (and the plain recording again after it).
  ok(["--json", "--yes", "learn", "whitelist", "1.0.1", ...step, "--users", "1001,1002", "--har", refusals["an unexplained literal"], "--accept-literal", "body.remark"]);
  ok(["--json", "--yes", "learn", "whitelist", "1.0.1", ...step, "--users", "1001,1002", "--har", join(hars, "whitelist.har")]);

  // `bind` picks from the learned lists now.
  const spaces = ok(["--json", "spaces"]);
  assert.ok(JSON.stringify(spaces).includes(space), JSON.stringify(spaces));
  const targets = ok(["--json", "target-apps"]);
  assert.ok(JSON.stringify(targets).includes(channel), JSON.stringify(targets));

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

  // No session value in any recipe, the export, or any output and log (RUST_LOG=trace).
  const recipes = [];
  for (const f of ok(["--json", "learn", "--list"]).features) recipes.push(readFileSync(f.file, "utf8"));
  for (const secret of secrets) {
    for (const text of [...recipes, exported.stdout, ...logs]) assert.ok(!text.includes(secret), `a session value leaked: ${text.slice(0, 400)}`);
  }
}
