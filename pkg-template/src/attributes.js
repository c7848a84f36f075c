// Attributes for the engine's `evaluate`, written in the binary form that
// src/wire.rs reads, instead of JSON text: `JSON.stringify` alone cost more
// than the decision, and reading JSON back in the wasm allocated for every
// key and string. The form is a tag byte and its payload, little-endian:
//   0 null | 1 false | 2 true | 3 number: f64 | 4 string: u32 byte length, UTF-8
//   5 array: u32 count, values | 6 object: u32 count, (u32 length, UTF-8 key, value)...
// What is written is what `JSON.stringify` would write (`toJSON` first,
// Number/String/Boolean objects unwrapped, non-finite numbers as null,
// `undefined`, functions and symbols dropped from objects and null in
// arrays, a BigInt a TypeError), so the engine decides as it would from JSON.
//
// `evaluate` writes straight into the engine's memory (see `evaluate.js`):
// copying the bytes in cost a tenth of a visitor's decision.

/** Deeper than the engine reads (it refuses past 64 levels, as JSON): a cycle ends here. */
const MAX_DEPTH = 66;
const utf8 = new TextEncoder();
const hasOwn = Object.prototype.hasOwnProperty;

/**
 * An encoder writing where `reserve(n)` says: it returns `[bytes, start]`,
 * room for `n` bytes in `bytes` from `start` on. The encoder asks again
 * when it needs more room (keeping what it wrote) and at the start of a
 * call whose bytes were detached (a wasm memory that grew). Returns
 * `encode(attributes)`, which writes them and returns their length.
 */
export function attributeWriter(reserve) {
  let buf = new Uint8Array(0);
  let view = new DataView(buf.buffer);
  let start = 0;
  let end = 0;
  let at = 0;

  function take(n, keep) {
    const written = keep ? buf.slice(start, at) : null;
    [buf, start] = reserve(n);
    view = new DataView(buf.buffer);
    end = start + n;
    at = start;
    if (written) {
      buf.set(written, start);
      at += written.length;
    }
  }

  function room(n) {
    if (at + n > end) take(Math.max((end - start) * 2, at - start + n, 1024), true);
  }

  function string(s) {
    const n = s.length;
    room(4 + 3 * n);
    const first = at + 4;
    let i = 0;
    // ASCII, almost every attribute, copied directly; the rest by the encoder.
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      buf[first + i] = c;
    }
    const length = i < n ? i + utf8.encodeInto(s.slice(i), buf.subarray(first + i, end)).written : n;
    view.setUint32(at, length, true);
    at = first + length;
  }

  /** Writes `v`; false (nothing written) for what JSON leaves out. `json`:
   * `toJSON` was called already (JSON calls it once per value). */
  function value(v, depth, json) {
    // `typeof` tests rather than a `switch (typeof v)`, which made V8 build
    // the type's name for every value.
    if (typeof v === "string") {
      room(1);
      buf[at++] = 4;
      string(v);
      return true;
    }
    if (typeof v === "number") {
      room(9);
      if (!isFinite(v)) {
        buf[at++] = 0;
        return true;
      }
      buf[at++] = 3;
      view.setFloat64(at, v, true);
      at += 8;
      return true;
    }
    if (typeof v === "boolean") {
      room(1);
      buf[at++] = v ? 2 : 1;
      return true;
    }
    if (typeof v === "bigint") throw TypeError("tailor: a BigInt attribute cannot be evaluated (as in JSON.stringify)");
    if (typeof v !== "object") return false; // undefined, function, symbol
    room(5);
    if (v === null) {
      buf[at++] = 0;
      return true;
    }
    if (!json && typeof v.toJSON === "function") return value(v.toJSON(), depth, true);
    if (v instanceof Number || v instanceof String || v instanceof Boolean) return value(v.valueOf(), depth, true);
    if (depth >= MAX_DEPTH) {
      buf[at++] = 255; // the engine refuses it, as it refuses JSON this deep
      return true;
    }
    // Offsets, not positions: `room` may move the bytes.
    const tag = at - start;
    let count = 0;
    at += 5;
    if (Array.isArray(v)) {
      buf[start + tag] = 5;
      for (let i = 0; i < v.length; i++) {
        if (!value(v[i], depth + 1, false)) {
          room(1);
          buf[at++] = 0;
        }
        count++;
      }
    } else {
      buf[start + tag] = 6;
      // The own enumerable keys in `Object.keys` order: `for...in` lists
      // them first, and reads their values by the map's enumeration cache
      // (with `Object.keys`, `v[key]` was a megamorphic lookup, a fifth
      // of the encoding).
      for (const key in v) {
        if (!hasOwn.call(v, key)) continue;
        const keyAt = at - start;
        string(key);
        if (value(v[key], depth + 1, false)) count++;
        else at = start + keyAt;
      }
    }
    view.setUint32(start + tag + 1, count, true);
    return true;
  }

  return (attributes) => {
    if (buf.byteLength === 0) take(Math.max(end - start, 1024), false);
    at = start;
    if (!value(attributes == null ? {} : attributes, 0, false)) {
      room(1);
      buf[at++] = 0;
    }
    return at - start;
  };
}

// The buffer `encodeOwn` writes to (it reserves room before it writes).
// `__PURE__`: the bundles, which never call `encodeAttributes`, leave this
// writer out (esbuild keeps an unused call it cannot prove free of effects).
let own;
const encodeOwn = /* @__PURE__ */ attributeWriter((n) => {
  own = new Uint8Array(n);
  return [own, 0];
});

/** `attributes` encoded into a buffer of this module; the bytes are reused by the next call. */
export function encodeAttributes(attributes) {
  const length = encodeOwn(attributes);
  return own.subarray(0, length);
}
