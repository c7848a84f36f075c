// Where the browser engine's bytes go: the lean engine (tailor.wasm's code)
// built with its function names (`make engine-named`: the release build of
// `make engine`, names kept, before wasm-opt, which inlines most functions
// into the exports and would hide them), its code summed by the module that
// owns each function.
//
//   node benches/wasm-breakdown.mjs [wasm, default build/engine-named/engine-common.wasm]
//
// Writes build/bench/wasm-breakdown.json. The bytes are code before wasm-opt
// and before compression: read the shares, not the totals (the shipped
// tailor.wasm is wasm-opt'ed, then gzipped). Generic std code counts as std
// even where it runs tailor's code (`LocalKey<T>::with`, into which the
// engine's exports are inlined): the legacy mangling, which this script
// reads, names no type arguments.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const file = process.argv[2] || path.join(root, "build/engine-named/engine-common.wasm");

/** A symbol in Rust's legacy mangling (`_ZN6tailor5codec9decode_as17h…E`,
 * as `make engine-named` builds it) as Rust shows it, without the hash;
 * any other name unchanged. */
export function demangle(name) {
  if (!name.startsWith("_ZN")) return name;
  const parts = [];
  for (let at = 3; name[at] !== "E" && at < name.length;) {
    const digits = /^\d+/.exec(name.slice(at));
    if (!digits) return name;
    at += digits[0].length;
    parts.push(name.slice(at, at + Number(digits[0])));
    at += Number(digits[0]);
  }
  if (/^h[0-9a-f]{16}$/.test(parts.at(-1))) parts.pop();
  const escapes = { SP: "@", BP: "*", RF: "&", LT: "<", GT: ">", LP: "(", RP: ")", C: "," };
  return parts
    .map((p) => p.replace(/^_(?=\$)/, "").replace(/\$(SP|BP|RF|LT|GT|LP|RP|C|u[0-9a-f]+)\$/g, (_, e) => escapes[e] ?? String.fromCodePoint(parseInt(e.slice(1), 16))).replace(/\.\./g, "::"))
    .join("::");
}

/** The function bodies' sizes with their names, the data and custom sections. */
export function functions(bytes) {
  let at = 8;
  const uint = () => {
    let n = 0, shift = 0;
    for (;;) {
      const b = bytes[at++];
      n += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return n;
      shift += 7;
    }
  };
  const text = () => {
    const n = uint();
    at += n;
    return bytes.toString("utf8", at - n, at);
  };
  let imported = 0;
  const bodies = [];
  const names = new Map();
  const sections = { data: 0, custom: {} };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = uint();
    const end = at + size;
    if (id === 2) {
      // Imports: function imports come first in the function index space.
      for (let n = uint(); n > 0; n--) {
        text();
        text();
        const kind = bytes[at++];
        if (kind === 0) { uint(); imported++; }
        else if (kind === 1) { at++; const flags = uint(); uint(); if (flags & 1) uint(); }
        else if (kind === 2) { const flags = uint(); uint(); if (flags & 1) uint(); }
        else if (kind === 3) { at += 2; }
        else throw new Error(`import kind ${kind}`);
      }
    } else if (id === 10) {
      for (let n = uint(); n > 0; n--) {
        const len = uint();
        bodies.push(len);
        at += len;
      }
    } else if (id === 11) {
      sections.data += size;
    } else if (id === 0) {
      const name = text();
      sections.custom[name] = size;
      if (name === "name") {
        while (at < end) {
          const sub = bytes[at++];
          const subEnd = uint() + at;
          if (sub === 1) for (let n = uint(); n > 0; n--) { const index = uint(); names.set(index, demangle(text())); }
          at = subEnd;
        }
      }
    }
    at = end;
  }
  return { sections, functions: bodies.map((size, i) => ({ name: names.get(imported + i) || `#${imported + i}`, size })) };
}

/** The module a function belongs to: the tailor closure it runs
 * (`LocalKey::with::<tailor::browser::decide::{closure}>`), else the first
 * `tailor::<module>` its name mentions. */
export function owner(name) {
  const own = /\btailor::(\w+)::(?:\w+::)*\{closure/.exec(name) || /\btailor::(\w+)/.exec(name);
  if (own) return `tailor::${own[1]}`;
  if (/^<*(core|alloc|std|compiler_builtins|__rustc)::|^<+(\[|&|str\b|char\b)|^(memcmp|memcpy|memmove|memset|round)$/.test(name)) return "std (core, alloc)";
  return "exports and other";
}

function main() {
  if (!fs.existsSync(file)) {
    console.error(`${path.relative(root, file)} missing: run \`make engine-named\` first`);
    process.exit(1);
  }
  const { sections, functions: fns } = functions(fs.readFileSync(file));
  const code = fns.reduce((n, f) => n + f.size, 0);
  const byModule = new Map();
  for (const f of fns) {
    const m = owner(f.name);
    const entry = byModule.get(m) || { module: m, bytes: 0, functions: 0 };
    entry.bytes += f.size;
    entry.functions++;
    byModule.set(m, entry);
  }
  const modules = [...byModule.values()].sort((a, b) => b.bytes - a.bytes);
  const top = [...fns].sort((a, b) => b.size - a.size).slice(0, 15).map((f) => ({ name: f.name.replace(/\[[0-9a-f]{16}\]/g, ""), bytes: f.size, module: owner(f.name) }));
  const result = { wasm: path.relative(root, file), code, data: sections.data, functions: fns.length, modules, top };
  fs.mkdirSync(path.join(root, "build/bench"), { recursive: true });
  fs.writeFileSync(path.join(root, "build/bench/wasm-breakdown.json"), JSON.stringify(result, null, 2));
  console.log(`${result.wasm}: ${code.toLocaleString("en-US")} B of code in ${fns.length} functions, ${sections.data.toLocaleString("en-US")} B of data (before wasm-opt)`);
  for (const m of modules) console.log(`${String(m.bytes).padStart(8)} B ${((100 * m.bytes) / code).toFixed(1).padStart(5)} %  ${m.module} (${m.functions})`);
  console.log("largest functions:");
  for (const f of top) console.log(`${String(f.bytes).padStart(8)} B  ${f.name.slice(0, 140)}`);
  console.log("wasm-breakdown: wrote build/bench/wasm-breakdown.json");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
