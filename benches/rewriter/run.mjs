// The rewriter benchmark: lol_html compiled into tailor's wasm against
// workerd's built-in HTMLRewriter, with a plain proxy as the baseline.
//
//   node benches/rewriter/run.mjs [--seconds 5] [--warmup 1] [--rounds 5]
//        [--concurrency 8] [--no-size] [--no-load] [--lolhtml-rev d57d6af]
//
// 1. builds the lol_html engine once from --lolhtml-rev (the last commit whose
//    edge worker rewrote with lol_html in the wasm; `git archive` + worker-build
//    into build/, cached) and compiles rules.toml into it and into the
//    checkout's engine (build/engine, which since 31c46c5 decides in the wasm
//    and applies the plan with HTMLRewriter),
// 2. starts origin.mjs and the five workers under `wrangler dev` (local
//    workerd, loopback only),
// 3. checks that all rewriting workers produce the same pages as the CLI
//    (`tailor rewrite`, lol_html native), after blanking the decision-state
//    JSON, and what a visitor gets when an HTMLRewriter handler throws,
// 4. measures each page with a closed loop of N concurrent keep-alive GETs
//    reading the whole body, the workers interleaved in rounds (A,B,C / B,C,A
//    / ...) because the machine is shared and noisy; it also samples the CPU
//    time of each worker's workerd processes,
// 5. measures the wasm sizes and lol_html's share (a probe crate built with and
//    without lol_html, like the engine), and lol_html's own speed in V8,
// 6. prints the tables and writes RESULTS.md beside this file.
import { spawn, execFileSync, spawnSync } from "node:child_process";
import { startWorker as startWrangler, freePort } from "../../tests/edge/wrangler.mjs";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const PAGES = ["cloudflare.com.html", "ecma402-spec.html", "html-parsing-spec.html"];
const CORPUS = process.env.BENCH_CORPUS || path.join(root, "../shared/corpus/bench");

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const flag = (name) => args.includes(`--${name}`);
const SECONDS = opt("seconds", 5); // measured seconds per worker per page
const WARMUP = opt("warmup", 1); // warm-up seconds per worker per page
const ROUNDS = opt("rounds", 5); // the measured seconds are split into this many interleaved rounds
const CONCURRENCY = opt("concurrency", 8);
// A request that sends nothing for this long is abandoned (and counted as an
// error), so a stalled response cannot hang the run.
const IDLE_TIMEOUT_MS = 15_000;
const LOLHTML_REV = (() => {
  const i = args.indexOf("--lolhtml-rev");
  return i >= 0 ? args[i + 1] : "d57d6af";
})();

const WORKERS = [
  { id: "passthrough", label: "passthrough (no rewrite)", config: "wrangler.passthrough.toml" },
  { id: "lolhtml", label: "tailor, lol_html in the wasm", config: "wrangler.tailor-lolhtml.toml" },
  { id: "head", label: "tailor HEAD (build/engine)", config: "wrangler.tailor-head.toml" },
  { id: "idle", label: "tailor (lol_html engine), no change applies", config: "wrangler.tailor-idle.toml" },
  { id: "htmlrewriter", label: "HTMLRewriter alone (JS, no decision)", config: "wrangler.htmlrewriter.toml" },
];

const log = (...a) => console.error("bench:", ...a);
const started = Date.now();

// ---------------------------------------------------------------- processes

const children = [];
function track(child) {
  children.push(child);
  return child;
}
function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => { if (child.exitCode === null) child.kill("SIGKILL"); }, 5000).unref();
  });
}
const stops = []; // the workers'
async function stopAll() {
  await Promise.all([...children.map(stopChild), ...stops.map((stop) => stop())]);
}
process.on("SIGINT", () => { stopAll().then(() => process.exit(130)); });

/** origin.mjs in its own process, so it does not share the load generator's event loop. */
async function startOrigin() {
  const port = await freePort();
  const child = track(spawn(process.execPath, [path.join(here, "origin.mjs"), String(port)], { stdio: ["ignore", "pipe", "inherit"] }));
  await new Promise((resolve, reject) => {
    child.stdout.once("data", resolve);
    child.once("exit", (code) => reject(new Error(`origin exited (${code})`)));
  });
  return `http://127.0.0.1:${port}`;
}

async function startWorker(worker, origin) {
  const w = await startWrangler({
    config: path.join(here, worker.config), cwd: here, vars: { ORIGIN: origin },
    readyPath: `/${PAGES[0]}`, logLevel: "warn", timeoutMs: 120_000, name: `wrangler (${worker.id})`,
  });
  stops.push(w.stop);
  return { ...worker, url: w.url, child: w.child, output: w.logs, agent: new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY }) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ CPU sampling

function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}
function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}
function descendants(pid) {
  const byParent = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(name);
    if (!st) continue;
    if (!byParent.has(st.ppid)) byParent.set(st.ppid, []);
    byParent.get(st.ppid).push(Number(name));
  }
  const out = [];
  const walk = (p) => { for (const c of byParent.get(p) || []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}
const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux
/** CPU time (ms) of the processes `wrangler dev` runs for one worker, by role:
 * the workerd running the worker's isolate (started with an inspector), the
 * workerd running wrangler's proxy in front of it, and node (wrangler). */
function cpuProbe(w) {
  const all = [w.child.pid, ...descendants(w.child.pid)];
  const role = (p) => {
    const c = cmdline(p);
    if (c.includes("workerd serve")) return c.includes("--inspector-addr") ? "isolate" : "proxy";
    return c.includes("node") ? "node" : "other";
  };
  const roles = all.map((p) => [p, role(p)]);
  const read = () => {
    const out = { isolate: 0, proxy: 0, node: 0, other: 0 };
    for (const [p, r] of roles) out[r] += (procStat(p)?.ticks || 0) * TICK_MS;
    out.all = out.isolate + out.proxy + out.node + out.other;
    return out;
  };
  return { read, isolatePids: roles.filter(([, r]) => r === "isolate").map(([p]) => p) };
}

// ------------------------------------------------------------ HTTP client

function get(url, agent, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
      res.on("error", (e) => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), error: e, complete: false }));
      res.on("close", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
    });
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** One body read, counting bytes only (the load loop). */
function getCount(url, agent) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
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

async function closedLoop(url, agent, seconds, expectBytes) {
  const latencies = [];
  let errors = 0;
  let wrongLength = 0;
  let lastError = "";
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const s = performance.now();
      try {
        const n = await getCount(url, agent);
        latencies.push(performance.now() - s);
        if (expectBytes !== undefined && n !== expectBytes) wrongLength++;
      } catch (e) {
        errors++;
        lastError = e.message;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  return { latencies, elapsed: performance.now() - t0, errors, wrongLength, lastError };
}

// ------------------------------------------------------------ helpers

const STATE_RE = /(<script type="application\/json" id="tailor-state">)[^<]*(<\/script>)/g;
const normalize = (buf) => buf.toString("latin1").replace(STATE_RE, "$1…$2");

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  if (i === n && a.length === b.length) return null;
  const ctx = (s) => JSON.stringify(s.slice(Math.max(0, i - 60), i + 60));
  return { offset: i, a: ctx(a), b: ctx(b), lengths: [a.length, b.length] };
}

const pct = (sorted, p) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
const fmt = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const sizes = (buf) => ({
  raw: buf.length,
  gzip: zlib.gzipSync(buf, { level: 9 }).length,
  brotli: zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});
/** A markdown table; the first `left` columns are left-aligned, the rest (numbers) right-aligned. */
function table(header, rows, left = 1) {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((h, i) => (i < left ? "---" : "---:")).join("|")}|`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return lines.join("\n");
}
function sh(cmd, a, o = {}) {
  try {
    return execFileSync(cmd, a, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...o }).trim();
  } catch (e) {
    return `unavailable (${(e.stderr || e.message || "").toString().trim().split("\n")[0]})`;
  }
}

// ------------------------------------------------------------ machine info

function machine() {
  const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
  const model = (cpuinfo.match(/^model name\s*:\s*(.*)$/m) || [])[1] || os.cpus()[0]?.model || "unknown";
  const wranglerVersion = JSON.parse(fs.readFileSync(path.join(root, "node_modules/wrangler/package.json"), "utf8")).version;
  return {
    date: new Date().toISOString(),
    nproc: sh("nproc", []),
    cpu: model,
    mem: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: os.release(),
    node: process.version,
    wrangler: wranglerVersion,
    workerd: sh(path.join(root, "node_modules/.bin/workerd"), ["--version"]),
    rustc: sh("rustc", ["--version"]),
    loadavg: os.loadavg().map((l) => l.toFixed(2)).join(" "),
  };
}

// ------------------------------------------------------------ wasm size

async function wasmSizes(engines) {
  const out = { rows: [], notes: [] };
  const read = (dir) => fs.readFileSync(path.join(dir, "worker/index_bg.wasm"));
  const upload = (dir) => Buffer.concat(["worker.mjs", "index.js", "index_bg.wasm"].map((f) => fs.readFileSync(path.join(dir, "worker", f))));
  const lol = read(engines.lolhtml);
  const head = read(engines.head);
  out.engine = sizes(lol);
  out.head = sizes(head);
  out.rows.push([`engine with lol_html (${engines.lolhtmlRev})`, sizes(lol)]);
  out.rows.push([`engine at HEAD (build/engine: ${engines.headKind})`, sizes(head)]);
  const d = (k) => out.engine[k] - out.head[k];
  out.rows.push(["difference", { raw: d("raw"), gzip: d("gzip"), brotli: d("brotli") }]);
  out.rows.push(["tailor worker upload with lol_html (worker.mjs + index.js + wasm with rules.toml)", sizes(upload(path.join(here, "build/tailor-lolhtml")))]);
  out.rows.push(["tailor worker upload at HEAD", sizes(upload(path.join(here, "build/tailor-head")))]);
  out.rows.push(["htmlrewriter-worker.mjs (the rewrite in JS, for scale)", sizes(fs.readFileSync(path.join(here, "htmlrewriter-worker.mjs")))]);

  // lol_html's share: the probe crate with and without it (same profile as the
  // engine), plus a speed build (opt-level 3) for the rewrite timing below.
  const probe = path.join(here, "wasm-size");
  const cargo = process.env.CARGO || "cargo";
  const wasmOpt = path.join(root, "node_modules/.bin/wasm-opt");
  const features = ["mutable-globals", "sign-ext", "nontrapping-float-to-int", "bulk-memory", "multivalue", "reference-types", "exception-handling"].map((f) => `--enable-${f}`);
  try {
    fs.copyFileSync(path.join(root, "Cargo.lock"), path.join(probe, "Cargo.lock")); // the engine's versions
    const built = {};
    const variants = [
      ["without", [], {}, "-O"],
      ["with", ["--features", "lol_html"], {}, "-O"],
      ["with-o3", ["--features", "lol_html"], { CARGO_PROFILE_RELEASE_OPT_LEVEL: "3" }, "-O3"],
    ];
    for (const [name, feat, env, level] of variants) {
      const targetDir = path.join(here, "build", `size-${name}`);
      const t = performance.now();
      const r = spawnSync(cargo, ["build", "--offline", "--release", "--target", "wasm32-unknown-unknown", "--target-dir", targetDir, ...feat],
        { cwd: probe, encoding: "utf8", timeout: 300_000, env: { ...process.env, ...env } });
      if (r.status !== 0) throw new Error(`cargo (${name} lol_html): ${(r.stderr || r.error || "").toString().trim().split("\n").slice(-3).join(" / ")}`);
      const raw = path.join(targetDir, "wasm32-unknown-unknown/release/rewriter_size_probe.wasm");
      const optimized = path.join(targetDir, "probe.opt.wasm");
      execFileSync(wasmOpt, [level, ...features, raw, "-o", optimized]);
      built[name] = fs.readFileSync(optimized);
      log(`size probe ${name} lol_html: ${built[name].length} B (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    }
    const w = sizes(built.with);
    const wo = sizes(built.without);
    out.probe = { with: w, without: wo, o3: sizes(built["with-o3"]), share: { raw: w.raw - wo.raw, gzip: w.gzip - wo.gzip, brotli: w.brotli - wo.brotli } };
    out.rewriteMs = { z: await probeRewriteMs(built.with), o3: await probeRewriteMs(built["with-o3"]) };
    const lock = fs.readFileSync(path.join(probe, "Cargo.lock"), "utf8");
    out.probe.versions = ["lol_html", "selectors", "cssparser", "encoding_rs"].map((n) => {
      const m = lock.match(new RegExp(`name = "${n}"\\nversion = "([^"]+)"`));
      return `${n} ${m ? m[1] : "?"}`;
    }).join(", ");
  } catch (e) {
    out.notes.push(`lol_html's share not measured: ${e.message}`);
  }
  return out;
}

/** The probe's lol_html rewrite of each page (the five changes of rules.toml,
 * 4 KiB chunks, all inside one wasm call) in this process's V8: lol_html's own
 * cost in wasm, without the worker's streaming. Median CPU time of 20 after 5 warm-ups. */
async function probeRewriteMs(wasm) {
  const { instance } = await WebAssembly.instantiate(wasm, {});
  const e = instance.exports;
  const spec = Buffer.from([
    "title\ttext\tTailored <bench> & \"friends\"",
    "img\tattr\timg & co",
    "body\tclass\ttailor-on",
    "h1\tappend\t<span class=\"tailor-badge\">new</span>",
    "h2\treplace\t<h2 class=\"tailor-replaced\">Replaced at the edge</h2>",
  ].join("\n"));
  const put = (buf) => {
    const p = e.alloc(buf.length);
    new Uint8Array(e.memory.buffer, p, buf.length).set(buf);
    return p;
  };
  const result = {};
  for (const page of PAGES) {
    const html = fs.readFileSync(path.join(CORPUS, page));
    const times = [];
    for (let i = 0; i < 25; i++) {
      const sp = put(spec);
      const pp = put(html);
      const cp = put(Buffer.alloc(0));
      // CPU time, not wall time: the machine is shared.
      const t = process.cpuUsage();
      const rc = e.rewrite(sp, spec.length, pp, html.length, cp, 0);
      const d = process.cpuUsage(t);
      if (i >= 5) times.push((d.user + d.system) / 1000);
      if (rc !== 0) throw new Error(`probe rewrite failed on ${page}`);
    }
    result[page] = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  }
  return result;
}

// ------------------------------------------------------------ engines

/** The lol_html engine and the CLI of LOLHTML_REV, built once into
 * build/engine-lolhtml and build/lolhtml-target (the sources exported with
 * `git archive`, nothing in the checkout touched). The CLI must be the same
 * commit's: the rule encoding and the worker entry `tailor build` writes change
 * between commits, and an engine that cannot read its rules passes pages
 * through untouched. */
function ensureLolhtmlEngine() {
  const dir = path.join(here, "build/engine-lolhtml");
  const wasm = path.join(dir, "worker/index_bg.wasm");
  const stamp = path.join(dir, "REV");
  const cli = path.join(here, "build/lolhtml-target/debug/tailor");
  const commit = execFileSync("git", ["-C", root, "rev-parse", "--verify", `${LOLHTML_REV}^{commit}`], { encoding: "utf8" }).trim();
  if (fs.existsSync(wasm) && fs.existsSync(cli) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8").trim() === commit) return { dir, cli, commit };
  const src = path.join(here, "build/lolhtml-src");
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  const x = spawnSync("sh", ["-c", `git -C "${root}" archive ${commit} | tar -x -C "${src}"`], { encoding: "utf8" });
  if (x.status !== 0) throw new Error(`git archive ${commit}: ${x.stderr}`);
  const manifest = fs.readFileSync(path.join(src, "Cargo.toml"), "utf8");
  if (!/^edge\s*=\s*\[[^\]]*"rewrite"/m.test(manifest)) throw new Error(`${LOLHTML_REV}: its edge feature does not use lol_html (pass --lolhtml-rev)`);
  log(`building the lol_html engine and CLI of ${commit.slice(0, 7)} (worker-build --release, cargo build; 2-3 minutes, once)`);
  const t = performance.now();
  const r = spawnSync(path.join(os.homedir(), ".cargo/bin/worker-build"),
    ["--release", "--out-dir", path.join(dir, "worker"), "--", "--offline", "--no-default-features", "--features", "edge"], {
      cwd: src,
      encoding: "utf8",
      timeout: 900_000,
      env: {
        ...process.env,
        CARGO_TARGET_DIR: path.join(here, "build/lolhtml-target"),
        WASM_BINDGEN_BIN: path.join(os.homedir(), ".cargo/bin/wasm-bindgen"),
        WASM_OPT_BIN: path.join(root, "node_modules/.bin/wasm-opt"),
        ESBUILD_BIN: path.join(root, "node_modules/.bin/esbuild"),
      },
    });
  if (r.status !== 0 || !fs.existsSync(wasm)) throw new Error(`worker-build failed:\n${(r.stderr || String(r.error)).split("\n").slice(-15).join("\n")}`);
  const c = spawnSync(process.env.CARGO || "cargo", ["build", "--offline", "--bin", "tailor"], {
    cwd: src, encoding: "utf8", timeout: 900_000, env: { ...process.env, CARGO_TARGET_DIR: path.join(here, "build/lolhtml-target") },
  });
  if (c.status !== 0 || !fs.existsSync(cli)) throw new Error(`cargo build (CLI of ${commit.slice(0, 7)}) failed:\n${(c.stderr || String(c.error)).split("\n").slice(-15).join("\n")}`);
  fs.writeFileSync(stamp, `${commit}\n`);
  log(`built in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  return { dir, cli, commit };
}

/** What an engine does with a plan: lol_html in the wasm, or HTMLRewriter from JS (its glue, or
 * since the synchronous engine the worker entry of the CLI that builds it, `entry`). */
function engineKind(dir, entry = "") {
  const js = fs.readFileSync(path.join(dir, "worker/index.js"), "utf8") + entry;
  return js.includes("HTMLRewriter") ? "the wasm decides, HTMLRewriter applies" : "lol_html in the wasm";
}

// ------------------------------------------------------------ main

async function main() {
  const info = machine();
  log(`machine: ${info.nproc} cpus, ${info.cpu}, load ${info.loadavg}`);

  // 1. engines and the tailor workers with these rules
  const tailorBin = path.join(root, "target/debug/tailor");
  if (!fs.existsSync(tailorBin)) throw new Error("target/debug/tailor is missing: run `make cli` (or `make site`) first");
  const headEngine = path.join(root, "build/engine");
  if (!fs.existsSync(path.join(headEngine, "worker/index_bg.wasm"))) throw new Error("build/engine is missing: run `make engine` first");
  const lol = ensureLolhtmlEngine();
  const engines = { lolhtml: lol.dir, lolhtmlRev: `commit ${lol.commit.slice(0, 7)}`, head: headEngine, headKind: engineKind(headEngine, fs.readFileSync(path.join(root, "src/js/worker-entry.mjs"), "utf8")) };
  info.engines = `lol_html: ${engines.lolhtmlRev} (${engineKind(lol.dir)}); HEAD: ${sh("git", ["-C", root, "rev-parse", "--short", "HEAD"])}${sh("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"]) ? " + uncommitted changes" : ""} (${engines.headKind})`;
  for (const [cliBin, rules, out, engine] of [[lol.cli, "rules.toml", "tailor-lolhtml", lol.dir], [lol.cli, "rules-idle.toml", "tailor-idle", lol.dir],
    [tailorBin, "rules.toml", "tailor-head", headEngine]]) {
    log(sh(cliBin, ["build", path.join(here, rules), "--out", path.join(here, "build", out), "--engine", engine]));
  }
  const labels = { head: `tailor HEAD: ${engines.headKind}` };

  // 2. origin and workers
  const origin = await startOrigin();
  log(`origin ${origin}; starting the workers under wrangler dev`);
  // One at a time: concurrent `wrangler dev` in the same project directory
  // trip over each other (the runtime fails to start).
  const workers = [];
  for (const w of WORKERS) workers.push(await startWorker({ ...w, label: labels[w.id] || w.label }, origin));
  for (const w of workers) {
    w.cpu = cpuProbe(w);
    log(`${w.id}: ${w.url} (workerd isolate pid ${w.cpu.isolatePids.join(",") || "?"})`);
  }
  const byId = Object.fromEntries(workers.map((w) => [w.id, w]));

  // 3. same output
  const checks = [];
  const expected = {};
  const markerNames = ["title", "img attrs", "body classes", "h1 badges", "h2 replaced", "state script"];
  const markers = (s) => ["<title>Tailored &lt;bench&gt; &amp; \"friends\"</title>", 'data-tailor="img &amp; co"', "tailor-on tailor-bench",
    "tailor-badge", "tailor-replaced", 'id="tailor-state"'].map((m) => s.split(m).length - 1);
  const headerKeys = ["content-type", "cache-control", "vary", "content-length", "etag", "set-cookie"];
  const hdr = (r) => headerKeys.map((k) => `${k}: ${r.headers[k] ?? "-"}`).join("; ");
  for (const page of PAGES) {
    const original = fs.readFileSync(path.join(CORPUS, page));
    const res = {};
    for (const w of workers) res[w.id] = await get(`${w.url}/${page}`, w.agent);
    for (const w of workers) expected[`${w.id} ${page}`] = res[w.id].body.length;
    const rewrite = (bin) => normalize(execFileSync(bin, ["rewrite", path.join(here, "rules.toml"), "--page", path.join(CORPUS, page), "--url", `http://bench.local/${page}`], { maxBuffer: 64 << 20 }));
    const cli = rewrite(lol.cli); // lol_html native, the reference
    const headCli = rewrite(tailorBin);
    const norm = Object.fromEntries(["lolhtml", "head", "htmlrewriter"].map((id) => [id, normalize(res[id].body)]));
    const raw = (id) => res[id].body.toString("latin1");
    const c = {
      page,
      originalBytes: original.length,
      bytes: Object.fromEntries(workers.map((w) => [w.id, res[w.id].body.length])),
      vsCli: Object.fromEntries(Object.entries(norm).map(([id, s]) => [id, firstDifference(s, cli)])),
      passthrough: firstDifference(raw("passthrough"), original.toString("latin1")),
      idle: firstDifference(raw("idle"), original.toString("latin1")),
      headCli: firstDifference(headCli, cli),
      markers: Object.fromEntries(Object.entries(norm).map(([id, s]) => [id, markers(s)])),
      headers: Object.fromEntries(["lolhtml", "head", "htmlrewriter"].map((id) => [id, hdr(res[id])])),
    };
    checks.push(c);
    const same = (d) => (d === null ? "==" : "!=");
    log(`${page}: vs CLI: lol_html ${same(c.vsCli.lolhtml)}, HEAD ${same(c.vsCli.head)}, HTMLRewriter ${same(c.vsCli.htmlrewriter)}, HEAD's CLI ${same(c.headCli)}; origin: passthrough ${same(c.passthrough)}, idle ${same(c.idle)}`);
  }

  // What a visitor gets when an HTMLRewriter handler throws.
  const failure = [];
  for (const page of PAGES) {
    const hw = byId.htmlrewriter;
    let r;
    try {
      r = await get(`${hw.url}/${page}`, new http.Agent({ keepAlive: false }), { "x-bench-throw": "h2" });
    } catch (e) {
      r = { status: "error", body: Buffer.alloc(0), error: e };
    }
    failure.push({ page, status: r.status, received: r.body.length, expected: expected[`htmlrewriter ${page}`], complete: !!r.complete && !r.error, error: r.error ? String(r.error.code || r.error.message) : "" });
  }
  log(`handler-throws check: ${failure.map((f) => `${f.page} ${f.received}/${f.expected} B`).join(", ")}`);

  // 4. load, interleaved
  const results = {};
  if (!flag("no-load")) {
    for (const page of PAGES) {
      for (const w of workers) {
        results[`${w.id} ${page}`] = { latencies: [], elapsed: 0, errors: 0, wrongLength: 0, rounds: [], cpu: { isolate: 0, proxy: 0, node: 0, other: 0, all: 0 } };
      }
      log(`${page}: warm-up ${WARMUP} s per worker`);
      for (const w of workers) await closedLoop(`${w.url}/${page}`, w.agent, WARMUP);
      for (let round = 0; round < ROUNDS; round++) {
        const order = workers.map((_, i) => workers[(i + round) % workers.length]);
        for (const w of order) {
          const key = `${w.id} ${page}`;
          const before = w.cpu.read();
          const r = await closedLoop(`${w.url}/${page}`, w.agent, SECONDS / ROUNDS, expected[key]);
          const after = w.cpu.read();
          const acc = results[key];
          acc.latencies.push(...r.latencies);
          acc.elapsed += r.elapsed;
          acc.errors += r.errors;
          if (r.lastError) acc.lastError = r.lastError;
          acc.wrongLength += r.wrongLength;
          acc.rounds.push((r.latencies.length / r.elapsed) * 1000);
          for (const k of Object.keys(acc.cpu)) acc.cpu[k] += after[k] - before[k];
        }
      }
      const line = workers.map((w) => {
        const a = results[`${w.id} ${page}`];
        return `${w.id} ${fmt((a.latencies.length / a.elapsed) * 1000)} req/s ${fmt(a.cpu.isolate / a.latencies.length, 2)} ms CPU/req`;
      }).join(", ");
      log(`${page}: ${line}`);
    }
  }

  await stopAll();
  info.loadavgEnd = os.loadavg().map((l) => l.toFixed(2)).join(" ");

  // 5. size
  const size = flag("no-size") ? null : await wasmSizes(engines);

  // 6. report
  const md = report(info, checks, markerNames, failure, results, size, workers);
  fs.writeFileSync(path.join(here, "RESULTS.md"), md);
  console.log(md);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote benches/rewriter/RESULTS.md`);
}

function report(info, checks, markerNames, failure, results, size, workers) {
  const out = [];
  const label = Object.fromEntries(workers.map((w) => [w.id, w.label]));
  out.push("# Rewriter benchmark: lol_html in the wasm vs workerd's HTMLRewriter", "");
  out.push("Generated by `node benches/rewriter/run.mjs` (see README.md there). Local workerd under `wrangler dev`, not Cloudflare's edge: compare the rows with each other, not with production.", "");
  out.push("## Machine", "");
  out.push(table(["", ""], [
    ["date", info.date], ["cpus (nproc)", info.nproc], ["cpu", info.cpu], ["memory", info.mem], ["kernel", info.kernel],
    ["node", info.node], ["wrangler", info.wrangler], ["workerd", info.workerd], ["rustc", info.rustc], ["engines", info.engines],
    ["load average (1, 5, 15 min) at start / after the load", `${info.loadavg} / ${info.loadavgEnd ?? "n/a"}`],
    ["options", `--seconds ${SECONDS} --warmup ${WARMUP} --rounds ${ROUNDS} --concurrency ${CONCURRENCY} --lolhtml-rev ${LOLHTML_REV}`],
  ], 2), "");

  out.push("## Workers", "");
  out.push(table(["worker", "what it runs"], [
    [label.passthrough, "`passthrough-worker.mjs`: fetches ORIGIN, returns the response"],
    [label.lolhtml, `tailor's engine of ${info.engines.split(";")[0].replace("lol_html: ", "")}: decides, then streams the page through lol_html 3.0.3 compiled into the wasm (rules.toml)`],
    [label.head, "tailor as the checkout builds it (build/engine) with rules.toml"],
    [label.idle, "the lol_html engine with rules-idle.toml: decides, applies nothing, returns the origin's response (tailor's fixed cost)"],
    [label.htmlrewriter, "`htmlrewriter-worker.mjs`: the same five changes with HTMLRewriter, no decision"],
  ], 2), "");

  out.push("## Same output?", "");
  out.push("Rules: `rules.toml` (one campaign, one variant: `title` text, `img` attr, `body` add_class, `h1` append, `h2` replace). Each rewritten page is compared with `tailor rewrite` of the lol_html commit (the CLI, lol_html native) after blanking the decision-state JSON in `<script id=\"tailor-state\">` (it carries the request's geo).", "");
  const same = (d) => (d === null ? "identical" : `DIFFERENT at byte ${d.offset}`);
  out.push(table(["page", "origin B", "lol_html B", "HEAD B", "HTMLRewriter B", "lol_html = CLI", "HEAD = CLI", "HTMLRewriter = CLI", "HEAD's CLI = CLI", "passthrough = origin", "no-change tailor = origin"],
    checks.map((c) => [c.page, c.originalBytes, c.bytes.lolhtml, c.bytes.head, c.bytes.htmlrewriter,
      same(c.vsCli.lolhtml), same(c.vsCli.head), same(c.vsCli.htmlrewriter), same(c.headCli), same(c.passthrough), same(c.idle)])), "");
  out.push(`Changes counted in each page (${markerNames.join(", ")}), lol_html / HEAD / HTMLRewriter:`, "");
  for (const c of checks) out.push(`- ${c.page}: ${c.markers.lolhtml.join(", ")} / ${c.markers.head.join(", ")} / ${c.markers.htmlrewriter.join(", ")}`);
  for (const c of checks) {
    for (const [id, d] of Object.entries(c.vsCli)) {
      if (d) out.push(`- ${c.page}, ${label[id]} vs CLI, first difference at byte ${d.offset} (lengths ${d.lengths.join(" vs ")}): ${d.a} vs ${d.b}`);
    }
  }
  out.push("", "Response headers:", "");
  for (const [id, h] of Object.entries(checks[0].headers)) out.push(`- ${label[id]}: \`${h}\``);
  out.push("");

  out.push("### When a handler throws", "");
  out.push("`htmlrewriter-worker.mjs` with `x-bench-throw: h2` (its h2 handler throws). *complete response* says whether the HTTP response still ended normally, i.e. whether the client could even tell that the page is cut:", "");
  out.push(table(["page", "status", "bytes received", "bytes of the full page", "complete response"],
    failure.map((f) => [f.page, f.status, f.received, f.expected, f.complete ? "yes" : `no${f.error ? ` (${f.error})` : ""}`])), "");
  out.push("The lol_html engine's handlers never return an error, and it runs lol_html with `with_graceful_bail_out_on_content_handler_error(true)` and a graceful bail-out at its memory limit: when lol_html gives up, the rest of the page passes through untouched.", "");

  if (Object.keys(results).length) {
    out.push("## Throughput and latency", "");
    out.push(`Closed loop: ${CONCURRENCY} concurrent keep-alive GETs from node, each reading the whole body; per page, ${WARMUP} s warm-up per worker, then ${SECONDS} s per worker in ${ROUNDS} interleaved rounds (rotating order). Client, origin and the ${workers.length} wrangler dev instances share ${info.nproc} CPUs, so req/s and latency depend on the whole machine and vary from round to round (see min–max); **CPU ms/req (isolate)** is the CPU time of the worker's own workerd process (proxying, HTTP, the wasm or HTMLRewriter) per request served, the least noisy number here. The last two CPU columns are wrangler dev's own overhead for the same requests (its proxy workerd in front of the worker, and wrangler's node process), which production does not have.`, "");
    const rows = [];
    for (const page of PAGES) {
      const base = results[`passthrough ${page}`];
      const baseRps = (base.latencies.length / base.elapsed) * 1000;
      const baseCpu = base.cpu.isolate / base.latencies.length;
      for (const w of workers) {
        const a = results[`${w.id} ${page}`];
        const sorted = [...a.latencies].sort((x, y) => x - y);
        const rps = (sorted.length / a.elapsed) * 1000;
        const cpu = a.cpu.isolate / sorted.length;
        rows.push([page, w.label, fmt(rps), w.id === "passthrough" ? "1.00" : fmt(rps / baseRps, 2),
          `${fmt(Math.min(...a.rounds), 0)}–${fmt(Math.max(...a.rounds), 0)}`,
          fmt(pct(sorted, 50), 1), fmt(pct(sorted, 99), 1),
          fmt(cpu, 2), w.id === "passthrough" ? "–" : `${cpu - baseCpu >= 0 ? "+" : ""}${fmt(cpu - baseCpu, 2)}`,
          fmt(a.cpu.proxy / sorted.length, 2), fmt(a.cpu.node / sorted.length, 2),
          `${sorted.length}${a.errors ? `, ${a.errors} errors (${a.lastError})` : ""}${a.wrongLength ? `, ${a.wrongLength} wrong length` : ""}`]);
      }
    }
    out.push(table(["page", "worker", "req/s", "× passthrough", "req/s per round (min–max)", "p50 ms", "p99 ms", "CPU ms/req (isolate)", "over passthrough", "proxy workerd ms/req", "wrangler node ms/req", "requests"], rows, 2), "");

    const per = (id, page) => {
      const a = results[`${id} ${page}`];
      return a ? a.cpu.isolate / a.latencies.length : NaN;
    };
    out.push("### The rewrite's CPU per request (worker isolate, ms over passthrough)", "");
    out.push("*tailor's fixed cost* = the no-change tailor worker (decides, proxies) over passthrough; *lol_html streaming* = the lol_html worker minus the no-change one; *lol_html alone* = the same five changes in the probe wasm in node's V8, the page in 4 KiB chunks inside one wasm call (see Size): the rest of *lol_html streaming* is moving every chunk between workerd's streams, JS and the wasm.", "");
    out.push(table(["page", "HTMLRewriter alone", label.head, label.lolhtml, "tailor's fixed cost", "lol_html streaming", "lol_html alone (wasm, opt-level z)"],
      PAGES.map((page) => {
        const pass = per("passthrough", page);
        const idle = per("idle", page);
        const lolhtml = per("lolhtml", page);
        const alone = size && size.rewriteMs ? fmt(size.rewriteMs.z[page], 2) : "n/a";
        return [page, fmt(per("htmlrewriter", page) - pass, 2), fmt(per("head", page) - pass, 2), fmt(lolhtml - pass, 2), fmt(idle - pass, 2), fmt(lolhtml - idle, 2), alone];
      })), "");
  }

  if (size) {
    out.push("## Size", "");
    out.push(table(["artifact", "raw", "gzip -9", "brotli 11"], size.rows.map(([name, s]) => [name, kb(s.raw), kb(s.gzip), kb(s.brotli)])), "");
    if (size.probe) {
      const p = size.probe;
      const share = (k) => `${kb(p.share[k])} (${fmt((100 * p.share[k]) / size.engine[k], 0)} % of the lol_html engine)`;
      out.push(`lol_html's share measured apart with \`wasm-size/\`, a probe crate built like the engine (opt-level z, LTO, 1 codegen unit, panic abort, stripped, wasm-opt -O) with and without a rewrite that uses what the engine's src/rewrite.rs used (${p.versions}):`, "");
      out.push(table(["probe", "raw", "gzip -9", "brotli 11"], [
        ["without lol_html", kb(p.without.raw), kb(p.without.gzip), kb(p.without.brotli)],
        ["with lol_html", kb(p.with.raw), kb(p.with.gzip), kb(p.with.brotli)],
        ["lol_html's share", share("raw"), share("gzip"), share("brotli")],
        ["with lol_html, opt-level 3 + wasm-opt -O3", kb(p.o3.raw), kb(p.o3.gzip), kb(p.o3.brotli)],
      ]), "");
      if (size.rewriteMs) {
        out.push("lol_html's rewrite alone in wasm (the probe in node's V8: the five changes, 4 KiB chunks in one wasm call; median CPU time of 20 after 5 warm-ups, ms per page):", "");
        out.push(table(["page", "opt-level z (as the engine)", "opt-level 3"], PAGES.map((pg) => [pg, fmt(size.rewriteMs.z[pg], 2), fmt(size.rewriteMs.o3[pg], 2)])), "");
      }
    }
    for (const n of size.notes) out.push(`- ${n}`);
    out.push("");
  }
  return out.join("\n");
}

main().catch(async (e) => {
  console.error(e && e.stack || e);
  await stopAll();
  process.exit(1);
});
