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

/** Deeper than the engine reads (it refuses past 64 levels, as JSON): a cycle ends here. */
const MAX_DEPTH = 66;
const utf8 = new TextEncoder();
var buf = new Uint8Array(1024);
var view = new DataView(buf.buffer);
var at = 0;

/** `attributes` encoded; the bytes are reused by the next call. */
export function encodeAttributes(attributes) {
  at = 0;
  if (!value(attributes == null ? {} : attributes, 0, false)) buf[at++] = 0;
  return buf.subarray(0, at);
}

function room(n) {
  if (at + n <= buf.length) return;
  const grown = new Uint8Array(Math.max(buf.length * 2, at + n));
  grown.set(buf.subarray(0, at));
  buf = grown;
  view = new DataView(buf.buffer);
}

function string(s) {
  const n = s.length;
  room(4 + 3 * n);
  const start = at + 4;
  let i = 0;
  // ASCII, almost every attribute, copied directly; the rest by the encoder.
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) break;
    buf[start + i] = c;
  }
  const length = i < n ? i + utf8.encodeInto(s.slice(i), buf.subarray(start + i)).written : n;
  view.setUint32(at, length, true);
  at = start + length;
}

/** Writes `v`; false (nothing written) for what JSON leaves out. `json`:
 * `toJSON` was called already (JSON calls it once per value). */
function value(v, depth, json) {
  switch (typeof v) {
    case "string":
      room(1);
      buf[at++] = 4;
      string(v);
      return true;
    case "number":
      room(9);
      if (!isFinite(v)) {
        buf[at++] = 0;
        return true;
      }
      buf[at++] = 3;
      view.setFloat64(at, v, true);
      at += 8;
      return true;
    case "boolean":
      room(1);
      buf[at++] = v ? 2 : 1;
      return true;
    case "bigint":
      throw new TypeError("tailor: a BigInt attribute cannot be evaluated (as in JSON.stringify)");
    case "object":
      break;
    default: // undefined, function, symbol
      return false;
  }
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
  const tag = at;
  let count = 0;
  at += 5;
  if (Array.isArray(v)) {
    buf[tag] = 5;
    for (let i = 0; i < v.length; i++) {
      if (!value(v[i], depth + 1, false)) {
        room(1);
        buf[at++] = 0;
      }
      count++;
    }
  } else {
    buf[tag] = 6;
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) {
      const keyAt = at;
      string(keys[i]);
      if (value(v[keys[i]], depth + 1, false)) count++;
      else at = keyAt;
    }
  }
  view.setUint32(tag + 1, count, true);
  return true;
}
