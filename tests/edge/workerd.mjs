// Starts a built worker directory (worker.mjs, index.js, index_bg.wasm) in
// workerd itself, without wrangler dev in front: wrangler's dev proxy
// rewrites every HTML response on its way out (sending it chunked), which
// hides what the worker answered byte for byte and header for header. The
// worker reaches loopback origins through an explicit network service.
import { spawn } from "node:child_process";
import { mkdtemp, writeFile, copyFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import workerd from "workerd";
import { freePort, waitForAnswer } from "./wrangler.mjs";

/** Resolves to { url, stop, logs() } once the worker answers `readyPath`. */
export async function startWorkerd({ dir, bindings = {}, readyPath = "/", timeoutMs = 30_000 }) {
  const work = await mkdtemp(path.join(tmpdir(), "tailor-workerd-"));
  for (const file of ["worker.mjs", "index.js", "index_bg.wasm"]) await copyFile(path.join(dir, file), path.join(work, file));
  const port = await freePort();
  const text = (v) => JSON.stringify(String(v));
  await writeFile(path.join(work, "config.capnp"), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .tailor),
    (name = "loopback", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const tailor :Workerd.Worker = (
  modules = [
    (name = "worker.mjs", esModule = embed "worker.mjs"),
    (name = "index.js", esModule = embed "index.js"),
    (name = "index_bg.wasm", wasm = embed "index_bg.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  bindings = [ ${Object.entries(bindings).map(([k, v]) => `(name = ${text(k)}, text = ${text(v)})`).join(", ")} ],
  globalOutbound = "loopback",
);
`);
  const child = spawn(workerd.default, ["serve", "config.capnp", "--experimental"], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => { output += d; });
  child.stderr.on("data", (d) => { output += d; });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(work, { recursive: true, force: true });
  };
  await waitForAnswer({ url: url + readyPath, child, logs: () => output, timeoutMs, name: "workerd", anyStatus: true, onTimeout: stop });
  return { url, stop, logs: () => output };
}
