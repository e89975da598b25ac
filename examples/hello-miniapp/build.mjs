// The example's whole build, with Node.js only (no npm packages):
//   1. copy src/ to a fresh dist/;
//   2. minify .js and .css trivially (drop comments, indentation and blank lines);
//   3. write dist/app.json: src/app.json plus the list of pages found under src/pages/.
// It prints one line per step so that `gopay-miniapp` has build output to stream.

import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, "src");
const dist = join(root, "dist");

// Removes comments outside string literals, then leading indentation and blank lines.
// Newlines are kept, so JavaScript's automatic semicolon insertion sees the same code.
// (Regular expression literals are not handled: the example's code has none.)
function stripComments(code, { lineComments }) {
  let out = "";
  let quote = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    const next = code[i + 1];
    if (quote) {
      out += c;
      if (c === "\\") {
        out += next ?? "";
        i++;
      } else if (c === quote) {
        quote = null;
      }
    } else if (c === '"' || c === "'" || c === "`") {
      quote = c;
      out += c;
    } else if (c === "/" && next === "*") {
      const end = code.indexOf("*/", i + 2);
      i = end === -1 ? code.length : end + 1;
    } else if (lineComments && c === "/" && next === "/") {
      const end = code.indexOf("\n", i);
      i = end === -1 ? code.length : end - 1;
    } else {
      out += c;
    }
  }
  return out
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join("\n") + "\n";
}

// Collapses the space around CSS punctuation. Trivial on purpose: it would also touch such
// characters inside CSS strings, which the example's stylesheet does not have.
function minifyCss(css) {
  return stripComments(css, { lineComments: false })
    .replace(/\s*([{};:,])\s*/g, "$1")
    .replace(/;}/g, "}")
    .trim() + "\n";
}

function* files(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      yield* files(path);
    } else {
      yield path;
    }
  }
}

rmSync(dist, { recursive: true, force: true });
cpSync(src, dist, { recursive: true });
console.log(`copied src/ to dist/`);

let saved = 0;
for (const path of files(dist)) {
  const ext = extname(path);
  if (ext !== ".js" && ext !== ".css") continue;
  const before = readFileSync(path, "utf8");
  const after = ext === ".js" ? stripComments(before, { lineComments: true }) : minifyCss(before);
  writeFileSync(path, after);
  saved += before.length - after.length;
  console.log(`minified ${relative(dist, path)} (${before.length} -> ${after.length} bytes)`);
}

const pagesDir = join(src, "pages");
const pages = readdirSync(pagesDir)
  .filter((name) => existsSync(join(pagesDir, name, "index.js")))
  .sort((a, b) => (a === "index" ? -1 : b === "index" ? 1 : a.localeCompare(b)))
  .map((name) => `pages/${name}/index`);
const app = JSON.parse(readFileSync(join(src, "app.json"), "utf8"));
writeFileSync(join(dist, "app.json"), JSON.stringify({ pages, ...app }, null, 2) + "\n");
console.log(`wrote app.json with ${pages.length} page(s): ${pages.join(", ")}`);

const count = [...files(dist)].length;
console.log(`built dist/: ${count} files, minifying saved ${saved} bytes`);
