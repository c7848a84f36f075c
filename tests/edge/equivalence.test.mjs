// The same ruleset gives the same decision natively and at the edge: every
// context of tests/vectors/contexts.json is decided by `tailor explain` (the
// native engine) and by the worker in workerd, and the decisions must match.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { startWorker, root } from "./wrangler.mjs";
import { explainNative } from "../vectors/native.mjs";

const { contexts } = JSON.parse(await readFile(path.join(root, "tests/vectors/contexts.json"), "utf8"));
let worker;
before(async () => { worker = await startWorker({ vars: { TAILOR_DEV: "1" } }); });
after(async () => { await worker?.stop(); });

function native(ctx) {
  const report = explainNative(ctx);
  if (report.plan.redirect) return { redirect: report.plan.redirect };
  return { decisions: report.state.decisions };
}

async function edge(ctx) {
  const headers = { "user-agent": ctx.user_agent, "x-tailor-time": ctx.time, "x-tailor-timezone": ctx.timezone ?? "UTC" };
  if (ctx.country) Object.assign(headers, { "x-tailor-country": ctx.country, "x-tailor-city": ctx.city });
  if (ctx.cookie) headers.cookie = ctx.cookie;
  const res = await fetch(worker.url + ctx.path, { headers, redirect: "manual" });
  const body = await res.text();
  if (res.status === 302) return { redirect: new URL(res.headers.get("location")).pathname };
  assert.equal(res.status, 200, `${ctx.path} is a page of www/`);
  const m = body.match(/<script type="application\/json" id="tailor-state">(.*?)<\/script>/s);
  return { decisions: m ? JSON.parse(m[1]).decisions : [] };
}

test("at least 50 shared contexts", () => assert.ok(contexts.length >= 50));

test("native and edge decisions agree for every shared context", async () => {
  let differences = [];
  let assigned = 0;
  for (const ctx of contexts) {
    const [a, b] = [native(ctx), await edge(ctx)];
    // A visitor without an id gets a fresh random one at the edge; the CLI
    // has none and skips A/B tests. Compare only what both can decide.
    if (!/tailor_id=/.test(ctx.cookie ?? "") && b.decisions) {
      b.decisions = b.decisions.filter((d) => d.via !== "bucket");
    }
    assigned += (a.decisions ?? []).length;
    try { assert.deepEqual(b, a); } catch { differences.push(`${ctx.name}: native ${JSON.stringify(a)} edge ${JSON.stringify(b)}`); }
  }
  assert.deepEqual(differences, []);
  assert.ok(assigned > 60, `the vectors exercise real decisions (${assigned})`);
});
