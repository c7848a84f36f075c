// Differential test against GrowthBook itself: the same experiments (same
// conditions, weights, coverage and seeds) are evaluated by
// @growthbook/growthbook 1.8.0 and by tailor's wasm engine for 10,000 visitor
// contexts, and both must pick the same variant for every one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GrowthBook } from "@growthbook/growthbook";
import { EXPERIMENTS, visitors, tailorEngine, facts, NOW, growthbookExperiment } from "./growthbook-fixtures.mjs";

test("tailor picks the same variant as GrowthBook for 10,000 visitors", async () => {
  // A page view's decision, on the engine `tailor build` gives a site (no `evaluate`).
  const engine = await tailorEngine(EXPERIMENTS, { evaluate: false });
  assert.equal(engine.campaigns_json, undefined, "the engine without evaluate");
  const gb = new GrowthBook({ attributes: {} });
  const mismatches = [];
  let inExperiment = 0;
  for (const a of visitors(10_000)) {
    gb.setAttributes(a);
    const ours = JSON.parse(engine.decide(facts(a)));
    assert.equal(ours.error, undefined, ours.error);
    for (const e of EXPERIMENTS) {
      const r = gb.run(growthbookExperiment(e));
      const theirs = r.inExperiment ? `v${r.variationId}` : null;
      const d = ours.decisions.find((x) => x.campaign === e.key && x.via === "bucket");
      const mine = d ? d.variant : null;
      if (theirs !== mine) mismatches.push(`${e.key} ${JSON.stringify(a)}: GrowthBook ${theirs}, tailor ${mine}`);
      if (theirs) inExperiment++;
    }
  }
  assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} mismatches`);
  assert.ok(inExperiment > 20_000, `the experiments are exercised (${inExperiment} assignments)`);
});

test("evaluate (attributes in, variant indices out) picks the same variants as GrowthBook", async () => {
  const engine = await tailorEngine(EXPERIMENTS);
  const campaigns = JSON.parse(engine.campaigns_json());
  assert.deepEqual(campaigns.map((c) => c.id), EXPERIMENTS.map((e) => e.key));
  const gb = new GrowthBook({ attributes: {} });
  const mismatches = [];
  let inExperiment = 0;
  for (const a of visitors(10_000)) {
    gb.setAttributes(a);
    const ours = new Array(EXPERIMENTS.length).fill(-2);
    assert.ok(engine.evaluate(a, NOW, ours));
    EXPERIMENTS.forEach((e, i) => {
      const r = gb.run(growthbookExperiment(e));
      const theirs = r.inExperiment ? r.variationId : -1;
      if (theirs !== ours[i]) mismatches.push(`${e.key} ${JSON.stringify(a)}: GrowthBook ${theirs}, tailor ${ours[i]}`);
      if (theirs >= 0) inExperiment++;
    });
  }
  assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} mismatches`);
  assert.ok(inExperiment > 20_000, `the experiments are exercised (${inExperiment} assignments)`);
});

test("evaluate decides the same when attributes outgrow the engine's buffer and its memory grows", async () => {
  const engine = await tailorEngine(EXPERIMENTS);
  const people = visitors(300);
  const expected = people.map((a) => {
    const out = new Array(EXPERIMENTS.length).fill(-2);
    assert.ok(engine.evaluate(a, NOW, out));
    return out;
  });
  // Attributes no condition reads, large enough that the writer moves its
  // bytes to a larger buffer mid-object, and, with decide in between,
  // that the engine's memory grows (detaching every view of it).
  let junk = 1;
  people.forEach((a, i) => {
    if (i % 7 === 0) junk *= 2;
    const big = { ...a, note: "ü".repeat(junk % 300_000), list: Array.from({ length: i % 50 }, (_, k) => ({ k, s: "x".repeat(k) })) };
    const out = new Array(EXPERIMENTS.length).fill(-2);
    assert.ok(engine.evaluate(i % 2 ? big : a, NOW, out));
    assert.deepEqual(out, expected[i], `visitor ${i}`);
    if (i % 10 === 0) engine.decide(facts({ ...a, blob: "y".repeat(i * 1000) }));
  });
});
