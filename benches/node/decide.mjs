// Decision latency of the browser engine (wasm) under node, for rulesets of
// 1, 10, 50 and 200 campaigns: the rulesets of benches/decide.rs (the native
// criterion bench; keep the two generators in sync), built with `tailor build`.
//
//   node benches/node/decide.mjs [--rounds 7] [--json]
//
// Per ruleset size, interleaved in rounds: `decide` (a page view: facts in,
// context, decision, plan and state out as JSON) on the lean engine as
// `tailor build` gives it (no `evaluate`, its decision path built for size)
// and on the one `tailor build --evaluate` gives (decision path built for
// speed), and `evaluate` (attributes in, variant indices out) on the
// latter, all as pkg-template/src/evaluate.js calls them. The engines with
// every operator, which the rulesets' conditions need.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { engineCalls } from "../../pkg-template/src/evaluate.js";
import { instantiate } from "../../pkg-template/src/engine.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg("--rounds", 7);
const SIZES = [1, 10, 50, 200];

/** benches/decide.rs `ruleset(n)`. */
function ruleset(n) {
  let toml = `
[site]
timezone = "Europe/Berlin"
[segments]
dach = { country = { "$in" = ["DE", "AT", "CH"] } }
mobile = { device = "mobile" }
evening = { local_hour = { "$gte" = 18 } }
vip = { "cookie.tier" = { "$in" = ["gold", "platinum"] } }
newsletter = { "query.utm_source" = { "$regex" = "^news" } }
returning = { new_visitor = false }
`;
  const audiences = ["dach", "mobile", "evening", "vip", "newsletter", "returning"];
  for (let i = 0; i < n; i++) {
    const audience = audiences[i % audiences.length];
    const pages = i % 3 == 0 ? '["/", "/shop/*"]' : '["/*"]';
    toml += `\n[[campaign]]\nid = "c${i}"\npages = ${pages}\naudience = ["${audience}"]\npriority = ${i % 7}\n`;
    if (i % 5 == 0) toml += 'hours = "06:00-23:00"\ndays = ["weekdays", "sat"]\n';
    if (i % 4 == 0) toml += `group = "g${i % 8}"\n`;
    if (i % 2 == 0) {
      toml += `  [[campaign.variant]]\n  id = "control"\n  weight = 50\n  [[campaign.variant]]\n  id = "b"\n  weight = 50\n  changes = [{ select = "#c${i} h2", text = "Hello {{city | there}}" }, { select = "#c${i} .cta", add_class = "x" }]\n`;
    } else {
      toml += `  [[campaign.variant]]\n  id = "v"\n  changes = [{ select = "#c${i} p", html = "<b>hi</b>" }]\n`;
    }
  }
  return toml;
}

// benches/decide.rs `visitor()`, as the loader would pass it.
const NOW = 1_796_322_600_000;
const FACTS = ({
  url: "https://shop.example/shop/tents?utm_source=newsletter",
  userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
  cookies: "tailor_id=3f2a9c0e5b7d4e1f; tier=gold; session=abc",
  languages: "de-DE,de,en",
  geo: { country: "DE", city: "Berlin", timezone: "Europe/Berlin" },
  now: NOW,
});
// The same visitor as attributes (what `evaluate` takes, encoded as the
// script tag's `window.tailor.evaluate` encodes them, each call).
const VISITOR = ({
  id: "3f2a9c0e5b7d4e1f", device: "mobile", os: "iOS", browser: "Safari", country: "DE", city: "Berlin",
  local_hour: 19, path: "/shop/tents", query: { utm_source: "newsletter" }, cookie: { tier: "gold", session: "abc" },
  language: "de", new_visitor: false,
});

const dir = mkdtempSync(path.join(tmpdir(), "tailor-decide-bench-"));
const engines = {};
let lean, fast;
try {
  for (const n of SIZES) {
    writeFileSync(path.join(dir, `r${n}.toml`), ruleset(n));
    execFileSync(path.join(root, "target/debug/tailor"), ["build", path.join(dir, `r${n}.toml`), "--out", path.join(dir, `out${n}`)], { cwd: root, stdio: "pipe" });
    engines[n] = new Uint8Array(WebAssembly.Module.customSections(new WebAssembly.Module(readFileSync(path.join(dir, `out${n}/browser/tailor.wasm`))), "tailor.rules")[0]);
  }
  const engine = (file) => instantiate(new WebAssembly.Module(readFileSync(path.join(root, "build/engine/browser", file))));
  lean = engine("engine-all-operators.wasm");
  fast = engine("engine-all-operators-evaluate.wasm");
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Median ns per call of `fn` over `rounds`, each round ~`budgetMs` long. */
function measure(fn, iterations) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / iterations;
}

const leanCalls = engineCalls(lean);
const { evaluate, decide } = engineCalls(fast);
const results = [];
for (const n of SIZES) {
  assert.equal(lean.load(engines[n]), undefined);
  assert.equal(fast.load(engines[n]), undefined);
  const answer = decide(FACTS);
  const out = JSON.parse(answer);
  assert.equal(out.error, undefined, out.error);
  assert.equal(leanCalls.decide(FACTS), answer, "both engines decide alike");
  const variants = new Array(n).fill(-2);
  assert.ok(evaluate(VISITOR, NOW, variants) && variants.every((v) => v >= -1), "evaluate fills one entry per campaign");
  const iterations = Math.max(200, Math.round(20_000 / n));
  const calls = { decide_lean: () => leanCalls.decide(FACTS), decide: () => decide(FACTS), evaluate: () => evaluate(VISITOR, NOW, variants) };
  for (const fn of Object.values(calls)) measure(fn, iterations); // warm-up
  const rounds = { decide_lean: [], decide: [], evaluate: [] };
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(calls)) rounds[k].push(measure(fn, iterations));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  results.push({ campaigns: n, applied: out.decisions.length, decide_lean_ns: median(rounds.decide_lean), decide_ns: median(rounds.decide), evaluate_ns: median(rounds.evaluate) });
}

if (process.argv.includes("--json")) {
  console.log(JSON.stringify({ rounds: ROUNDS, node: process.version, results }));
} else {
  console.log(`browser engine (wasm) under node ${process.version}, median of ${ROUNDS} rounds`);
  console.log(`${"".padStart(18)} ${"decide (page view)".padStart(27)} ${"evaluate (attributes)".padStart(21)}`);
  console.log(`campaigns  applied ${"lean engine".padStart(12)} ${"with evaluate".padStart(14)} ${"with evaluate".padStart(21)}`);
  const us = (ns, width) => `${(ns / 1000).toFixed(1).padStart(width)} us`;
  for (const r of results) console.log(`${String(r.campaigns).padStart(9)} ${String(r.applied).padStart(8)} ${us(r.decide_lean_ns, 9)} ${us(r.decide_ns, 11)} ${us(r.evaluate_ns, 18)}`);
}
