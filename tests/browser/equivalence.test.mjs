// The same ruleset gives the same decision natively and in the browser: every
// context of tests/vectors/contexts.json is decided by `tailor explain` (the
// native engine) and by tailor.wasm in Chromium (the build/site/browser wasm
// with the rules in its custom section, through the loader's engine.js), with
// the facts the CLI sees. tests/edge/equivalence.test.mjs holds the worker to
// the same native answers, which makes the three agree.
import { test as nodeTest, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { explainNative } from "../vectors/native.mjs";
import { startServer, launch, root } from "./server.mjs";

// Every test is bounded in time.
const test = (name, fn) => nodeTest(name, { timeout: 120_000 }, fn);

const { contexts } = JSON.parse(await readFile(path.join(root, "tests/vectors/contexts.json"), "utf8"));
let browser, server, context, page;

before(async () => {
  server = await startServer();
  browser = await launch();
  context = await browser.newContext();
  page = await context.newPage();
  await page.goto(server.url + "/engine.html");
  await page.waitForFunction(() => window.ready, null, { timeout: 15_000 });
  assert.equal(await page.evaluate(() => window.ready), "ok", "the engine loads the rules");
}, { timeout: 60_000 });
after(async () => {
  await context?.close();
  await browser?.close();
  await server?.close();
}, { timeout: 30_000 });

// The CLI's report carries the decisions in its `state` (the edge's
// `#tailor-state` object); the browser engines return them as `decisions`.
const native = (ctx) => {
  const r = explainNative(ctx);
  return { ...r, decisions: r.state.decisions };
};

/** The facts the loader would send for a visitor the CLI flags describe. */
function facts(ctx, freshVisitorId, debug = false) {
  const geo = { timezone: ctx.timezone ?? "UTC" };
  if (ctx.country) Object.assign(geo, { country: ctx.country, city: ctx.city });
  return {
    url: `https://shop.example${ctx.path}`,
    userAgent: ctx.user_agent,
    cookies: ctx.cookie ?? "",
    languages: "",
    referrer: "",
    geo,
    now: Date.parse(ctx.time),
    freshVisitorId,
    custom: {},
    // The report with reasons (`campaigns`) comes with debug, as the CLI's explain.
    preview: debug ? "tailor_debug=1" : undefined,
  };
}

const comparable = (r, reasons = true) => r.plan.redirect
  ? { redirect: new URL(r.plan.redirect, "https://shop.example/").pathname }
  : {
    decisions: r.decisions,
    changes: r.plan.changes,
    ...(reasons ? { campaigns: r.campaigns.map(({ id, matched, variant, via, reason }) => ({ id, matched, variant, via, reason })) } : {}),
  };

test("at least 50 shared contexts", () => assert.ok(contexts.length >= 50));

test("native and browser (lean and QA engine) decisions and plans agree for every shared context", async () => {
  const differences = [];
  let assigned = 0;
  for (const ctx of contexts) {
    const a = comparable(native(ctx));
    // Like the CLI, no fresh visitor id: A/B tests without a cookie are skipped on both.
    // The QA engine with reasons (debug), and the lean engine every visitor gets.
    const b = comparable(await page.evaluate((f) => window.decideQa(f), facts(ctx, undefined, true)));
    const { campaigns, ...withoutReasons } = a;
    const lean = comparable(await page.evaluate((f) => window.decide(f), facts(ctx)), false);
    assigned += (a.decisions ?? []).length;
    try { assert.deepEqual(b, a); } catch { differences.push(`${ctx.name}: native ${JSON.stringify(a)}\n  QA engine ${JSON.stringify(b)}`); }
    try { assert.deepEqual(lean, a.redirect ? a : withoutReasons); } catch { differences.push(`${ctx.name}: native ${JSON.stringify(withoutReasons)}\n  lean engine ${JSON.stringify(lean)}`); }
  }
  assert.deepEqual(differences, []);
  assert.ok(assigned > 60, `the vectors exercise real decisions (${assigned})`);
});

test("with a fresh visitor id (the loader always sends one), everything but new A/B buckets agrees", async () => {
  const differences = [];
  for (const ctx of contexts) {
    const a = native(ctx);
    const r = await page.evaluate((f) => window.decide(f), facts(ctx, "0123456789abcdef0123456789abcdef"));
    if (a.plan.redirect) {
      if (new URL(r.plan.redirect ?? "x:", "https://shop.example/").pathname !== new URL(a.plan.redirect, "https://shop.example/").pathname) differences.push(`${ctx.name}: redirect`);
      continue;
    }
    const hasId = /tailor_id=/.test(ctx.cookie ?? "");
    const b = hasId ? r.decisions : r.decisions.filter((d) => d.via !== "bucket");
    try { assert.deepEqual(b, a.decisions); } catch { differences.push(`${ctx.name}: native ${JSON.stringify(a.decisions)} browser ${JSON.stringify(b)}`); }
    // A new id is stored only when an A/B test used it, and never for a known visitor.
    if (hasId) assert.equal(r.setCookie, null, ctx.name);
    else if (r.decisions.some((d) => d.via === "bucket")) assert.match(r.setCookie, /^tailor_id=0123456789abcdef0123456789abcdef; /, ctx.name);
  }
  assert.deepEqual(differences, []);
});
