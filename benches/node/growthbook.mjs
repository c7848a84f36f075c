// Decision speed, tailor's wasm vs @growthbook/growthbook 1.8.0, in one node
// process, on the differential test's experiments and visitors (which first
// proves both pick the same variants). Run: node benches/node/growthbook.mjs
import { GrowthBook } from "@growthbook/growthbook";
import { EXPERIMENTS, visitors, tailorEngine, facts } from "../../tests/node/growthbook-fixtures.mjs";

const N = 10_000;
const people = visitors(N);
const engine = await tailorEngine(EXPERIMENTS);
const inputs = people.map(facts);
const gb = new GrowthBook({ attributes: {} });

function growthbook() {
  let n = 0;
  for (const a of people) {
    gb.setAttributes(a);
    for (const e of EXPERIMENTS) {
      const r = gb.run({ key: e.key, variations: e.weights.map((_, i) => i), weights: e.weights, coverage: e.coverage, condition: e.condition, seed: e.seed, hashVersion: 2, hashAttribute: "id" });
      n += r.variationId;
    }
  }
  return n;
}

function tailor() {
  let n = 0;
  for (const f of inputs) n += engine.decide_json(f).length;
  return n;
}

const time = (fn) => { const t0 = process.hrtime.bigint(); fn(); return Number(process.hrtime.bigint() - t0) / N; };
const rounds = { growthbook: [], tailor: [] };
for (let round = 0; round < 7; round++) {
  // Interleaved, so both see the same machine.
  rounds.growthbook.push(time(growthbook));
  rounds.tailor.push(time(tailor));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gbNs = median(rounds.growthbook), tailorNs = median(rounds.tailor);
console.log(`per visitor (${EXPERIMENTS.length} experiments), median of 7 interleaved rounds of ${N}:`);
console.log(`  GrowthBook ${gbNs.toFixed(0)} ns   tailor (decide_json: context, decide, plan, JSON) ${tailorNs.toFixed(0)} ns   ratio GrowthBook/tailor ${(gbNs / tailorNs).toFixed(2)}`);
