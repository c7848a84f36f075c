// The alternative to lol_html in the wasm: workerd's built-in HTMLRewriter
// applying the same five changes as rules.toml, with the same escaping and the
// same response handling as the tailor worker (src/js/worker-entry.mjs, src/rewrite.rs):
// GET + 200 + text/html only; content-length and etag dropped,
// cache-control: private, vary: Cookie; the decision state inserted as
// <script type="application/json" id="tailor-state"> at the end of <head>
// (or of the document when there is no </head> handler to run).
// The decision itself (tailor's wasm) is not reproduced: every request gets
// the changes, which is what rules.toml decides for every request too.

const TITLE = 'Tailored <bench> & "friends"';
const IMG_ATTRS = [["loading", "lazy"], ["data-tailor", "img & co"]];
const BODY_CLASSES = ["tailor-on", "tailor-bench"];
const H1_APPEND = '<span class="tailor-badge">new</span>';
const H2_REPLACE = '<h2 class="tailor-replaced">Replaced at the edge</h2>';

// Attribute values: tailor escapes `&` itself and lol_html escapes `"`.
const attr = (value) => value.replaceAll("&", "&amp;");

// tailor's plan::edit_classes: keep the order, drop duplicates of added ones.
function editClasses(current, add, remove) {
  const classes = current.split(/[\t\n\f\r ]+/).filter((c) => c && !remove.includes(c));
  for (const c of add) if (!classes.includes(c)) classes.push(c);
  return classes.join(" ");
}

function stateScript(request) {
  const cf = request.cf || {};
  const geo = {};
  for (const key of ["country", "region", "city", "continent", "timezone"]) {
    if (cf[key] !== undefined && cf[key] !== null) geo[key] = String(cf[key]);
  }
  const state = { v: 1, geo, decisions: [{ campaign: "bench", variant: "all", via: "audience" }], applied: true };
  // As tailor's JSON writer: `<` escaped so the script cannot be closed early.
  const json = JSON.stringify(state).replaceAll("<", "\\u003c");
  return `<script type="application/json" id="tailor-state">${json}</script>`;
}

function rewritable(response) {
  const type = (response.headers.get("content-type") || "").trimStart().toLowerCase();
  const encoding = (response.headers.get("content-encoding") || "").trim().toLowerCase();
  return response.status === 200 && type.startsWith("text/html") && ["", "identity", "gzip", "br"].includes(encoding);
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.ORIGIN);
    const response = await fetch(new Request(target, request), { redirect: "manual" });
    if (request.method !== "GET" || !rewritable(response)) return response;

    const script = stateScript(request);
    // run.mjs's failure check only: `x-bench-throw: h2` makes the h2 handler
    // throw, to show what a visitor gets when a handler fails mid-page.
    const fail = request.headers.get("x-bench-throw") === "h2";
    let inserted = false;
    const rewriter = new HTMLRewriter()
      .on("title", { element(el) { el.setInnerContent(TITLE, { html: false }); } })
      .on("img", { element(el) { for (const [name, value] of IMG_ATTRS) el.setAttribute(name, attr(value)); } })
      .on("body", { element(el) { el.setAttribute("class", attr(editClasses(el.getAttribute("class") || "", BODY_CLASSES, []))); } })
      .on("h1", { element(el) { el.append(H1_APPEND, { html: true }); } })
      .on("h2", {
        element(el) {
          if (fail) throw new Error("bench: handler failure on h2");
          el.replace(H2_REPLACE, { html: true });
        },
      })
      .on("head", {
        element(el) {
          if (inserted) return;
          inserted = true;
          el.onEndTag((end) => { end.before(script, { html: true }); });
        },
      })
      .onDocument({ end(end) { if (!inserted) end.append(script, { html: true }); } });

    const headers = new Headers(response.headers);
    headers.delete("content-length");
    headers.delete("etag");
    headers.set("cache-control", "private");
    headers.append("vary", "Cookie");
    const rewritten = rewriter.transform(response);
    return new Response(rewritten.body, { status: response.status, headers });
  },
};
