// Runs every benchmark in turn (what `make bench` does before writing
// BENCHMARKS.md with benches/report.mjs), each step's output shown and kept
// in build/bench/<step>.log. A step that fails or is missing is recorded in
// build/bench/steps.json and the others still run; the exit code is 1 if a
// step failed.
//
//   node benches/run.mjs [step ...]      BENCH_QUICK=1 for a short trial run
//
// Steps: cargo (cargo bench of every [[bench]]: benches/decide.rs, benches/rewrite.rs),
// rewrite-o3 (benches/rewrite.rs again, built at opt-level 3), count (benches/rewrite-count.mjs), node-growthbook, node-decide
// (benches/node/*.mjs), load (benches/load/run.mjs), browser
// (benches/browser/run.mjs), sizes (benches/sizes.mjs), breakdown
// (benches/wasm-breakdown.mjs, on `make engine-named`). Each is bounded in
// time; the whole run takes about 10 minutes on 2 cores (3 with BENCH_QUICK).
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = path.join(root, "build/bench");
const QUICK = !!process.env.BENCH_QUICK && process.env.BENCH_QUICK !== "0";

const STEPS = [
  {
    id: "cargo",
    title: "cargo bench (benches/decide.rs, benches/rewrite.rs)",
    cmd: "cargo",
    // Criterion's defaults for decide.rs; rewrite.rs sets its own times.
    args: ["bench", "--bench", "*", "--", ...(QUICK ? ["--warm-up-time", "0.3", "--measurement-time", "0.6", "--sample-size", "10"] : ["--warm-up-time", "1", "--measurement-time", "3"])],
    limit: 20 * 60,
  },
  // The rewrite once more, built for speed (both tailor and lol_html at
  // opt-level 3, in a target directory of its own so that the main build
  // stays): the interleaved rounds only, into build/bench/rewrite-o3.json.
  {
    id: "rewrite-o3",
    title: "the native rewrite built at opt-level 3 (benches/rewrite.rs, interleaved rounds)",
    cmd: "cargo",
    args: ["bench", "--bench", "rewrite"],
    env: { CARGO_PROFILE_BENCH_OPT_LEVEL: "3", CARGO_TARGET_DIR: "target/bench-o3", BENCH_SPEED_BUILD: "1" },
    limit: 15 * 60,
  },
  { id: "count", title: "instruction counts (benches/rewrite-count.mjs)", cmd: process.execPath, args: ["benches/rewrite-count.mjs"], limit: 5 * 60 },
  { id: "node-growthbook", title: "node benches/node/growthbook.mjs", cmd: process.execPath, args: ["benches/node/growthbook.mjs"], file: "benches/node/growthbook.mjs", limit: 5 * 60 },
  { id: "node-decide", title: "node benches/node/decide.mjs", cmd: process.execPath, args: ["benches/node/decide.mjs"], file: "benches/node/decide.mjs", limit: 5 * 60 },
  { id: "load", title: "worker under load (benches/load/run.mjs)", cmd: process.execPath, args: ["benches/load/run.mjs"], limit: 6 * 60 },
  { id: "browser", title: "script tag in Chromium (benches/browser/run.mjs)", cmd: process.execPath, args: ["benches/browser/run.mjs"], limit: 5 * 60 },
  { id: "sizes", title: "bundle sizes (benches/sizes.mjs)", cmd: process.execPath, args: ["benches/sizes.mjs"], limit: 60 },
  { id: "breakdown", title: "where the browser engine's bytes go (benches/wasm-breakdown.mjs)", cmd: process.execPath, args: ["benches/wasm-breakdown.mjs"], limit: 60 },
];

let current = null;
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (current) process.kill(-current.pid, "SIGTERM");
    process.exit(130);
  });
}

function run(step) {
  return new Promise((resolve) => {
    const log = fs.createWriteStream(path.join(dir, `${step.id}.log`));
    // Its own process group, so a step over its limit is stopped with its children.
    const child = spawn(step.cmd, step.args, { cwd: root, env: { ...process.env, ...step.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, "SIGTERM"); } catch {}
      setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch {} }, 10_000).unref();
    }, step.limit * 1000);
    child.stdout.on("data", (d) => { process.stdout.write(d); log.write(d); });
    child.stderr.on("data", (d) => { process.stderr.write(d); log.write(d); });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      current = null;
      log.end();
      resolve({ code, signal, timedOut });
    });
  });
}

async function main() {
  const only = process.argv.slice(2);
  fs.mkdirSync(dir, { recursive: true });
  const previous = fs.existsSync(path.join(dir, "steps.json")) ? JSON.parse(fs.readFileSync(path.join(dir, "steps.json"), "utf8")) : null;
  const steps = {};
  const started = new Date();
  // The code measured: the commit, and the files changed beside it (the report says which).
  const git = (...args) => { try { return execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim(); } catch { return ""; } };
  const code = {
    commit: git("rev-parse", "--short", "HEAD"),
    changed: git("diff", "--name-only", "HEAD", "--", ".", ":!BENCHMARKS.md").split("\n").filter(Boolean),
  };
  for (const step of STEPS) {
    if (only.length && !only.includes(step.id)) {
      if (previous?.steps?.[step.id]) steps[step.id] = previous.steps[step.id];
      continue;
    }
    if (step.file && !fs.existsSync(path.join(root, step.file))) {
      console.error(`bench: ${step.file} does not exist (yet): skipped`);
      steps[step.id] = { title: step.title, status: "skipped", note: `${step.file} does not exist` };
      fs.rmSync(path.join(dir, `${step.id}.log`), { force: true });
      continue;
    }
    console.error(`\nbench: ${step.title}`);
    const t0 = Date.now();
    const loadStart = os.loadavg();
    const r = await run(step);
    const seconds = (Date.now() - t0) / 1000;
    const status = r.timedOut ? "timed out" : r.code === 0 ? "ok" : "failed";
    steps[step.id] = { title: step.title, status, code: r.code, seconds, loadavgStart: loadStart, loadavgEnd: os.loadavg(), finished: new Date().toISOString() };
    console.error(`bench: ${step.id}: ${status} in ${seconds.toFixed(0)} s`);
  }
  const summary = { started: started.toISOString(), finished: new Date().toISOString(), quick: QUICK, code, steps };
  fs.writeFileSync(path.join(dir, "steps.json"), JSON.stringify(summary, null, 2));
  const failed = Object.entries(steps).filter(([, s]) => s.status !== "ok" && s.status !== "skipped");
  if (failed.length) {
    console.error(`bench: ${failed.map(([id, s]) => `${id} ${s.status}`).join(", ")} (logs in build/bench/)`);
    process.exitCode = 1;
  }
}

main();
