// The tailor worker in the real Workers runtime (workerd via wrangler dev),
// in front of the www/ demo shop, with geo, User-Agent, time and cookies
// injected per request.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { startWorker, gbHash, root } from "./wrangler.mjs";

const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
// A weekday morning in November: no evening, no winter sale.
const MORNING = "2026-11-23T09:00:00+01:00";

let worker;
before(async () => { worker = await startWorker({ vars: { TAILOR_DEV: "1" } }); });
after(async () => { await worker?.stop(); });

async function get(pathname, headers = {}) {
  const res = await fetch(worker.url + pathname, { headers: { "x-tailor-time": MORNING, ...headers }, redirect: "manual" });
  const body = await res.text();
  return { res, body };
}

function state(body) {
  const m = body.match(/<script type="application\/json" id="tailor-state">(.*?)<\/script>/s);
  assert.ok(m, "tailor-state is embedded");
  return JSON.parse(m[1]);
}

test("a mobile visitor from Germany gets the German hero, greeted by city", async () => {
  const { res, body } = await get("/", { "user-agent": IPHONE, "x-tailor-country": "DE", "x-tailor-city": "Berlin" });
  assert.equal(res.status, 200);
  assert.match(body, /<h1>Willkommen, Berlin!<\/h1>/);
  assert.match(body, /<img src="\/img\/hero-de.svg" alt="Winter in den Alpen"/);
  assert.match(body, /<div class="promo" role="status"><b>Gratis Versand<\/b>/);
  assert.match(body, /Tap through our outdoor gear/, "mobile campaign applies too");
  assert.doesNotMatch(body, /class="legacy"/, "mobile visitors lose the legacy block");
  assert.equal(res.headers.get("cache-control"), "private");
  const s = state(body);
  assert.equal(s.applied, true);
  assert.equal(s.geo.country, "DE");
  assert.equal(s.geo.region, undefined, "simulated geo is not mixed with the runtime placeholder");
  assert.deepEqual(s.decisions.filter((d) => d.via === "audience").map((d) => d.campaign).sort(), ["dach-hero", "mobile-lite"]);
  const cookie = res.headers.get("set-cookie");
  assert.match(cookie, /^tailor_id=[0-9a-f]{32}; Path=\/; Max-Age=31536000; SameSite=Lax; Secure$/);
  assert.equal(cookie.split(";")[0].split("=")[1], s.visitor);
});

test("a desktop visitor from the US gets the US hero and keeps the legacy block", async () => {
  const { body } = await get("/", { "user-agent": DESKTOP, "x-tailor-country": "US", "x-tailor-city": "Denver" });
  assert.match(body, /<h1>Gear up for every season, Denver<\/h1>/);
  assert.match(body, /<div class="promo" role="status">Free US shipping on orders over \$50<\/div>/);
  assert.match(body, /<aside class="legacy">/);
  assert.match(body, /<p class="lede">Tents, shells, packs/, "lede unchanged on desktop");
});

test("an evening visitor is sent to the online shop (visitor's own clock)", async () => {
  const { body } = await get("/", { "user-agent": DESKTOP, "x-tailor-country": "FR", "x-tailor-time": "2026-11-23T20:30:00+01:00" });
  assert.match(body, /<p class="store-note">Our stores are closed for the night: order online until 23:00/);
  assert.match(body, /src="\/img\/hero-evening.svg"/);
  const morning = await get("/", { "user-agent": DESKTOP, "x-tailor-country": "FR" });
  assert.doesNotMatch(morning.body, /closed for the night/);
});

test("the scheduled winter sale runs on weekdays in opening hours only", async () => {
  const on = await get("/", { "x-tailor-country": "FR", "x-tailor-time": "2026-12-03T10:00:00+01:00" });
  assert.match(on.body, /Winter sale: 20% off all jackets/);
  const weekend = await get("/", { "x-tailor-country": "FR", "x-tailor-time": "2026-12-05T10:00:00+01:00" });
  assert.doesNotMatch(weekend.body, /Winter sale/);
  const before = await get("/", { "x-tailor-country": "FR", "x-tailor-time": "2026-11-30T10:00:00+01:00" });
  assert.doesNotMatch(before.body, /Winter sale/);
});

test("a gold member sees the member price (cookie segment)", async () => {
  const { body } = await get("/pricing/", { "x-tailor-country": "FR", cookie: "tier=gold" });
  assert.match(body, /<p class="price">€15\/month \(gold member price\)<\/p>/);
  assert.match(body, /<article class="card pro tailor-highlight" id="pro">/);
  const plain = await get("/pricing/", { "x-tailor-country": "FR", cookie: "tier=silver" });
  assert.doesNotMatch(plain.body, /gold member price/);
});

test("both arms of the A/B test, bucketed as GrowthBook would", async () => {
  const ids = Array.from({ length: 40 }, (_, i) => `visitor${i}`);
  const trialId = ids.find((id) => gbHash("pro-trial", id) >= 0.5);
  const controlId = ids.find((id) => gbHash("pro-trial", id) < 0.5);
  const trial = await get("/pricing/", { "x-tailor-country": "FR", cookie: `tailor_id=${trialId}` });
  assert.match(trial.body, /<span class="badge">14 days free<\/span>/);
  assert.match(trial.body, />Start your free trial</);
  assert.equal(trial.res.headers.get("set-cookie"), null, "a known visitor keeps their cookie");
  assert.deepEqual(state(trial.body).decisions.find((d) => d.campaign === "pro-trial").variant, "trial");
  const control = await get("/pricing/", { "x-tailor-country": "FR", cookie: `tailor_id=${controlId}` });
  assert.match(control.body, /<span class="badge">Most popular<\/span>/);
  assert.equal(state(control.body).decisions.find((d) => d.campaign === "pro-trial").variant, "control");
  // Sticky: the same id gets the same arm again.
  const again = await get("/pricing/", { "x-tailor-country": "FR", cookie: `tailor_id=${trialId}` });
  assert.match(again.body, /14 days free/);
});

test("non-HTML assets pass through byte for byte", async () => {
  const res = await fetch(worker.url + "/data/products.json", { headers: { "x-tailor-country": "DE" } });
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200);
  assert.deepEqual(bytes, await readFile(path.join(root, "www/data/products.json")));
  assert.equal(res.headers.get("set-cookie"), null);
  assert.notEqual(res.headers.get("cache-control"), "private");
  const svg = await fetch(worker.url + "/img/hero-de.svg");
  assert.deepEqual(Buffer.from(await svg.arrayBuffer()), await readFile(path.join(root, "www/img/hero-de.svg")));
});

test("the rule file itself is not served", async () => {
  const res = await fetch(worker.url + "/tailor.toml");
  await res.arrayBuffer();
  assert.notEqual(res.status, 200);
});

test("a redirect campaign answers 302 on the same origin", async () => {
  const { res } = await get("/sale");
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), `${worker.url}/shop/`);
});

test("crawlers get the same temporary (302) redirect as visitors: no cloaking", async () => {
  const { res } = await get("/sale", { "user-agent": GOOGLEBOT });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), `${worker.url}/shop/`);
  assert.equal(res.headers.get("set-cookie"), null);
});

test("Global Privacy Control: no visitor id, the A/B control, personalization kept", async () => {
  const { res, body } = await get("/pricing/", { "user-agent": DESKTOP, "x-tailor-country": "DE", "sec-gpc": "1", cookie: "tailor_id=visitor1" });
  assert.equal(res.headers.get("set-cookie"), null);
  assert.match(body, /<span class="badge">Most popular<\/span>/, "visitor1 would be in the trial arm");
  const s = state(body);
  assert.equal(s.visitor, undefined, "the id cookie is not read");
  assert.equal(s.decisions.find((d) => d.campaign === "pro-trial").via, "no_consent");
});

test("crawlers see the control and get no cookie", async () => {
  const { res, body } = await get("/pricing/", { "user-agent": GOOGLEBOT, "x-tailor-country": "FR" });
  assert.match(body, /<span class="badge">Most popular<\/span>/);
  assert.equal(res.headers.get("set-cookie"), null);
});

test("errors and other methods pass through untouched", async () => {
  const missing = await get("/no/such/page", { "x-tailor-country": "DE" });
  assert.equal(missing.res.status, 404);
  assert.doesNotMatch(missing.body, /tailor-state/);
  const head = await fetch(worker.url + "/", { method: "HEAD", headers: { "x-tailor-country": "DE" } });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("set-cookie"), null);
});

test("without TAILOR_DEV the x-tailor-* headers are ignored", async () => {
  const prod = await startWorker({ vars: { TAILOR_DEV: "0" } });
  try {
    const res = await fetch(prod.url + "/", { headers: { "x-tailor-country": "DE", "x-tailor-city": "Berlin" } });
    const body = await res.text();
    assert.doesNotMatch(body, /Willkommen/);
    assert.match(body, /<script type="application\/json" id="tailor-state">/);
  } finally {
    await prod.stop();
  }
});

test("with ORIGIN set the worker proxies that site and personalizes its pages", async () => {
  const { createServer } = await import("node:http");
  const page = await readFile(path.join(root, "www/index.html"));
  const seen = [];
  const origin = createServer((req, res) => {
    seen.push({ url: req.url, ua: req.headers["user-agent"], method: req.method });
    if (req.url.startsWith("/api")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ echo: req.url }));
    } else if (req.url === "/broken") {
      res.writeHead(500, { "content-type": "text/html" });
      res.end("<h1 id=hero>origin error</h1>");
    } else {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(page);
    }
  });
  await new Promise((r) => origin.listen(0, "127.0.0.1", r));
  const originUrl = `http://127.0.0.1:${origin.address().port}`;
  const proxy = await startWorker({ vars: { TAILOR_DEV: "1", ORIGIN: originUrl } });
  try {
    const res = await fetch(proxy.url + "/?utm=1", { headers: { "x-tailor-country": "CH", "x-tailor-city": "Basel", "user-agent": DESKTOP } });
    const body = await res.text();
    assert.match(body, /<h1>Willkommen, Basel!<\/h1>/);
    assert.ok(seen.some((s) => s.url === "/?utm=1" && s.ua === DESKTOP), "path, query and headers reach the origin");
    const api = await fetch(proxy.url + "/api/x?y=2", { headers: { "x-tailor-country": "CH" } });
    assert.deepEqual(await api.json(), { echo: "/api/x?y=2" });
    const broken = await fetch(proxy.url + "/broken", { headers: { "x-tailor-country": "CH" } });
    assert.equal(broken.status, 500);
    assert.equal(await broken.text(), "<h1 id=hero>origin error</h1>");
  } finally {
    await proxy.stop();
    origin.close();
  }
});
