// Bundle sizes: what a visitor's browser downloads for the script tag
// (build/site/browser/tailor.js + tailor.wasm), what the worker uploads
// (everything in build/site/worker/), and GrowthBook's script-tag bundle
// (@growthbook/growthbook dist/bundles/auto.min.js) measured the same way:
// raw, gzip (zlib level 9) and brotli (quality 11, the maximum), each file
// compressed on its own (as it is served) and the totals summed.
//
//   node benches/sizes.mjs [site dir, default build/site]
//
// Writes build/bench/sizes.json. tests/node/sizes.test.mjs uses measure().
import fs from "node:fs";
import path from "node:path";
import { withBuiltSite } from "./support/site.mjs";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** raw, gzip -9 and brotli -q 11 sizes of one buffer. */
export function sizeOf(bytes) {
  return {
    raw: bytes.length,
    gzip: zlib.gzipSync(bytes, { level: 9 }).length,
    brotli: zlib.brotliCompressSync(bytes, {
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
        [zlib.constants.BROTLI_PARAM_LGWIN]: zlib.constants.BROTLI_MAX_WINDOW_BITS,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }).length,
  };
}

const sum = (parts) => parts.reduce((a, p) => ({ raw: a.raw + p.raw, gzip: a.gzip + p.gzip, brotli: a.brotli + p.brotli }), { raw: 0, gzip: 0, brotli: 0 });

function bundle(name, files) {
  const parts = files.map((file) => ({ file: path.relative(root, file), ...sizeOf(fs.readFileSync(file)) }));
  return { name, files: parts, total: sum(parts) };
}

/** The GrowthBook bundle's path and version, or null when not installed. */
export function growthbook() {
  try {
    const require = createRequire(path.join(root, "package.json"));
    const pkg = require.resolve("@growthbook/growthbook/package.json");
    const file = path.join(path.dirname(pkg), "dist/bundles/auto.min.js");
    return fs.existsSync(file) ? { file, version: JSON.parse(fs.readFileSync(pkg, "utf8")).version } : null;
  } catch {
    return null;
  }
}

/**
 * The browser bundle of `rules` (TOML) built with `flags`, labelled `label`
 * (as `(label)/browser/tailor.wasm`): `said` must match what `tailor
 * build` says it picked. Built with the CLI (target/debug/tailor, as `make
 * site` builds it) into a temporary directory; null when the CLI is missing.
 */
function measureBuilt(name, label, rules, flags, said) {
  if (!fs.existsSync(path.join(root, "target/debug/tailor"))) return null;
  return withBuiltSite(rules, (site, output) => {
    if (!said.test(output)) throw new Error(`tailor build ${flags.join(" ")} did not pick the engine for ${label}: ${output}`);
    const b = bundle(name, ["tailor.js", "tailor.wasm"].map((f) => path.join(site, "browser", f)));
    for (const f of b.files) f.file = f.file.replace(/^.*\/site\//, `(${label})/`);
    return b;
  }, flags);
}

const demoRules = () => fs.readFileSync(path.join(root, "www/tailor.toml"), "utf8");

/**
 * The browser bundle of the demo rules plus one campaign whose condition
 * uses an operator the common engine leaves out (`$type`): what a site
 * whose rules need the engine with every operator downloads (`tailor
 * build` picks it; see `all-operators` in Cargo.toml).
 */
export function measureAllOperators() {
  const rules = demoRules() + '\n[[campaign]]\nid = "all-operators"\nwhen = { city = { "$type" = "string" } }\n  [[campaign.variant]]\n  id = "v"\n';
  return measureBuilt("browser bundle for rules that need every operator (tailor.js + tailor.wasm)", "demo rules + $type", rules, [], /with every condition operator\)/);
}

/**
 * The browser bundle of the demo rules built with `tailor build
 * --evaluate`: what a site that calls `window.tailor.evaluate` downloads.
 */
export function measureEvaluate() {
  return measureBuilt("browser bundle with evaluate (tailor.js + tailor.wasm)", "demo rules, --evaluate", demoRules(), ["--evaluate"], /common operators, with evaluate\)/);
}

/** Measures the browser and worker bundles of a built site, and GrowthBook's. */
export function measure(site = path.join(root, "build/site")) {
  const browserFiles = ["tailor.js", "tailor.wasm"].map((f) => path.join(site, "browser", f));
  for (const f of browserFiles) if (!fs.existsSync(f)) throw new Error(`${path.relative(root, f)} missing: run \`make site\` first`);
  const workerDir = path.join(site, "worker");
  const workerFiles = fs.readdirSync(workerDir).sort().map((f) => path.join(workerDir, f)).filter((f) => fs.statSync(f).isFile());
  const gb = growthbook();
  // The rest of the npm package's code (the ES module build, an engine loaded
  // only for QA previews): not downloaded by every visitor, listed apart.
  const others = fs.readdirSync(path.join(site, "browser")).sort()
    .filter((f) => /\.(m?js|wasm)$/.test(f) && !["tailor.js", "tailor.wasm"].includes(f))
    .map((f) => path.join(site, "browser", f));
  return {
    site: path.relative(root, site),
    browser: bundle("tailor browser bundle (tailor.js + tailor.wasm)", browserFiles),
    browserAllOperators: measureAllOperators(),
    browserEvaluate: measureEvaluate(),
    browserOther: others.length ? bundle("other files of build/site/browser (not loaded by the script tag on every page)", others) : null,
    worker: bundle("tailor worker bundle (build/site/worker/*)", workerFiles),
    growthbook: gb ? { ...bundle(`GrowthBook ${gb.version} script tag (dist/bundles/auto.min.js)`, [gb.file]), version: gb.version } : null,
  };
}

const kb = (n) => `${n.toLocaleString("en-US")} B`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const site = path.resolve(process.argv[2] || path.join(root, "build/site"));
  const m = measure(site);
  const rows = [];
  for (const b of [m.browser, m.browserAllOperators, m.browserEvaluate, m.browserOther, m.worker, m.growthbook].filter(Boolean)) {
    for (const f of b.files) rows.push([f.file, kb(f.raw), kb(f.gzip), kb(f.brotli)]);
    if (b.files.length > 1 && b !== m.browserOther) rows.push([`= ${b.name}`, kb(b.total.raw), kb(b.total.gzip), kb(b.total.brotli)]);
  }
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), 8));
  console.log(["file", "raw", "gzip -9", "brotli 11"].map((h, i) => (i ? h.padStart(w[i]) : h.padEnd(w[i]))).join("  "));
  for (const r of rows) console.log(r.map((c, i) => (i ? c.padStart(w[i]) : c.padEnd(w[i]))).join("  "));
  if (m.growthbook) {
    const g = m.growthbook.total, t = m.browser.total;
    m.ratio = { raw: t.raw / g.raw, gzip: t.gzip / g.gzip, brotli: t.brotli / g.brotli };
    console.log(`tailor browser bundle / GrowthBook: raw ${m.ratio.raw.toFixed(2)}x, gzip ${m.ratio.gzip.toFixed(2)}x, brotli ${m.ratio.brotli.toFixed(2)}x`);
  }
  m.date = new Date().toISOString();
  const out = path.join(root, "build/bench/sizes.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(m, null, 2));
  console.error(`sizes: wrote ${path.relative(root, out)}`);
}
