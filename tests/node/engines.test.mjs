// The builds of the lean browser engine (Makefile, `engine`): the common
// one, without the condition operators few rule files use, and the one with
// every operator (`all-operators` in Cargo.toml), each with `evaluate` or
// without. `tailor build` gives a site the common one when its rules fit
// it; the common one must refuse, never misjudge, rules that do not fit
// (and the loader then leaves the page as it is, see
// tests/browser/script.test.mjs). `evaluate` only when the build asks
// (`--evaluate`), in the lean engine and the QA engine alike.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { engineCalls } from "../../pkg-template/src/evaluate.js";
import { instantiate as instantiateEngine } from "../../pkg-template/src/engine.js";
import { withBuiltSite } from "../../benches/support/site.mjs";
import { EXPERIMENTS, facts, toml, visitors } from "./growthbook-fixtures.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const engines = path.join(root, "build/engine/browser");

/** `tailor build` of `rules` (TOML) with `flags`: what it said, and the site's tailor.wasm and tailor-qa.wasm. */
const build = (rules, flags = []) =>
  withBuiltSite(rules, (site, said) => ({
    said,
    wasm: readFileSync(path.join(site, "browser/tailor.wasm")),
    qa: readFileSync(path.join(site, "browser/tailor-qa.wasm")),
  }), flags);

/** The names a wasm module exports. */
const exportsOf = (wasm) => WebAssembly.Module.exports(new WebAssembly.Module(wasm)).map((e) => e.name).sort();

/** An instance of the engine `file` (in build/engine/browser), as the loader runs it. */
function instantiate(file) {
  const engine = instantiateEngine(new WebAssembly.Module(readFileSync(path.join(engines, file))));
  return { ...engine, ...engineCalls(engine) };
}

const rulesOf = (wasm) => new Uint8Array(WebAssembly.Module.customSections(new WebAssembly.Module(wasm), "tailor.rules")[0]);

const campaign = (when) => `
[site]
attributes = ["tags"]

[[campaign]]
id = "c"
when = ${when}
  [[campaign.variant]]
  id = "v"
`;

test("the demo rules get the common engine, unchanged but for the rules section", () => {
  const { said, wasm } = build(readFileSync(path.join(root, "www/tailor.toml"), "utf8"));
  assert.match(said, /tailor\.wasm \(\d+ B, common operators\)/);
  const common = readFileSync(path.join(engines, "engine-common.wasm"));
  assert.ok(wasm.subarray(0, common.length).equals(common), "tailor.wasm is the common engine plus its rules");
});

test("rules with a rare operator get the engine with every operator, which decides them", () => {
  const { said, wasm } = build(campaign(`{ tags = { "$elemMatch" = { "$eq" = "ski" } } }`));
  assert.match(said, /with every condition operator\)/);
  const all = readFileSync(path.join(engines, "engine-all-operators.wasm"));
  assert.ok(wasm.subarray(0, all.length).equals(all), "tailor.wasm is the engine with every operator plus its rules");
  const engine = instantiate("engine-all-operators.wasm");
  assert.equal(engine.load(rulesOf(wasm)), undefined);
  const variants = (tags) => JSON.parse(engine.decide({ url: "https://shop.example/", now: 0, custom: { tags } })).decisions.map((d) => d.variant);
  assert.deepEqual(variants(["hike", "ski"]), ["v"]);
  assert.deepEqual(variants(["hike"]), []);
});

test("evaluate only with --evaluate: in tailor.wasm and tailor-qa.wasm alike", () => {
  const evaluateExports = ["campaigns_json", "evaluate"];
  const has = (wasm) => evaluateExports.filter((name) => exportsOf(wasm).includes(name));
  for (const [when, engine] of [[`{ tags = { "$in" = ["ski"] } }`, "common"], [`{ tags = { "$size" = 2 } }`, "all-operators"]]) {
    const plain = build(campaign(when));
    assert.deepEqual(has(plain.wasm), [], `${engine}: the lean engine has no evaluate`);
    assert.deepEqual(has(plain.qa), [], `${engine}: nor the QA engine, so a preview offers the same API`);
    assert.ok(exportsOf(plain.qa).includes("decide"), "the QA engine keeps its other exports");
    const withEvaluate = build(campaign(when), ["--evaluate"]);
    assert.match(withEvaluate.said, /, with evaluate\)/);
    const built = readFileSync(path.join(engines, `engine-${engine}-evaluate.wasm`));
    assert.ok(withEvaluate.wasm.subarray(0, built.length).equals(built), `tailor.wasm is engine-${engine}-evaluate plus its rules`);
    assert.deepEqual(has(withEvaluate.wasm), evaluateExports);
    assert.deepEqual(has(withEvaluate.qa), evaluateExports);
  }
  // The lean engine without evaluate is the smaller one every visitor downloads.
  const size = (file) => readFileSync(path.join(engines, file)).length;
  assert.ok(size("engine-common.wasm") < size("engine-common-evaluate.wasm"));
  assert.ok(size("engine-all-operators.wasm") < size("engine-all-operators-evaluate.wasm"));
});

test("the engines with and without evaluate decide alike", () => {
  // The GrowthBook experiments (conditions, weights, coverage, seeds) for
  // 2,000 visitors: the ones that fit the common engine on both common
  // builds, all of them on both builds with every operator.
  const fitsCommon = EXPERIMENTS.filter((e) => !/\$(elemMatch|vgte)/.test(JSON.stringify(e.condition)));
  assert.ok(fitsCommon.length >= 3 && fitsCommon.length < EXPERIMENTS.length);
  for (const [experiments, engine] of [[fitsCommon, "common"], [EXPERIMENTS, "all-operators"]]) {
    const rules = rulesOf(build(toml(experiments)).wasm);
    const lean = instantiate(`engine-${engine}.wasm`);
    const fast = instantiate(`engine-${engine}-evaluate.wasm`);
    assert.equal(lean.load(rules), undefined);
    assert.equal(fast.load(rules), undefined);
    let assigned = 0;
    for (const a of visitors(2000)) {
      const r = lean.decide(facts(a));
      assert.equal(fast.decide(facts(a)), r, `${engine}: ${JSON.stringify(a)}`);
      assigned += JSON.parse(r).decisions.length;
    }
    assert.ok(assigned > 2000, `${engine}: the experiments are exercised (${assigned} decisions)`);
  }
});

test("the common engine refuses rules with a rare operator instead of misjudging them", () => {
  const common = instantiate("engine-common.wasm");
  for (const when of [
    `{ tags = { "$elemMatch" = { "$eq" = "ski" } } }`,
    `{ tags = { "$size" = 2 } }`,
    `{ city = { "$type" = "string" } }`,
    `{ tags = ["ski"] }`,
    `{ "$or" = [{ country = "DE" }, { tags = { "$all" = ["ski"] } }] }`,
  ]) {
    const error = common.load(rulesOf(build(campaign(when)).wasm));
    assert.match(String(error), /^invalid ruleset at byte \d+$/, when);
  }
  // And takes the ones it fits.
  assert.equal(common.load(rulesOf(build(campaign(`{ tags = { "$in" = ["ski"] } }`)).wasm)), undefined);
});

test("the lean engine says where a damaged ruleset is wrong: the header field, or the byte of the body", () => {
  const engine = instantiate("engine-common.wasm");
  const good = rulesOf(build(campaign(`{ tags = { "$in" = ["ski"] } }`)).wasm);
  const damaged = (at, value) => Uint8Array.from(good, (b, i) => (i === at ? value : b));
  assert.equal(engine.load(good.subarray(0, 8)), "invalid ruleset header at byte 0", "shorter than the header");
  assert.equal(engine.load(damaged(0, 0)), "invalid ruleset header at byte 0", "magic");
  assert.equal(engine.load(damaged(4, 99)), "invalid ruleset header at byte 4", "version");
  assert.equal(engine.load(good.subarray(0, good.length - 1)), "invalid ruleset header at byte 5", "length");
  assert.equal(engine.load(damaged(good.length - 1, good.at(-1) ^ 1)), "invalid ruleset header at byte 9", "checksum");
  assert.equal(engine.load(good), undefined);
});

test("the lean engine's JSON reads back as the same text: markup characters and line separators unescaped", () => {
  const text = "<b>&amp;</b> \u2028 \u2029 \"quoted\" \\ \u0001";
  const { wasm } = build(`
[[campaign]]
id = "c"
  [[campaign.variant]]
  id = "v"
  changes = [{ select = "h1", text = ${JSON.stringify(text)} }]
`);
  const engine = instantiate("engine-common.wasm");
  assert.equal(engine.load(rulesOf(wasm)), undefined);
  const json = engine.decide({ url: "https://shop.example/", now: 0 });
  assert.ok(json.includes("<b>&amp;</b> \u2028"), "written as it is");
  assert.deepEqual(JSON.parse(json).plan.changes.map((c) => c.value), [text]);
});

test("loading another ruleset does not disturb the attribute writer of the same instance", () => {
  const engine = instantiate("engine-all-operators-evaluate.wasm");
  const small = rulesOf(build(campaign(`{ tags = { "$in" = ["ski"] } }`)).wasm);
  // Larger than the 1 KB the writer first reserves: a load through the
  // attributes buffer would have moved it under the writer.
  const demo = rulesOf(readFileSync(path.join(root, "build/site/browser/tailor.wasm")));
  assert.ok(demo.length > 1024);
  assert.equal(engine.load(small), undefined);
  const out = [-2];
  assert.ok(engine.evaluate({ id: "v1", tags: ["ski"] }, 0, out));
  assert.deepEqual(out, [0]);
  assert.equal(engine.load(demo), undefined);
  const r = JSON.parse(engine.decide({ url: "https://shop.example/", geo: { country: "DE", city: "Berlin" }, now: 1795431600000 }));
  assert.equal(r.error, undefined, r.error);
  assert.ok(r.decisions.some((d) => d.campaign === "dach-hero"), JSON.stringify(r.decisions));
});
