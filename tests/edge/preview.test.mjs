// QA previews at the edge: forcing variants, off, reset, a session across
// pages, simulated context, debug output, and signed links.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile, mkdtemp, rm } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { startWorker, root } from "./wrangler.mjs";

const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const MORNING = "2026-11-23T09:00:00+01:00";
const KEY = "test-preview-key-0123456789";

let open;
before(async () => { open = await startWorker({ vars: { TAILOR_DEV: "1" } }); });
after(async () => { await open?.stop(); });

async function get(worker, pathname, headers = {}) {
  const res = await fetch(worker.url + pathname, { headers: { "user-agent": DESKTOP, "x-tailor-country": "FR", "x-tailor-time": MORNING, ...headers }, redirect: "manual" });
  return { res, body: await res.text() };
}

function state(body) {
  const m = body.match(/<script type="application\/json" id="tailor-state">(.*?)<\/script>/s);
  assert.ok(m, "tailor-state is embedded");
  return JSON.parse(m[1]);
}

const cookieValue = (res, name) => res.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith(`${name}=`));

test("forcing each variant of the A/B test, with a badge and no sticky assignment", async () => {
  for (const [variant, badge] of [["trial", "14 days free"], ["control", "Most popular"]]) {
    const { res, body } = await get(open, `/pricing/?tailor=pro-trial:${variant}`);
    assert.match(body, new RegExp(`<span class="badge">${badge}</span>`), variant);
    assert.match(body, /id="tailor-preview-badge"/, "the page says it is a preview");
    const s = state(body);
    assert.equal(s.qa, true);
    assert.equal(s.decisions.find((d) => d.campaign === "pro-trial").via, "forced");
    assert.equal(cookieValue(res, "tailor_id"), undefined, "forced views write no assignment");
    assert.ok(cookieValue(res, "tailor_preview"), "the preview starts a session");
  }
});

test("the worker's badge stays visible and unstyled under hostile page CSS (Chromium)", async () => {
  const { body } = await get(open, "/pricing/?tailor=pro-trial:trial");
  const badge = body.match(/<tailor-preview-badge[\s\S]*?<\/tailor-preview-badge>/);
  assert.ok(badge, "the badge is a <tailor-preview-badge> element");
  const { launch } = await import("../browser/server.mjs");
  const browser = await launch();
  try {
    const page = await browser.newPage();
    // A site whose CSS would hide or restyle a plain div badge.
    await page.setContent(`<!doctype html><style>div{display:none!important} *{font-size:40px;color:red!important;position:static!important}</style><body><p>page</p>${badge[0]}</body>`);
    const seen = await page.evaluate(() => {
      const host = document.getElementById("tailor-preview-badge");
      const label = host.shadowRoot && host.shadowRoot.querySelector("div");
      if (!label) return null;
      const box = label.getBoundingClientRect();
      const style = getComputedStyle(label);
      return { text: label.textContent, width: box.width, height: box.height, color: style.color, size: style.fontSize, position: getComputedStyle(host).position };
    });
    assert.ok(seen, "the label is in an open shadow root");
    assert.equal(seen.text, "tailor preview");
    assert.ok(seen.width > 20 && seen.height > 5, `visible: ${JSON.stringify(seen)}`);
    assert.equal(seen.color, "rgb(255, 255, 255)", "page colors do not reach it");
    assert.equal(seen.size, "12px", "page fonts do not reach it");
    assert.equal(seen.position, "fixed", "pinned in the corner");
  } finally {
    await browser.close();
  }
});

test("campaigns outside their audience or schedule can be previewed", async () => {
  const sale = await get(open, "/?tailor=winter-sale:sale");
  assert.match(sale.body, /Winter sale: 20% off all jackets/, "before its start date");
  const { body } = await get(open, "/?tailor=dach-hero:german");
  assert.match(body, /<h1>Willkommen, Bergfreund!<\/h1>/, "for a French visitor, with the city fallback");
});

test("a forced redirect variant redirects only on its campaign's pages", async () => {
  const home = await get(open, "/?tailor=old-sale-page:moved");
  assert.equal(home.res.status, 200, "forcing does not redirect pages outside `pages`");
  assert.equal(state(home.body).decisions.find((d) => d.campaign === "old-sale-page"), undefined);
  const sale = await get(open, "/sale/?tailor=old-sale-page:moved");
  assert.equal(sale.res.status, 302);
  assert.equal(new URL(sale.res.headers.get("location"), open.url).pathname, "/shop/");
});

test("off shows the page without personalization; reset ends the preview", async () => {
  const off = await get(open, "/?tailor=off", { "x-tailor-country": "DE", "x-tailor-city": "Berlin" });
  assert.match(off.body, /<h1>Gear up for every season<\/h1>/);
  assert.match(off.body, /id="tailor-preview-badge"/);
  const reset = await get(open, "/?tailor=reset", { "x-tailor-country": "DE", "x-tailor-city": "Berlin", cookie: "tailor_preview=tailor=off" });
  assert.match(reset.res.headers.getSetCookie().join("\n"), /tailor_preview=; Path=\/; Max-Age=0/);
  assert.match(reset.body, /Willkommen, Berlin!/, "live again");
  assert.doesNotMatch(reset.body, /tailor-preview-badge/);
});

test("the preview persists across pages through the session cookie", async () => {
  const first = await get(open, "/?tailor=pro-trial:trial");
  const session = cookieValue(first.res, "tailor_preview");
  assert.ok(session);
  assert.doesNotMatch(first.res.headers.getSetCookie().find((c) => c.startsWith("tailor_preview=")), /Max-Age|Expires/, "a session cookie");
  const second = await get(open, "/pricing/", { cookie: session });
  assert.match(second.body, /14 days free/);
  assert.equal(state(second.body).qa, true);
});

test("a simulated context checks geo and evening campaigns from the office", async () => {
  const { body } = await get(open, "/?tailor_ctx=country:DE,city:K%C3%B6ln,time:2026-11-23T20:30:00%2B01:00,cookie.tier:gold");
  assert.match(body, /<h1>Willkommen, Köln!<\/h1>/);
  assert.match(body, /closed for the night/);
  const pricing = await get(open, "/pricing/?tailor_ctx=cookie.tier:gold");
  assert.match(pricing.body, /gold member price/);
});

test("debug: a tailor-debug header with every campaign, Server-Timing, and unknown ids reported", async () => {
  const { res, body } = await get(open, "/?tailor=nope:x,pro-trial:nope,pro-trial:trial&tailor_debug=1");
  const debug = res.headers.get("tailor-debug");
  for (const id of ["dach-hero", "us-hero", "mobile-lite", "evening-stores", "winter-sale", "vip-pricing", "pro-trial", "old-sale-page"]) {
    assert.match(debug, new RegExp(`(^|; )${id}[=!]`), id);
  }
  assert.match(debug, /pro-trial=trial\(forced\)/);
  assert.match(debug, /note: unknown campaign `nope`/);
  assert.match(debug, /note: campaign `pro-trial` has no variant `nope`/);
  assert.match(res.headers.get("server-timing"), /^tailor;dur=\d+/);
  assert.equal(res.status, 200, "never an error page");
  assert.match(body, /14 days free/);
});

test("signed previews: valid, tampered, expired and wrong-key links", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "tailor-signed-"));
  const rules = (await readFile(path.join(root, "www/tailor.toml"), "utf8")).replace("[site]\n", '[site]\npreview = "signed"\n');
  await writeFile(path.join(dir, "tailor.toml"), rules);
  execFileSync(path.join(root, "target/debug/tailor"), ["build", path.join(dir, "tailor.toml"), "--out", dir], { cwd: root });
  const config = path.join(dir, "worker", "wrangler.test.toml");
  await writeFile(config, `name = "tailor-signed"\nmain = "worker.mjs"\ncompatibility_date = "2025-09-01"\n[assets]\ndirectory = "${path.join(root, "www")}"\nbinding = "ASSETS"\nrun_worker_first = true\n`);
  const signed = await startWorker({ config, vars: { TAILOR_DEV: "1", TAILOR_PREVIEW_KEY: KEY } });
  const link = (key, ttl = "1h") => execFileSync(path.join(root, "target/debug/tailor"),
    ["preview-link", path.join(dir, "tailor.toml"), "--url", "https://shop.example/pricing/", "--force", "pro-trial:trial", "--debug", "--ttl", ttl],
    { env: { ...process.env, TAILOR_PREVIEW_KEY: key }, encoding: "utf8" }).trim();
  const pathOf = (url) => { const u = new URL(url); return u.pathname + u.search; };
  try {
    // The time of the request is now (no x-tailor-time), as link expiry is checked against the clock.
    const now = { "x-tailor-time": "" };
    const valid = await get(signed, pathOf(link(KEY)), now);
    assert.match(valid.body, /14 days free/, "a valid link previews");
    assert.equal(state(valid.body).qa, true);

    const unsigned = await get(signed, "/pricing/?tailor=pro-trial:trial&tailor_debug=1", now);
    assert.doesNotMatch(unsigned.body, /tailor-preview-badge/);
    assert.equal(state(unsigned.body).qa, undefined);

    const tampered = await get(signed, pathOf(link(KEY)).replace("pro-trial:trial", "vip-pricing:gold"), now);
    assert.doesNotMatch(tampered.body, /gold member price|tailor-preview-badge/, "a tampered link is ignored");

    const wrongKey = await get(signed, pathOf(link("another-key")), now);
    assert.doesNotMatch(wrongKey.body, /tailor-preview-badge/, "a link signed with another key is ignored");

    const expired = await get(signed, pathOf(link(KEY, "0s")), { "x-tailor-time": "2030-01-01T00:00:00Z" });
    assert.doesNotMatch(expired.body, /tailor-preview-badge/, "an expired link is ignored");
  } finally {
    await signed.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
