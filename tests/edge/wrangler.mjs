// Starts the built worker (build/site) under local workerd with `wrangler dev`
// on a free loopback port, for the edge tests. Nothing leaves the machine:
// wrangler's attempt to fetch a `request.cf` sample fails offline and it uses
// its placeholder; tests set geo and time through TAILOR_DEV's x-tailor-*
// headers.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Whether `port` can be bound on loopback now. */
function canListen(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.on("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** The kernel's range for ports it picks itself (`listen(0)`), if it says. */
function ephemeralRange() {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {
    // not Linux: any free port
  }
  return null;
}

/**
 * A free loopback port for a server started next, below the kernel's
 * ephemeral range where there is room: a port the kernel picked and we
 * released could be handed to one of workerd's own sockets (which it binds
 * to port 0) before wrangler binds ours, and wrangler then exits with
 * "Address already in use" (it happened in a CI-like run).
 */
export async function freePort() {
  const range = ephemeralRange();
  if (range && range[0] > 11_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = 10_000 + Math.floor(Math.random() * (range[0] - 11_000));
      if (await canListen(port)) return port;
    }
  }
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts wrangler dev; resolves to { url, stop, logs(), child }. The tests
 * use the defaults; the benchmarks (benches/load, benches/rewriter) run their
 * own configs from their folder and wait for one of their pages.
 */
export async function startWorker(options = {}) {
  // Another process may still take the port between the check and
  // wrangler's bind: then wrangler exits at once, and a fresh port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startWorkerOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test(String(err?.message))) throw err;
    }
  }
}

async function startWorkerOnce({
  vars = {}, config = "tests/edge/wrangler.test.toml", cwd = root, readyPath = "/data/products.json",
  logLevel = "log", timeoutMs = 90_000, name = "wrangler",
} = {}) {
  const port = await freePort();
  const args = ["dev", "--config", config, "--port", String(port), "--ip", "127.0.0.1",
    "--show-interactive-dev-session=false", "--log-level", logLevel];
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  const child = spawn(path.join(root, "node_modules/.bin/wrangler"), args, {
    cwd,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  const url = `http://127.0.0.1:${port}`;
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => { if (child.exitCode === null) child.kill("SIGKILL"); }, 5000).unref();
  });
  await waitForAnswer({
    url: url + readyPath, child, logs: () => output, timeoutMs, name,
    onTimeout: () => child.kill("SIGKILL"),
  });
  return { url, stop, logs: () => output, child };
}

/**
 * Polls `url` until the server started as `child` answers it (with a
 * success unless `anyStatus`). Throws with the server's output (`logs()`)
 * if it exits first or `timeoutMs` passes (after `onTimeout()`).
 */
export async function waitForAnswer({ url, child, logs, timeoutMs, name, anyStatus = false, onTimeout = () => {} }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited early:\n${logs()}`);
    if (Date.now() > deadline) {
      await onTimeout();
      throw new Error(`${name} did not become ready within ${timeoutMs / 1000} s:\n${logs()}`);
    }
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (anyStatus || res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GrowthBook's hash v2 (FNV-1a 32), written independently of the engine. */
export function gbHash(seed, value) {
  const fnv = (s) => {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h += (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24);
    }
    return h >>> 0;
  };
  return (fnv(fnv(seed + value) + "") % 10000) / 10000;
}
