// The worker under load in local workerd: tailor's worker (build/site, the
// demo rules www/tailor.toml) against a passthrough worker, both proxying the
// same origin, in one run with interleaved rounds.
//
//   node benches/load/run.mjs [--seconds 10] [--rounds 10] [--warmup 1]
//        [--concurrency 8] [--max-requests 20000]
//   BENCH_QUICK=1: --seconds 2 --rounds 4
//
// Pages (origin.mjs): the demo shop's home page `/` and pricing page, and a
// lol-html bench page (cloudflare.com, 119 KB). The visitor is a German mobile
// gold member on the trial arm of the A/B test (TAILOR_DEV=1 lets x-tailor-*
// headers stand in for geo), so on `/` tailor decides and rewrites 9
// elements, on the bench page it decides (one campaign applies to all pages)
// and streams the page through HTMLRewriter with two selectors that match
// nothing there, plus its state script. Last, the bench page for a desktop
// visitor no campaign targets: tailor decides and returns the origin's
// response untouched (its fixed cost per request).
//
// Load: a closed loop of N concurrent keep-alive GETs from this process, each
// reading the whole body; per page, the two workers alternate in rounds
// (A,B / B,A / ...), each round bounded in time (seconds/rounds) and in
// requests (--max-requests per worker and page). Reported per page and
// worker: req/s, p50/p99 latency, the CPU time of the worker's own workerd
// process per request (from /proc, the least noisy number on a shared
// machine), and tailor/passthrough ratios, also the median of the per-round
// ratios. Writes build/bench/load.json; benches/report.mjs renders it.
//
// The client, the origin and both `wrangler dev` instances (each a node
// process, a proxy workerd and the worker's workerd) share the machine's
// CPUs, so absolute numbers are far below production; compare the rows.
import { spawn, execFileSync } from "node:child_process";
import { startWorker as startWrangler } from "../../tests/edge/wrangler.mjs";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const out = path.join(root, "build/bench/load.json");

const args = process.argv.slice(2);
const QUICK = !!process.env.BENCH_QUICK && process.env.BENCH_QUICK !== "0";
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const SECONDS = opt("seconds", QUICK ? 2 : 10);
const ROUNDS = opt("rounds", QUICK ? 4 : 10);
const WARMUP = opt("warmup", 1);
const CONCURRENCY = opt("concurrency", 8);
const MAX_REQUESTS = opt("max-requests", 20000);
const IDLE_TIMEOUT_MS = 15_000;

const VISITOR = {
  "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
  "x-tailor-country": "DE",
  "x-tailor-city": "Berlin",
  "accept-language": "de-DE,de;q=0.9",
  cookie: "tier=gold; tailor_id=visitor1",
};
/** A desktop visitor without geo or cookies: on the bench page no campaign applies to them. */
const NOBODY = {
  "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "accept-language": "en-US,en;q=0.9",
  cookie: "tailor_id=visitor1",
};
/** The cases: a page and a visitor; `expect` marks a personalized page, `identical` an untouched one. */
const PAGES = [
  { id: "home", path: "/", visitor: VISITOR, label: "demo home page", expect: ["Willkommen, Berlin!", 'id="tailor-state"', "tailor-highlight"] },
  { id: "pricing", path: "/pricing/", visitor: VISITOR, label: "demo pricing page", expect: ['id="tailor-state"', "14 days free"] },
  { id: "bench", path: "/bench/cloudflare.com.html", visitor: VISITOR, label: "bench page cloudflare.com", expect: ['id="tailor-state"'] },
  { id: "bench-idle", path: "/bench/cloudflare.com.html", visitor: NOBODY, label: "bench page, a visitor no campaign targets", identical: true },
];
const WORKERS = [
  { id: "tailor", label: "tailor (build/site)", config: "wrangler.tailor.toml", vars: { TAILOR_DEV: "1" } },
  { id: "passthrough", label: "passthrough", config: "wrangler.passthrough.toml", vars: {} },
];

const log = (...a) => console.error("load:", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ processes

const children = [];
function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => { if (child.exitCode === null) child.kill("SIGKILL"); }, 5000).unref();
  });
}
const stops = []; // the workers'
const stopAll = () => Promise.all([...children.map(stopChild), ...stops.map((stop) => stop())]);
process.on("SIGINT", () => { stopAll().then(() => process.exit(130)); });
process.on("SIGTERM", () => { stopAll().then(() => process.exit(143)); });

async function startOrigin() {
  const child = spawn(process.execPath, [path.join(here, "origin.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const url = await new Promise((resolve, reject) => {
    child.stdout.once("data", (d) => resolve(String(d).trim()));
    child.once("exit", (code) => reject(new Error(`origin exited (${code})`)));
  });
  return url;
}

async function startWorker(worker, origin) {
  const w = await startWrangler({
    config: path.join(here, worker.config), cwd: here, vars: { ORIGIN: origin, ...worker.vars },
    readyPath: "/", logLevel: "warn", timeoutMs: 120_000, name: `wrangler (${worker.id})`,
  });
  stops.push(w.stop);
  return { ...worker, url: w.url, child: w.child, output: w.logs, agent: new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY }) };
}

// ------------------------------------------------------------ CPU of workerd

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}
const cmdline = (pid) => { try { return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "); } catch { return ""; } };
function descendants(pid) {
  const byParent = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(name);
    if (!st) continue;
    if (!byParent.has(st.ppid)) byParent.set(st.ppid, []);
    byParent.get(st.ppid).push(Number(name));
  }
  const found = [];
  const walk = (p) => { for (const c of byParent.get(p) || []) { found.push(c); walk(c); } };
  walk(pid);
  return found;
}
const TICK_MS = 10; // USER_HZ = 100
/** CPU ms of a `wrangler dev`'s processes by role: the workerd running the
 * worker (started with an inspector), wrangler's proxy workerd, node. */
function cpuProbe(w) {
  const roles = [w.child.pid, ...descendants(w.child.pid)].map((p) => {
    const c = cmdline(p);
    return [p, c.includes("workerd serve") ? (c.includes("--inspector-addr") ? "isolate" : "proxy") : c.includes("node") ? "node" : "other"];
  });
  return () => {
    const r = { isolate: 0, proxy: 0, node: 0, other: 0 };
    for (const [p, role] of roles) r[role] += (procStat(p)?.ticks || 0) * TICK_MS;
    return r;
  };
}

// ------------------------------------------------------------ HTTP

function get(url, agent, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

function getCount(url, agent, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      let n = 0;
      res.on("data", (c) => { n += c.length; });
      res.on("end", () => (res.statusCode === 200 && res.complete ? resolve(n) : reject(new Error(`status ${res.statusCode}`))));
      res.on("error", reject);
      res.on("close", () => { if (!res.complete) reject(new Error("response cut")); });
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** N concurrent loops until `seconds` pass or `maxRequests` have started. */
async function closedLoop(url, agent, headers, seconds, maxRequests) {
  const latencies = [];
  let errors = 0, started = 0, lastError = "";
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end && started < maxRequests) {
      started++;
      const s = performance.now();
      try {
        await getCount(url, agent, headers);
        latencies.push(performance.now() - s);
      } catch (e) {
        errors++;
        lastError = e.message;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return { latencies, elapsed: performance.now() - t0, errors, lastError };
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };
const versionOf = (cmd, a) => { try { return execFileSync(cmd, a, { encoding: "utf8" }).trim().split("\n")[0]; } catch { return "?"; } };

// ------------------------------------------------------------ main

async function main() {
  for (const f of ["build/site/worker/worker.mjs", "build/site/worker/index_bg.wasm"]) {
    if (!fs.existsSync(path.join(root, f))) throw new Error(`${f} missing: run \`make site\` first`);
  }
  const t0 = Date.now();
  const loadavg = os.loadavg().map((l) => l.toFixed(2)).join(" ");
  const origin = await startOrigin();
  log(`origin ${origin}; starting the workers under wrangler dev`);
  const workers = [];
  // One at a time: concurrent `wrangler dev` in one directory trip over each other.
  for (const w of WORKERS) workers.push(await startWorker(w, origin));
  for (const w of workers) w.cpu = cpuProbe(w);
  const byId = Object.fromEntries(workers.map((w) => [w.id, w]));

  // What each worker returns, checked before measuring.
  const checks = [];
  for (const page of PAGES) {
    const originBody = await get(`${origin}${page.path}`);
    const t = await get(`${byId.tailor.url}${page.path}`, byId.tailor.agent, page.visitor);
    const p = await get(`${byId.passthrough.url}${page.path}`, byId.passthrough.agent, page.visitor);
    const tText = t.body.toString("utf8");
    const missing = (page.expect || []).filter((m) => !tText.includes(m));
    const check = {
      id: page.id,
      page: page.path,
      originBytes: originBody.body.length,
      tailorBytes: t.body.length,
      passthroughBytes: p.body.length,
      passthroughIdentical: p.body.equals(originBody.body),
      tailorIdentical: t.body.equals(originBody.body),
      tailorStatus: t.status,
      tailorPersonalized: !!page.expect && missing.length === 0,
      missing,
      decisions: (/"decisions":(\[[^\]]*\])/.exec(tText) || [])[1] || null,
    };
    checks.push(check);
    log(`${page.id} ${page.path}: origin ${check.originBytes} B, passthrough ${check.passthroughBytes} B (${check.passthroughIdentical ? "identical" : "DIFFERENT"}), tailor ${check.tailorBytes} B, ${check.tailorPersonalized ? "personalized" : check.tailorIdentical ? "untouched" : `NOT as expected (missing ${missing.join(", ")})`}`);
    const ok = page.identical ? check.tailorIdentical : check.tailorPersonalized;
    if (t.status !== 200 || !ok || !check.passthroughIdentical) throw new Error(`unexpected response for ${page.id} ${page.path}; tailor output:\n${byId.tailor.output()}`);
  }

  const results = [];
  const perRound = Math.max(1, Math.floor(MAX_REQUESTS / ROUNDS));
  for (const page of PAGES) {
    for (const w of workers) await closedLoop(`${w.url}${page.path}`, w.agent, page.visitor, WARMUP, MAX_REQUESTS);
    const acc = Object.fromEntries(workers.map((w) => [w.id, { latencies: [], elapsed: 0, errors: 0, lastError: "", rounds: [], cpu: { isolate: 0, proxy: 0, node: 0, other: 0 } }]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...workers].reverse() : workers;
      for (const w of order) {
        const before = w.cpu();
        const r = await closedLoop(`${w.url}${page.path}`, w.agent, page.visitor, SECONDS / ROUNDS, perRound);
        const after = w.cpu();
        const a = acc[w.id];
        a.latencies.push(...r.latencies);
        a.elapsed += r.elapsed;
        a.errors += r.errors;
        if (r.lastError) a.lastError = r.lastError;
        a.rounds.push((r.latencies.length / r.elapsed) * 1000);
        for (const k of Object.keys(a.cpu)) a.cpu[k] += after[k] - before[k];
      }
    }
    const row = { id: page.id, page: page.path, label: page.label, visitor: page.visitor === NOBODY ? "nobody" : "targeted", workers: {} };
    for (const w of workers) {
      const a = acc[w.id];
      const sorted = [...a.latencies].sort((x, y) => x - y);
      row.workers[w.id] = {
        requests: sorted.length,
        errors: a.errors,
        lastError: a.lastError,
        rps: (sorted.length / a.elapsed) * 1000,
        roundsRps: a.rounds,
        p50: pct(sorted, 50),
        p99: pct(sorted, 99),
        cpuIsolateMsPerReq: a.cpu.isolate / Math.max(1, sorted.length),
        cpuProxyMsPerReq: a.cpu.proxy / Math.max(1, sorted.length),
        cpuNodeMsPerReq: a.cpu.node / Math.max(1, sorted.length),
      };
    }
    const t = row.workers.tailor, p = row.workers.passthrough;
    row.ratio = {
      rps: t.rps / p.rps,
      rpsMedianOfRounds: median(t.roundsRps.map((x, i) => x / p.roundsRps[i])),
      p50: t.p50 / p.p50,
      p99: t.p99 / p.p99,
    };
    results.push(row);
    log(`${page.id} ${page.path}: tailor ${t.rps.toFixed(0)} req/s (p50 ${t.p50.toFixed(1)} ms, p99 ${t.p99.toFixed(1)} ms, ${t.cpuIsolateMsPerReq.toFixed(2)} ms CPU/req), passthrough ${p.rps.toFixed(0)} req/s (p50 ${p.p50.toFixed(1)}, p99 ${p.p99.toFixed(1)}, ${p.cpuIsolateMsPerReq.toFixed(2)} ms CPU/req); tailor/passthrough ${row.ratio.rps.toFixed(2)} (median of rounds ${row.ratio.rpsMedianOfRounds.toFixed(2)})`);
  }
  await stopAll();

  const report = {
    date: new Date().toISOString(),
    options: { seconds: SECONDS, rounds: ROUNDS, warmup: WARMUP, concurrency: CONCURRENCY, maxRequests: MAX_REQUESTS, quick: QUICK },
    loadavg: { start: loadavg, end: os.loadavg().map((l) => l.toFixed(2)).join(" ") },
    wrangler: versionOf(path.join(root, "node_modules/.bin/wrangler"), ["--version"]),
    workerd: versionOf(path.join(root, "node_modules/.bin/workerd"), ["--version"]),
    visitors: { targeted: VISITOR, nobody: NOBODY },
    checks,
    results,
    seconds: (Date.now() - t0) / 1000,
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2));
  log(`done in ${report.seconds.toFixed(0)} s; wrote ${path.relative(root, out)}`);
}

main().catch(async (e) => {
  console.error(e && e.stack || e);
  await stopAll();
  process.exit(1);
});
