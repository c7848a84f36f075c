// The script-tag entry: <script src="/tailor/tailor.js" async></script>.
// Options come from the tag (data-timeout, data-geo); the wasm is tailor.wasm
// next to tailor.js (tailor-qa.wasm for previews); `window.tailor = { attributes: {...} }` set before the
// tag gives the first decision custom attributes.
import { start } from "./core.js";

const s = document.currentScript;
const d = s?.dataset || {};
start({
  timeout: d.timeout,
  geo: d.geo,
  attributes: window.tailor?.attributes,
  wasmUrl: s ? s.src.replace(/tailor\.js(?=[?#]|$)/, "tailor.wasm") : "/tailor/tailor.wasm",
  qaUrl: s ? s.src.replace(/tailor\.js(?=[?#]|$)/, "tailor-qa.wasm") : "/tailor/tailor-qa.wasm",
  qaJsUrl: s ? s.src.replace(/tailor\.js(?=[?#]|$)/, "tailor-qa.js") : "/tailor/tailor-qa.js",
});
