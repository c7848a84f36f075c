// tailor's browser loader: loads the engine (wasm with the compiled rules in
// its `tailor.rules` custom section), gathers the visitor's facts, decides,
// and applies the plan to the DOM exactly as the edge applies it with
// HTMLRewriter (src/js/worker-entry.mjs, `applyChange`). See ../README.md for behaviour
// and limitations.
import { instantiate } from "./engine.js";
import { engineCalls } from "./evaluate.js";
import { previewAsked } from "./session.js";

const W = window;
const D = document;
const WATCH_MS = 10000; // how long after a decision late elements are still changed

// One tailor per page, even when both the tag and the module are loaded.
const ONCE = Symbol.for("tailor");

/** Starts tailor once; resolves to the API, or null when anything failed. */
export function start(options) {
  return (W[ONCE] = W[ONCE] || run(options || {}).catch((e) => (fail(e), null)));
}

const byId = (id) => D.getElementById(id);
const drop = (id) => byId(id)?.remove();
const warn = (e) => console.warn("tailor: " + (e?.message || e));
const fail = (e) => { drop("tailor-hide"); drop("tailor-pending"); warn(e); };

async function run(o) {
  const custom = { ...o.attributes };
  const timeout = o.timeout == null || o.timeout === "" || isNaN(o.timeout) ? 800 : +o.timeout;
  let qaSide, ids, engine, calls, state, geo, decisions = [], changes = [], adopting, expired, reported, lastUrl, fresh, mo, until = 0;
  const done = new Map(); // change key -> WeakSet of elements it was applied to
  const own = new WeakSet(); // nodes tailor inserted (never matched, like at the edge)

  const reveal = () => { expired = 1; drop("tailor-hide"); drop("tailor-pending"); };
  setTimeout(reveal, timeout - performance.now());

  // Exposure events: once per page view and campaign/variant. A QA preview's
  // are marked `qa: true`, so analytics can leave them out.
  const emit = (list, qa) => {
    const dl = (W.dataLayer = W.dataLayer || []);
    for (const { campaign, variant, via } of list) {
      const key = campaign + "\0" + variant + "\0" + !!qa;
      if (reported.has(key)) continue;
      reported.add(key);
      const e = { event: "tailor_exposure", campaign, variant }, detail = { campaign, variant, via };
      if (qa) e.qa = detail.qa = true;
      dl.push(e);
      W.dispatchEvent(new CustomEvent("tailor:decision", { detail }));
    }
  };
  const page = () => location.pathname + location.search;

  try {
    const el = byId("tailor-state");
    state = el && JSON.parse(el.textContent);
  } catch (e) {
    state = 0;
  }
  lastUrl = page();
  reported = new Set();
  adopting = state?.applied === true;
  if (adopting) {
    // The worker already personalized this HTML: report its decisions, show
    // the page, and only take over for what comes later.
    decisions = state.decisions || [];
    reveal();
    emit(decisions, state.qa === true);
  }

  try {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    // Previews live in the QA engine and the QA script (the preview
    // session, badge, debug panel, signature check): ordinary visitors
    // never download that code, and only when the URL or the cookie may ask
    // for a preview are they loaded.
    const preview = previewAsked() && !!o.qaUrl && !!o.qaJsUrl;
    const [module, g, side] = await Promise.all([
      compile(preview ? o.qaUrl : o.wasmUrl),
      state?.geo ||
        (o.geo
          ? fetch(o.geo)
            .then((r) => r.text())
            .then((t) => ({ country: /^loc=(\w+)/m.exec(t)?.[1] }))
            .catch(() => ({}))
          : {}),
      preview ? script(o.qaJsUrl) : null,
    ]);
    qaSide = side;
    geo = { ...g, timezone: tz };
    if (geo.country == "XX" || geo.country == "T1") delete geo.country;
    engine = instantiate(module);
    calls = engineCalls(engine);
    const rules = WebAssembly.Module.customSections(module, "tailor.rules")[0];
    if (!rules) throw Error("no tailor.rules section in the wasm");
    const err = engine.load(new Uint8Array(rules));
    if (err) throw Error(err);
    fresh = state?.visitor;
    if (!/^[\w.-]{1,64}$/.test(fresh || "")) {
      fresh = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => (b | 256).toString(16).slice(1)).join("");
    }
    // The QA script starts (or ends) the preview session and settles which
    // preview is trusted: the one the worker verified (in signed mode the
    // browser has no key to check it), or a link signed for the browser.
    await qaSide?.start(module, state?.qa === true);
    if (adopting) await new Promise((r) => (D.readyState == "loading" ? D.addEventListener("DOMContentLoaded", r) : r()));
    decide();
  } catch (e) {
    expired = 1;
    fail(e);
    return null;
  }
  adopting = 0;

  function facts() {
    const n = navigator, h = n.userAgentData;
    return {
      url: location.href,
      userAgent: n.userAgent,
      chMobile: h && (h.mobile ? "?1" : "?0"),
      chPlatform: h && h.platform ? JSON.stringify(h.platform) : undefined,
      chBrands: h && h.brands && h.brands.map((b) => `"${b.brand}";v="${b.version}"`).join(", "),
      cookies: D.cookie,
      languages: (n.languages || []).join(","),
      referrer: D.referrer,
      geo,
      now: Date.now(),
      freshVisitorId: fresh,
      custom,
      gpc: n.globalPrivacyControl === true,
      // The preview in effect, and whether it is trusted: the QA script's to tell.
      ...qaSide?.facts(),
    };
  }

  // Decides for the current URL and applies the plan (or, on a page the
  // worker already rewrote, only records what it changed).
  function decide() {
    const r = JSON.parse(calls.decide(facts()));
    if (r.error) throw Error(r.error);
    const qa = r.preview?.active;
    // `Secure` cookies cannot be set from plain http pages (localhost aside).
    // A preview never stores the visitor's assignment.
    if (r.setCookie && !qa) D.cookie = isSecureContext ? r.setCookie : r.setCookie.replace(/; ?Secure/i, "");
    const plan = r.plan;
    const to = !adopting && plan.redirect && new URL(plan.redirect, location.href);
    if (!adopting) decisions = r.decisions;
    // As the edge's `safe_redirect`: http(s), this host or an allowed one
    // (`redirectHosts`, when the engine reports them), never this page.
    if (to && /^https?:$/.test(to.protocol) && to.href != location.href &&
      (to.hostname == location.hostname || (r.redirectHosts || []).includes(to.hostname))) {
      emit(decisions, qa);
      return location.replace(to.href);
    }
    const seen = {};
    changes = plan.changes.map((c) => {
      let k = c.select + "\0" + c.action + "\0" + JSON.stringify(c.value);
      k += "\0" + (seen[k] = (seen[k] || 0) + 1);
      if (!done.has(k)) done.set(k, new WeakSet());
      return { ...c, k };
    });
    drop("tailor-hide");
    scan();
    watch(WATCH_MS);
    if (!adopting) emit(decisions, qa);
    // The preview badge and debug panel; a broken panel never breaks the page.
    try {
      qaSide?.render(r, own);
    } catch (e) {
      warn(e);
    }
  }

  // Applies pending changes to every matching element that is complete
  // (fully parsed) and not already changed; hides what is still pending.
  function scan() {
    for (const c of changes) {
      let els;
      try {
        els = D.querySelectorAll(c.select);
      } catch (e) {
        continue;
      }
      const set = done.get(c.k);
      for (const el of els) {
        if (set.has(el) || !el.isConnected || !complete(el) || inOwn(el)) continue;
        set.add(el);
        c.hit = 1;
        if (!adopting) {
          try {
            apply(el, c);
          } catch (e) {
            warn(`change failed: ${c.select}: ${e.message}`);
          }
        }
      }
    }
    const pending = [...new Set(changes.filter((c) => !c.hit).map((c) => c.select))];
    let style = byId("tailor-pending");
    if (expired || !pending.length) return style?.remove();
    if (!style) {
      style = D.createElement("style");
      style.id = "tailor-pending";
      (D.head || D.documentElement).append(style);
    }
    // One rule per selector: a selector the CSS parser rejects drops only
    // itself. Unchanged text is not rewritten (that would wake the observer).
    const css = pending.map((s) => s + "{visibility:hidden!important}").join("\n");
    if (style.textContent != css) style.textContent = css;
  }

  // An element the parser is still filling has nothing after it yet.
  function complete(el) {
    if (D.readyState != "loading") return true;
    for (let n = el; n; n = n.parentNode) if (n.nextSibling) return true;
  }
  function inOwn(el) {
    for (let n = el; n; n = n.parentNode) if (own.has(n)) return true;
  }

  function apply(el, { action: a, value: v }) {
    const cls = el.getAttribute("class");
    // Marks the nodes between `before` and `after` (exclusive) under `parent`.
    const insert = (parent, before, after, put) => {
      put();
      for (let n = before ? before.nextSibling : parent.firstChild; n && n != after; n = n.nextSibling) own.add(n);
    };
    if (a == "text") el.textContent = v;
    else if (a == "html") insert(el, null, null, () => (el.innerHTML = v));
    else if (a == "attr") for (const k in v) el.setAttribute(k, v[k]);
    else if (a == "remove_attr") for (const k of v) el.removeAttribute(k);
    else if (a == "add_class") el.setAttribute("class", classes(cls, v, []));
    else if (a == "remove_class") cls != null && el.setAttribute("class", classes(cls, [], v));
    else if (a == "before") insert(el.parentNode, el.previousSibling, el, () => el.insertAdjacentHTML("beforebegin", v));
    else if (a == "after") insert(el.parentNode, el, el.nextSibling, () => el.insertAdjacentHTML("afterend", v));
    else if (a == "prepend") insert(el, null, el.firstChild, () => el.insertAdjacentHTML("afterbegin", v));
    else if (a == "append") insert(el, el.lastChild, null, () => el.insertAdjacentHTML("beforeend", v));
    else if (a == "replace") insert(el.parentNode, el.previousSibling, el.nextSibling, () => (el.outerHTML = v));
    else if (a == "remove") el.remove();
  }

  // Late elements (scripts, lazy content, SPA renders): observed for
  // WATCH_MS after each decision, and until `load` + timeout.
  function watch(ms) {
    until = Math.max(until, performance.now() + ms);
    if (mo) return;
    mo = new MutationObserver(scan);
    mo.observe(D.documentElement, { childList: true, subtree: true });
    const tick = () => {
      const left = until - performance.now();
      if (left > 0) setTimeout(tick, left);
      else mo = mo.disconnect();
    };
    tick();
  }
  D.addEventListener("DOMContentLoaded", scan);
  W.addEventListener("load", () => watch(timeout));

  // Single-page apps: a new URL is decided again; pushState and popstate
  // make a new page view (exposures reported again), replaceState (often
  // just tidying the query) does not.
  const nav = (view) => {
    if (page() == lastUrl) return;
    lastUrl = page();
    if (view) reported = new Set();
    safely(decide);
  };
  const safely = (f) => {
    try {
      f();
    } catch (e) {
      fail(e);
    }
    return decisions.map((d) => ({ ...d }));
  };
  for (const m of ["pushState", "replaceState"]) {
    const orig = history[m];
    history[m] = function () {
      const r = orig.apply(this, arguments);
      nav(m == "pushState");
      return r;
    };
  }
  W.addEventListener("popstate", () => nav(1));

  return (W.tailor = {
    decisions: () => decisions.map((d) => ({ ...d })),
    setAttributes: (attrs) => (Object.assign(custom, attrs), safely(decide)),
    refresh: () => safely(decide),
    // GrowthBook-style: the variant of every campaign for the attributes
    // given (id, path and any attribute conditions read), without applying
    // anything. For apps that render variants themselves; only in a build
    // with `tailor build --evaluate` (the engine exports it then).
    evaluate(attributes, now) {
      if (!engine.evaluate) throw Error("tailor.evaluate needs `tailor build --evaluate`");
      const names = (ids = ids || JSON.parse(engine.campaigns_json()));
      const v = new Array(names.length).fill(-1);
      calls.evaluate(attributes, now == null ? Date.now() : +now, v);
      const out = {};
      names.forEach((c, i) => (out[c.id] = v[i] >= 0 ? c.variants[v[i]] : null));
      return out;
    },
  });
}

/** Edits a class attribute like the edge (src/js/worker-entry.mjs `editClasses`). */
function classes(current, add, remove) {
  const list = (current || "").split(/[\t\n\f\r ]+/).filter((c) => c && !remove.includes(c));
  for (const c of add) if (!list.includes(c)) list.push(c);
  return list.join(" ");
}

/** Loads tailor-qa.js (a classic script) and resolves to what it registers, or null. */
function script(url) {
  const key = Symbol.for("tailor.qa");
  return W[key] ? Promise.resolve(W[key]) : new Promise((resolve) => {
    const el = D.createElement("script");
    el.src = url;
    el.onload = () => resolve(W[key] || null);
    el.onerror = () => (warn(`cannot load ${url}: no preview`), resolve(null));
    (D.head || D.documentElement).append(el);
  });
}

async function compile(url) {
  const res = await fetch(url);
  if (!res.ok) throw Error(`cannot load ${url}: HTTP ${res.status}`);
  const C = WebAssembly;
  return C.compileStreaming && /wasm/.test(res.headers.get("content-type"))
    ? C.compileStreaming(res)
    : C.compile(await res.arrayBuffer());
}
