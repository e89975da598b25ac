// Shared by the Node tests: the real binary, a local portal it serves, the fixture project,
// and a vscode-jsonrpc connection to `gopay-miniapp lsp`.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as rpc from "vscode-jsonrpc/node.js";

import { builtBinary } from "../cargo-target.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../..");
export const bin = builtBinary("debug");
export const fixture = path.join(repo, "crates/lsp/tests/fixtures/hello-miniapp");

export function requireBinary(binary = bin) {
  if (!fs.existsSync(binary)) {
    throw new Error(`${binary} is missing: run \`cargo build -p gopay-miniapp\` first (tests/run-all.sh does)`);
  }
}

/** A fresh folder under the system's temporary one, removed when the test process exits. */
export function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}
const temporary = [];
process.on("exit", () => {
  for (const dir of temporary) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // A child still writing there: the folder stays, as before.
    }
  }
});

export function copyFixture() {
  const dir = tempDir("gopay-lsp-node-");
  const project = path.join(dir, "hello-miniapp");
  fs.cpSync(fixture, project, { recursive: true });
  return project;
}

/**
 * `gopay-miniapp portal serve` on a free port with the demo data; resolves to {url, stop,
 * ids}. `backend: "superapp"` serves the SuperApp console emulator; `ids()` are the ids it
 * printed (`space <id> <name>`, `app …`, `target-app <channelCode> <name>`), by kind and name.
 * `binary`: another build of the binary (the benchmarks serve from the release build).
 */
export async function startPortal({ backend = "native", binary = bin } = {}) {
  requireBinary(binary);
  const data = tempDir("gopay-portal-");
  const child = spawn(binary, ["portal", "serve", "--addr", "127.0.0.1:0", "--data", data, "--seed-demo", "--backend", backend], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the portal did not start: ${out}`)), 30000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`the portal exited (${code}): ${out}`)));
  });
  return {
    url,
    ids: () => {
      const found = {};
      for (const m of out.matchAll(/^(space|app|target-app) (\d+) (.+)$/gm)) {
        found[`${m[1]} ${m[3]}`] = m[2];
      }
      return found;
    },
    stop: () => {
      child.kill("SIGTERM");
    },
  };
}

/** Runs the CLI; returns {status, stdout, stderr}. */
export function cli(args, { home, input } = {}) {
  const result = spawnSync(bin, args, {
    env: { ...process.env, GOPAY_MINIAPP_HOME: home },
    input,
    encoding: "utf8",
  });
  return result;
}

/**
 * Spawns `gopay-miniapp lsp` and connects vscode-jsonrpc to it. `answers` maps a question
 * fragment to the title to answer.
 */
export function startSidecar({ home, portal, answers = [] }) {
  requireBinary();
  const args = portal ? ["--portal", portal, "lsp"] : ["lsp"];
  const child = spawn(bin, args, {
    env: { ...process.env, GOPAY_MINIAPP_HOME: home, RUST_LOG: "warn" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c) => (stderr += c));
  const connection = rpc.createMessageConnection(
    new rpc.StreamMessageReader(child.stdout),
    new rpc.StreamMessageWriter(child.stdin),
  );
  const seen = { questions: [], progress: [], logs: [], status: [], documents: [] };
  const script = [...answers];
  connection.onRequest("window/showMessageRequest", (params) => {
    seen.questions.push(params);
    const i = script.findIndex(([fragment]) => params.message.includes(fragment));
    if (i < 0) throw new Error(`unexpected question: ${params.message}`);
    const [, title] = script.splice(i, 1)[0];
    return { title };
  });
  connection.onRequest("window/workDoneProgress/create", () => null);
  connection.onRequest("window/showDocument", (params) => {
    seen.documents.push(params);
    return { success: true };
  });
  connection.onUnhandledProgress((params) => seen.progress.push(params));
  connection.onNotification("window/logMessage", (params) => seen.logs.push(params));
  connection.onNotification("miniapp/didChangeStatus", (params) => seen.status.push(params));
  connection.listen();
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    connection,
    seen,
    exited,
    stderr: () => stderr,
    async initialize(root, initializationOptions = null) {
      const uri = `file://${root}`;
      const result = await connection.sendRequest("initialize", {
        processId: process.pid,
        rootUri: uri,
        workspaceFolders: [{ uri, name: path.basename(root) }],
        capabilities: { window: { workDoneProgress: true, showDocument: { support: true } } },
        clientInfo: { name: "node-test" },
        initializationOptions,
      });
      await connection.sendNotification("initialized", {});
      return result;
    },
    execute(command, args, extra = {}) {
      return connection.sendRequest("workspace/executeCommand", {
        command,
        arguments: args === undefined ? [] : [args],
        ...extra,
      });
    },
    async stop() {
      try {
        await connection.sendRequest("shutdown");
        await connection.sendNotification("exit");
      } catch {
        // already gone
      }
      const code = await exited;
      connection.dispose();
      return code;
    },
  };
}

/**
 * A bare `gopay-miniapp lsp` for the benchmarks (tests/node/bench-sidecar.mjs,
 * tests/bench/callgrind_sidecar.mjs): nothing but the JSON-RPC connection, stderr ignored and
 * only the progress request answered, so that the figures are the sidecar's. `wrapper`: a
 * command that runs it (valgrind and its options). {child, connection, exited, stop()}.
 */
export function connectBareSidecar(binary, { home, portal, wrapper = [] }) {
  const [command, ...args] = [...wrapper, binary, ...(portal ? ["--portal", portal] : []), "lsp"];
  const child = spawn(command, args, { env: { ...process.env, GOPAY_MINIAPP_HOME: home }, stdio: ["pipe", "pipe", "ignore"] });
  const connection = rpc.createMessageConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  connection.onRequest("window/workDoneProgress/create", () => null);
  connection.listen();
  const exited = new Promise((r) => child.on("exit", r));
  return {
    child,
    connection,
    exited,
    async stop() {
      await connection.sendRequest("shutdown");
      await connection.sendNotification("exit");
      await exited;
      connection.dispose();
    },
  };
}

/** The `initialize` parameters of a bare sidecar on the project `root`. */
export const bareInitializeParams = (root) => ({ processId: process.pid, rootUri: `file://${root}`, workspaceFolders: [{ uri: `file://${root}`, name: "p" }], capabilities: {} });

export function readVersion(project) {
  return JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8")).version;
}

export async function waitFor(what, predicate, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Alive and not a zombie. */
export function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
