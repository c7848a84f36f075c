// The Worker's entry, written by `tailor build` beside the engine.
//
// The engine (index_bg.wasm, src/edge.rs) decides synchronously what to do
// with a request; this entry does the I/O around it: it asks the origin,
// and streams a page that is to be personalized through workerd's native
// HTMLRewriter. It is also the last line of defence: if the engine throws or
// traps, the visitor still gets the origin's page, untouched.
import { WorkerEntrypoint } from "cloudflare:workers";
import wasmModule from "./index_bg.wasm";
import Engine from "./index.js";

const sections = WebAssembly.Module.customSections(wasmModule, "tailor.rules");
globalThis.__TAILOR_RULES__ = sections.length > 0 ? sections[0] : undefined;

/** The origin's response: ORIGIN + the request's path and query, or the bundled static assets. */
function passThrough(request, env) {
  if (!env.ORIGIN) return env.ASSETS.fetch(request);
  const url = new URL(request.url);
  const target = String(env.ORIGIN).replace(/\/+$/, "") + url.pathname + url.search;
  // Redirects are the visitor's to follow.
  return fetch(new Request(target, request), { redirect: "manual" });
}

/** A page we can rewrite: a successful HTML response whose body the runtime
 * hands us decoded (it decodes gzip and brotli; anything else we could not read). */
function rewritable(response) {
  if (response.status !== 200) return false;
  const type = response.headers.get("content-type");
  if (!type || !type.trimStart().toLowerCase().startsWith("text/html")) return false;
  const encoding = (response.headers.get("content-encoding") || "").trim().toLowerCase();
  return encoding === "" || encoding === "identity" || encoding === "gzip" || encoding === "br";
}

/** Appends `[name, value, name, value, …]` (the engine's extra headers). */
function appendHeaders(headers, pairs) {
  for (let i = 0; i + 1 < pairs.length; i += 2) headers.append(pairs[i], pairs[i + 1]);
  return headers;
}

function editClasses(current, add, remove) {
  const classes = (current || "").split(/[\t\n\f\r ]+/).filter((c) => c && !remove.includes(c));
  for (const c of add) if (!classes.includes(c)) classes.push(c);
  return classes.join(" ");
}

function applyChange(el, change) {
  const v = change.value, html = { html: true };
  switch (change.action) {
    case "text": el.setInnerContent(v, { html: false }); break;
    case "html": el.setInnerContent(v, html); break;
    case "attr": for (const [name, value] of Object.entries(v)) el.setAttribute(name, value.replaceAll("&", "&amp;")); break;
    case "remove_attr": for (const name of v) el.removeAttribute(name); break;
    case "add_class": el.setAttribute("class", editClasses(el.getAttribute("class"), v, []).replaceAll("&", "&amp;")); break;
    case "remove_class": if (el.hasAttribute("class")) el.setAttribute("class", editClasses(el.getAttribute("class"), [], v).replaceAll("&", "&amp;")); break;
    case "before": el.before(v, html); break;
    case "after": el.after(v, html); break;
    case "prepend": el.prepend(v, html); break;
    case "append": el.append(v, html); break;
    case "replace": el.replace(v, html); break;
    case "remove": el.remove(); break;
  }
}

// A small page the origin sent whole (a Content-Length up to this, not
// encoded) is rewritten into one buffer and sent with its length: one write
// downstream instead of one per change (27 for the demo home page), which
// costs the proxies and the client more than the rewrite itself. Such a page
// arrives in a round trip or two anyway; anything larger or of unknown length
// streams.
const WHOLE_PAGE_MAX = 32 * 1024;

/**
 * The personalized page: the plan's changes applied by HTMLRewriter and the
 * state script at the end of <head>. Handlers never throw (a throwing handler
 * makes HTMLRewriter cut the page short), and a rewriter that cannot be set up
 * leaves the origin's response as it is. The response is personal now: not
 * cached shared, varies by cookie, and its length and entity tag are no
 * longer the origin's.
 */
function personalize(response, planJson, stateScript, extra) {
  let transformed, headers;
  try {
    let rewriter = new HTMLRewriter();
    for (const change of JSON.parse(planJson).changes) {
      rewriter = rewriter.on(change.select, {
        element(el) {
          try { applyChange(el, change); } catch (e) { console.error("tailor: change failed", change.select, e && e.message); }
        },
      });
    }
    let inserted = false, headSeen = false;
    rewriter = rewriter.on("head", {
      element(el) {
        if (headSeen) return;
        headSeen = true;
        try {
          el.onEndTag((end) => { if (!inserted) { inserted = true; end.before(stateScript, { html: true }); } });
        } catch (e) { /* no end tag: the document end takes the script */ }
      },
    });
    rewriter = rewriter.onDocument({
      end(end) { if (!inserted) { inserted = true; end.append(stateScript, { html: true }); } },
    });
    headers = new Headers(response.headers);
    headers.delete("content-length");
    headers.delete("etag");
    headers.set("cache-control", "private");
    headers.append("vary", "Cookie");
    appendHeaders(headers, extra);
    transformed = rewriter.transform(response);
  } catch (e) {
    console.error("tailor: passing through, rewriter setup failed:", e && e.message);
    return response;
  }
  const init = { status: response.status, statusText: response.statusText, headers };
  const length = Number(response.headers.get("content-length") || NaN);
  const encoded = (response.headers.get("content-encoding") || "identity").trim().toLowerCase() !== "identity";
  if (!(length <= WHOLE_PAGE_MAX) || encoded) return new Response(transformed.body, init);
  return transformed.arrayBuffer().then(
    (body) => {
      headers.set("content-length", String(body.byteLength));
      return new Response(body, init);
    },
    // The origin broke off: the visitor gets the same broken body a stream
    // would have given, and no page is made up.
    (error) => new Response(new ReadableStream({ start(c) { c.error(error); } }), init),
  );
}

export default class Tailor extends WorkerEntrypoint {
  async fetch(request) {
    // What to do, as NUL-separated fields (src/edge.rs, `decide`).
    let fields;
    try {
      fields = new Engine(this.ctx, this.env).decide(request, this.env).split("\0");
    } catch (error) {
      // A trap or a bug in the engine: the page as the origin has it. (The
      // engine is re-instantiated for the next request.)
      console.error("tailor: engine failed, serving the origin untouched:", String(error && error.message || error));
      return passThrough(request, this.env);
    }
    switch (fields[0]) {
      case "redirect": {
        const headers = new Headers({ location: fields[1], "cache-control": "private, no-store" });
        return new Response(null, { status: 302, headers: appendHeaders(headers, fields.slice(2)) });
      }
      case "personalize": {
        const response = await passThrough(request, this.env);
        return rewritable(response) ? personalize(response, fields[1], fields[2], fields.slice(3)) : response;
      }
      default:
        return passThrough(request, this.env);
    }
  }
}
