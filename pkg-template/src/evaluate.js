// The engine's calls that take a JS value: the value is written by
// attributes.js in its binary form straight into the engine's memory, where
// `attributes_buffer` says, and the engine reads it from there (no JSON
// text, so the lean engine carries no JSON reader, and nothing is copied).
// One writer per engine instance: `attributes_buffer` may move the buffer,
// and a second writer would go on writing where it was.
import { attributeWriter } from "./attributes.js";

/**
 * `engine`: an instance from engine.js's `instantiate`. Returns:
 * - `evaluate(attributes, now, out)`, which fills `out` (an array of the
 *   ruleset's campaign count) with variant indices, -1 where none applies,
 *   and returns false (leaving `out` alone) if the engine refused the call.
 *   The engine leaves its results in its own memory and returns where (see
 *   src/browser.rs): a fresh array per call would cost more than deciding
 *   a campaign.
 * - `decide(facts)`: the page view's decision for the loader's facts, as
 *   the engine's JSON text.
 */
export function engineCalls({ evaluate, decide, attributes_buffer, memory }) {
  const encode = attributeWriter((n) => {
    const start = attributes_buffer(n);
    if (start === 0) throw Error("tailor: the engine is busy");
    return [new Uint8Array(memory.buffer), start];
  });
  let view = new Int32Array(memory.buffer);
  return {
    evaluate(attributes, now, out) {
      const at = evaluate(encode(attributes), now) >>> 2;
      if (at === 0) return false;
      if (view.buffer !== memory.buffer) view = new Int32Array(memory.buffer);
      for (let i = 0; i < out.length; i++) out[i] = view[at + i];
      return true;
    },
    decide: (facts) => decide(encode(facts)),
  };
}
