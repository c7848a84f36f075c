// The script tag in real Chromium (Debian's, driven by playwright-core): the
// demo shop (www/) with build/site/browser/tailor.js injected, visitors
// emulated by device, time zone, clock, cookies and geo.
import { test as nodeTest, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, launch, root, gbHash, IPHONE, DESKTOP } from "./server.mjs";

// Every test is bounded in time.
const test = (name, fn) => nodeTest(name, { timeout: 60_000 }, fn);

// A weekday morning in November (Paris): no evening campaign, no winter sale.
const MORNING = "2026-11-23T09:00:00+01:00";
const OLD_PRICE = "€19/month";
const GOLD_PRICE = "€15/month (gold member price)";

let browser, server, apiServer, apiDir, evaluateServer, evaluateDir;
const contexts = [];

before(async () => {
  browser = await launch();
  server = await startServer();
  // A second ruleset for the API tests (custom attributes, `append` changes).
  apiDir = mkdtempSync(path.join(tmpdir(), "tailor-api-"));
  execFileSync(path.join(root, "target/debug/tailor"), ["build", "tests/browser/api-rules.toml", "--out", apiDir], { cwd: root, stdio: "pipe" });
  apiServer = await startServer({ browserDir: path.join(apiDir, "browser"), pages: { "/go": "<!DOCTYPE html><html><head><title>go</title></head><body><h1>Going</h1></body></html>" } });
  // The demo rules built with `--evaluate`, for window.tailor.evaluate.
  evaluateDir = mkdtempSync(path.join(tmpdir(), "tailor-evaluate-"));
  execFileSync(path.join(root, "target/debug/tailor"), ["build", "www/tailor.toml", "--out", evaluateDir, "--evaluate"], { cwd: root, stdio: "pipe" });
  evaluateServer = await startServer({ browserDir: path.join(evaluateDir, "browser") });
}, { timeout: 60_000 });
after(async () => {
  await browser?.close();
  await server?.close();
  await apiServer?.close();
  await evaluateServer?.close();
  if (apiDir) rmSync(apiDir, { recursive: true, force: true });
  if (evaluateDir) rmSync(evaluateDir, { recursive: true, force: true });
}, { timeout: 30_000 });
afterEach(async () => {
  while (contexts.length) await contexts.pop().close().catch(() => {});
});

/** Opens a page as a visitor; collects console warnings and page errors. */
async function open(pathname, { ua = DESKTOP, mobile = false, tz = "Europe/Paris", time = MORNING, cookies = {}, headers, init, srv = server, waitUntil = "load" } = {}) {
  const options = { userAgent: ua, timezoneId: tz, locale: "en-US" };
  if (mobile) Object.assign(options, { isMobile: true, hasTouch: true, viewport: { width: 390, height: 844 }, deviceScaleFactor: 3 });
  if (headers) options.extraHTTPHeaders = headers;
  const context = await browser.newContext(options);
  contexts.push(context);
  const jar = Object.entries(cookies).map(([name, value]) => ({ name, value, url: srv.url }));
  if (jar.length) await context.addCookies(jar);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  if (time) await page.clock.setFixedTime(new Date(time));
  const warnings = [];
  const errors = [];
  page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  page.on("pageerror", (e) => errors.push(e.message));
  if (init) await page.addInitScript(init);
  await page.goto(srv.url + pathname, { waitUntil });
  return { page, context, warnings, errors };
}

const ready = (page) => page.waitForFunction(() => typeof window.tailor?.decisions === "function");
const text = (page, selector) => page.$eval(selector, (el) => el.textContent.trim());
const visibility = (page, selector) => page.$eval(selector, (el) => getComputedStyle(el).visibility);
const campaigns = async (page) => (await page.evaluate(() => window.tailor.decisions())).map((d) => d.campaign).sort();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Samples an element every frame from the very start of the page, so a test
// can prove it was never visible with its original content.
const sampler = (selector) => `
  window.__samples = [];
  (function tick() {
    var el = document.querySelector(${JSON.stringify(selector)});
    if (el) window.__samples.push({ t: performance.now(), vis: getComputedStyle(el).visibility, text: el.textContent.trim() });
    requestAnimationFrame(tick);
  })();`;

test("mobile visitors get the lite page, desktop visitors do not", async () => {
  const mobile = await open("/", { ua: IPHONE, mobile: true });
  await ready(mobile.page);
  assert.ok((await campaigns(mobile.page)).includes("mobile-lite"));
  assert.match(await text(mobile.page, "#hero .lede"), /^Tap through our outdoor gear/);
  assert.equal(await mobile.page.$(".legacy"), null, "the legacy block is removed on phones");

  const desktop = await open("/", { ua: DESKTOP });
  await ready(desktop.page);
  assert.ok(!(await campaigns(desktop.page)).includes("mobile-lite"));
  assert.match(await text(desktop.page, "#hero .lede"), /^Tents, shells, packs/);
  assert.notEqual(await desktop.page.$(".legacy"), null);
  assert.deepEqual([...mobile.warnings, ...desktop.warnings, ...mobile.errors, ...desktop.errors], []);
});

test("the evening campaign follows the visitor's own clock (time zone)", async () => {
  // One instant: 20:30 on Monday in New York, 10:30 on Tuesday in Tokyo.
  const instant = "2026-11-24T01:30:00Z";
  const ny = await open("/", { tz: "America/New_York", time: instant });
  await ready(ny.page);
  assert.ok((await campaigns(ny.page)).includes("evening-stores"));
  assert.match(await text(ny.page, "#stores .store-note"), /^Our stores are closed for the night/);
  assert.equal(await ny.page.$eval("#hero img", (img) => img.getAttribute("src")), "/img/hero-evening.svg");
  assert.equal(await ny.page.$eval("#hero img", (img) => img.alt), "A tent under the evening sky");

  const tokyo = await open("/", { tz: "Asia/Tokyo", time: instant });
  await ready(tokyo.page);
  assert.ok(!(await campaigns(tokyo.page)).includes("evening-stores"));
  assert.match(await text(tokyo.page, "#stores .store-note"), /^Come by for a boot fitting/);
  assert.equal(await tokyo.page.$eval("#hero img", (img) => img.getAttribute("src")), "/img/hero-default.svg");
});

test("geo from a data-geo trace endpoint (loc=DE, loc=US, unknown)", async () => {
  const de = await open("/?geo=1", { headers: { "x-test-country": "DE" } });
  await ready(de.page);
  assert.equal(await text(de.page, "#hero h1"), "Willkommen, Bergfreund!");
  assert.equal(await de.page.$eval(".promo", (el) => el.innerHTML), "<b>Gratis Versand</b> nach Deutschland, Österreich und in die Schweiz");
  assert.equal(await de.page.$eval("#hero img", (img) => img.getAttribute("src")), "/img/hero-de.svg");
  assert.equal(await text(de.page, "#hero .cta"), "Zur Kollektion");

  const us = await open("/?geo=1", { headers: { "x-test-country": "US" } });
  await ready(us.page);
  assert.equal(await text(us.page, "#hero h1"), "Gear up for every season, friend");
  assert.equal(await text(us.page, ".promo"), "Free US shipping on orders over $50");

  const unknown = await open("/?geo=1");
  await ready(unknown.page);
  assert.equal(await text(unknown.page, "#hero h1"), "Gear up for every season");
  assert.deepEqual((await campaigns(unknown.page)).filter((c) => c.endsWith("-hero")), []);
});

test("a gold member sees the member price (cookie segment)", async () => {
  const gold = await open("/pricing/", { cookies: { tier: "gold" } });
  await ready(gold.page);
  assert.equal(await text(gold.page, "#pricing .pro .price"), GOLD_PRICE);
  assert.equal(await gold.page.$eval("#pro", (el) => el.getAttribute("class")), "card pro tailor-highlight");
  assert.equal(await text(gold.page, "#pricing .basic .price"), "€9/month", "other cards untouched");

  const silver = await open("/pricing/", { cookies: { tier: "silver" } });
  await ready(silver.page);
  assert.equal(await text(silver.page, "#pricing .pro .price"), OLD_PRICE);
  assert.equal(await silver.page.$eval("#pro", (el) => el.getAttribute("class")), "card pro");
});

test("both arms of the A/B test by tailor_id, and a new visitor gets an id", async () => {
  const ids = Array.from({ length: 40 }, (_, i) => `visitor${i}`);
  const trialId = ids.find((id) => gbHash("pro-trial", id) >= 0.5);
  const controlId = ids.find((id) => gbHash("pro-trial", id) < 0.5);

  const trial = await open("/pricing/", { cookies: { tailor_id: trialId } });
  await ready(trial.page);
  assert.equal(await text(trial.page, "#pricing .pro .badge"), "14 days free");
  assert.equal(await text(trial.page, "#pricing .pro .buy"), "Start your free trial");
  const d = (await trial.page.evaluate(() => window.tailor.decisions())).find((x) => x.campaign === "pro-trial");
  assert.deepEqual(d, { campaign: "pro-trial", variant: "trial", bucket: gbHash("pro-trial", trialId), via: "bucket" });
  assert.equal(await trial.page.evaluate(() => document.cookie), `tailor_id=${trialId}`, "a known visitor keeps their id");

  const control = await open("/pricing/", { cookies: { tailor_id: controlId } });
  await ready(control.page);
  assert.equal(await text(control.page, "#pricing .pro .badge"), "Most popular");
  assert.equal(await text(control.page, "#pricing .pro .buy"), "Choose Pro");
  assert.equal((await control.page.evaluate(() => window.tailor.decisions())).find((x) => x.campaign === "pro-trial").variant, "control");

  const fresh = await open("/pricing/");
  await ready(fresh.page);
  const [cookie] = (await fresh.context.cookies()).filter((c) => c.name === "tailor_id");
  assert.ok(cookie, "a tailor_id cookie was set");
  assert.match(cookie.value, /^[0-9a-f]{32}$/);
  assert.equal(cookie.path, "/");
  assert.equal(cookie.secure, true);
  assert.equal(cookie.sameSite, "Lax");
  assert.ok(cookie.expires * 1000 - Date.now() > 360 * 86400e3, "kept for a year");
  const arm = (await fresh.page.evaluate(() => window.tailor.decisions())).find((x) => x.campaign === "pro-trial");
  assert.equal(arm.variant, gbHash("pro-trial", cookie.value) >= 0.5 ? "trial" : "control", "bucketed by the id it stored");
  // The next page view reuses the id: same arm, no new cookie.
  await fresh.page.goto(server.url + "/");
  await ready(fresh.page);
  const again = (await fresh.context.cookies()).filter((c) => c.name === "tailor_id");
  assert.deepEqual(again.map((c) => c.value), [cookie.value]);
  assert.equal((await fresh.page.evaluate(() => window.tailor.decisions())).find((x) => x.campaign === "pro-trial").variant, arm.variant);
});

test("Global Privacy Control: no visitor id, the A/B control, personalization stays", async () => {
  const { page, context } = await open("/pricing/", {
    cookies: { tier: "gold" },
    init: "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });",
  });
  await ready(page);
  const decisions = await page.evaluate(() => window.tailor.decisions());
  assert.deepEqual(decisions.find((d) => d.campaign === "pro-trial"), { campaign: "pro-trial", variant: "control", via: "no_consent" });
  assert.ok(decisions.some((d) => d.campaign === "vip-pricing"), "contextual personalization stays");
  assert.equal(await text(page, "#pricing .pro .price"), GOLD_PRICE);
  assert.equal(await text(page, "#pricing .pro .badge"), "Most popular");
  assert.deepEqual((await context.cookies()).map((c) => c.name), ["tier"], "no tailor_id stored");
});

test("an element inserted 300 ms late is changed, and never shown unchanged", async () => {
  const { page, warnings } = await open("/pricing/late.html?snippet=1", { cookies: { tier: "gold" }, init: sampler("#pricing .pro .price") });
  await page.waitForFunction(() => window.insertedAt);
  assert.equal(await text(page, "#pricing .pro .price"), GOLD_PRICE);
  assert.equal(await page.$eval("#pro", (el) => el.className), "card pro tailor-highlight");
  await page.waitForFunction(() => getComputedStyle(document.querySelector("#pricing .pro .price")).visibility === "visible");
  const samples = await page.evaluate(() => window.__samples);
  assert.ok(samples.length > 0);
  assert.deepEqual(samples.filter((s) => s.vis === "visible" && s.text !== GOLD_PRICE), [], "never visible with the old price");
  assert.equal(await page.$("#tailor-hide"), null);
  assert.deepEqual(warnings, []);
});

test("a single-page app navigation (pushState) decides again for the new URL", async () => {
  const { page } = await open("/app/", { cookies: { tier: "gold", tailor_id: "visitor1" } });
  await ready(page);
  // /app/ is not among vip-pricing's pages: the card is left alone.
  assert.equal(await text(page, "#pricing .pro .price"), OLD_PRICE);
  assert.ok(!(await campaigns(page)).includes("vip-pricing"));

  await page.click("#to-pricing");
  await page.waitForFunction(() => location.pathname === "/pricing/");
  assert.deepEqual(await campaigns(page), ["pro-trial", "vip-pricing"]);
  // The view the router rendered after pushState is personalized too.
  assert.equal(await text(page, "#pricing h1"), "Pricing");
  assert.equal(await text(page, "#pricing .pro .price"), GOLD_PRICE);
  assert.equal(await text(page, "#pricing .pro .badge"), "14 days free");
  const exposures = await page.evaluate(() => window.dataLayer.filter((e) => e.event === "tailor_exposure").map((e) => e.campaign));
  assert.deepEqual(exposures.sort(), ["pro-trial", "vip-pricing"]);
  // replaceState (tidying the query) decides again but is the same page view.
  await page.evaluate(() => history.replaceState({}, "", "/pricing/?utm_source=test"));
  assert.deepEqual(await campaigns(page), ["pro-trial", "vip-pricing"]);
  assert.equal(await page.evaluate(() => window.dataLayer.length), 2);

  await page.click("#to-shop");
  await page.waitForFunction(() => location.pathname === "/shop/");
  assert.ok(!(await campaigns(page)).includes("vip-pricing"));
  // Back to /pricing/ (popstate) is a page view again.
  await page.goBack();
  await page.waitForFunction(() => window.tailor.decisions().some((d) => d.campaign === "vip-pricing"));
});

test("anti-flicker: targeted elements stay hidden until changed, others are never hidden", async () => {
  // A generous timeout: this test is about hiding until the change, not the timeout (see the next test).
  const { page, warnings } = await open("/?snippet=1&delay=400&timeout=5000", {
    cookies: { tier: "gold" },
    init: sampler("#pricing .pro .price") + `
      window.__other = [];
      (function t() {
        var a = document.querySelector("#why h2");
        if (a) window.__other.push(getComputedStyle(a).visibility);
        requestAnimationFrame(t);
      })();`,
  });
  // While the engine loads (delayed 400 ms), the snippet hides what a
  // campaign may change.
  await sleep(150);
  assert.equal(await visibility(page, "#pricing .pro .price"), "hidden");
  assert.equal(await visibility(page, ".legacy"), "hidden");
  assert.equal(await visibility(page, "#why h2"), "visible");
  assert.equal(await text(page, "#pricing .pro .price"), OLD_PRICE);

  await ready(page);
  assert.equal(await text(page, "#pricing .pro .price"), GOLD_PRICE);
  assert.equal(await visibility(page, "#pricing .pro .price"), "visible");
  // Not in this visitor's plan: shown as soon as the decision is known.
  assert.equal(await visibility(page, ".legacy"), "visible");
  assert.equal(await page.$("#tailor-hide"), null);
  assert.equal(await page.$("#tailor-pending"), null);
  const samples = await page.evaluate(() => window.__samples);
  assert.deepEqual(samples.filter((s) => s.vis === "visible" && s.text !== GOLD_PRICE), [], "the old price never showed");
  assert.ok(samples.some((s) => s.vis === "hidden"), "it was hidden while loading");
  assert.ok((await page.evaluate(() => window.__other)).every((v) => v === "visible"), "untargeted elements never hidden");
  assert.deepEqual(warnings, []);
});

test("the timeout reveals everything when the engine is slow; the change lands later", async () => {
  const { page, warnings } = await open("/?snippet=1&timeout=300&delay=3000", { cookies: { tier: "gold" }, init: sampler("#pricing .pro .price") });
  await page.waitForFunction(() => window.__samples.some((s) => s.vis === "visible"), null, { timeout: 2000 });
  const samples = await page.evaluate(() => window.__samples);
  const shown = samples.find((s) => s.vis === "visible");
  // Well before the engine (delayed 3 s) arrives; loose upper bound for loaded machines.
  assert.ok(shown.t >= 250 && shown.t <= 2000, `revealed at ${Math.round(shown.t)} ms`);
  assert.equal(shown.text, OLD_PRICE, "revealed unchanged");
  assert.equal(await page.evaluate(() => window.tailor), undefined, "the engine is still loading");
  // When the engine arrives, the visitor's variant is still applied.
  await ready(page);
  assert.equal(await text(page, "#pricing .pro .price"), GOLD_PRICE);
  assert.deepEqual(warnings, []);
});

for (const [fault, message] of [["404", /HTTP 404/], ["corrupt", /./], ["garbage", /./]]) {
  test(`a wasm that is ${fault === "404" ? "missing" : fault === "corrupt" ? "carrying a corrupted ruleset" : "not wasm"} leaves the page unchanged and visible, with one warning`, async () => {
    const { page, warnings, errors } = await open(`/?snippet=1&wasm=${fault}`, { cookies: { tier: "gold" }, headers: { "x-test-country": "DE" } });
    await page.waitForFunction(() => !document.getElementById("tailor-hide"), null, { timeout: 5000 });
    const t0 = Date.now();
    while (!warnings.length && Date.now() - t0 < 5000) await sleep(50);
    await sleep(1000); // time for a second warning, which must not come
    assert.equal(warnings.length, 1, `one warning: ${JSON.stringify(warnings)}`);
    assert.match(warnings[0], /^tailor: /);
    assert.match(warnings[0], message);
    assert.deepEqual(errors, []);
    assert.equal(await text(page, "#pricing .pro .price"), OLD_PRICE);
    assert.equal(await text(page, "#hero h1"), "Gear up for every season");
    assert.equal(await visibility(page, "#pricing .pro .price"), "visible");
    assert.equal(await visibility(page, "#hero h1"), "visible");
    assert.equal(await page.$("#tailor-pending"), null);
    assert.equal(await page.evaluate(() => window.tailor), undefined);
  });
}

test("an exception while deciding leaves the page unchanged and visible, with one warning", async () => {
  // The page breaks an API the loader reads (as a hostile or buggy page script could).
  const init = () => Object.defineProperty(Navigator.prototype, "languages", { get() { throw new Error("boom"); } });
  const { page, warnings, errors } = await open("/?snippet=1", { cookies: { tier: "gold" }, headers: { "x-test-country": "DE" }, init });
  await page.waitForFunction(() => !document.getElementById("tailor-hide"), null, { timeout: 5000 });
  const t0 = Date.now();
  while (!warnings.length && Date.now() - t0 < 5000) await sleep(50);
  await sleep(500);
  assert.equal(warnings.length, 1, `one warning: ${JSON.stringify(warnings)}`);
  assert.match(warnings[0], /^tailor: .*boom/);
  assert.deepEqual(errors, []);
  assert.equal(await text(page, "#pricing .pro .price"), OLD_PRICE);
  assert.equal(await visibility(page, "#pricing .pro .price"), "visible");
  assert.equal(await page.$("#tailor-pending"), null);
});

test("dataLayer gets one tailor_exposure per decision and tailor:decision fires on window", async () => {
  const { page } = await open("/pricing/", {
    cookies: { tier: "gold", tailor_id: "visitor1" },
    init: `window.dataLayer = [{ event: "gtm.js" }]; window.__events = [];
      window.addEventListener("tailor:decision", function (e) { window.__events.push(e.detail); });`,
  });
  await ready(page);
  const decisions = await page.evaluate(() => window.tailor.decisions());
  assert.deepEqual(decisions.map((d) => d.campaign).sort(), ["pro-trial", "vip-pricing"]);
  const dataLayer = await page.evaluate(() => window.dataLayer);
  assert.deepEqual(dataLayer[0], { event: "gtm.js" }, "an existing dataLayer is kept");
  assert.deepEqual(dataLayer.slice(1), decisions.map((d) => ({ event: "tailor_exposure", campaign: d.campaign, variant: d.variant })));
  assert.deepEqual(await page.evaluate(() => window.__events), decisions.map((d) => ({ campaign: d.campaign, variant: d.variant, via: d.via })));
  // Deciding again for the same page view reports nothing new.
  await page.evaluate(() => window.tailor.refresh());
  assert.equal((await page.evaluate(() => window.dataLayer)).length, dataLayer.length);
});

test("window.tailor: decisions(), refresh() and setAttributes()", async () => {
  const { page } = await open("/", { srv: apiServer, init: `window.tailor = { attributes: { greeting: "hi" } };` });
  await ready(page);
  assert.deepEqual(await campaigns(page), ["everyone"]);
  // decisions() hands out copies.
  assert.equal(await page.evaluate(() => { window.tailor.decisions()[0].variant = "x"; return window.tailor.decisions()[0].variant; }), "all");
  assert.equal(await page.$$eval(".tailor-store", (els) => els.map((e) => e.textContent)).then((t) => t.join("|")), "Pop-up store",
    "appended once; inserted markup is not matched by other changes");

  const after = await page.evaluate(() => window.tailor.setAttributes({ plan: "pro" }));
  assert.deepEqual(after.map((d) => d.campaign).sort(), ["everyone", "plan-banner"]);
  assert.equal(await text(page, ".promo"), "Welcome back, pro member");
  assert.equal(await page.$$eval(".tailor-perk", (els) => els.length), 1);

  // Deciding again never applies a change twice to the same element.
  await page.evaluate(() => { window.tailor.refresh(); window.tailor.refresh(); });
  await page.evaluate(() => window.tailor.setAttributes({ plan: "pro" }));
  assert.equal(await page.$$eval(".tailor-perk", (els) => els.length), 1);
  assert.equal(await page.$$eval(".tailor-store", (els) => els.length), 1);

  // Page attributes never override measured ones.
  await page.evaluate(() => window.tailor.setAttributes({ plan: "basic", device: "mobile", path: "/elsewhere" }));
  assert.deepEqual(await campaigns(page), ["everyone"]);

  // refresh() re-reads the cookies.
  const demo = await open("/pricing/");
  await ready(demo.page);
  assert.equal(await text(demo.page, "#pricing .pro .price"), OLD_PRICE);
  const decided = await demo.page.evaluate(() => { document.cookie = "tier=gold; path=/"; return window.tailor.refresh(); });
  assert.ok(decided.some((d) => d.campaign === "vip-pricing"));
  assert.equal(await text(demo.page, "#pricing .pro .price"), GOLD_PRICE);
});

test("window.tailor.evaluate(attributes): variants for given attributes, nothing applied", async () => {
  const { page } = await open("/pricing/", { srv: evaluateServer });
  await ready(page);
  const before = await page.content();
  const ids = Array.from({ length: 40 }, (_, i) => `visitor${i}`);
  const trialId = ids.find((id) => gbHash("pro-trial", id) >= 0.5), controlId = ids.find((id) => gbHash("pro-trial", id) < 0.5);
  const NOON = Date.parse("2026-11-23T12:00:00+01:00");
  const got = await page.evaluate(([a, b, now]) => [
    window.tailor.evaluate({ id: a, path: "/pricing/", country: "DE", cookie: { tier: "gold" } }, now),
    window.tailor.evaluate({ id: b, path: "/pricing/", country: "US", device: "mobile", local_hour: 19 }, now),
    window.tailor.evaluate({ path: "/sale/" }, now),
  ], [trialId, controlId, NOON]);
  assert.equal(got[0]["pro-trial"], "trial");
  assert.equal(got[0]["vip-pricing"], "gold");
  assert.equal(got[0]["us-hero"], null, "not on /pricing/, not US");
  assert.equal(got[0]["mobile-lite"], null);
  assert.equal(got[1]["pro-trial"], "control");
  assert.equal(got[1]["vip-pricing"], null);
  assert.notEqual(got[1]["mobile-lite"], null, "a mobile visitor");
  assert.equal(got[2]["old-sale-page"], "moved");
  assert.equal(got[2]["pro-trial"], null, "no id, no A/B test; not its page");
  assert.equal(await page.content(), before, "evaluate applies nothing");
});

test("without --evaluate, window.tailor.evaluate says how to get it, with a preview too; the rest works", async () => {
  for (const url of ["/pricing/", "/pricing/?tailor=pro-trial:trial"]) {
    const { page, errors } = await open(url, { cookies: { tier: "gold" } });
    await ready(page);
    assert.equal(await page.evaluate(() => { try { window.tailor.evaluate({ id: "v1" }); return "no error"; } catch (e) { return e.message; } }),
      "tailor.evaluate needs `tailor build --evaluate`", url);
    assert.ok((await page.evaluate(() => window.tailor.decisions())).some((d) => d.campaign === "vip-pricing"), url);
    assert.equal(await text(page, "#pricing .pro .price"), GOLD_PRICE, url);
    assert.deepEqual(errors, [], url);
  }
});

test("the ES module: start() resolves to the API", async () => {
  const html = `<!DOCTYPE html><html><head><title>esm</title></head><body><section id="pricing"><article class="card pro" id="pro">
    <span class="badge">Most popular</span><p class="price">€19/month</p></article></section>
    <script type="module">
      import { start } from "/tailor/tailor.mjs";
      const first = start({ timeout: 500 });
      window.same = first === start();
      window.api = await first;
      window.isGlobal = window.api === window.tailor;
    </script></body></html>`;
  const srv = await startServer({ pages: { "/pricing/esm/": html } });
  try {
    const { page, warnings } = await open("/pricing/esm/?notag=1", { srv, cookies: { tier: "gold" } });
    await page.waitForFunction(() => window.api !== undefined);
    assert.equal(await page.evaluate(() => window.same && window.isGlobal && typeof window.api.refresh), "function");
    assert.equal(await text(page, "#pricing .pro .price"), GOLD_PRICE);
    assert.deepEqual(warnings, []);
  } finally {
    await srv.close();
  }
});

test("a page the worker already personalized is not changed again", async () => {
  const { page, warnings } = await open("/pricing/applied.html", {
    cookies: { tailor_id: "visitor1" },
    init: "window.__events = []; window.addEventListener('tailor:decision', function (e) { window.__events.push(e.detail); });",
  });
  await ready(page);
  await sleep(500);
  assert.deepEqual(await page.evaluate(() => window.mutations), [], "tailor touched nothing the worker changed");
  assert.deepEqual(await page.evaluate(() => window.tailor.decisions()),
    [{ campaign: "pro-trial", variant: "trial", bucket: 0.6844, via: "bucket" }], "the worker's decisions");
  assert.deepEqual(await page.evaluate(() => window.dataLayer), [{ event: "tailor_exposure", campaign: "pro-trial", variant: "trial" }]);
  assert.equal((await page.evaluate(() => window.__events)).length, 1);
  assert.equal(await text(page, "#pricing .pro .badge"), "14 days free");

  // Later page views in the app are decided and applied in the browser,
  // with the worker's geo (Berlin) for the new URL.
  await page.evaluate(() => go("/shop/", '<section id="hero"><h1>Gear up</h1><a class="cta" href="/shop/">Shop</a></section>'));
  await page.waitForFunction(() => document.querySelector("#hero h1").textContent === "Willkommen, Berlin!");
  assert.equal(await text(page, "#hero .cta"), "Zur Kollektion");
  await page.evaluate(() => go("/pricing/other", '<section id="pricing"><article class="card pro" id="pro"><span class="badge">Most popular</span></article></section>'));
  assert.equal(await text(page, "#pricing .pro .badge"), "14 days free");
  assert.deepEqual((await page.evaluate(() => window.dataLayer)).map((e) => e.campaign), ["pro-trial", "dach-hero", "pro-trial"]);
  assert.deepEqual(warnings, []);
});

test("elements still being parsed are changed once complete, never half-way", async () => {
  // The page arrives in two parts, cut right after the Pro price's start
  // tag; tailor decides in between and must not write into the element the
  // parser is still filling.
  const split = encodeURIComponent('<h3>Pro</h3>\n            <p class="price">');
  const { page, warnings } = await open(`/?snippet=1&timeout=5000&stream=1500&split=${split}`, {
    cookies: { tier: "gold" }, init: sampler("#pricing .pro .price"), waitUntil: "commit",
  });
  await ready(page);
  assert.equal(await page.evaluate(() => document.readyState), "loading", "tailor decided while the page was still arriving");
  await page.waitForFunction(() => document.readyState !== "loading", null, { timeout: 5000 });
  assert.equal(await text(page, "#pricing .pro .price"), GOLD_PRICE);
  assert.equal(await visibility(page, "#pricing .pro .price"), "visible");
  const samples = await page.evaluate(() => window.__samples);
  assert.deepEqual(samples.filter((s) => s.vis === "visible" && s.text !== GOLD_PRICE), [], "never visible unchanged or half-way");
  assert.equal(await text(page, "#pricing .basic .price"), "€9/month");
  assert.deepEqual(warnings, []);
});

test("a redirect campaign sends the visitor on (same origin)", async () => {
  const srv = await startServer({ pages: { "/sale": "<!DOCTYPE html><html><head><title>old sale</title></head><body><h1>Old sale</h1></body></html>" } });
  try {
    const { page } = await open("/sale", { srv });
    await page.waitForURL(srv.url + "/shop/", { timeout: 5000 });
    await ready(page);
    assert.equal(new URL(page.url()).pathname, "/shop/");
  } finally {
    await srv.close();
  }
});

test("redirects built from visitor input: only http(s) on this host", async () => {
  for (const next of ["javascript:alert(1)", "//evil.example/x", "https://evil.example/x", "data:text/html,hi"]) {
    const { page, warnings, errors } = await open(`/go?next=${encodeURIComponent(next)}`, { srv: apiServer });
    await ready(page);
    await page.waitForTimeout(200);
    assert.equal(new URL(page.url()).pathname, "/go", `${next} is not followed`);
    assert.equal(await text(page, "h1"), "Going");
    assert.deepEqual([...warnings, ...errors], []);
  }
  const { page } = await open(`/go?next=${encodeURIComponent("/shop/?from=go")}`, { srv: apiServer });
  await page.waitForURL(apiServer.url + "/shop/?from=go", { timeout: 5000 });
});

test("two copies of the tag (snippet and module) still apply every change once", async () => {
  const srv = await apiServerWithDouble();
  try {
    const { page, warnings } = await open("/?snippet=1", { srv });
    await ready(page);
    await page.waitForTimeout(300);
    assert.equal(await page.$$eval(".tailor-store", (els) => els.length), 1);
    assert.equal((await page.evaluate(() => window.dataLayer)).length, 1);
    assert.deepEqual(warnings, []);
  } finally {
    await srv.close();
  }
});

// The API ruleset's server, with www/index.html also importing tailor.mjs.
async function apiServerWithDouble() {
  const { readFile } = await import("node:fs/promises");
  const html = (await readFile(path.join(root, "www/index.html"), "utf8"))
    .replace("</body>", '<script type="module">import { start } from "/tailor/tailor.mjs"; start();</script>\n</body>');
  return startServer({ browserDir: path.join(apiDir, "browser"), pages: { "/": html } });
}
