// `gopay-miniapp learn` end to end (issue #22), on an emulator whose console pages the story
// (console-story.mjs) has clicked. Two ways in, as a user has them:
// - `learnAndReplay`: the story ran under playwright-core's `recordHar`; the CLI learns every
//   feature from those HARs (`--yes`), and the refusals, canaries and `--field` are tried on
//   them;
// - `learnLiveAndReplay`: the story's clicks are made in the CLI's own browser while `learn`
//   records them live (a second DevTools connection, as a user clicks); each recipe equals the
//   one learned from the HAR of the same clicks.
// Either way `replayLearned` follows: `bind` picks from the learned lists, and on new versions
// the CLI and then the sidecar (Node vscode-jsonrpc) do the temporary code, withdraw,
// whitelist, grayscale (and the console's refusal of a lower ratio), official, rollback and
// cancel through the learned recipes, the release's state checked in the observed release query
// after each. The session's values (cookie, the echoed XSRF token) never reach a recipe,
// `--export`, the CLI's output or its logs at `RUST_LOG=trace`. Called by
// superapp-console.test.mjs for both variants.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { chromium } from "playwright-core";

import { builtBinary } from "../cargo-target.mjs";
import { checkStoryFacts, logIn, observedStatus, runStory, startEmulator } from "./console-story.mjs";
import { startSidecar } from "../node/helpers.mjs";
import { chromiumPath, storedZip } from "./support.mjs";

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

/** What `learn` is told for each feature of the story (console-story.mjs FEATURES): the
 * values the story's clicks used. */
export const LEARN_ARGS = {
  spaces: ["spaces"],
  apps: ["apps"],
  "target-apps": ["target_apps"],
  "temporary-code": ["temporary_code", "1.0.1", "--target-app", "GoPay"],
  withdraw: ["withdraw", "1.0.1", "--target-app", "GoPay"],
  whitelist: ["whitelist", "1.0.1", "--target-app", "GoPay", "--users", "1001,1002"],
  grayscale: ["grayscale", "1.0.1", "--target-app", "GoPay", "--ratio", "10"],
  rollback: ["rollback", "--target-app", "GoPay"],
  cancel: ["cancel", "1.0.2", "--target-app", "GoPay"],
};

/** A recipe file's JSON without when it was learned. */
export function recipeOf(file) {
  const recipe = JSON.parse(readFileSync(file, "utf8"));
  delete recipe.learned_at;
  return recipe;
}

/**
 * The CLI of one home (credentials, recipes) in `project`, on the portal `url`; every output is
 * pushed to `logs` for the leak check. `run`: {status, stdout, stderr}; `ok`: the --json
 * answer of a run that must succeed; `startLive` and `live`: `learn …` recording live.
 */
export function cliFor({ bin = builtBinary(), url, home, project, logs }) {
  const env = { ...process.env, GOPAY_MINIAPP_HOME: home, RUST_LOG: "trace", NO_COLOR: "1", CHROMIUM: chromiumPath, GOPAY_MINIAPP_BROWSER: chromiumPath };
  const run = (args, input) => {
    const r = spawnSync(bin, ["--portal", url, ...args], { cwd: project, input, encoding: "utf8", env, timeout: 60_000 });
    logs.push(r.stdout, r.stderr);
    return r;
  };
  const ok = (args, input) => {
    const r = run(args, input);
    assert.equal(r.status, 0, `${args.join(" ")}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : null;
  };
  const featureFile = (feature) => ok(["--json", "learn", "--list"]).features.find((f) => f.feature === feature).file;

  /**
   * Starts `learn …` live under the test switch (GOPAY_MINIAPP_LEARN_HEADLESS=1: headless, the
   * DevTools address printed) and attaches a second DevTools connection to the CLI's tab, as a
   * user's clicks. `tty`: the CLI runs on a terminal (util-linux `script`). Returns the tab
   * (`page`, once the CLI's own navigation to the portal has committed), `enter()`,
   * `closeTab()`, `waitFor(re, what)` on what the CLI shows, and `finish({confirm})`: detaches,
   * answers the save question with `confirm` when given, and resolves with the CLI's
   * {status, stdout, stderr} (on a terminal both are in `stdout`).
   */
  const startLive = async (args, { tty = false } = {}) => {
    const argv = ["--portal", url, ...args];
    const quoted = [bin, ...argv].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const liveEnv = { ...env, GOPAY_MINIAPP_LEARN_HEADLESS: "1" };
    const child = tty
      ? spawn("script", ["-qfec", quoted, "/dev/null"], { cwd: project, env: liveEnv, stdio: ["pipe", "pipe", "pipe"] })
      : spawn(bin, argv, { cwd: project, env: liveEnv, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const seen = () => (tty ? stdout : stderr);
    const waiters = [];
    const wake = () => {
      for (const w of waiters.splice(0)) w();
    };
    child.stdout.on("data", (c) => {
      stdout += c;
      wake();
    });
    child.stderr.on("data", (c) => {
      stderr += c;
      wake();
    });
    const exited = new Promise((resolve) => child.on("exit", (status) => resolve(status)));
    /** The first match of `re` in what the CLI shows, waiting for it. */
    const waitFor = (re, what) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${what} from the CLI:\n${stdout}\n${stderr}`)), 60_000);
        exited.then((status) => reject(new Error(`the CLI exited (${status}) before ${what}:\n${stdout}\n${stderr}`)));
        const look = () => {
          const m = re.exec(seen());
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else waiters.push(look);
        };
        look();
      });
    let second = null;
    let page;
    try {
      const [, devtools] = await waitFor(/^DevTools: (ws:\/\/\S+?)\r?\n/m, "DevTools address");
      second = await chromium.connectOverCDP(devtools);
      const [context] = second.contexts();
      page = context.pages().find((p) => p.url().startsWith(url)) ?? context.pages()[0];
      assert.ok(page, "the CLI's tab");
      page.setDefaultTimeout(15_000);
      // The CLI navigates its tab to the portal without waiting: a click's navigation must
      // come after that one, or the CLI's would replace it.
      await page.waitForURL((u) => u.href.startsWith(url), { waitUntil: "commit" });
    } catch (e) {
      // No CLI (and its browser) left behind a failed attach: SIGTERM lets it close its
      // browser and delete the profile.
      await second?.close().catch(() => {});
      child.kill("SIGTERM");
      throw e;
    }
    const finish = async ({ confirm = null } = {}) => {
      // Leaves the CLI's browser to the CLI (it closes it and deletes the profile).
      await second.close().catch(() => {});
      if (confirm !== null) {
        await waitFor(/Save this recipe for \S+\? \[y\/N\]/, "the question");
        child.stdin.write(`${confirm}\n`);
      }
      const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const status = await exited;
      clearTimeout(timeout);
      logs.push(stdout, stderr);
      return { status, stdout, stderr };
    };
    return { page, waitFor, enter: () => child.stdin.write("\n"), closeTab: () => page.close(), finish };
  };
  /** `startLive`, then `user(page, {enter, close})` as the user, then `finish`. */
  const live = async (args, user, { tty = false, confirm = null } = {}) => {
    const session = await startLive(args, { tty });
    try {
      await user(session.page, { enter: session.enter, close: session.closeTab });
    } catch (e) {
      await session.finish().catch(() => {});
      throw e;
    }
    return session.finish({ confirm });
  };
  return { run, ok, featureFile, startLive, live };
}

/**
 * A project bound to the emulator's Demo Space / Hello MiniApp / GoPay, its CLI logged in with
 * a fresh console session of `demo` (and `admin` for the review); `secrets`: the session's
 * values, which no output may hold.
 */
async function loggedIn({ browser, url, ids, dir }) {
  const home = join(dir, "cli-home");
  const project = join(dir, "project");
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "hello-miniapp", version: "1.0.0" }));
  const logs = [];
  const cli = cliFor({ url, home, project, logs });
  const dev = await logIn(browser, url, "demo", "demo");
  const admin = await logIn(browser, url, "admin", "admin");
  const cookie = await sessionCookie(url, dev);
  const secrets = cookie.split("; ").map((c) => c.split("=").slice(1).join("=")).filter((v) => v.length >= 8);
  assert.ok(secrets.length >= 1, cookie);
  cli.ok(["--json", "login", "--backend", "superapp", "--cookie-stdin"], `${cookie}\n`);
  cli.ok(["--json", "--yes", "bind", "--backend", "superapp", "--space", `Demo Space=${ids["space Demo Space"]}`, "--app", `Hello MiniApp=${ids["app Hello MiniApp"]}`, "--target-app", `GoPay=${ids["target-app GoPay"]}`]);
  // Before: nothing learned.
  const before = cli.ok(["--json", "learn", "--list"]);
  assert.deepEqual(before.features.map((f) => [f.feature, f.state]).filter(([, s]) => s !== "missing"), []);
  return { url, ids, dir, home, project, logs, cli, dev, admin, secrets };
}

/** Learns every feature from the HARs in `hars` (with the refusals, canaries and `--field`
 * tried on them), then `replayLearned`, then what only a saved recipe file shows: a recipe whose
 * answer no longer matches, and `--scope project`. */
export async function learnAndReplay({ browser, url, ids, dir, hars }) {
  const ctx = await loggedIn({ browser, url, ids, dir });
  const { run: cli, ok, featureFile } = ctx.cli;
  const { secrets, project, dev } = ctx;
  const app = ids["app Hello MiniApp"];
  const channel = ids["target-app GoPay"];
  const step = ["--target-app", "GoPay"];

  // Learn each feature from its HAR, with the values the story used.
  for (const [feature, args] of Object.entries(LEARN_ARGS)) {
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

  await replayLearned(ctx);

  // A recipe whose answer no longer matches the recording (the console's page changed):
  // a typed error naming it, with what to do.
  const codeFile = featureFile("temporary_code");
  const stale = JSON.parse(readFileSync(codeFile, "utf8"));
  for (const r of stale.requests) r.success.equals = [...(r.success.equals ?? []), { path: ["data", "noLongerThere"], value: true }];
  writeFileSync(codeFile, JSON.stringify(stale));
  const zip7 = join(dir, "1.0.7.zip");
  writeFileSync(zip7, storedZip({ "index.html": "<html><body>1.0.7</body></html>" }));
  ok(["--json", "--yes", "upload", zip7, "--version", "1.0.7"]);
  ok(["--json", "--yes", "release", "1.0.7", ...step]);
  const staleRun = cli(["--json", "qr", "1.0.7", ...step]);
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
  const foreign = cli(["--json", "--yes", "cancel", "1.0.7", ...step]);
  assert.equal(foreign.status, 7, foreign.stdout);
  // A changed recipe for this portal: not used until confirmed, then it runs.
  const changed = JSON.parse(original);
  changed.learned_at = "2026-01-02T03:04:05Z";
  writeFileSync(shared.saved, JSON.stringify(changed));
  assert.equal(cancelState(), "unconfirmed");
  assert.equal(cli(["--json", "--yes", "cancel", "1.0.7", ...step]).status, 7);
  ok(["--json", "--yes", "learn", "--trust", "cancel"]);
  assert.equal(cancelState(), "learned");
  ok(["--json", "--yes", "cancel", "1.0.7", ...step]);
  assert.equal(await observedStatus(url, dev, app, channel, "1.0.7"), "CANCELLED");

  checkNoSessionValue(ctx, [exported.stdout]);
}

/**
 * Learns every feature LIVE (issue #22's Done means): on a fresh emulator of `variant`, the
 * console story's clicks (console-story.mjs `runStory`) are made in the CLI's own browser while
 * `learn FEATURE …` records them, each ended as a user ends it (Enter on variant a, closing the
 * tab on b) and saved under --yes; the page showed each step's effect (`checkStoryFacts`). Then
 * `replayLearned` on the live recipes. Returns nothing; throws on the first difference.
 */
export async function learnLiveAndReplay({ browser, variant, dir }) {
  const emulator = await startEmulator(variant, dir);
  try {
    const { url, ids } = emulator;
    const ctx = await loggedIn({ browser, url, ids, dir });
    const facts = {};
    await runStory({
      browser,
      url,
      ids,
      variant,
      onStep: async (feature, seen) => {
        facts[feature] = seen;
      },
      open: async (feature, hash) => {
        const session = await ctx.cli.startLive(["--json", "--yes", "learn", ...LEARN_ARGS[feature]]);
        await session.page.goto(`${url}/console${hash}`);
        return {
          page: session.page,
          async close() {
            if (variant === "a") session.enter();
            else await session.closeTab();
            const learned = await session.finish();
            assert.equal(learned.status, 0, `learn ${feature} live: exit ${learned.status}\n${learned.stdout}\n${learned.stderr}`);
            assert.ok(JSON.parse(learned.stdout).saved, `${feature}: ${learned.stdout}`);
          },
        };
      },
    });
    checkStoryFacts(variant, ids, facts);
    const listed = ctx.cli.ok(["--json", "learn", "--list"]);
    for (const f of listed.features) assert.equal(f.state, "learned", JSON.stringify(f));
    await replayLearned(ctx);
    const exported = ctx.cli.run(["learn", "--export"]);
    assert.equal(exported.status, 0, exported.stderr);
    checkNoSessionValue(ctx, [exported.stdout]);
  } finally {
    await emulator.stop();
  }
}

/**
 * With every feature learned in `ctx`'s home: `bind` picks from the learned lists; the CLI
 * takes 1.0.3 through every step and cancels 1.0.4; the sidecar takes 1.0.5 through every step
 * and cancels 1.0.6. The console's own release query says the state after each.
 */
async function replayLearned(ctx) {
  const { url, ids, dir, home, project, logs, dev, admin } = ctx;
  const { run: cli, ok } = ctx.cli;
  const bin = builtBinary();
  const space = ids["space Demo Space"];
  const app = ids["app Hello MiniApp"];
  const channel = ids["target-app GoPay"];
  const step = ["--target-app", "GoPay"];

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

  // The sidecar (Node vscode-jsonrpc, as an editor drives it) takes the learned steps too:
  // its snapshot marks them learned, and on 1.0.5 it does the temporary code (the QR image
  // decodes to the deeplink, with zbar), withdraw, whitelist, grayscale, official and
  // rollback, 1.0.6 is cancelled; the console's own release query says the state after each.
  for (const v of ["1.0.5", "1.0.6"]) {
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
    const at5 = { version: "1.0.5", targetApp: "GoPay" };
    const state5 = () => observedStatus(url, dev, app, channel, "1.0.5");
    await sidecar.execute("miniapp.release", at5);
    assert.equal(await state5(), "INIT");
    const shown = await sidecar.execute("miniapp.temporaryCode", at5);
    const png = join(dir, "sidecar-code.png");
    writeFileSync(png, Buffer.from(shown.pngBase64, "base64"));
    const decoded = spawnSync("zbarimg", ["--raw", "-q", png], { encoding: "utf8" });
    assert.equal(decoded.status, 0, decoded.stderr);
    assert.equal(decoded.stdout.trim(), shown.deeplink);
    assert.match(shown.deeplink, new RegExp(`mini-app/windvane\\?app_id=${app}&publish_id=\\d+`));
    await sidecar.execute("miniapp.applyRelease", at5);
    assert.equal(await state5(), "APPROVE");
    await sidecar.execute("miniapp.withdrawRelease", at5);
    assert.equal(await state5(), "INIT");
    await sidecar.execute("miniapp.applyRelease", at5);
    const approve5 = await fetch(`${url}/emulator/review`, {
      method: "POST",
      headers: { Cookie: admin.cookies.map((c) => `${c.name}=${c.value}`).join("; "), "Content-Type": "application/json", Origin: url },
      body: JSON.stringify({ appId: app, channelCode: channel, version: "1.0.5", decision: "APPROVE" }),
    });
    assert.equal((await approve5.json()).success, true);
    const whitelisted = await sidecar.execute("miniapp.setWhitelist", { ...at5, users: ["3001", "3002"] });
    assert.equal(await state5(), "BETA", JSON.stringify(whitelisted));
    await sidecar.execute("miniapp.startGrayscale", { ...at5, ratio: 30 });
    assert.equal(await state5(), "GRAY");
    await sidecar.execute("miniapp.officialRelease", { ...at5, yes: true });
    assert.equal(await state5(), "ONLINE");
    const back = await sidecar.execute("miniapp.rollback", { targetApp: "GoPay", yes: true });
    assert.equal(await state5(), "OFFLINE", JSON.stringify(back));
    await sidecar.execute("miniapp.release", { version: "1.0.6", targetApp: "GoPay" });
    await sidecar.execute("miniapp.cancelRelease", { version: "1.0.6", targetApp: "GoPay", yes: true });
    assert.equal(await observedStatus(url, dev, app, channel, "1.0.6"), "CANCELLED");
    assert.equal(sidecar.seen.questions.length, 3, JSON.stringify(sidecar.seen.questions.map((q) => q.message)));
  } finally {
    logs.push(sidecar.stderr());
    await sidecar.stop();
  }

}

/** No session value in any recipe, in `more` (an export), or in any output and log. */
function checkNoSessionValue(ctx, more) {
  const recipes = [];
  for (const f of ctx.cli.ok(["--json", "learn", "--list"]).features) recipes.push(readFileSync(f.file, "utf8"));
  for (const secret of ctx.secrets) {
    for (const text of [...recipes, ...more, ...ctx.logs]) assert.ok(!text.includes(secret), `a session value leaked: ${text.slice(0, 400)}`);
  }
}
