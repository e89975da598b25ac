// A loopback HTTP proxy in front of a portal, in a process of its own (the tests' CLI runs are
// synchronous and would block a proxy in the test's own event loop). Prints its URL
// (`listening on http://127.0.0.1:PORT`), then takes commands on stdin, each acknowledged with
// a line `ok`:
//   slow TEXT   answers to GETs whose path holds TEXT send their head at once and their body
//               SLOW_BODY_MS later: an answer the page has been told of but has not read;
//   fast        every answer as it comes.
// The Host header goes through as sent, so the portal takes the proxy's origin as its own.
//
// Usage: node slow-bodies-proxy.mjs http://127.0.0.1:PORTAL_PORT
import http from "node:http";
import { createInterface } from "node:readline";

const SLOW_BODY_MS = 1500;

const upstream = new URL(process.argv[2]);
let slow = null;

const server = http.createServer((req, res) => {
  const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode, answer.headers);
    if (!(req.method === "GET" && slow !== null && req.url.includes(slow))) {
      answer.pipe(res);
      return;
    }
    res.flushHeaders();
    const chunks = [];
    answer.on("data", (chunk) => chunks.push(chunk));
    answer.on("end", () => setTimeout(() => res.end(Buffer.concat(chunks)), SLOW_BODY_MS));
  });
  up.on("error", () => res.destroy());
  req.pipe(up);
});

server.listen(0, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
createInterface({ input: process.stdin })
  .on("line", (line) => {
    const [command, ...text] = line.split(" ");
    slow = command === "slow" ? text.join(" ") : null;
    console.log("ok");
  })
  .on("close", () => process.exit(0));
