// Instructions the sidecar runs, counted by valgrind's callgrind (deterministic, unlike wall
// times on a shared machine): BIN is started under callgrind, answers `initialize`, and with
// N > 0 also logs in to a local portal, binds, and answers N `miniapp.status` requests, then
// shuts down. Not a test: the profile goes to OUT, read with `callgrind_annotate OUT`.
//   node tests/bench/callgrind_sidecar.mjs BIN N OUT      (needs valgrind and a debug build)
import { spawn } from "node:child_process";
import * as rpc from "vscode-jsonrpc/node.js";
import { copyFixture, startPortal, tempDir } from "../node/helpers.mjs";
const [binary, statusRuns = "0", out] = process.argv.slice(2);
const home = tempDir("cg-");
const project = copyFixture();
const n = Number(statusRuns);
const portal = n ? await startPortal({}) : null;
const args = portal ? ["--portal", portal.url, "lsp"] : ["lsp"];
const child = spawn("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, binary, ...args], { env: { ...process.env, GOPAY_MINIAPP_HOME: home }, stdio: ["pipe", "pipe", "ignore"] });
const c = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
c.onRequest("window/workDoneProgress/create", () => null);
c.listen();
const exited = new Promise((r) => child.on("exit", r));
await c.sendRequest("initialize", { processId: process.pid, rootUri: `file://${project}`, workspaceFolders: [{ uri: `file://${project}`, name: "p" }], capabilities: {} });
if (n) {
  await c.sendNotification("initialized", {});
  const exec = (command, a) => c.sendRequest("workspace/executeCommand", { command, arguments: a ? [a] : [] });
  await exec("miniapp.login", { username: "demo", password: "demo" });
  await exec("miniapp.bind", { app: "Hello MiniApp" });
  for (let i = 0; i < n; i++) await exec("miniapp.status");
}
await c.sendRequest("shutdown");
await c.sendNotification("exit");
await exited;
c.dispose();
portal?.stop();
