// The origin for the load benchmark: the www/ demo shop's pages and one
// lol-html bench page, from memory, `text/html; charset=utf-8`, uncompressed,
// with content-length, on 127.0.0.1. `node origin.mjs [port]` prints its URL
// on stdout once listening (run.mjs starts it in its own process).
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CORPUS = process.env.BENCH_CORPUS || path.join(root, "../shared/corpus/bench");

/** path -> file, the pages the benchmark requests. */
export const PAGES = {
  "/": path.join(root, "www/index.html"),
  "/pricing/": path.join(root, "www/pricing/index.html"),
  "/bench/cloudflare.com.html": path.join(CORPUS, "cloudflare.com.html"),
};

export function startOrigin(port = 0) {
  const pages = new Map(Object.entries(PAGES).map(([p, file]) => [p, readFileSync(file)]));
  const server = createServer((req, res) => {
    const body = pages.get(new URL(req.url, "http://origin").pathname);
    if (!body) {
      res.writeHead(404, { "content-type": "text/plain", "content-length": 10 });
      res.end("not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "content-length": body.length,
      "cache-control": "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${server.address().port}`, pages, server }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startOrigin(Number(process.argv[2] || 0));
  console.log(url);
}
