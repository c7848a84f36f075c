// Size budgets for what `make site` builds (build/site, the demo rules):
// - the browser bundle a visitor downloads for the script tag, tailor.js +
//   tailor.wasm, at most 30 KB (30,720 B) gzipped (zlib level 9, each file on
//   its own, as served), the target next to GrowthBook's ~18 KB
//   (and, below, ceilings for the larger builds: rules that need the engine
//   with every condition operator, and `tailor build --evaluate`);
// - the worker bundle, everything uploaded from build/site/worker/, at most
//   1 MB (1,048,576 B) gzipped (Cloudflare's limit for a free-plan worker).
// The measured numbers are printed either way; benches/sizes.mjs has the
// full table (raw, gzip, brotli, GrowthBook).
import { test } from "node:test";
import assert from "node:assert/strict";
import { measure } from "../../benches/sizes.mjs";

const BROWSER_BUDGET = 30 * 1024;
const WORKER_BUDGET = 1024 * 1024;
// Builds that are larger than the demo rules' by design, held to ceilings:
// any growth past them fails the suite. Rules that use an operator the
// common engine leaves out get the engine with every operator
// (`all-operators` in Cargo.toml; 32,489 B measured with the demo rules and
// one `$type`); a site built with `tailor build --evaluate` gets the engine
// with `window.tailor.evaluate` (32,004 B measured with the demo rules).
const ALL_OPERATORS_CEILING = 33 * 1024;
const EVALUATE_CEILING = 33 * 1024;

const m = measure();
const list = (b) => b.files.map((f) => `${f.file} ${f.gzip.toLocaleString("en-US")} B`).join(", ");

test(`browser bundle (tailor.js + tailor.wasm) is at most ${BROWSER_BUDGET.toLocaleString("en-US")} B gzipped`, (t) => {
  const gzip = m.browser.total.gzip;
  t.diagnostic(`browser bundle: ${gzip.toLocaleString("en-US")} B gzip -9 (${list(m.browser)}); budget ${BROWSER_BUDGET.toLocaleString("en-US")} B`);
  if (m.growthbook) t.diagnostic(`GrowthBook ${m.growthbook.version} auto.min.js: ${m.growthbook.total.gzip.toLocaleString("en-US")} B gzip -9`);
  assert.ok(gzip <= BROWSER_BUDGET,
    `the browser bundle is ${gzip.toLocaleString("en-US")} B gzipped (${list(m.browser)}), over the budget of ${BROWSER_BUDGET.toLocaleString("en-US")} B by ${(gzip - BROWSER_BUDGET).toLocaleString("en-US")} B`);
});

for (const [build, what, ceiling, larger] of [
  ["browserAllOperators", "for rules that need every operator", ALL_OPERATORS_CEILING, "the engine with every operator"],
  ["browserEvaluate", "built with --evaluate", EVALUATE_CEILING, "the engine with evaluate"],
]) {
  test(`browser bundle ${what} is at most ${ceiling.toLocaleString("en-US")} B gzipped (no growth)`, (t) => {
    const b = m[build];
    assert.ok(b, "target/debug/tailor builds the demo rules (run `make site` first)");
    t.diagnostic(`browser bundle ${what}: ${b.total.gzip.toLocaleString("en-US")} B gzip -9 (${list(b)})`);
    assert.ok(b.total.gzip > m.browser.total.gzip, `${larger} is larger than the common one the demo rules get`);
    assert.ok(b.total.gzip <= ceiling,
      `the browser bundle ${what} grew to ${b.total.gzip.toLocaleString("en-US")} B gzipped (${list(b)}), over the ceiling of ${ceiling.toLocaleString("en-US")} B`);
  });
}

test(`worker bundle (build/site/worker/*) is at most ${WORKER_BUDGET.toLocaleString("en-US")} B gzipped`, (t) => {
  const gzip = m.worker.total.gzip;
  t.diagnostic(`worker bundle: ${gzip.toLocaleString("en-US")} B gzip -9 (${list(m.worker)}); budget ${WORKER_BUDGET.toLocaleString("en-US")} B`);
  assert.ok(m.worker.files.some((f) => f.file.endsWith(".wasm")), "the worker bundle contains the engine's wasm");
  assert.ok(gzip <= WORKER_BUDGET,
    `the worker bundle is ${gzip.toLocaleString("en-US")} B gzipped (${list(m.worker)}), over the budget of ${WORKER_BUDGET.toLocaleString("en-US")} B by ${(gzip - WORKER_BUDGET).toLocaleString("en-US")} B`);
});
