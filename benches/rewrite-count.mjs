// Instructions per rewrite, counted under valgrind (cachegrind, no cache
// simulation): a deterministic cross-check of the rewrite benchmark's time
// ratios, which other jobs on a shared machine can skew. Runs the `rewrite`
// bench binary (benches/rewrite.rs, as `cargo bench` built it) once per
// variant and page set with BENCH_COUNT, and subtracts the `copy` run
// (process start and reading the pages).
//
//   node benches/rewrite-count.mjs        (BENCH_QUICK=1: two page sets)
//
// Writes build/bench/rewrite-count.json; skips (with a note) without valgrind.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "build/bench/rewrite-count.json");
const QUICK = !!process.env.BENCH_QUICK && process.env.BENCH_QUICK !== "0";

const SETS = QUICK ? ["cloudflare.com", "corpus-small"] : ["cloudflare.com", "ecma402-spec", "html-parsing-spec", "corpus-small", "corpus-medium", "corpus-large"];
const VARIANTS = ["copy", "lol_html-passthrough", "lol_html-noop-1", "lol_html-noop-5", "lol_html-noop-20", "lol_html-direct-5", "tailor-5-bare", "tailor-1", "tailor-5", "tailor-20"];

function write(report) {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2));
  console.error(`rewrite-count: wrote ${path.relative(root, out)}`);
}

const valgrind = spawnSync("valgrind", ["--version"], { encoding: "utf8" });
if (valgrind.status !== 0) {
  console.error("rewrite-count: valgrind not found, skipped");
  write({ skipped: "valgrind not found" });
  process.exit(0);
}

// The bench binary, built by `cargo bench` with the same profile.
const messages = execFileSync("cargo", ["bench", "--bench", "rewrite", "--no-run", "--message-format=json"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });
const binary = messages.split("\n").filter(Boolean).map((l) => JSON.parse(l))
  .find((m) => m.reason === "compiler-artifact" && m.target?.name === "rewrite" && m.executable)?.executable;
if (!binary) throw new Error("no rewrite bench executable in cargo's output");

function count(set, variant) {
  const r = spawnSync("valgrind", ["--tool=cachegrind", "--cache-sim=no", "--branch-sim=no", "--cachegrind-out-file=/dev/null", binary], {
    encoding: "utf8",
    env: { ...process.env, BENCH_SETS: set, BENCH_COUNT: variant },
    maxBuffer: 64 << 20,
  });
  const m = /I\s+refs:\s+([\d,]+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`valgrind ${set} ${variant} failed:\n${r.stderr.slice(-2000)}`);
  return Number(m[1].replaceAll(",", ""));
}

const t0 = Date.now();
const sets = [];
for (const set of SETS) {
  const raw = Object.fromEntries(VARIANTS.map((v) => [v, count(set, v)]));
  const base = raw.copy;
  const net = Object.fromEntries(VARIANTS.filter((v) => v !== "copy").map((v) => [v, raw[v] - base]));
  const pass = net["lol_html-passthrough"];
  const ratio = Object.fromEntries(Object.entries(net).map(([v, n]) => [v, pass / n])); // like a throughput ratio: passthrough instructions / variant instructions
  sets.push({ set, instructions: net, passthroughOverVariant: ratio });
  console.error(`rewrite-count: ${set}: ${Object.entries(net).map(([v, n]) => `${v} ${(n / 1e6).toFixed(2)}M (${ratio[v].toFixed(2)})`).join(", ")}`);
}
write({ date: new Date().toISOString(), valgrind: valgrind.stdout.trim(), binary: path.relative(root, binary), sets, seconds: (Date.now() - t0) / 1000 });
