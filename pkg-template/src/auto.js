// The script-tag entry: <script src="/tailor/tailor.js" async></script>.
// Options come from the tag (data-timeout, data-geo); the wasm is tailor.wasm
// next to tailor.js (tailor-qa.wasm for previews); `window.tailor = { attributes: {...} }` set before the
// tag gives the first decision custom attributes.
import { start } from "./core.js";

const s = document.currentScript;
const d = s?.dataset || {};
// The URL of `file` next to this script.
const beside = (file) => (s ? s.src.replace(/tailor\.js(?=[?#]|$)/, file) : "/tailor/" + file);
start({
  timeout: d.timeout,
  geo: d.geo,
  attributes: window.tailor?.attributes,
  wasmUrl: beside("tailor.wasm"),
  qaUrl: beside("tailor-qa.wasm"),
  qaJsUrl: beside("tailor-qa.js"),
});
