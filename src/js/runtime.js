// What the wasm engines borrow from the JavaScript runtime (see src/jsrt.rs
// and src/intl.rs for why): time zones from `Intl`, regexes, number text and
// lower-casing. One file for every engine: the worker binds `localTime`
// through wasm-bindgen, the browser loader (pkg-template/src/engine.js)
// passes all of them to the engine's `tailor` import module, and the wasm
// tests bind them through wasm-bindgen (feature `bindgen-runtime`).

const formatters = new Map();
// zone -> [minute, packed]: a wall clock changes once a minute (every zone's
// offset is whole minutes), and formatToParts costs microseconds.
const recent = new Map();

// The wall clock comes back as one number, its fields in mixed radix (year,
// month 1-12, day 1-31, hour 0-23, minute 0-59, weekday 0-6 from Monday), or
// NaN for an unknown zone: an array would have to be copied into the module.
export function localTime(zone, epochMs) {
  const minute = Math.floor(epochMs / 60000);
  const hit = recent.get(zone);
  if (hit && hit[0] === minute) return hit[1];
  try {
    let f = formatters.get(zone);
    if (!f) {
      f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric",
        month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short" });
      if (formatters.size > 64) formatters.clear();
      formatters.set(zone, f);
    }
    const p = {};
    for (const part of f.formatToParts(new Date(minute * 60000))) p[part.type] = part.value;
    const wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(p.weekday);
    const packed = wd < 0 ? NaN : ((((+p.year * 13 + +p.month) * 32 + +p.day) * 24 + p.hour % 24) * 60 + +p.minute) * 7 + wd;
    if (recent.size > 64) recent.clear();
    recent.set(zone, [minute, packed]);
    return packed;
  } catch (e) {
    return NaN;
  }
}

const res = new Map();
function re(source, flags) {
  const key = flags + source;
  let r = res.get(key);
  if (r === undefined) {
    try { r = new RegExp(source, flags); } catch (e) { r = null; }
    if (res.size > 256) res.clear();
    res.set(key, r);
  }
  return r;
}
export function reOk(source, flags) { return re(source, flags) !== null; }
export function reTest(source, flags, value) { const r = re(source, flags); return r !== null && r.test(value); }

const utf8 = new TextEncoder();
// Text comes back written into the module's memory, where Rust says (`out`,
// a view of it): returning a string would need an allocator exported to JS.
// The byte length written, or -1 when it did not fit.
function put(text, out) {
  const r = utf8.encodeInto(text, out);
  return r.read < text.length ? -1 : r.written;
}
export function numStr(n, out) { return put(String(n), out); }
export function strNum(s) { return Number(s); }
export function lower(s, out) { return put(s.toLowerCase(), out); }
