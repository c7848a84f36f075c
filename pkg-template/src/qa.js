// The QA side of the script tag, bundled as tailor-qa.js and loaded only
// for previews (with tailor-qa.wasm): the badge and the debug panel, both
// inside a shadow root so that neither the page's CSS nor theirs leaks
// across, and the check of browser-signed preview links.
import { parse, query, KEYS } from "./session.js";

const D = document;

/**
 * Resolves to `q` when its `tailor_psig` is a valid, unexpired Ed25519
 * signature (WebCrypto) by the public key `pk` (the wasm's
 * `tailor.preview_key` section, made by `tailor build` from the preview
 * secret) over the message the worker's HMAC covers (PreviewParams::
 * signed_message), else to "". Without the worker this is how a signed
 * preview link is checked; the secret never reaches the browser.
 */
export async function verify(q, pk) {
  try {
    const p = parse(q);
    if (!p.psig || !/^[0-9a-f]{128}$/i.test(p.psig) || p.exp == null || p.exp * 1000 <= Date.now()) return "";
    const message = `tailor-preview-v1\n${p.force ?? ""}\n${p.ctx ?? ""}\n${p.debug ? 1 : 0}\n${p.exp}`;
    const sig = new Uint8Array(p.psig.match(/../g).map((b) => parseInt(b, 16)));
    const s = crypto.subtle, alg = { name: "Ed25519" };
    const key = await s.importKey("raw", pk, alg, false, ["verify"]);
    return (await s.verify(alg, key, sig, new TextEncoder().encode(message))) ? q : "";
  } catch (e) {
    return ""; // no WebCrypto Ed25519 (old browsers) or a bad key: not verified
  }
}

// A link to this page (path, hash and other query parameters kept) with
// other preview parameters.
function link(p) {
  const rest = location.search.slice(1).split("&").filter((kv) => {
    let name = kv.split("=")[0];
    try { name = decodeURIComponent(name.replace(/\+/g, " ")); } catch (e) { /* kept as is */ }
    return kv && !(name in KEYS);
  });
  rest.push(query(p));
  return location.pathname + "?" + rest.join("&") + location.hash;
}

const CSS = `:host{all:initial!important;display:flex!important;flex-direction:column!important;align-items:flex-end!important;position:fixed!important;right:12px!important;bottom:12px!important;z-index:2147483647!important;visibility:visible!important;opacity:1!important;font:12px/1.4 system-ui,sans-serif!important;color:#111827!important;max-width:calc(100vw - 24px)!important}
button{all:initial;cursor:pointer;padding:6px 10px;border-radius:6px;background:#1d4ed8;color:#fff;font:600 12px/1.2 system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.3)}
div{box-sizing:border-box}
.panel{width:440px;max-width:100%;max-height:70vh;overflow:auto;margin-bottom:8px;padding:10px 12px;background:#fff;border:1px solid #d1d5db;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.25);text-align:left}
.panel[hidden]{display:none}
h2{margin:0 0 6px;font:600 13px/1.3 system-ui,sans-serif}
ul{margin:0;padding:0;list-style:none}
li{padding:5px 0;border-top:1px solid #e5e7eb}
.no{color:#6b7280}.why{color:#b45309}.note{color:#b91c1c}
a{color:#1d4ed8;margin-right:8px}a.on{font-weight:700}
code{font:11px ui-monospace,monospace}`;

function h(tag, props, ...children) {
  const el = D.createElement(tag);
  for (const k in props || {}) props[k] != null && (k == "class" ? (el.className = props[k]) : el.setAttribute(k, props[k]));
  el.append(...children.filter((c) => c != null));
  return el;
}

let host, root, collapsed;

/**
 * Shows (or removes) the badge and, with `tailor_debug=1`, the debug panel for
 * the engine's result `r` under the preview query `q`. `own` receives the host
 * element, so the plan never changes it.
 */
export function render(r, q, own) {
  const p = r.preview || {};
  if (!p.active) {
    if (host) host.remove();
    return;
  }
  // The worker's own badge is replaced by this one, which page CSS cannot hide.
  const worker = D.getElementById("tailor-preview-badge");
  if (worker) worker.remove();
  if (!host) {
    host = D.createElement("tailor-preview");
    own.add(host);
    root = host.attachShadow({ mode: "open" });
  }
  const badge = h("button", { type: "button", class: "badge", title: p.debug ? "tailor debug panel" : "a QA preview: not what visitors see" }, "tailor preview");
  const kids = [h("style", null, CSS)];
  if (p.debug) {
    const params = parse(q);
    const bucket = {};
    for (const d of r.decisions || []) if (d.bucket != null) bucket[d.campaign] = d.bucket;
    const force = (f, label, cls) => h("a", { href: link(f == "reset" ? { force: f } : { force: f, ctx: params.ctx, debug: true }), "data-force": f, class: cls }, label);
    const rows = (r.campaigns || []).map((c) => h("li", { "data-campaign": c.id, "data-matched": String(!!c.matched), class: c.matched ? "yes" : "no" },
      h("div", null, c.matched ? "\u2713 " : "\u2717 ", h("b", null, c.id),
        c.matched ? ` \u2192 ${c.variant} (${c.via})` : null,
        c.matched && (bucket[c.id] ?? c.bucket) != null ? `, bucket ${Math.round((bucket[c.id] ?? c.bucket) * 1e4) / 1e4}` : null),
      c.reason ? h("div", { class: "why" }, c.reason) : null,
      h("div", null, "force: ", ...(c.variants || []).map((v) => force(c.id + ":" + v, v, c.matched && c.variant == v ? "on" : null)))));
    const panel = h("div", { class: "panel", role: "dialog", "aria-label": "tailor debug" },
      h("h2", null, "tailor preview: why each campaign applies"),
      params.force != null ? h("div", null, "forced: ", h("code", null, params.force)) : null,
      params.ctx != null ? h("div", null, "context: ", h("code", null, params.ctx)) : null,
      (p.notes || []).length ? h("ul", { class: "notes" }, ...p.notes.map((n) => h("li", { class: "note" }, n))) : null,
      h("div", null, force("off", "off: no personalization"), force("reset", "reset: end the preview")),
      h("ul", { class: "campaigns" }, ...rows));
    panel.hidden = !!collapsed;
    badge.onclick = () => (collapsed = panel.hidden = !panel.hidden);
    kids.push(panel);
  }
  kids.push(badge);
  root.replaceChildren(...kids);
  if (!host.isConnected) D.documentElement.append(host);
}
