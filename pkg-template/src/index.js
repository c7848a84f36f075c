// The ES module entry (`import { start } from "tailor"`): the wasm defaults
// to tailor.wasm next to this file (tailor-qa.wasm for previews).
import { start as run } from "./core.js";

/** Starts tailor once; resolves to the API (also `window.tailor`), or null on failure. */
export function start(options) {
  return run({ wasmUrl: new URL("./tailor.wasm", import.meta.url), qaUrl: new URL("./tailor-qa.wasm", import.meta.url),
    qaJsUrl: new URL("./tailor-qa.js", import.meta.url), ...options });
}
