// The attributes encoder of the script tag's `evaluate`
// (pkg-template/src/attributes.js) must say what `JSON.stringify` says: the
// engine decides from its bytes as it would from the JSON text. A reference
// reader of the format (src/wire.rs is the engine's) turns the bytes back
// into a JS value, which must equal `JSON.parse(JSON.stringify(value))`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeAttributes } from "../../pkg-template/src/attributes.js";

function decode(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  let at = 0;
  const u32 = () => ((at += 4), view.getUint32(at - 4, true));
  const str = () => {
    const n = u32();
    at += n;
    return utf8.decode(bytes.subarray(at - n, at));
  };
  const value = () => {
    const tag = bytes[at++];
    switch (tag) {
      case 0: return null;
      case 1: return false;
      case 2: return true;
      case 3: return ((at += 8), view.getFloat64(at - 8, true));
      case 4: return str();
      case 5: return Array.from({ length: u32() }, value);
      case 6: {
        const out = {};
        for (let n = u32(); n > 0; n--) {
          const key = str();
          out[key] = value();
        }
        return out;
      }
      default: throw new Error(`tag ${tag} at ${at - 1}`);
    }
  };
  const v = value();
  assert.equal(at, bytes.length, "no trailing bytes");
  return v;
}

// What the engine reads from the JSON text: strings are UTF-8 there, so a
// lone surrogate (JSON.stringify escapes it) reads as U+FFFD (src/json.rs),
// as the encoder writes it.
const wellFormed = (v) =>
  typeof v === "string" ? v.toWellFormed()
  : Array.isArray(v) ? v.map(wellFormed)
  : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k.toWellFormed(), wellFormed(x)]))
  : v;
const asJson = (v) => wellFormed(JSON.parse(JSON.stringify(v)));
// -0 is written as a number; its JSON text "0" reads as 0 (the engine adds 0.0 too).
const same = (a, b) => assert.deepEqual(JSON.stringify(a), JSON.stringify(b));

test("odd attribute values encode as JSON.stringify writes them", () => {
  class Point { constructor() { this.x = 1; } get y() { return 2; } }
  const withProto = Object.create({ inherited: 1 });
  withProto.own = "yes";
  const cases = [
    {},
    { id: "visitor-1", plan: "pro", age: 34, tags: ["beta", "vip"], score: 0.5, ok: true, none: null },
    { nan: NaN, inf: Infinity, ninf: -Infinity, nzero: -0, big: 1e300, tiny: 5e-324, int: 2 ** 53 + 2 },
    { u: undefined, f() {}, s: Symbol("x"), [Symbol("key")]: 1, arr: [undefined, () => 1, Symbol("y"), NaN, , 3] },
    { when: new Date(Date.UTC(2026, 10, 23, 12, 0, 0)), invalid: new Date(NaN) },
    { boxed: [new Number(4), new String("s"), new Boolean(false)] },
    { custom: { toJSON: () => ({ replaced: true }) }, gone: { toJSON: () => undefined } },
    { text: "ü€😀 \u0000 \"quoted\" \\ \n", lone: "\ud800x\udc00", ["ключ"]: "значение", "": "empty key" },
    { 2: "two", 1: "one", b: 1, a: 2 }, // integer keys first, then insertion order
    { point: new Point(), withProto, map: new Map([[1, 2]]), set: new Set([1]), regex: /x/ },
    { deep: { a: { b: { c: [[[{ d: "e" }]]] } } } },
    { long: "x".repeat(5000), many: Array.from({ length: 300 }, (_, i) => ({ [`k${i}`]: i })) },
  ];
  for (const c of cases) same(decode(encodeAttributes(c)), asJson(c));
  // Not objects at the top: what the engine gets for them.
  same(decode(encodeAttributes(null)), {});
  same(decode(encodeAttributes(undefined)), {});
  same(decode(encodeAttributes([1, 2])), [1, 2]);
  same(decode(encodeAttributes("text")), "text");
  assert.throws(() => encodeAttributes({ n: 1n }), TypeError, "a BigInt throws, as in JSON.stringify");
});

test("random attribute objects encode as JSON.stringify writes them", () => {
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const strings = ["", "a", "pro", "ü", "日本", "😀", "x\ny", "\ud83d", "k".repeat(40)];
  const gen = (depth) => {
    const r = rnd();
    if (depth > 4 || r < 0.5) return pick([null, true, false, undefined, NaN, -0, 0, 1.5, -7, 1e21, pick(strings), new Date(rnd() * 2e12)]);
    if (r < 0.75) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [pick(strings) + pick(["", "1", "id"]), gen(depth + 1)]));
  };
  for (let i = 0; i < 5000; i++) {
    const v = Object.fromEntries(Array.from({ length: 1 + Math.floor(rnd() * 6) }, (_, k) => [`a${k}`, gen(0)]));
    same(decode(encodeAttributes(v)), asJson(v));
  }
});

test("a cycle or nesting past what the engine reads ends in a byte the engine refuses", () => {
  const cyclic = { a: {} };
  cyclic.a.self = cyclic;
  assert.throws(() => decode(encodeAttributes(cyclic)), /tag 255/);
  let deep = "leaf";
  for (let i = 0; i < 100; i++) deep = [deep];
  assert.throws(() => decode(encodeAttributes({ deep })), /tag 255/);
});
