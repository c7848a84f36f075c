// The engine's `evaluate` for JS callers: attributes in (encoded by
// attributes.js straight into the engine's memory, where
// `attributes_buffer` says), the variant index of every campaign out. The
// engine leaves its results in its own memory and returns where (see
// src/browser.rs): a `Vec<i32>` return would make wasm-bindgen's glue build
// a fresh Int32Array per call, which cost more than deciding a campaign.
import { attributeWriter } from "./attributes.js";

/**
 * `evaluate`, `attributesBuffer`: the wasm-bindgen glue's `evaluate` and
 * `attributes_buffer`; `memory`: the instance's `WebAssembly.Memory` (what
 * `initSync` returns has it). Returns
 * `evaluate(attributes, now, out)`, which fills `out` (an array of the
 * ruleset's campaign count) with variant indices, -1 where none applies,
 * and returns false (leaving `out` alone) if the engine refused the call.
 */
export function evaluator(evaluate, attributesBuffer, memory) {
  const encode = attributeWriter((n) => {
    const start = attributesBuffer(n);
    if (start === 0) throw new Error("tailor: the engine is busy");
    return [new Uint8Array(memory.buffer), start];
  });
  let view = new Int32Array(memory.buffer);
  return (attributes, now, out) => {
    const at = evaluate(encode(attributes), now) >>> 2;
    if (at === 0) return false;
    if (view.buffer !== memory.buffer) view = new Int32Array(memory.buffer);
    for (let i = 0; i < out.length; i++) out[i] = view[at + i];
    return true;
  };
}
