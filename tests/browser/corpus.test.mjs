// The script tag on real-world pages (../shared/corpus/pages, served from
// memory, every request off 127.0.0.1 blocked): with a ruleset that changes
// elements every chosen page has, the changes land and the script causes no
// page error that the page does not also have without it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, launch, root, DESKTOP } from "./server.mjs";

const CORPUS = path.join(root, "../shared/corpus/pages");
// Big script-heavy news and blog pages, small edge cases (RTL, <base href>,
// a CSP meta tag, hidden nodes), all with a <title> and an <h1>.
const PAGES = [
  "001.html", "ars-1.html", "bbc-1.html", "breitbart.html", "cnet.html", "dropbox-blog.html",
  "firefox-nightly-blog.html", "gitlab-blog.html", "heise.html", "lemonde-1.html", "medium-3.html",
  "mozilla-1.html", "nytimes-1.html", "wapo-2.html", "wikipedia-2.html", "wikipedia-4.html", "yahoo-4.html",
  "la-nacion.html", "seattletimes-1.html", "tumblr.html", "salon-1.html", "base-url.html",
  "base-url-base-element-relative.html", "rtl-1.html", "hidden-nodes.html", "aktualne.html",
];

let browser, server, dir;
before(async () => {
  assert.ok(existsSync(CORPUS), `the corpus is at ${CORPUS}`);
  dir = mkdtempSync(path.join(tmpdir(), "tailor-corpus-"));
  execFileSync(path.join(root, "target/debug/tailor"), ["build", "tests/browser/corpus-rules.toml", "--out", dir], { cwd: root, stdio: "pipe" });
  const pages = {};
  for (const name of PAGES) pages[`/corpus/${name}`] = readFileSync(path.join(CORPUS, name), "utf8");
  server = await startServer({ browserDir: path.join(dir, "browser"), pages });
  browser = await launch();
}, { timeout: 60_000 });
after(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, { timeout: 30_000 });

/** Loads a page (network limited to the test server); returns its errors and the state of the targets. */
async function visit(url, tagged) {
  const context = await browser.newContext({ userAgent: DESKTOP, javaScriptEnabled: true });
  try {
    await context.route("**/*", (route) => {
      const u = new URL(route.request().url());
      return u.hostname === "127.0.0.1" || u.protocol === "data:" ? route.continue() : route.abort();
    });
    const page = await context.newPage();
    const errors = [];
    const warnings = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "warning" && m.text().startsWith("tailor")) warnings.push(m.text()); });
    await page.goto(url, { waitUntil: "load", timeout: 30_000 }).catch((e) => errors.push(`navigation: ${e.message}`));
    if (tagged) await page.waitForFunction(() => typeof window.tailor?.decisions === "function", null, { timeout: 5_000 }).catch(() => {});
    await page.waitForTimeout(300); // late errors
    const result = await page.evaluate(() => ({
      started: typeof window.tailor?.decisions === "function",
      bodyClass: document.body ? document.body.classList.contains("tailor-corpus") : null,
      title: document.title,
      h1: document.querySelectorAll("h1").length,
      marked: document.querySelectorAll("h1 > span.tailor-mark:first-child").length,
      doubled: document.querySelectorAll("h1 > span.tailor-mark + span.tailor-mark").length,
    }));
    return { errors, warnings, ...result };
  } finally {
    await context.close();
  }
}

for (const name of PAGES) {
  test(`corpus page ${name}`, { timeout: 90_000 }, async () => {
    const plain = await visit(`${server.url}/corpus/${name}?notag=1`, false);
    const tagged = await visit(`${server.url}/corpus/${name}`, true);
    assert.equal(plain.started, false);
    assert.deepEqual(tagged.warnings, [], "tailor did not warn");
    assert.equal(tagged.started, true, "tailor started");
    const baseline = new Set(plain.errors);
    assert.deepEqual(tagged.errors.filter((e) => !baseline.has(e)), [], "no page error the page does not have without tailor");
    assert.equal(tagged.bodyClass, true, "body got the class");
    assert.equal(tagged.title, "tailor corpus", "the title changed");
    assert.ok(plain.h1 > 0, "the page has an h1");
    assert.ok(tagged.marked > 0, "an h1 got the prepended mark");
    assert.equal(tagged.doubled, 0, "never prepended twice");
  });
}
