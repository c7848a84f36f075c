// The engine's glue: an instance of a tailor engine (tailor.wasm or
// tailor-qa.wasm) with the JavaScript it imports, and its exports wrapped
// (src/browser.rs). Written by hand: the exports take and return numbers,
// text is read straight from the engine's memory, and the imports (the
// `tailor` module, src/js/runtime.js) get their text the same way, so
// there is nothing for generated glue to do but take up every visitor's
// download.
import { localTime, reOk, reTest, numStr, strNum, lower } from "../../src/js/runtime.js";

// `ignoreBOM`: a string that starts with U+FEFF keeps it (a regex source or
// a value compared against one, say).
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * A new instance of the engine in `module` (a `WebAssembly.Module`):
 * - `load(rules)`: loads the ruleset's bytes (its `tailor.rules` section);
 *   an error message, or undefined.
 * - `decide(length)`: the decision for the facts written into
 *   `attributes_buffer`, as JSON text; `evaluate(length, now)`: where the
 *   variant indices are in `memory` (see evaluate.js, which calls both).
 * - `campaigns_json()`: the campaigns and their variants, as JSON text.
 * `evaluate` and `campaigns_json` are undefined in an engine built without
 * them (a site built without `tailor build --evaluate`).
 */
export function instantiate(module) {
  let e;
  // Addresses and lengths arrive as wasm's i32: `>>> 0` reads them unsigned.
  const bytes = (at, length) => new Uint8Array(e.memory.buffer, at >>> 0, length >>> 0);
  const str = (at, length) => utf8.decode(bytes(at, length));
  // A `Text` (src/browser.rs): where the UTF-8 is, and how many bytes.
  const text = (at) => {
    const [start, length] = new Uint32Array(e.memory.buffer, at >>> 0, 2);
    return str(start, length);
  };
  e = new WebAssembly.Instance(module, {
    tailor: {
      localTime: (zone, zoneLength, ms) => localTime(str(zone, zoneLength), ms),
      reOk: (source, sourceLength, flags, flagsLength) => reOk(str(source, sourceLength), str(flags, flagsLength)),
      reTest: (source, sourceLength, flags, flagsLength, value, valueLength) =>
        reTest(str(source, sourceLength), str(flags, flagsLength), str(value, valueLength)),
      numStr: (n, out, outLength) => numStr(n, bytes(out, outLength)),
      strNum: (s, length) => strNum(str(s, length)),
      lower: (s, length, out, outLength) => lower(str(s, length), bytes(out, outLength)),
    },
  }).exports;
  return {
    memory: e.memory,
    attributes_buffer: (capacity) => e.attributes_buffer(capacity) >>> 0,
    // Only in the engines built with `evaluate` (`tailor build --evaluate`).
    evaluate: e.evaluate,
    campaigns_json: e.campaigns_json && (() => text(e.campaigns_json())),
    decide: (length) => text(e.decide(length)),
    load(rules) {
      const at = e.rules_buffer(rules.length);
      if (!at) return "the engine is busy";
      bytes(at, rules.length).set(rules);
      const error = e.load(rules.length);
      return error ? text(error) : undefined;
    },
  };
}
