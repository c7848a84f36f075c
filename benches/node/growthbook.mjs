// Decision speed, tailor's wasm vs @growthbook/growthbook 1.8.0, in one node
// process, on the differential test's experiments and 10,000 visitors
// (tests/node/growthbook.test.mjs first proves both pick the same variants).
//
//   node benches/node/growthbook.mjs [--rounds 7] [--json]
//
// Three contenders, interleaved in rounds because the machine is shared:
// - GrowthBook: `setAttributes(a)` then `run(experiment)` for each experiment;
// - tailor evaluate: `evaluate(a, now, out)` (pkg-template/src/evaluate.js:
//   the attributes encoded, every campaign of the ruleset decided in one
//   call, the variant indices read out), what `window.tailor.evaluate` runs;
// - tailor decide: what the script tag calls per page view: context from raw
//   facts (URL, cookies, UA), decision, plan and state; the facts go in in
//   attributes.js's binary form, the answer comes out as JSON text. On the
//   engine `tailor build --evaluate` gives (which the two above share), and
//   on the one `tailor build` gives, without `evaluate`, whose decision
//   path is built for size (`decide lean`).
// Reported per decision (one visitor x one experiment) and per visitor.
import { GrowthBook } from "@growthbook/growthbook";
import { EXPERIMENTS, visitors, tailorEngine, facts, NOW, growthbookExperiment } from "../../tests/node/growthbook-fixtures.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg("--rounds", 7);
const N = 10_000;
const people = visitors(N);
const engine = await tailorEngine(EXPERIMENTS);
const leanEngine = await tailorEngine(EXPERIMENTS, { evaluate: false });
const inputs = people.map(facts);
const gb = new GrowthBook({ attributes: {} });
const runs = EXPERIMENTS.map(growthbookExperiment);

function growthbook() {
  let n = 0;
  for (const a of people) {
    gb.setAttributes(a);
    for (const e of runs) n += gb.run(e).variationId;
  }
  return n;
}

function evaluate() {
  let n = 0;
  const v = new Array(EXPERIMENTS.length);
  for (const a of people) {
    engine.evaluate(a, NOW, v);
    for (let i = 0; i < v.length; i++) n += v[i];
  }
  return n;
}

function decide() {
  let n = 0;
  for (const f of inputs) n += engine.decide(f).length;
  return n;
}

function decideLean() {
  let n = 0;
  for (const f of inputs) n += leanEngine.decide(f).length;
  return n;
}

const contenders = { growthbook, evaluate, decide, decideLean };
const time = (fn) => {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / N;
};
const rounds = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (const fn of Object.values(contenders)) fn(); // warm up the JITs
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(contenders);
  // Rotate the order each round, so no contender always runs first.
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length];
    rounds[name].push(time(contenders[name]));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const perVisitor = Object.fromEntries(Object.entries(rounds).map(([k, xs]) => [k, median(xs)]));
const E = EXPERIMENTS.length;
const result = {
  experiments: E,
  visitors: N,
  rounds: ROUNDS,
  ns_per_visitor: perVisitor,
  ns_per_decision: Object.fromEntries(Object.entries(perVisitor).map(([k, v]) => [k, v / E])),
  speedup_evaluate: perVisitor.growthbook / perVisitor.evaluate,
  speedup_decide: perVisitor.growthbook / perVisitor.decide,
  speedup_decide_lean: perVisitor.growthbook / perVisitor.decideLean,
};
if (process.argv.includes("--json")) {
  console.log(JSON.stringify(result));
} else {
  console.log(`GrowthBook vs tailor, ${N} visitors x ${E} experiments, median of ${ROUNDS} interleaved rounds (node ${process.version})`);
  console.log("contender                          ns/decision   ns/visitor   GrowthBook/this");
  const label = { growthbook: "GrowthBook setAttributes+run", evaluate: "tailor evaluate(attributes)", decide: "tailor decide (page view)", decideLean: "tailor decide lean (page view)" };
  for (const [k, v] of Object.entries(perVisitor)) {
    console.log(`${label[k].padEnd(34)} ${(v / E).toFixed(0).padStart(11)} ${v.toFixed(0).padStart(12)} ${(perVisitor.growthbook / v).toFixed(2).padStart(17)}`);
  }
}
