// Instructions the sidecar runs, counted by valgrind's callgrind (deterministic, unlike wall
// times on a shared machine): BIN is started under callgrind, answers `initialize`, and with
// N > 0 also logs in to a local portal, binds, and answers N `miniapp.status` requests, then
// shuts down. Not a test: the profile goes to OUT, read with `callgrind_annotate OUT`.
//   node tests/bench/callgrind_sidecar.mjs BIN N OUT      (needs valgrind and a debug build)
import { bareInitializeParams, connectBareSidecar, copyFixture, startPortal, tempDir } from "../node/helpers.mjs";
const [binary, statusRuns = "0", out] = process.argv.slice(2);
const home = tempDir("cg-");
const project = copyFixture();
const n = Number(statusRuns);
const portal = n ? await startPortal({}) : null;
const sidecar = connectBareSidecar(binary, { home, portal: portal?.url, wrapper: ["valgrind", "--tool=callgrind", `--callgrind-out-file=${out}`] });
const c = sidecar.connection;
await c.sendRequest("initialize", bareInitializeParams(project));
if (n) {
  await c.sendNotification("initialized", {});
  const exec = (command, a) => c.sendRequest("workspace/executeCommand", { command, arguments: a ? [a] : [] });
  await exec("miniapp.login", { username: "demo", password: "demo" });
  await exec("miniapp.bind", { app: "Hello MiniApp" });
  for (let i = 0; i < n; i++) await exec("miniapp.status");
}
await sidecar.stop();
portal?.stop();
