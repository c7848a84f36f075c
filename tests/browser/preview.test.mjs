// QA previews in the browser (real Chromium): the script tag with the edge's
// semantics (tests/edge/preview.test.mjs): forcing variants, off, reset, the
// session cookie across pages, simulated context, no sticky assignment and
// qa-marked exposures, the debug panel (isolated in a shadow root, with force
// links that work), and signed mode, where only a preview the worker verified
// (`#tailor-state` with `qa: true`) counts.
import { test as nodeTest, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, launch, root, gbHash, DESKTOP } from "./server.mjs";

// Every test is bounded in time.
const test = (name, fn) => nodeTest(name, { timeout: 60_000 }, fn);

const MORNING = "2026-11-23T09:00:00+01:00";
const RULES = readFileSync(path.join(root, "www/tailor.toml"), "utf8");
// Campaign ids (top level `id = "..."`; variant ids are indented) and variant ids per campaign.
const CAMPAIGNS = RULES.split(/^\[\[campaign\]\]$/m).slice(1).map((block) => ({
  id: block.match(/^id = "([^"]+)"/m)[1],
  variants: [...block.matchAll(/^[ \t]+id = "([^"]+)"/gm)].map((m) => m[1]),
}));
const ids = Array.from({ length: 40 }, (_, i) => `visitor${i}`);
const CONTROL_ID = ids.find((id) => gbHash("pro-trial", id) < 0.5);
const TRIAL_ID = ids.find((id) => gbHash("pro-trial", id) >= 0.5);
const PRICING = readFileSync(path.join(root, "www/pricing/index.html"), "utf8");
const HOME = readFileSync(path.join(root, "www/index.html"), "utf8");

let browser, server;
const contexts = [];

before(async () => {
  browser = await launch();
  const hostile = "<style>div,ul,li,a{display:none!important} *{color:red!important;font-size:30px!important;background:lime!important} tailor-preview{display:none!important;visibility:hidden!important;opacity:0!important}</style>";
  server = await startServer({ pages: { "/pricing/hostile.html": PRICING.replace("</head>", hostile + "</head>") } });
}, { timeout: 60_000 });
after(async () => {
  await browser?.close();
  await server?.close();
}, { timeout: 30_000 });
afterEach(async () => {
  while (contexts.length) await contexts.pop().close().catch(() => {});
});

/** Opens a page as a desktop visitor in Paris; collects console warnings, infos and page errors. */
async function open(pathname, { srv = server, cookies = {}, headers, init, time = MORNING } = {}) {
  const context = await browser.newContext({ userAgent: DESKTOP, timezoneId: "Europe/Paris", locale: "en-US", ...(headers ? { extraHTTPHeaders: headers } : {}) });
  contexts.push(context);
  const jar = Object.entries(cookies).map(([name, value]) => ({ name, value, url: srv.url }));
  if (jar.length) await context.addCookies(jar);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  if (time) await page.clock.setFixedTime(new Date(time));
  const warnings = [], infos = [], errors = [];
  page.on("console", (m) => (m.type() === "warning" ? warnings : m.type() === "info" ? infos : []).push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  await page.addInitScript(`window.__events = []; addEventListener("tailor:decision", function (e) { window.__events.push(e.detail); });${init || ""}`);
  await page.goto(srv.url + pathname);
  await ready(page);
  return { page, context, warnings, infos, errors };
}

const ready = (page) => page.waitForFunction(() => typeof window.tailor?.decisions === "function");
const text = (page, selector) => page.$eval(selector, (el) => el.textContent.trim());
const decision = async (page, campaign) => (await page.evaluate(() => window.tailor.decisions())).find((d) => d.campaign === campaign);
const cookie = async (context, name) => (await context.cookies()).find((c) => c.name === name);
// The badge and the panel live in the shadow root of <tailor-preview>.
const badge = (page) => page.evaluate(() => document.querySelector("tailor-preview")?.shadowRoot.querySelector("button")?.textContent ?? null);
const overlay = (page) => page.evaluate(() => {
  const root = document.querySelector("tailor-preview")?.shadowRoot;
  const panel = root && root.querySelector(".panel");
  if (!panel) return null;
  return {
    campaigns: [...panel.querySelectorAll("li[data-campaign]")].map((li) => ({
      id: li.dataset.campaign, matched: li.dataset.matched === "true", text: li.textContent,
      reason: li.querySelector(".why")?.textContent ?? null,
      links: [...li.querySelectorAll("a[data-force]")].map((a) => ({ force: a.dataset.force, href: a.getAttribute("href") })),
    })),
    notes: [...panel.querySelectorAll(".note")].map((n) => n.textContent),
    links: [...panel.querySelectorAll("a[data-force]")].map((a) => ({ force: a.dataset.force, href: a.getAttribute("href") })),
  };
});
/** Clicks a force link inside the panel (a real click, so a real navigation). */
async function clickForce(page, force) {
  await Promise.all([page.waitForNavigation(), page.locator(`tailor-preview a[data-force="${force}"]`).click()]);
  await ready(page);
}

test("forcing each variant of the A/B test: badge, no sticky assignment, qa-marked exposures", async () => {
  for (const [variant, label, visitor] of [["trial", "14 days free", CONTROL_ID], ["control", "Most popular", TRIAL_ID], ["trial", "14 days free", null]]) {
    const { page, context, warnings, errors } = await open(`/pricing/?tailor=pro-trial:${variant}`, { cookies: visitor ? { tailor_id: visitor } : {} });
    assert.equal(await text(page, "#pricing .pro .badge"), label, `${variant} for ${visitor || "a new visitor"}`);
    assert.deepEqual(await decision(page, "pro-trial"), { campaign: "pro-trial", variant, via: "forced" });
    assert.equal(await badge(page), "tailor preview");
    assert.equal(await overlay(page), null, "no debug panel without tailor_debug");
    const id = await cookie(context, "tailor_id");
    assert.equal(id?.value, visitor ?? undefined, "a preview never writes the visitor's assignment");
    const session = await cookie(context, "tailor_preview");
    assert.equal(session.value, `tailor=pro-trial:${variant}`);
    assert.equal(session.expires, -1, "a session cookie");
    assert.equal(session.path, "/");
    assert.equal(session.sameSite, "Lax");
    const exposures = (await page.evaluate(() => window.dataLayer)).filter((e) => e.event === "tailor_exposure");
    assert.deepEqual(exposures, [{ event: "tailor_exposure", campaign: "pro-trial", variant, qa: true }]);
    assert.deepEqual(await page.evaluate(() => window.__events), [{ campaign: "pro-trial", variant, via: "forced", qa: true }]);
    assert.deepEqual([...warnings, ...errors], []);
  }
});

test("only previews load the QA engine and script: ordinary views fetch tailor.wasm alone", async () => {
  const fetched = async (pathname) => {
    const context = await browser.newContext({ userAgent: DESKTOP });
    contexts.push(context);
    const page = await context.newPage();
    const wasm = [];
    page.on("request", (r) => { const p = new URL(r.url()).pathname; if (p.endsWith(".wasm") || p.endsWith("/tailor-qa.js")) wasm.push(p); });
    await page.goto(server.url + pathname);
    await ready(page);
    return wasm;
  };
  assert.deepEqual(await fetched("/pricing/"), ["/tailor/tailor.wasm"]);
  assert.deepEqual((await fetched("/pricing/?tailor=pro-trial:trial")).sort(), ["/tailor/tailor-qa.js", "/tailor/tailor-qa.wasm"]);
  assert.deepEqual((await fetched("/pricing/?tailor_debug=1")).sort(), ["/tailor/tailor-qa.js", "/tailor/tailor-qa.wasm"]);
  // Names that only contain a preview parameter's are not one.
  assert.deepEqual(await fetched("/pricing/?tailored=1&xtailor=1&tailor_debugger=1"), ["/tailor/tailor.wasm"]);
});

test("a preview parameter that asks for nothing (tailor_debug=0) loads the QA side, which previews nothing", async () => {
  const { page, context, warnings, errors } = await open("/pricing/?tailor_debug=0", { cookies: { tailor_id: TRIAL_ID } });
  assert.equal(await badge(page), null);
  assert.equal(await cookie(context, "tailor_preview"), undefined, "no preview session");
  const d = await decision(page, "pro-trial");
  assert.deepEqual([d.variant, d.via], ["trial", "bucket"], "decided as for any visitor");
  assert.ok(!(await page.evaluate(() => window.dataLayer)).some((e) => e.qa), "exposures not marked qa");
  assert.deepEqual([...warnings, ...errors], []);
});

test("off shows the page without personalization; reset ends the preview", async () => {
  const { page, context } = await open("/?geo=1&tailor=off", { headers: { "x-test-country": "DE" }, cookies: { tier: "gold" } });
  assert.equal(await text(page, "#hero h1"), "Gear up for every season");
  assert.deepEqual(await page.evaluate(() => window.tailor.decisions()), []);
  assert.equal(await badge(page), "tailor preview");
  assert.equal((await cookie(context, "tailor_preview")).value, "tailor=off");

  await page.goto(server.url + "/pricing/?geo=1");
  await ready(page);
  assert.equal(await text(page, "#pricing .pro .price"), "€19/month", "off lasts for the session");

  await page.goto(server.url + "/?geo=1&tailor=reset");
  await ready(page);
  assert.equal(await text(page, "#hero h1"), "Willkommen, Bergfreund!", "live again");
  assert.equal(await page.$("tailor-preview"), null, "no badge");
  assert.equal(await cookie(context, "tailor_preview"), undefined, "the session cookie is gone");
  assert.ok((await page.evaluate(() => window.dataLayer)).every((e) => !("qa" in e)), "live exposures are not marked");
});

test("the preview persists across pages (the cookie) and SPA navigations", async () => {
  const { page, context } = await open("/?tailor=pro-trial:trial");
  assert.equal(await badge(page), "tailor preview");
  await page.goto(server.url + "/pricing/");
  await ready(page);
  assert.equal(await text(page, "#pricing .pro .badge"), "14 days free");
  assert.deepEqual(await decision(page, "pro-trial"), { campaign: "pro-trial", variant: "trial", via: "forced" });
  assert.equal(await badge(page), "tailor preview");
  assert.equal(await cookie(context, "tailor_id"), undefined);

  // A single-page app: pushState to /pricing/ (no query) keeps the session.
  await page.goto(server.url + "/app/");
  await ready(page);
  await page.click("#to-pricing");
  await page.waitForFunction(() => location.pathname === "/pricing/" && document.querySelector("#pricing .pro .badge").textContent === "14 days free");
  assert.equal(await badge(page), "tailor preview");
  assert.ok((await page.evaluate(() => window.dataLayer)).every((e) => e.qa === true));
});

test("a simulated context: geo (German hero, by city) and time (the evening campaign)", async () => {
  const geo = await open("/?tailor_ctx=country:DE,city:K%C3%B6ln");
  assert.equal(await text(geo.page, "#hero h1"), "Willkommen, Köln!");
  assert.equal(await text(geo.page, "#hero .cta"), "Zur Kollektion");
  assert.equal((await decision(geo.page, "dach-hero")).via, "audience");
  assert.equal(await badge(geo.page), "tailor preview");
  assert.equal((await cookie(geo.context, "tailor_preview")).value, "tailor_ctx=country:DE%2Ccity:K%C3%B6ln", "the worker's cookie format");

  const evening = await open("/?tailor_ctx=time:2026-11-23T20:30:00%2B01:00");
  assert.match(await text(evening.page, "#stores .store-note"), /^Our stores are closed for the night/);
  assert.equal(await evening.page.$eval("#hero img", (img) => img.getAttribute("src")), "/img/hero-evening.svg");
  assert.ok(await decision(evening.page, "evening-stores"));

  // Without the simulation the visitor's own (morning) clock counts.
  const live = await open("/");
  assert.equal(await decision(live.page, "evening-stores"), undefined);
});

test("unknown campaign and variant ids are ignored and listed in the panel's notes", async () => {
  const { page, warnings, errors } = await open("/pricing/?tailor=nope:x,pro-trial:nope,pro-trial:trial&tailor_debug=1");
  assert.equal(await text(page, "#pricing .pro .badge"), "14 days free");
  const o = await overlay(page);
  assert.deepEqual(o.notes, ["unknown campaign `nope`", "campaign `pro-trial` has no variant `nope`"]);
  assert.deepEqual([...warnings, ...errors], [], "never an error");
});

test("the debug panel lists every campaign with the reason, bucket and force links that work", async () => {
  const { page, context } = await open(`/pricing/?x=1&tailor=pro-trial:trial&tailor_debug=1`, { cookies: { tailor_id: CONTROL_ID } });
  let o = await overlay(page);
  assert.deepEqual(o.campaigns.map((c) => c.id), CAMPAIGNS.map((c) => c.id));
  assert.equal(o.campaigns.length, 8);
  for (const c of CAMPAIGNS) {
    const row = o.campaigns.find((r) => r.id === c.id);
    assert.deepEqual(row.links.map((l) => l.force), c.variants.map((v) => `${c.id}:${v}`), `a force link per variant of ${c.id}`);
    for (const l of row.links) assert.equal(l.href, `/pricing/?x=1&tailor=${l.force}&tailor_debug=1`);
    if (!row.matched) assert.ok(row.reason, `${c.id} says why not`);
  }
  const trial = o.campaigns.find((c) => c.id === "pro-trial");
  assert.ok(trial.matched && /pro-trial → trial \(forced\)/.test(trial.text), trial.text);
  assert.match(o.campaigns.find((c) => c.id === "vip-pricing").reason, /not in segment `vip`: cookie.tier is missing/);
  assert.match(o.campaigns.find((c) => c.id === "winter-sale").reason, /not started/);
  assert.deepEqual(o.links.filter((l) => ["off", "reset"].includes(l.force)), [{ force: "off", href: "/pricing/?x=1&tailor=off&tailor_debug=1" }, { force: "reset", href: "/pricing/?x=1&tailor=reset" }]);

  // Click through: the other arm, a campaign outside its audience, off, reset.
  await clickForce(page, "pro-trial:control");
  assert.equal(new URL(page.url()).search, "?x=1&tailor=pro-trial:control&tailor_debug=1");
  assert.equal(await text(page, "#pricing .pro .badge"), "Most popular");
  o = await overlay(page);
  assert.match(o.campaigns.find((c) => c.id === "pro-trial").text, /pro-trial → control \(forced\)/);

  await clickForce(page, "vip-pricing:gold");
  assert.equal(await text(page, "#pricing .pro .price"), "€15/month (gold member price)");
  assert.equal(await cookie(context, "tailor_id").then((c) => c.value), CONTROL_ID, "the assignment is untouched");

  await clickForce(page, "off");
  assert.equal(await text(page, "#pricing .pro .price"), "€19/month");
  assert.deepEqual(await page.evaluate(() => window.tailor.decisions()), []);
  assert.ok(await overlay(page), "the panel stays in the preview");

  await clickForce(page, "reset");
  assert.equal(new URL(page.url()).search, "?x=1&tailor=reset");
  assert.equal(await page.$("tailor-preview"), null);
  assert.equal(await cookie(context, "tailor_preview"), undefined);
  // The live arm of this visitor: bucketed again, by their id.
  assert.deepEqual(await decision(page, "pro-trial"), { campaign: "pro-trial", variant: "control", bucket: Math.round(gbHash("pro-trial", CONTROL_ID) * 1e4) / 1e4, via: "bucket" });

  // On the home page: a hero campaign forced for a visitor outside its audience.
  await page.goto(server.url + "/?tailor_debug=1");
  await ready(page);
  o = await overlay(page);
  const bucket = o.campaigns.find((c) => c.id === "pro-trial");
  assert.match(bucket.text, /pro-trial → control \(bucket\), bucket 0\.\d+/, "the bucket is shown");
  await clickForce(page, "dach-hero:german");
  assert.equal(await text(page, "#hero h1"), "Willkommen, Bergfreund!");
});

test("the panel is isolated: page CSS does not reach it, its CSS does not reach the page", async () => {
  // The page hides every div, ul, li and a, colors everything red, and tries
  // to hide tailor's element itself.
  const { page } = await open("/pricing/hostile.html?tailor=pro-trial:trial&tailor_debug=1");
  const panel = page.locator("tailor-preview .panel");
  assert.ok(await panel.isVisible(), "the panel is shown");
  assert.ok(await page.locator("tailor-preview button").isVisible(), "the badge is shown");
  assert.ok(await page.locator('tailor-preview a[data-force="pro-trial:control"]').isVisible());
  const styles = await page.evaluate(() => {
    const root = document.querySelector("tailor-preview").shadowRoot;
    const cs = (el) => { const s = getComputedStyle(el); return { color: s.color, display: s.display, fontSize: s.fontSize, background: s.backgroundColor }; };
    return { li: cs(root.querySelector("li")), a: cs(root.querySelector("a")), button: cs(root.querySelector("button")), host: cs(document.querySelector("tailor-preview")) };
  });
  assert.notEqual(styles.li.color, "rgb(255, 0, 0)");
  assert.notEqual(styles.li.display, "none");
  assert.equal(styles.li.fontSize, "12px");
  assert.equal(styles.a.color, "rgb(29, 78, 216)");
  assert.equal(styles.button.background, "rgb(29, 78, 216)");
  assert.equal(styles.host.display, "flex");
  assert.equal(await page.$eval(".promo", (el) => getComputedStyle(el).display), "none", "the page's own CSS still applies to the page");

  // The page looks the same with and without the panel (its `a`, `li`, `div`, `h2`... rules stay inside).
  const look = (p) => p.evaluate(() => [...document.querySelectorAll("body *")].filter((el) => el.tagName !== "TAILOR-PREVIEW")
    .map((el) => { const s = getComputedStyle(el); return `${el.tagName}.${el.className}:${s.color}|${s.display}|${s.font}|${s.margin}|${s.padding}|${s.backgroundColor}|${s.boxSizing}|${s.listStyleType}`; }));
  const withPanel = await open("/pricing/?tailor=pro-trial:trial&tailor_debug=1");
  const without = await open("/pricing/?tailor=pro-trial:trial");
  assert.ok(await overlay(withPanel.page));
  assert.equal(await overlay(without.page), null);
  assert.deepEqual(await look(withPanel.page), await look(without.page));
});

test("a preview whose engine fails to load leaves the page as it was, with one warning", async () => {
  const context = await browser.newContext({ userAgent: DESKTOP });
  contexts.push(context);
  const page = await context.newPage();
  const warnings = [];
  page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
  await page.goto(server.url + "/pricing/?snippet=1&wasm=404&tailor=pro-trial:trial&tailor_debug=1");
  await page.waitForFunction(() => !document.getElementById("tailor-hide"));
  await page.waitForTimeout(1000);
  assert.equal(warnings.length, 1, JSON.stringify(warnings));
  assert.equal(await text(page, "#pricing .pro .badge"), "Most popular");
  assert.equal(await page.$eval("#pricing .pro .badge", (el) => getComputedStyle(el).visibility), "visible");
});

test("signed mode: unsigned links are ignored; a preview the worker verified (qa: true) is honoured", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tailor-signed-browser-"));
  writeFileSync(path.join(dir, "tailor.toml"), RULES.replace("[site]\n", '[site]\npreview = "signed"\n'));
  execFileSync(path.join(root, "target/debug/tailor"), ["build", path.join(dir, "tailor.toml"), "--out", dir], { cwd: root, stdio: "pipe" });
  // The pricing page as the worker serves it after checking a signed link
  // (`?tailor=pro-trial:trial&tailor_debug=1&tailor_exp=…&tailor_sig=…`): the
  // trial applied, its badge, and the state with `qa: true`. A little router
  // makes later views single-page navigations.
  const state = { v: 1, geo: {}, decisions: [{ campaign: "pro-trial", variant: "trial", via: "forced" }], applied: true, qa: true };
  const verified = PRICING
    .replace('<span class="badge">Most popular</span>', '<span class="badge">14 days free</span>')
    .replace("</head>", `<script type="application/json" id="tailor-state">${JSON.stringify(state)}</script></head>`)
    .replace("</body>", `<div id="tailor-preview-badge" style="position:fixed;right:12px;bottom:12px">tailor preview</div>
      <script>function go(url) { // a router rendering a fresh view
        history.pushState({}, "", url);
        var old = document.querySelector("#pricing .pro .badge"), b = document.createElement("span");
        b.className = "badge"; b.textContent = "Most popular"; old.replaceWith(b);
      }</script></body>`);
  const srv = await startServer({ browserDir: path.join(dir, "browser"), pages: { "/pricing/verified.html": verified } });
  const sig = "&tailor_exp=4102444800&tailor_sig=" + "ab".repeat(32);
  try {
    // An unsigned link, straight to the browser: ignored (and it says so on the console).
    const unsigned = await open("/pricing/?tailor=pro-trial:trial&tailor_debug=1", { srv, cookies: { tailor_id: CONTROL_ID } });
    assert.equal(await text(unsigned.page, "#pricing .pro .badge"), "Most popular");
    assert.equal((await decision(unsigned.page, "pro-trial")).via, "bucket");
    assert.equal(await unsigned.page.$("tailor-preview"), null, "no badge, no panel");
    assert.ok((await unsigned.page.evaluate(() => window.dataLayer)).every((e) => !("qa" in e)));
    assert.ok(unsigned.infos.some((i) => /preview ignored/.test(i)), JSON.stringify(unsigned.infos));
    // A link that merely looks signed is no better: the browser cannot check signatures.
    const forged = await open(`/pricing/?tailor=pro-trial:trial${sig}`, { srv, cookies: { tailor_id: CONTROL_ID } });
    assert.equal(await text(forged.page, "#pricing .pro .badge"), "Most popular");
    assert.equal(await forged.page.$("tailor-preview"), null);

    // The worker verified it: badge (replacing the worker's), panel, qa exposures.
    const { page, context, warnings } = await open(`/pricing/verified.html?tailor=pro-trial:trial&tailor_debug=1${sig}`, { srv, cookies: { tailor_id: CONTROL_ID } });
    assert.equal(await badge(page), "tailor preview");
    assert.equal(await page.$("#tailor-preview-badge"), null, "one badge");
    const o = await overlay(page);
    assert.match(o.campaigns.find((c) => c.id === "pro-trial").text, /pro-trial → trial \(forced\)/);
    assert.deepEqual(await page.evaluate(() => window.dataLayer), [{ event: "tailor_exposure", campaign: "pro-trial", variant: "trial", qa: true }]);
    assert.equal(await cookie(context, "tailor_id").then((c) => c.value), CONTROL_ID);
    // A later view of the same session (the cookie, no query) is still verified.
    await page.evaluate(() => go("/pricing/verified.html?view=2"));
    await page.waitForFunction(() => document.querySelector("#pricing .pro .badge").textContent === "14 days free");
    assert.deepEqual(await decision(page, "pro-trial"), { campaign: "pro-trial", variant: "trial", via: "forced" });
    assert.equal(await badge(page), "tailor preview");
    // Other parameters, added in the page, were not verified: ignored, the preview ends.
    await page.evaluate(() => go("/pricing/verified.html?tailor=vip-pricing:gold"));
    await page.waitForFunction(() => !document.querySelector("tailor-preview")?.isConnected);
    assert.equal(await text(page, "#pricing .pro .price"), "€19/month");
    assert.equal((await decision(page, "pro-trial")).via, "bucket");
    assert.deepEqual(warnings, []);
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("signed mode without the worker: links from `tailor preview-link` are checked in the browser (Ed25519)", async () => {
  const KEY = "browser-preview-secret-0123456789";
  const dir = mkdtempSync(path.join(tmpdir(), "tailor-psig-browser-"));
  const tailor = (args, key = KEY) => execFileSync(path.join(root, "target/debug/tailor"), args, { cwd: root, stdio: "pipe", env: { ...process.env, TAILOR_PREVIEW_KEY: key } }).toString().trim();
  writeFileSync(path.join(dir, "tailor.toml"), RULES.replace("[site]\n", '[site]\npreview = "signed"\n'));
  tailor(["build", path.join(dir, "tailor.toml"), "--out", dir]);
  // The public key is in the QA engine (previews load it); the secret is nowhere in the bundle.
  const qa = readFileSync(path.join(dir, "browser/tailor-qa.wasm"));
  assert.equal(WebAssembly.Module.customSections(new WebAssembly.Module(qa), "tailor.preview_key")[0].byteLength, 32);
  for (const file of ["tailor.wasm", "tailor-qa.wasm", "tailor.js", "tailor.mjs"]) {
    assert.ok(!readFileSync(path.join(dir, "browser", file)).includes(Buffer.from(KEY)), `no secret in ${file}`);
  }
  const srv = await startServer({ browserDir: path.join(dir, "browser") });
  const link = (args, key) => {
    const url = new URL(tailor(["preview-link", path.join(dir, "tailor.toml"), "--url", `${srv.url}/pricing/`, ...args], key));
    return url.pathname + url.search;
  };
  // The real clock: the links expire by it.
  const opts = { srv, cookies: { tailor_id: CONTROL_ID }, time: null };
  try {
    const valid = link(["--force", "pro-trial:trial", "--ttl", "1h"]);
    assert.match(valid, /tailor_sig=[0-9a-f]{64}&tailor_psig=[0-9a-f]{128}/);
    const ok = await open(valid, opts);
    assert.equal(await text(ok.page, "#pricing .pro .badge"), "14 days free");
    assert.equal((await decision(ok.page, "pro-trial")).via, "forced");
    assert.equal(await badge(ok.page), "tailor preview");
    assert.deepEqual(await ok.page.evaluate(() => window.dataLayer), [{ event: "tailor_exposure", campaign: "pro-trial", variant: "trial", qa: true }]);
    // The session carries the signature to the next page.
    await ok.page.goto(srv.url + "/pricing/?view=2");
    await ready(ok.page);
    assert.equal(await text(ok.page, "#pricing .pro .badge"), "14 days free");

    const unchanged = async (pathname, why) => {
      const { page } = await open(pathname, opts);
      assert.equal(await text(page, "#pricing .pro .badge"), "Most popular", why);
      assert.equal((await decision(page, "pro-trial")).via, "bucket", why);
      assert.equal(await page.$("tailor-preview"), null, why);
    };
    await unchanged(valid.replace("pro-trial:trial", "vip-pricing:gold"), "a tampered link");
    await unchanged(valid.replace(/tailor_exp=(\d+)/, (_, e) => `tailor_exp=${+e + 3600}`), "a tampered expiry");
    await unchanged(link(["--force", "pro-trial:trial"], "another-secret"), "a link signed with another key");
    await unchanged(valid.replace(/&tailor_psig=[0-9a-f]+/, ""), "a link without the browser signature");
    const soon = link(["--force", "pro-trial:trial", "--ttl", "1s"]);
    await new Promise((r) => setTimeout(r, 2100));
    await unchanged(soon, "an expired link");
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
