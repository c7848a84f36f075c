// Shared by the differential test and the speed benchmark: the experiments,
// the visitors, and tailor's browser engine loaded with those experiments.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { engineCalls } from "../../pkg-template/src/evaluate.js";
import { instantiate } from "../../pkg-template/src/engine.js";
import { withBuiltSite } from "../../benches/support/site.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// Experiments as GrowthBook sees them; the rule file below is generated from them.
export const EXPERIMENTS = [
  { key: "hero-test", weights: [0.5, 0.5], coverage: 1, condition: { plan: { $in: ["pro", "team"] } } },
  { key: "price-test", weights: [0.2, 0.3, 0.5], coverage: 0.8, condition: { age: { $gte: 18, $lt: 65 } } },
  { key: "cta-test", weights: [0.1, 0.1, 0.1, 0.7], coverage: 1, condition: { $or: [{ tags: { $elemMatch: { $eq: "beta" } } }, { score: { $gt: 50 } }] } },
  { key: "copy-test", weights: [0.5, 0.5], coverage: 0.3, condition: { country: { $nin: ["US", "CA"] } }, seed: "copy-seed-2026" },
  { key: "layout-test", weights: [0.34, 0.33, 0.33], coverage: 1, condition: { plan: { $exists: true }, version: { $vgte: "2.1.0" } } },
  { key: "all-visitors", weights: [0.5, 0.5], coverage: 1, condition: {} },
];

export function toml(experiments) {
  let out = '[site]\nattributes = ["plan", "age", "tags", "score", "version"]\n';
  for (const e of experiments) {
    out += `\n[[campaign]]\nid = "${e.key}"\ncoverage = ${e.coverage}\n`;
    if (e.seed) out += `seed = "${e.seed}"\n`;
    if (Object.keys(e.condition).length) out += `when = ${tomlValue(e.condition)}\n`;
    e.weights.forEach((w, i) => {
      out += `  [[campaign.variant]]\n  id = "v${i}"\n  weight = ${w}\n`;
    });
  }
  return out;
}

function tomlValue(v) {
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(", ")}]`;
  if (v && typeof v === "object") return `{ ${Object.entries(v).map(([k, x]) => `"${k}" = ${tomlValue(x)}`).join(", ")} }`;
  return JSON.stringify(v);
}

/** Deterministic visitors with a spread of attribute values (some missing). */
export function visitors(n) {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  return Array.from({ length: n }, (_, i) => {
    const a = { id: `visitor-${i}-${Math.floor(rnd() * 1e9).toString(36)}` };
    if (rnd() < 0.9) a.plan = pick(["free", "pro", "team", "enterprise"]);
    if (rnd() < 0.8) a.age = Math.floor(rnd() * 90);
    if (rnd() < 0.7) a.tags = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(["beta", "vip", "new"]));
    if (rnd() < 0.8) a.score = Math.floor(rnd() * 100);
    if (rnd() < 0.8) a.version = pick(["1.9.9", "2.0.0", "2.1.0", "2.1.0-beta.1", "2.10.3", "v3.0.0"]);
    a.country = pick(["US", "CA", "DE", "FR", "JP"]);
    return a;
  });
}

/** Loads the browser engine with the experiments' ruleset inside, as
 * `tailor build --evaluate` builds it (the engine with `evaluate`), or
 * with `{ evaluate: false }` as `tailor build` does (`decide` only). */
export async function tailorEngine(experiments, { evaluate = true } = {}) {
  const flags = evaluate ? ["--evaluate"] : [];
  const module = withBuiltSite(toml(experiments), (site) => new WebAssembly.Module(readFileSync(path.join(site, "browser/tailor.wasm"))), flags);
  const engine = instantiate(module);
  const error = engine.load(new Uint8Array(WebAssembly.Module.customSections(module, "tailor.rules")[0]));
  assert.equal(error, undefined, error);
  // `evaluate(attributes, now, out)` as the script tag's window.tailor.evaluate
  // runs it, `decide(facts)` as the script tag decides a page view.
  return { ...engine, ...engineCalls(engine) };
}

/** `e` as the experiment GrowthBook's `run` takes (variations are indices). */
export function growthbookExperiment(e) {
  return { key: e.key, variations: e.weights.map((_, i) => i), weights: e.weights, coverage: e.coverage, condition: e.condition, seed: e.seed, hashVersion: 2, hashAttribute: "id" };
}

/** The time of the facts (ms), for schedules. */
export const NOW = 1795431600000;

/** The facts tailor needs for GrowthBook attributes `a` (what the script tag passes to `decide`). */
export function facts(a) {
  const { id, country, ...custom } = a;
  return { url: "https://shop.example/", cookies: `tailor_id=${id}`, geo: { country }, now: NOW, custom };
}

