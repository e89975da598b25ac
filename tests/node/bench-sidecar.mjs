// Sidecar benchmarks (not a test: prints figures). Run:
//   cargo build --release -p gopay-miniapp && node tests/node/bench-sidecar.mjs [runs]
// 1. spawn → `initialize` result, median of N runs (goal ≤ 20 ms)
// 2. idle RSS after initialize (goal ≤ 16 MiB)
// 3. `miniapp.status` round trip with a warm portal connection (logged in, bound project)
import { spawn } from "node:child_process";
import fs from "node:fs";
import * as rpc from "vscode-jsonrpc/node.js";

import { builtBinary } from "../cargo-target.mjs";
import { copyFixture, startPortal, tempDir } from "./helpers.mjs";

const runs = Number(process.argv[2] ?? 20);
const bin = builtBinary("release");
if (!fs.existsSync(bin)) {
  console.error(`${bin} is missing: cargo build --release -p gopay-miniapp`);
  process.exit(2);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

function connect(home, portal) {
  const child = spawn(bin, portal ? ["--portal", portal, "lsp"] : ["lsp"], {
    env: { ...process.env, GOPAY_MINIAPP_HOME: home },
    stdio: ["pipe", "pipe", "ignore"],
  });
  const connection = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  connection.onRequest("window/workDoneProgress/create", () => null);
  connection.listen();
  const exited = new Promise((r) => child.on("exit", r));
  return { child, connection, exited };
}

async function stop({ connection, exited }) {
  await connection.sendRequest("shutdown");
  await connection.sendNotification("exit");
  await exited;
  connection.dispose();
}

const initParams = (root) => ({ processId: process.pid, rootUri: `file://${root}`, workspaceFolders: [{ uri: `file://${root}`, name: "p" }], capabilities: {} });

const home = tempDir("gopay-bench-");
const project = copyFixture();

// 1. spawn → initialize
const startup = [];
for (let i = 0; i < runs; i++) {
  const t0 = process.hrtime.bigint();
  const s = connect(home);
  await s.connection.sendRequest("initialize", initParams(project));
  startup.push(ms(t0));
  await stop(s);
}

// 2. idle RSS
const idle = connect(home);
await idle.connection.sendRequest("initialize", initParams(project));
await idle.connection.sendNotification("initialized", {});
await new Promise((r) => setTimeout(r, 500));
const status = fs.readFileSync(`/proc/${idle.child.pid}/status`, "utf8");
const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
await stop(idle);

// 3. status round trip, warm
const portal = await startPortal();
const s = connect(home, portal.url);
await s.connection.sendRequest("initialize", initParams(project));
await s.connection.sendNotification("initialized", {});
const exec = (command, args) => s.connection.sendRequest("workspace/executeCommand", { command, arguments: args ? [args] : [] });
await exec("miniapp.login", { username: "demo", password: "demo" });
await exec("miniapp.bind", { app: "Hello MiniApp" });
for (let i = 0; i < 5; i++) await exec("miniapp.status"); // warm up
const roundTrips = [];
for (let i = 0; i < Math.max(runs, 50); i++) {
  const t0 = process.hrtime.bigint();
  const r = await exec("miniapp.status");
  roundTrips.push(ms(t0));
  if (!r.loggedIn) throw new Error("not logged in");
}
await stop(s);
portal.stop();

const f = (x) => x.toFixed(2);
console.log(`binary: ${bin}`);
console.log(`spawn → initialize result: median ${f(median(startup))} ms over ${runs} runs (min ${f(Math.min(...startup))}, max ${f(Math.max(...startup))}); goal ≤ 20 ms`);
console.log(`idle RSS after initialize: ${(rssKiB / 1024).toFixed(1)} MiB; goal ≤ 16 MiB`);
console.log(`miniapp.status round trip (warm portal connection, logged in, bound): median ${f(median(roundTrips))} ms over ${roundTrips.length} (min ${f(Math.min(...roundTrips))}, max ${f(Math.max(...roundTrips))})`);
