// The script tag in headless Chromium: how long from the tag to every change
// applied, and how long the elements a campaign may change stay hidden
// (anti-flicker), over fresh page loads of the demo shop.
//
//   node benches/browser/run.mjs [--loads 20]      (BENCH_QUICK=1: 5 loads)
//
// The demo home page (www/index.html) is served on 127.0.0.1 with the
// generated snippet (build/site/browser/snippet.html: the hiding style, its
// 800 ms safety timeout and the async tag with data-geo) injected at the end
// of <head>, preceded by a small inline probe (below). Each load is a fresh
// browser context (empty cache, no cookies but the visitor's) of one
// Chromium: a German mobile gold member on the trial arm of the A/B test, in a
// time zone where it is daytime (no evening campaign), so the plan is the
// same on every load: 9 changes on `/`.
//
// The probe takes performance.now() right before the snippet (`tag`), and
// records, with a MutationObserver and the loader's `tailor:decision` event
// (dispatched after the plan was applied to the DOM; a wrapped
// dataLayer.push gives the same time):
//   applied   = the decision event, or later, when the loader still hid a
//               change it could not apply yet (#tailor-pending), its removal
//   hidden    = until #tailor-hide and #tailor-pending are both gone
// plus the first contentful paint (PerformanceObserver), DOMContentLoaded,
// load, and the resource timing of tailor.js and tailor.wasm. Loads without
// the tag, interleaved with the others, give the page's own baseline.
// Writes build/bench/browser.json.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const browserDir = path.join(root, "build/site/browser");
const out = path.join(root, "build/bench/browser.json");
const QUICK = !!process.env.BENCH_QUICK && process.env.BENCH_QUICK !== "0";
const args = process.argv.slice(2);
const LOADS = args.includes("--loads") ? Number(args[args.indexOf("--loads") + 1]) : QUICK ? 5 : 20;

const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
/** A time zone where it is daytime now, so the evening campaign stays out
 * (Playwright's page.clock would fix the date, but it also replaces
 * performance.now, which the probe needs). */
function daytimeZone() {
  const zones = ["Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "Asia/Tokyo", "Pacific/Auckland", "Atlantic/Azores"];
  const hour = (tz) => Number(new Intl.DateTimeFormat("en-GB", { hour: "numeric", hourCycle: "h23", timeZone: tz }).format(new Date()));
  return zones.find((tz) => hour(tz) >= 8 && hour(tz) < 16) || "Europe/Berlin";
}
const ZONE = daytimeZone();
// Headless, no sandbox (root in a container), nothing leaves the machine.
const BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** What the plan must have done on `/` for this visitor (checked after each load). */
const EXPECT = `[
  ["#hero h1", (e) => e.textContent === "Willkommen, Bergfreund!"],
  ["#hero img", (e) => e.getAttribute("src") === "/img/hero-de.svg"],
  ["#hero .cta", (e) => e.textContent === "Zur Kollektion"],
  [".promo", (e) => e.innerHTML.startsWith("<b>Gratis Versand</b>")],
  ["#hero .lede", (e) => e.textContent.startsWith("Tap through")],
  [".legacy", (e) => e === null],
  ["#pricing .pro .price", (e) => e.textContent === "€15/month (gold member price)"],
  ["#pricing .pro", (e) => e.classList.contains("tailor-highlight")],
  ["#pricing .pro .badge", (e) => e.textContent === "14 days free"],
]`;

// The probe: first thing in <head>.
const PROBE = `<script>(function(){
var P = window.__bench = { tag: 0, hideGone: null, pendingSeen: null, pendingGone: null, decision: null, dataLayer: null, fcp: null, dcl: null, load: null, events: 0 };
var hideSeen = false;
function check() {
  var now = performance.now();
  var hide = document.getElementById("tailor-hide"), pending = document.getElementById("tailor-pending");
  if (hide) hideSeen = true;
  if (hideSeen && !hide && P.hideGone === null) P.hideGone = now;
  if (pending && P.pendingSeen === null) P.pendingSeen = now;
  if (!pending && P.pendingSeen !== null && P.pendingGone === null) P.pendingGone = now;
}
new MutationObserver(check).observe(document.documentElement, { childList: true, subtree: true });
addEventListener("tailor:decision", function () { P.events++; if (P.decision === null) { P.decision = performance.now(); check(); } });
var dl = window.dataLayer = window.dataLayer || [];
var push = dl.push;
dl.push = function () { if (P.dataLayer === null) P.dataLayer = performance.now(); return push.apply(this, arguments); };
try { new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { if (e.name === "first-contentful-paint") P.fcp = e.startTime; }); }).observe({ type: "paint", buffered: true }); } catch (e) {}
document.addEventListener("DOMContentLoaded", function () { P.dcl = performance.now(); });
addEventListener("load", function () { P.load = performance.now(); });
})();</script>`;
const MARK = `<script>window.__bench.tag = performance.now()</script>`;

async function startServer() {
  const snippet = (await readFile(path.join(browserDir, "snippet.html"), "utf8"))
    .replace("<script src=", '<script data-geo="/cdn-cgi/trace" src=');
  const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".wasm": "application/wasm", ".json": "application/json" };
  const send = (res, status, type, body) => { res.writeHead(status, { "content-type": type, "cache-control": "no-store" }); res.end(body); };
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, "http://127.0.0.1");
      const p = decodeURIComponent(url.pathname);
      if (p === "/cdn-cgi/trace") return send(res, 200, "text/plain", "fl=1f1\nh=127.0.0.1\nip=127.0.0.1\nts=1\nvisit_scheme=http\ncolo=FRA\nhttp=http/1.1\nloc=DE\ntls=off\n");
      let file = p.startsWith("/tailor/") ? path.join(browserDir, path.basename(p)) : path.join(root, "www", path.normalize(p));
      if (!p.startsWith("/tailor/") && !file.startsWith(path.join(root, "www"))) return send(res, 403, "text/plain", "no");
      if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, "index.html");
      const body = await readFile(file).catch(() => null);
      if (!body) return send(res, 404, "text/plain", "not found");
      if (!file.endsWith(".html")) return send(res, 200, types[path.extname(file)] || "application/octet-stream", body);
      let html = body.toString("utf8");
      const tag = url.searchParams.get("notag") ? MARK : MARK + snippet;
      html = html.replace(/<head>/i, (h) => h + PROBE);
      const i = html.search(/<\/head\s*>/i);
      html = html.slice(0, i) + tag + html.slice(i);
      return send(res, 200, types[".html"], html);
    } catch (e) {
      send(res, 500, "text/plain", String(e && e.stack));
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

async function load(browser, server, withTag) {
  const context = await browser.newContext({
    userAgent: IPHONE, isMobile: true, hasTouch: true, viewport: { width: 390, height: 844 }, deviceScaleFactor: 3,
    timezoneId: ZONE, locale: "de-DE",
  });
  try {
    await context.addCookies([{ name: "tier", value: "gold", url: server.url }, { name: "tailor_id", value: "visitor1", url: server.url }]);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const warnings = [];
    page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
    await page.goto(`${server.url}/${withTag ? "" : "?notag=1"}`, { waitUntil: "load" });
    if (withTag) {
      await page.waitForFunction(() => {
        const P = window.__bench;
        return P.decision !== null && P.hideGone !== null && (P.pendingSeen === null || P.pendingGone !== null);
      }, null, { timeout: 5000 }).catch(() => {});
    }
    await page.waitForFunction(() => window.__bench.fcp !== null, null, { timeout: 5000 }).catch(() => {});
    return await page.evaluate(({ withTag, expect }) => {
      const P = window.__bench;
      const res = (name) => {
        const e = performance.getEntriesByType("resource").find((r) => r.name.includes(name));
        return e ? { start: e.startTime, end: e.responseEnd, duration: e.responseEnd - e.startTime, bytes: e.transferSize } : null;
      };
      const r = { ...P, perfNowIsNative: /native code/.test(String(performance.now)) };
      if (withTag) {
        const checks = eval(expect).map(([sel, ok]) => [sel, ok(document.querySelector(sel))]);
        r.personalized = checks.every(([, ok]) => ok);
        r.failed = checks.filter(([, ok]) => !ok).map(([sel]) => sel);
        r.applied = P.decision === null ? null : Math.max(P.decision, P.pendingGone ?? 0) - P.tag;
        r.hidden = P.hideGone === null ? null : Math.max(P.hideGone, P.pendingGone ?? 0) - P.tag;
        r.timedOut = P.decision === null || P.hideGone < P.decision - 1; // revealed by the 800 ms timeout, not by tailor
        r.js = res("tailor.js");
        r.wasm = res("tailor.wasm");
        r.decisions = window.tailor && window.tailor.decisions ? window.tailor.decisions().map((d) => `${d.campaign}:${d.variant}`) : [];
      }
      return r;
    }, { withTag, expect: EXPECT }).then((r) => ({ ...r, warnings }));
  } finally {
    await context.close();
  }
}

const median = (xs) => { const s = xs.filter((x) => typeof x === "number" && !Number.isNaN(x)).sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : null; };
const pctl = (xs, p) => { const s = xs.filter((x) => typeof x === "number").sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null; };

async function main() {
  for (const f of ["tailor.js", "tailor.wasm", "snippet.html"]) {
    if (!fs.existsSync(path.join(browserDir, f))) throw new Error(`build/site/browser/${f} missing: run \`make site\` first`);
  }
  const t0 = Date.now();
  const server = await startServer();
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: BROWSER_ARGS, timeout: 30_000 });
  const version = browser.version();
  const tagged = [], plain = [];
  try {
    // One warm-up pair (Chromium's own first-run costs), then interleaved.
    await load(browser, server, true);
    await load(browser, server, false);
    for (let i = 0; i < LOADS; i++) {
      tagged.push(await load(browser, server, true));
      plain.push(await load(browser, server, false));
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const col = (rows, f) => rows.map(f);
  const stats = (xs) => {
    const n = xs.filter((x) => typeof x === "number" && !Number.isNaN(x));
    return { median: median(n), p90: pctl(n, 0.9), min: n.length ? Math.min(...n) : null, max: n.length ? Math.max(...n) : null, n: n.length };
  };
  const report = {
    date: new Date().toISOString(),
    chromium: version,
    timezone: ZONE,
    loads: LOADS,
    page: "/ (www/index.html) with build/site/browser/snippet.html",
    personalizedLoads: tagged.filter((r) => r.personalized).length,
    timedOutLoads: tagged.filter((r) => r.timedOut).length,
    failures: [...new Set(tagged.flatMap((r) => r.failed))],
    decisions: tagged[0]?.decisions,
    warnings: [...new Set(tagged.flatMap((r) => r.warnings))],
    perfNowIsNative: tagged.every((r) => r.perfNowIsNative),
    tag: stats(col(tagged, (r) => r.tag)),
    applied: stats(col(tagged, (r) => r.applied)),
    hidden: stats(col(tagged, (r) => r.hidden)),
    decisionAfterTag: stats(col(tagged, (r) => (r.decision ?? NaN) - r.tag)),
    jsFetch: stats(col(tagged, (r) => r.js?.duration)),
    wasmFetch: stats(col(tagged, (r) => r.wasm?.duration)),
    wasmToDecision: stats(col(tagged, (r) => (r.wasm && r.decision != null ? r.decision - r.wasm.end : null))),
    fcp: { tag: stats(col(tagged, (r) => r.fcp)), notag: stats(col(plain, (r) => r.fcp)) },
    dcl: { tag: stats(col(tagged, (r) => r.dcl)), notag: stats(col(plain, (r) => r.dcl)) },
    load: { tag: stats(col(tagged, (r) => r.load)), notag: stats(col(plain, (r) => r.load)) },
    raw: { tagged, plain },
    seconds: (Date.now() - t0) / 1000,
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2));
  const f = (x) => (x == null ? "n/a" : `${x.toFixed(1)} ms`);
  console.error(`browser: ${LOADS} loads (Chromium ${version}), ${report.personalizedLoads} personalized, ${report.timedOutLoads} revealed by the timeout; decisions ${report.decisions?.join(", ")}`);
  console.error(`browser: median tag -> all changes applied ${f(report.applied.median)} (p90 ${f(report.applied.p90)}), hidden ${f(report.hidden.median)} (p90 ${f(report.hidden.p90)}); FCP ${f(report.fcp.tag.median)} vs ${f(report.fcp.notag.median)} without the tag; load ${f(report.load.tag.median)} vs ${f(report.load.notag.median)}`);
  console.error(`browser: done in ${report.seconds.toFixed(0)} s; wrote ${path.relative(root, out)}`);
  if (report.personalizedLoads < LOADS) console.error(`browser: WARNING: ${LOADS - report.personalizedLoads} loads not fully personalized (${report.failures.join(", ")})`);
}

main().catch((e) => {
  console.error(e && e.stack || e);
  process.exit(1);
});
