// QA preview sessions, with the worker's semantics (src/edge.rs,
// src/preview.rs): the preview parameters come from the URL (which starts a
// session in the `tailor_preview` cookie, the one the worker uses) or from
// that cookie; `?tailor=reset` ends the session. The engine checks them
// (`facts.preview`); this file only reads and stores them. Part of the QA
// script (tailor-qa.js, with the badge, the debug panel and the signature
// check of qa.js), which, like the QA engine, the loader only loads when
// the URL or the cookie asks for a preview (`previewAsked`, the one part of
// this file that tailor.js bundles).

const D = document;
const COOKIE = "tailor_preview";
// Query parameter -> field, as PreviewParams::from_query.
export const KEYS = { tailor: "force", tailor_ctx: "ctx", tailor_debug: "debug", tailor_exp: "exp", tailor_sig: "sig", tailor_psig: "psig" };

/** The preview parameters of a query string (the last occurrence wins, as in the engine). */
export function parse(query) {
  const p = {};
  let n = 0;
  for (const [k, v] of new URLSearchParams(query)) {
    if (++n > 64) break;
    const f = KEYS[k];
    if (f == "debug") p.debug = /^(1|true|yes)$/.test(v);
    else if (f == "exp") p.exp = /^[+-]?\d{1,15}$/.test(v) ? String(+v) : null;
    else if (f) p[f] = v;
  }
  return p;
}

const empty = (p) => p.force == null && p.ctx == null && !p.debug;

// The first COOKIE in document.cookie, its value (a regular expression:
// `\s` is what `trim` removes, from the name as well).
const IN_JAR = /(?:^|;)\s*tailor_preview\s*=([^;]*)/;

/**
 * Whether the URL or the session cookie may ask for a preview: a parameter
 * that makes one (`force`, `ctx`, `debug` in KEYS) or the cookie. Never
 * false where `session()` finds a preview; where it finds none (say
 * `tailor_debug=0`), the QA engine and script are loaded for nothing.
 */
export const previewAsked = () => /[?&]tailor(_ctx|_debug)?=/.test(location.search) || IN_JAR.test(document.cookie);

// Percent-encodes like the engine's `encode` (`:` and `,` stay literal).
const enc = (v) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%3A/g, ":").replace(/%2C/g, ",");

/** The canonical query string of preview parameters (PreviewParams::to_query):
 * in the order of KEYS, `debug` as 1 when set, the rest percent-encoded (`exp`,
 * digits and a sign from `parse`, encodes to itself). */
export function query(p) {
  const q = [];
  // (Own keys only: a page may have added enumerable ones to Object.prototype.)
  for (const k of Object.keys(KEYS)) {
    const v = p[KEYS[k]];
    if (v != null && v !== false) q.push(k + "=" + (v === true ? 1 : enc(v)));
  }
  return q.join("&");
}

/**
 * The preview in effect for the current URL, as a canonical query string
 * ("" for none): the URL's parameters (stored in the session cookie), or the
 * cookie's; `tailor=reset` deletes the cookie.
 */
export function session() {
  const url = parse(location.search);
  const attrs = "; Path=/; SameSite=Lax" + (isSecureContext ? "; Secure" : "");
  if (url.force == "reset") {
    D.cookie = COOKIE + "=" + attrs + "; Max-Age=0";
    return "";
  }
  if (!empty(url)) {
    const q = query(url);
    D.cookie = COOKIE + "=" + q.replace(/,/g, "%2C") + attrs;
    return q;
  }
  // The cookie's value, trimmed and unquoted.
  const c = IN_JAR.exec(D.cookie);
  const p = parse(c ? c[1].trim().replace(/^"(.*)"$/, "$1") : "");
  return empty(p) || p.force == "reset" ? "" : query(p);
}
