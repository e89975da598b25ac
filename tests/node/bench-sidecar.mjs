// Sidecar benchmarks (not a test: prints figures). Run:
//   cargo build --release -p gopay-miniapp && node tests/node/bench-sidecar.mjs [runs] [--anchor BIN]...
// 1. spawn → `initialize` result, median of N runs (goal ≤ 20 ms)
// 2. idle RSS after initialize, median of 5 sidecars (goal ≤ 16 MiB)
// 3. `miniapp.status` round trip with a warm portal connection (logged in, bound project)
// --anchor BIN (repeatable): another build of the sidecar (e.g. an earlier commit's release
// binary) measured in the same run, interleaved with this one, with the ratios printed.
import fs from "node:fs";

import { builtBinary } from "../cargo-target.mjs";
import { bareInitializeParams as initParams, connectBareSidecar, copyFixture, startPortal, tempDir } from "./helpers.mjs";

const args = process.argv.slice(2);
// Every `--anchor BIN` (repeatable), in the order given.
const anchors = [];
for (let at; (at = args.indexOf("--anchor")) >= 0; ) anchors.push(args.splice(at, 2)[1]);
const runs = Number(args[0] ?? 20);
const bin = builtBinary("release");
for (const b of [bin, ...anchors]) {
  if (!b || !fs.existsSync(b)) {
    console.error(`${b} is missing: cargo build --release -p gopay-miniapp`);
    process.exit(2);
  }
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;


// Each build has its own home and project: the anchor may not read today's files.
const builds = [bin, ...anchors].map((b, i) => ({
  name: i ? `anchor ${i}` : "this build",
  bin: b,
  home: tempDir("gopay-bench-"),
  project: copyFixture(),
}));

// 1. spawn → initialize, the builds alternating
for (const b of builds) b.startup = [];
for (let i = 0; i < runs; i++) {
  for (const b of builds) {
    const t0 = process.hrtime.bigint();
    const s = connectBareSidecar(b.bin, { home: b.home });
    await s.connection.sendRequest("initialize", initParams(b.project));
    b.startup.push(ms(t0));
    await s.stop();
  }
}

// 2. idle RSS: resident memory half a second after `initialized`, median of 5 sidecars
for (const b of builds) b.rss = [];
for (let i = 0; i < 5; i++) {
  for (const b of builds) {
    const idle = connectBareSidecar(b.bin, { home: b.home });
    await idle.connection.sendRequest("initialize", initParams(b.project));
    await idle.connection.sendNotification("initialized", {});
    await new Promise((r) => setTimeout(r, 500));
    const status = fs.readFileSync(`/proc/${idle.child.pid}/status`, "utf8");
    b.rss.push(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
    await idle.stop();
  }
}

// 3. status round trip, warm, the builds alternating; each against its own local portal
// (served by this build: the portal is not what is measured)
for (const b of builds) {
  b.portal = await startPortal({ binary: bin });
  b.session = connectBareSidecar(b.bin, { home: b.home, portal: b.portal.url });
  const { connection } = b.session;
  await connection.sendRequest("initialize", initParams(b.project));
  await connection.sendNotification("initialized", {});
  b.exec = (command, a) => connection.sendRequest("workspace/executeCommand", { command, arguments: a ? [a] : [] });
  await b.exec("miniapp.login", { username: "demo", password: "demo" });
  await b.exec("miniapp.bind", { app: "Hello MiniApp" });
  for (let i = 0; i < 5; i++) await b.exec("miniapp.status"); // warm up
  b.roundTrips = [];
}
for (let i = 0; i < Math.max(runs, 50); i++) {
  for (const b of builds) {
    const t0 = process.hrtime.bigint();
    const r = await b.exec("miniapp.status");
    b.roundTrips.push(ms(t0));
    if (!r.loggedIn) throw new Error(`${b.bin}: not logged in`);
  }
}
for (const b of builds) {
  await b.session.stop();
  b.portal.stop();
}

const f = (x) => x.toFixed(2);
const spread = (xs) => `min ${f(Math.min(...xs))}, max ${f(Math.max(...xs))}`;
for (const b of builds) {
  console.log(`${b.name}: ${b.bin} (${(fs.statSync(b.bin).size / 2 ** 20).toFixed(1)} MiB)`);
  console.log(`  spawn → initialize result: median ${f(median(b.startup))} ms over ${runs} runs (${spread(b.startup)}); goal ≤ 20 ms`);
  console.log(`  idle RSS after initialize: median ${median(b.rss).toFixed(1)} MiB of 5 (${spread(b.rss)}); goal ≤ 16 MiB`);
  console.log(
    `  miniapp.status round trip (warm portal connection, logged in, bound): median ${f(median(b.roundTrips))} ms over ${b.roundTrips.length} (${spread(b.roundTrips)})`,
  );
}
const [now, ...thens] = builds;
for (const then of thens) {
  const ratio = (key) => (median(now[key]) / median(then[key])).toFixed(3);
  console.log(`ratios this build / ${then.name}: initialize ${ratio("startup")}, idle RSS ${ratio("rss")}, status round trip ${ratio("roundTrips")}`);
}
