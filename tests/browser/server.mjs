// A tiny loopback server for the browser tests: www/ (the demo shop) with
// tailor's tag injected into every HTML page, tailor's browser files under
// /tailor/, test pages from tests/browser/pages/, and fault injection for
// the wasm. Nothing leaves 127.0.0.1.
//
// Page query parameters (the tag's src carries them on to tailor.wasm):
//   snippet=1         inject build/site/browser/snippet.html (anti-flicker) instead of the plain tag
//   notag=1           no tag at all (the page as the origin serves it)
//   timeout=MS        data-timeout on the tag
//   geo=1             data-geo="/cdn-cgi/trace" on the tag
//   wasm=404|corrupt|garbage   tailor.wasm is missing / has a corrupted ruleset / is not wasm
//   delay=MS          tailor.wasm is answered after MS milliseconds
//   stream=MS&split=TEXT   the page is sent in two chunks, cut right after
//                     TEXT, the second MS milliseconds after the first
// /cdn-cgi/trace answers in Cloudflare's format, `loc=` from the request's
// x-test-country header (XX without it).
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { chromium } from "playwright-core";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const pagesDir = path.join(root, "tests/browser/pages");

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript",
  ".css": "text/css", ".svg": "image/svg+xml", ".json": "application/json", ".wasm": "application/wasm",
  ".png": "image/png", ".jpg": "image/jpeg", ".txt": "text/plain",
};

/** Test pages served at these paths (the paths matter: campaigns target pages). */
export const TEST_PAGES = {
  "/pricing/late.html": "late.html",
  "/app/": "spa.html",
  "/pricing/applied.html": "applied.html",
  "/engine.html": "engine.html",
};

/**
 * Starts the server. `browserDir` holds tailor.js, tailor.wasm, snippet.html
 * (default build/site/browser); `pages` maps extra paths to HTML strings
 * (served with the tag injected like any page).
 */
export async function startServer({ browserDir = path.join(root, "build/site/browser"), pages = {} } = {}) {
  const snippet = await readFile(path.join(browserDir, "snippet.html"), "utf8");
  const server = createServer((req, res) => handle(req, res).catch((e) => {
    res.writeHead(500, { "content-type": "text/plain" });
    res.end(String(e && e.stack));
  }));

  async function handle(req, res) {
    const url = new URL(req.url, "http://127.0.0.1");
    const q = url.searchParams;
    const p = decodeURIComponent(url.pathname);
    if (p === "/cdn-cgi/trace") {
      const loc = req.headers["x-test-country"] || "XX";
      return send(res, 200, "text/plain", `fl=1f1\nh=127.0.0.1\nip=127.0.0.1\nts=1\nvisit_scheme=http\nuag=test\ncolo=FRA\nhttp=http/1.1\nloc=${loc}\ntls=off\nsni=off\nwarp=off\ngateway=off\n`);
    }
    if (p.startsWith("/src/js/")) {
      // The JavaScript the engines import (src/js/runtime.js), as the
      // loader's engine.js imports it (for the equivalence page).
      const file = path.join(root, "src/js", path.basename(p));
      return sendFile(res, file);
    }
    if (p.startsWith("/loader/")) {
      // The loader's modules as they are (for the equivalence page).
      const file = path.join(root, "pkg-template/src", path.basename(p));
      return sendFile(res, file);
    }
    if (p.startsWith("/tailor/")) {
      const file = path.join(browserDir, path.basename(p));
      if (p.endsWith(".wasm")) {
        const delay = Number(q.get("delay") || 0);
        if (delay) await new Promise((r) => setTimeout(r, delay));
        if (q.get("wasm") === "404") return send(res, 404, "text/plain", "not found");
        let bytes = await readFile(file);
        if (q.get("wasm") === "corrupt") bytes = corruptRules(bytes);
        if (q.get("wasm") === "garbage") bytes = Buffer.from("this is not a wasm module at all, sorry");
        return send(res, 200, "application/wasm", bytes);
      }
      return sendFile(res, file);
    }
    let html = pages[p];
    if (html === undefined && TEST_PAGES[p]) html = await readFile(path.join(pagesDir, TEST_PAGES[p]), "utf8");
    if (html === undefined) {
      let file = path.join(root, "www", path.normalize(p));
      if (!file.startsWith(path.join(root, "www"))) return send(res, 403, "text/plain", "no");
      try {
        if ((await stat(file)).isDirectory()) file = path.join(file, "index.html");
      } catch {
        return send(res, 404, "text/plain", "not found");
      }
      if (!file.endsWith(".html")) return sendFile(res, file);
      try {
        html = await readFile(file, "utf8");
      } catch {
        return send(res, 404, "text/plain", "not found");
      }
    }
    if (p !== "/engine.html" && !q.get("notag")) html = inject(html, q, `http://${req.headers.host}`);
    if (q.get("stream") && q.get("split") && html.includes(q.get("split"))) {
      const cut = html.indexOf(q.get("split")) + q.get("split").length;
      res.writeHead(200, { "content-type": TYPES[".html"], "cache-control": "no-store" });
      res.write(html.slice(0, cut));
      await new Promise((r) => setTimeout(r, Number(q.get("stream"))));
      return res.end(html.slice(cut));
    }
    return send(res, 200, TYPES[".html"], html);
  }

  // The tag's src is absolute, so pages with a <base href> elsewhere still load it.
  function inject(html, q, origin) {
    const forward = new URLSearchParams();
    for (const k of ["wasm", "delay"]) if (q.get(k)) forward.set(k, q.get(k));
    const src = origin + "/tailor/tailor.js" + (forward.size ? "?" + forward : "");
    let tag;
    if (q.get("snippet")) {
      tag = snippet.replace('src="/tailor/tailor.js"', `src="${src}"`);
      if (q.get("timeout")) tag = tag.replaceAll(/800/g, q.get("timeout"));
    } else {
      tag = `<script src="${src}"${q.get("timeout") ? ` data-timeout="${q.get("timeout")}"` : ""}${q.get("geo") ? ' data-geo="/cdn-cgi/trace"' : ""} async></script>`;
    }
    if (q.get("snippet") && q.get("geo")) tag = tag.replace("<script src=", '<script data-geo="/cdn-cgi/trace" src=');
    const i = html.search(/<\/head\s*>/i);
    return i >= 0 ? html.slice(0, i) + tag + html.slice(i) : tag + html;
  }

  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

async function sendFile(res, file) {
  let bytes;
  try {
    bytes = await readFile(file);
  } catch {
    return send(res, 404, "text/plain", "not found");
  }
  send(res, 200, TYPES[path.extname(file)] || "application/octet-stream", bytes);
}

/** Flips a byte inside the `tailor.rules` custom section's payload (the ruleset's checksum catches it). */
export function corruptRules(wasm) {
  const name = Buffer.from("tailor.rules");
  const at = wasm.lastIndexOf(name);
  if (at < 0) throw new Error("no tailor.rules section");
  const out = Buffer.from(wasm);
  const i = at + name.length + Math.floor((wasm.length - at - name.length) / 2);
  out[i] ^= 0x5a;
  return out;
}

export const BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Debian's Chromium, headless, through playwright-core (never a downloaded browser). */
export function launch() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: BROWSER_ARGS, timeout: 30_000 });
}

export const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
export const PIXEL = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";
export const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

export { gbHash } from "../edge/wrangler.mjs";
