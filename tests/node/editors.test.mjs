// The Helix configuration parses and has the shape Helix reads (Helix itself is not in
// Debian 12, so this is as far as CI can verify it).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";

import { repo } from "./helpers.mjs";

test("editors/helix/languages.toml parses with the language-server entry", () => {
  const file = path.join(repo, "editors/helix/languages.toml");
  const script = `import json,sys,tomllib\nprint(json.dumps(tomllib.load(open(sys.argv[1],'rb'))))`;
  const result = spawnSync("python3", ["-c", script, file], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
  const config = JSON.parse(result.stdout);
  const server = config["language-server"]["gopay-miniapp"];
  assert.equal(server.command, "gopay-miniapp");
  assert.deepEqual(server.args, ["lsp"]);
  assert.ok(config.language.every((l) => l["language-servers"].includes("gopay-miniapp")));
  const hx = spawnSync("hx", ["--version"], { encoding: "utf8" });
  if (hx.status === 0) {
    const health = spawnSync("hx", ["--health", "json"], { encoding: "utf8", env: { ...process.env, HELIX_RUNTIME: "" } });
    assert.equal(health.status, 0, health.stderr);
  }
});
