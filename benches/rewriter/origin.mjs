// The origin for the rewriter benchmark: serves the three bench pages from
// memory as `text/html; charset=utf-8`, uncompressed, with content-length, on
// 127.0.0.1. `node origin.mjs [port]` runs it alone; run.mjs imports it.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const CORPUS = process.env.BENCH_CORPUS || path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/corpus/bench");
export const PAGES = ["cloudflare.com.html", "ecma402-spec.html", "html-parsing-spec.html"];

/** Starts the origin; resolves to { url, pages: Map(path -> Buffer), close() }. */
export function startOrigin(port = 0) {
  const pages = new Map(PAGES.map((name) => [`/${name}`, readFileSync(path.join(CORPUS, name))]));
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
      etag: `"${body.length}"`,
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      resolve({ url, pages, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startOrigin(Number(process.argv[2] || 0));
  console.log(`origin: ${url}/{${PAGES.join(",")}}`);
}
