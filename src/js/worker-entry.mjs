// The Worker's entry, written by `tailor build` beside the engine.
//
// It hands the ruleset (a custom section of the engine's wasm module) to the
// engine, and it is the last line of defence: if the engine throws or traps,
// the visitor still gets the origin's page, untouched.
import { WorkerEntrypoint } from "cloudflare:workers";
import wasmModule from "./index_bg.wasm";
import Engine from "./index.js";

const sections = WebAssembly.Module.customSections(wasmModule, "tailor.rules");
globalThis.__TAILOR_RULES__ = sections.length > 0 ? sections[0] : undefined;

// A trap inside the engine happens in a microtask of its async handler: the
// handler's promise then never settles. Every request in flight races against
// this set of rejecters, which the runtime's error event fires.
const inFlight = new Set();
addEventListener("error", (event) => {
  for (const reject of inFlight) reject(event.error ?? new Error(String(event.message)));
});

function passThrough(request, env) {
  if (env.ORIGIN) {
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.ORIGIN);
    return fetch(new Request(target, request), { redirect: "manual" });
  }
  return env.ASSETS.fetch(request);
}

export default class Tailor extends WorkerEntrypoint {
  async fetch(request) {
    let reject;
    const trapped = new Promise((_, r) => { reject = r; });
    inFlight.add(reject);
    try {
      const engine = new Engine(this.ctx, this.env);
      return await Promise.race([engine.fetch(request), trapped]);
    } catch (error) {
      console.error("tailor: engine failed, serving the origin untouched:", String(error && error.message || error));
      // A GET or HEAD has no body, so the request is still whole here. The
      // engine hands any other method straight to the origin, body and all;
      // no clone is kept for that rare failure, as it would cost every request.
      return passThrough(request, this.env);
    } finally {
      inFlight.delete(reject);
    }
  }
}
