// Hostile bytes on the real binary's stdin: each malformed message is answered or ignored,
// and after each one the sidecar still answers miniapp.status. Also: when stdin closes in
// the middle of a publish, the build is killed, package.json restored, and the process exits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";

import { alive, bin, copyFixture, readVersion, requireBinary, startPortal, startSidecar, tempDir, waitFor } from "./helpers.mjs";

const frame = (body) => {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  return Buffer.concat([Buffer.from(`Content-Length: ${bytes.length}\r\n\r\n`), bytes]);
};
const raw = (s) => Buffer.from(s, "utf8");

/** A raw connection: every frame the server writes, parsed. */
function rawSidecar(home) {
  requireBinary();
  const child = spawn(bin, ["--portal", "http://127.0.0.1:9", "lsp"], {
    env: { ...process.env, GOPAY_MINIAPP_HOME: home, RUST_LOG: "off" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const messages = [];
  let buf = Buffer.alloc(0);
  child.stdout.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const m = /Content-Length: (\d+)/.exec(buf.subarray(0, end).toString());
      assert.ok(m, `the server wrote a frame without Content-Length: ${buf.subarray(0, end)}`);
      const length = Number(m[1]);
      if (buf.length < end + 4 + length) return;
      // Anything on stdout that is not a JSON frame fails here.
      messages.push(JSON.parse(buf.subarray(end + 4, end + 4 + length).toString("utf8")));
      buf = buf.subarray(end + 4 + length);
    }
  });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, messages, exited, write: (b) => new Promise((r) => child.stdin.write(b, r)) };
}

const huge = (() => {
  const head = '{"jsonrpc":"2.0","id":1,"method":"x","params":{"pad":"';
  const body = Buffer.concat([raw(head), Buffer.alloc(17 * 1024 * 1024, "a"), raw('"}}')]);
  return Buffer.concat([raw(`Content-Length: ${body.length}\r\n\r\n`), body]);
})();

// [name, bytes, expected error code or null for "no answer"]
const cases = [
  ["invalid JSON", frame('{"jsonrpc":'), -32700],
  ["not JSON", frame("hello world"), -32700],
  ["invalid UTF-8", frame(Buffer.from([0xff, 0xfe, 0x00, 0x80])), -32700],
  ["empty body", raw("Content-Length: 0\r\n\r\n"), -32700],
  ["missing Content-Length", raw("Content-Type: application/json\r\n\r\n{}"), -32700],
  ["Content-Length not a number", raw("Content-Length: twelve\r\n\r\n{}"), -32700],
  ["negative Content-Length", raw("Content-Length: -5\r\n\r\n{}"), -32700],
  ["header line without a colon", raw("Content-Length 2\r\n\r\n{}"), -32700],
  ["header block over 8 KiB", raw("X-Pad: " + "p".repeat(9000)), -32700],
  ["Content-Length too small", raw('Content-Length: 10\r\n\r\n{"jsonrpc":"2.0","method":"x"}'), -32700],
  ["truncated message (length too large)", raw('Content-Length: 300\r\n\r\n{"jsonrpc":"2.0"}'), -32700],
  ["declared 1 GB, sent 2 bytes", raw("Content-Length: 1000000000\r\n\r\n{}"), -32600],
  ["a 17 MiB message", huge, -32600],
  ["JSON nested 100000 deep", frame("[".repeat(100000) + "]".repeat(100000)), -32700],
  ["batch array", frame('[{"jsonrpc":"2.0","id":1,"method":"shutdown"},{"jsonrpc":"2.0","method":"exit"}]'), -32600],
  ["a bare number", frame("42"), -32600],
  ["null", frame("null"), -32600],
  ["jsonrpc 1.0", frame('{"jsonrpc":"1.0","id":801,"method":"workspace/executeCommand"}'), -32600],
  ["null id", frame('{"jsonrpc":"2.0","id":null,"method":"workspace/executeCommand","params":{"command":"miniapp.status"}}'), -32600],
  ["object id", frame('{"jsonrpc":"2.0","id":{"a":1},"method":"shutdown"}'), -32600],
  ["fractional id", frame('{"jsonrpc":"2.0","id":1.5,"method":"shutdown"}'), -32600],
  ["method is a number", frame('{"jsonrpc":"2.0","id":803,"method":5}'), -32600],
  ["params is a string", frame('{"jsonrpc":"2.0","id":805,"method":"workspace/executeCommand","params":"x"}'), -32602],
  ["unknown method", frame('{"jsonrpc":"2.0","id":806,"method":"miniapp/doesNotExist","params":{}}'), -32601],
  ["unknown notification", frame('{"jsonrpc":"2.0","method":"miniapp/whatever","params":{}}'), null],
  ["executeCommand of the wrong shape", frame('{"jsonrpc":"2.0","id":807,"method":"workspace/executeCommand","params":{"command":5,"arguments":{}}}'), -32602],
  ["an unknown command", frame('{"jsonrpc":"2.0","id":808,"method":"workspace/executeCommand","params":{"command":"rm -rf /"}}'), -32602],
  ["a wrongly typed argument", frame('{"jsonrpc":"2.0","id":809,"method":"workspace/executeCommand","params":{"command":"miniapp.startGrayscale","arguments":[{"ratio":"ten"}]}}'), -32602],
  ["a response nobody asked for", frame('{"jsonrpc":"2.0","id":4242,"result":{"title":"Yes"}}'), null],
  ["a malformed error response", frame('{"jsonrpc":"2.0","id":4243,"error":{"code":"x"}}'), null],
  ["$/cancelRequest for an unknown id", frame('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":31337}}'), null],
  ["a second initialize", frame('{"jsonrpc":"2.0","id":810,"method":"initialize","params":{"capabilities":{}}}'), -32600],
];

test(`${cases.length} malformed or hostile messages: each answered or ignored, status still answered`, async () => {
  assert.ok(cases.length >= 20);
  const home = tempDir("gopay-bad-");
  const project = copyFixture();
  const s = rawSidecar(home);
  let nextId = 1000;
  const request = async (method, params) => {
    const id = nextId++;
    await s.write(frame(JSON.stringify({ jsonrpc: "2.0", id, method, params })));
    return waitFor(`the answer to ${method}`, () => s.messages.find((m) => m.id === id), 30000);
  };
  const init = await request("initialize", { processId: null, rootUri: `file://${project}`, capabilities: {} });
  assert.ok(init.result.capabilities.executeCommandProvider);
  await s.write(frame('{"jsonrpc":"2.0","method":"initialized","params":{}}'));
  for (const [name, bytes, expected] of cases) {
    const from = s.messages.length;
    await s.write(bytes);
    const status = await request("workspace/executeCommand", { command: "miniapp.status" });
    assert.equal(status.result?.loggedIn, false, `after "${name}": ${JSON.stringify(status)}`);
    const errors = s.messages.slice(from).filter((m) => m.error && m.id !== status.id);
    if (expected === null) {
      assert.deepEqual(errors, [], `"${name}" should be ignored`);
    } else {
      assert.ok(errors.some((e) => e.error.code === expected), `"${name}": expected ${expected}, got ${JSON.stringify(errors)}`);
    }
  }
  await request("shutdown", null);
  await s.write(frame('{"jsonrpc":"2.0","method":"exit"}'));
  assert.equal(await s.exited, 0);
});

let portal;
before(async () => {
  portal = await startPortal();
});
after(() => portal?.stop());

test("stdin closes during a publish: build killed, package.json restored, process exits", async () => {
  const home = tempDir("gopay-close-");
  const project = copyFixture();
  const original = fs.readFileSync(path.join(project, "package.json"));
  const sidecar = startSidecar({ home, portal: portal.url });
  await sidecar.initialize(project);
  await sidecar.execute("miniapp.login", { username: "demo", password: "demo" });
  await sidecar.execute("miniapp.bind", { app: "Hello MiniApp" });
  fs.writeFileSync(path.join(project, "slow-build"), "");
  sidecar.execute("miniapp.publish").catch(() => {});
  const pidFile = path.join(project, "build.pid");
  const pid = Number(await waitFor("the build", () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8")));
  assert.ok(alive(pid));
  assert.equal(readVersion(project), "1.0.1", "bumped while building");
  const started = Date.now();
  sidecar.child.stdin.end();
  const code = await sidecar.exited;
  assert.equal(code, 0, sidecar.stderr());
  assert.ok(Date.now() - started < 20000, "exits promptly");
  assert.deepEqual(fs.readFileSync(path.join(project, "package.json")), original, "package.json restored");
  assert.ok(!alive(pid), "the build was killed");
  sidecar.connection.dispose();
});
