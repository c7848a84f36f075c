// Size budgets for what `make site` builds (build/site, the demo rules):
// - the browser bundle a visitor downloads for the script tag, tailor.js +
//   tailor.wasm, at most 30 KB (30,720 B) gzipped (zlib level 9, each file on
//   its own, as served), the target next to GrowthBook's ~18 KB
//   (and, below, the same for rules that need the engine with every
//   condition operator);
// - the worker bundle, everything uploaded from build/site/worker/, at most
//   1 MB (1,048,576 B) gzipped (Cloudflare's limit for a free-plan worker).
// The measured numbers are printed either way; benches/sizes.mjs has the
// full table (raw, gzip, brotli, GrowthBook).
import { test } from "node:test";
import assert from "node:assert/strict";
import { measure } from "../../benches/sizes.mjs";

const BROWSER_BUDGET = 30 * 1024;
const WORKER_BUDGET = 1024 * 1024;
// The browser budget is not met yet (see README "Bundle size" and the
// performance issue): its test is marked TODO, so it runs and reports "not ok
// # TODO" with the numbers without failing the suite, until the bundle fits
// (then drop `todo`). Meanwhile this ceiling is enforced: any growth past it
// fails the suite. It comes down as cuts land (48 KB until the facts went
// in in the binary form of `evaluate` instead of JSON, the ruleset reader
// stopped carrying a `Result` through every field and a few generic std
// functions went, 44,864 B measured then; 45 KB until the ruleset reader
// and the condition compiler stopped returning early on every field, char
// patterns gave way to byte scans and generic collections to loops,
// 39,355 B measured then; 40 KB until conditions were stored compiled in
// the ruleset, wasm-opt kept large one-caller functions apart and the
// answer was written as JSON text, 36,186 B measured then; 37 KB until
// the rules that need no rare operator got the common engine, 33,832 B
// measured then; 35 KB until the engines lost wasm-bindgen and the preview
// session moved to the QA script, 31,887 B measured then).
const BROWSER_CEILING = 33 * 1024;
const BROWSER_TODO = "over the 30 KB budget: 31,887 B at the last measurement (README, Bundle size)";
// Rules that use an operator the common engine leaves out get the engine
// with every operator (`all-operators` in Cargo.toml): no growth past this
// either (33,990 B measured with the demo rules and one `$type`).
const ALL_OPERATORS_CEILING = 35 * 1024;

const m = measure();
const list = (b) => b.files.map((f) => `${f.file} ${f.gzip.toLocaleString("en-US")} B`).join(", ");

test(`browser bundle (tailor.js + tailor.wasm) is at most ${BROWSER_CEILING.toLocaleString("en-US")} B gzipped (no growth while over budget)`, () => {
  const gzip = m.browser.total.gzip;
  assert.ok(gzip <= BROWSER_CEILING,
    `the browser bundle grew to ${gzip.toLocaleString("en-US")} B gzipped (${list(m.browser)}), over the ceiling of ${BROWSER_CEILING.toLocaleString("en-US")} B`);
});

test(`browser bundle (tailor.js + tailor.wasm) is at most ${BROWSER_BUDGET.toLocaleString("en-US")} B gzipped`, { todo: BROWSER_TODO }, (t) => {
  const gzip = m.browser.total.gzip;
  t.diagnostic(`browser bundle: ${gzip.toLocaleString("en-US")} B gzip -9 (${list(m.browser)}); budget ${BROWSER_BUDGET.toLocaleString("en-US")} B`);
  if (m.growthbook) t.diagnostic(`GrowthBook ${m.growthbook.version} auto.min.js: ${m.growthbook.total.gzip.toLocaleString("en-US")} B gzip -9`);
  assert.ok(gzip <= BROWSER_BUDGET,
    `the browser bundle is ${gzip.toLocaleString("en-US")} B gzipped (${list(m.browser)}), over the budget of ${BROWSER_BUDGET.toLocaleString("en-US")} B by ${(gzip - BROWSER_BUDGET).toLocaleString("en-US")} B`);
});

test(`browser bundle for rules that need every operator is at most ${ALL_OPERATORS_CEILING.toLocaleString("en-US")} B gzipped (no growth while over budget)`, (t) => {
  const b = m.browserAllOperators;
  assert.ok(b, "target/debug/tailor builds the rules with every operator (run `make site` first)");
  t.diagnostic(`browser bundle for rules that need every operator: ${b.total.gzip.toLocaleString("en-US")} B gzip -9 (${list(b)})`);
  assert.ok(b.total.gzip > m.browser.total.gzip, "the engine with every operator is larger than the common one the demo rules get");
  assert.ok(b.total.gzip <= ALL_OPERATORS_CEILING,
    `the browser bundle for rules that need every operator grew to ${b.total.gzip.toLocaleString("en-US")} B gzipped (${list(b)}), over the ceiling of ${ALL_OPERATORS_CEILING.toLocaleString("en-US")} B`);
});

test(`worker bundle (build/site/worker/*) is at most ${WORKER_BUDGET.toLocaleString("en-US")} B gzipped`, (t) => {
  const gzip = m.worker.total.gzip;
  t.diagnostic(`worker bundle: ${gzip.toLocaleString("en-US")} B gzip -9 (${list(m.worker)}); budget ${WORKER_BUDGET.toLocaleString("en-US")} B`);
  assert.ok(m.worker.files.some((f) => f.file.endsWith(".wasm")), "the worker bundle contains the engine's wasm");
  assert.ok(gzip <= WORKER_BUDGET,
    `the worker bundle is ${gzip.toLocaleString("en-US")} B gzipped (${list(m.worker)}), over the budget of ${WORKER_BUDGET.toLocaleString("en-US")} B by ${(gzip - WORKER_BUDGET).toLocaleString("en-US")} B`);
});
