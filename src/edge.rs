//! The Cloudflare Worker: decide per request, stream the page through the
//! rewrite.
//!
//! Thin on purpose: it turns the request and `request.cf` into
//! [`RequestFacts`], asks the core for a decision and a plan, and streams the
//! origin's body through workerd's native `HTMLRewriter` with that plan
//! (2 to 8 times less CPU than lol_html compiled into the wasm, and 197 KB
//! gzip less to upload; see README and benches/rewriter). `HTMLRewriter` is
//! lol_html inside workerd, so `tailor rewrite` (lol_html natively) shows the
//! same bytes. Anything unexpected (no ruleset, a response that is not a
//! successful HTML page, a rewriter that cannot be set up) returns the origin's
//! response untouched. The JS entry written by
//! `tailor build` additionally catches a trap of this module and then serves
//! the origin directly, so even a bug here cannot take the site down.

use crate::codec;
use crate::context::{Context, Geo, ParsedUrl, RequestFacts};
use crate::decide::{decide_with, decide_without_reasons, Outcome, SkipDisplay};
use crate::model::Ruleset;
use crate::model::Action;
use crate::plan::{Plan, PlannedChange};
use crate::preview::{self, PreviewParams};
use crate::value::Value;
use crate::intl::IntlClock;
use crate::state::{state_json, via_name, visitor_cookie};
use crate::time::parse_rfc3339;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use worker::{event, Env, Headers, Request, Response};

#[wasm_bindgen(inline_js = r#"
export function tailor_rules() {
  const r = globalThis.__TAILOR_RULES__;
  return r ? new Uint8Array(r) : undefined;
}
export function tailor_random_id() {
  return crypto.randomUUID().replaceAll("-", "");
}
export function tailor_now_ms() { return Date.now(); }
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
// Streams the response through workerd's native HTMLRewriter. Handlers never
// throw (a throwing handler makes HTMLRewriter cut the page short), and a
// rewriter that cannot be set up returns undefined: the caller passes the
// origin response through.
export function tailor_transform(response, planJson, stateScript, headers) {
  let transformed;
  try {
    const plan = JSON.parse(planJson);
    let rewriter = new HTMLRewriter();
    for (const change of plan.changes) {
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
    transformed = rewriter.transform(response);
  } catch (e) {
    console.error("tailor: passing through, rewriter setup failed:", e && e.message);
    return undefined;
  }
  return new Response(transformed.body, { status: response.status, statusText: response.statusText, headers });
}
export function tailor_cf_string(cf, key) {
  if (!cf) return undefined;
  const v = cf[key];
  return v === undefined || v === null ? undefined : String(v);
}
"#)]
extern "C" {
    fn tailor_rules() -> Option<Vec<u8>>;
    fn tailor_random_id() -> String;
    fn tailor_now_ms() -> f64;
    fn tailor_cf_string(cf: &JsValue, key: &str) -> Option<String>;
    fn tailor_transform(response: &web_sys::Response, plan_json: &str, state_script: &str, headers: &web_sys::Headers) -> Option<web_sys::Response>;
}

thread_local! {
    /// Decoded once per isolate. `Err` keeps the reason for the log line.
    static RULES: RefCell<Option<Result<Rc<Ruleset>, String>>> = const { RefCell::new(None) };
}

fn rules() -> Result<Rc<Ruleset>, String> {
    RULES.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| match tailor_rules() {
                None => Err("no ruleset in the module (was it built with `tailor build`?)".to_string()),
                Some(bytes) => codec::decode(&bytes).map(Rc::new).map_err(|e| e.to_string()),
            })
            .clone()
    })
}

fn env_flag(env: &Env, name: &str) -> bool {
    env.var(name).map(|v| matches!(v.to_string().as_str(), "1" | "true" | "yes")).unwrap_or(false)
}

fn env_string(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).filter(|v| !v.is_empty())
}

#[event(fetch)]
pub async fn fetch(req: Request, env: Env, _ctx: worker::Context) -> worker::Result<Response> {
    let rules = match rules() {
        Ok(rules) => rules,
        Err(reason) => {
            console_log(&format!("tailor: passing through: {reason}"));
            return origin_fetch(req, &env).await;
        }
    };
    #[cfg(feature = "fault-injection")]
    if req.headers().get("x-tailor-fault").ok().flatten().as_deref() == Some("panic") {
        panic!("tailor: injected fault (test build)");
    }
    let method = req.method();
    if method != worker::Method::Get {
        return origin_fetch(req, &env).await;
    }
    let dev = env_flag(&env, "TAILOR_DEV");
    let started = tailor_now_ms();
    let mut facts = request_facts(&req, dev);

    // QA previews: from the query (which also starts a session) or the session cookie.
    let query_params = PreviewParams::from_query(ParsedUrl::parse(&facts.url).query);
    let cookie_params = preview_cookie(&facts).map(|v| PreviewParams::from_query(&v)).unwrap_or_default();
    let (params, session_cookie) = if query_params.is_reset() {
        (PreviewParams::default(), Some(format!("{}=; Path=/; Max-Age=0; SameSite=Lax; Secure", preview::COOKIE)))
    } else if !query_params.is_empty() {
        let cookie = format!("{}={}; Path=/; SameSite=Lax; Secure", preview::COOKIE, query_params.to_query().replace(',', "%2C"));
        (query_params, Some(cookie))
    } else {
        (cookie_params, None)
    };
    let key = env.secret("TAILOR_PREVIEW_KEY").map(|s| s.to_string()).or_else(|_| env.var("TAILOR_PREVIEW_KEY").map(|s| s.to_string())).ok();
    let preview = preview::resolve(&rules, &params, rules.site.preview, key.as_deref().map(str::as_bytes), facts.now);
    let mut notes = preview.notes.clone();
    notes.extend(preview::simulate_facts(&mut facts, &preview.simulate));
    let mut ctx = Context::for_site(&facts, &rules.site, &IntlClock);
    preview::simulate_context(&mut ctx, &preview.simulate);
    // Reasons (which condition failed) only for the debug header.
    let decision = if preview.active && preview.debug {
        decide_with(&rules, &ctx, &preview.overrides)
    } else {
        decide_without_reasons(&rules, &ctx, &preview.overrides)
    };
    let mut plan = Plan::build(&rules, &decision, &ctx);
    // A preview never writes the sticky assignment.
    let set_cookie = if preview.active { None } else { visitor_cookie(&rules, &decision, &ctx) };
    let elapsed = tailor_now_ms() - started;

    let mut extra = Vec::new();
    if let Some(cookie) = session_cookie {
        extra.push(("set-cookie", cookie));
    }
    if let Some(cookie) = set_cookie {
        extra.push(("set-cookie", cookie));
    }
    if preview.active && preview.debug {
        extra.push(("tailor-debug", debug_header(&rules, &decision, &notes)));
        extra.push(("server-timing", format!("tailor;dur={elapsed};desc=\"decision\"")));
    }

    if let Some((_, target)) = &plan.redirect {
        if let Some(location) = safe_redirect(target, &facts.url, &rules.site.redirect_hosts) {
            let headers = Headers::new();
            headers.set("location", &location)?;
            headers.set("cache-control", "private, no-store")?;
            for (name, value) in &extra {
                headers.append(name, value)?;
            }
            return Ok(Response::empty()?.with_status(302).with_headers(headers));
        }
    }

    let response = origin_fetch(req, &env).await?;
    if !is_rewritable(&response) || (decision.assigned().next().is_none() && !preview.active) {
        return Ok(response);
    }
    let mut state = state_json(&rules, &decision, &ctx, true);
    if preview.active {
        state.insert("qa", Value::Bool(true));
        plan.changes.push(PlannedChange { campaign: usize::MAX, selector: "body".into(), action: Action::Append(PREVIEW_BADGE.into()) });
    }
    let script = format!("<script type=\"application/json\" id=\"tailor-state\">{}</script>", state.to_json());
    let headers = response.headers().clone();
    let _ = headers.delete("content-length");
    let _ = headers.delete("etag");
    headers.set("cache-control", "private")?;
    headers.append("vary", "Cookie")?;
    for (name, value) in &extra {
        headers.append(name, value)?;
    }
    let origin: web_sys::Response = response.into();
    match tailor_transform(&origin, &plan.to_value(&rules).to_json(), &script, &headers.0) {
        Some(rewritten) => Ok(Response::from(rewritten)),
        None => Ok(Response::from(origin)),
    }
}

/// Shown on every previewed page so nobody mistakes it for the live site.
/// The label lives in a declarative shadow root, so page styles cannot reach
/// it (no `div { display: none }` or font rule of the site hides or restyles
/// it), and the host's own position is pinned with `!important` inline
/// styles, which only an `!important` rule on the made-up tag name could beat.
/// The script tag, when present, replaces it by the same id.
const PREVIEW_BADGE: &str = concat!(
    "<tailor-preview-badge id=\"tailor-preview-badge\" style=\"all:initial!important;display:block!important;position:fixed!important;",
    "z-index:2147483647!important;right:12px!important;bottom:12px!important;visibility:visible!important;opacity:1!important\">",
    "<template shadowrootmode=\"open\"><div style=\"all:initial;display:block;padding:6px 10px;border-radius:6px;background:#1d4ed8;",
    "color:#fff;font:600 12px/1.2 system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.3)\">tailor preview</div></template></tailor-preview-badge>"
);

fn preview_cookie(facts: &RequestFacts) -> Option<String> {
    let jar = facts.cookies.as_deref()?;
    crate::context::parse_cookies(jar).find(|(name, _)| *name == preview::COOKIE).map(|(_, v)| v.to_string())
}

/// `tailor-debug`: each campaign as `id=variant(via)` or `id!reason`, and the
/// notes; ASCII only, as headers must be.
fn debug_header(rules: &Ruleset, decision: &crate::decide::Decision, notes: &[String]) -> String {
    let mut parts: Vec<String> = rules
        .campaigns
        .iter()
        .zip(&decision.outcomes)
        .map(|(campaign, outcome)| match outcome {
            Outcome::Assigned(a) => format!("{}={}({})", campaign.id, campaign.variants[a.variant].id, via_name(a.via)),
            Outcome::Skipped(skip) => format!("{}!{}", campaign.id, SkipDisplay { skip, rules }),
        })
        .collect();
    parts.extend(notes.iter().map(|n| format!("note: {n}")));
    parts.join("; ").chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).take(8000).collect()
}

fn console_log(message: &str) {
    worker::console_log!("{}", message);
}

/// The page from the origin: `ORIGIN` when configured, else the bundled
/// static assets (`www/`).
async fn origin_fetch(req: Request, env: &Env) -> worker::Result<Response> {
    match env_string(env, "ORIGIN") {
        Some(origin) => {
            let url = req.url()?;
            let mut target = format!("{}{}", origin.trim_end_matches('/'), url.path());
            if let Some(query) = url.query() {
                target.push('?');
                target.push_str(query);
            }
            let init = web_sys::RequestInit::new();
            init.set_redirect(web_sys::RequestRedirect::Manual);
            // `new Request(url, request)`: a Request is a valid RequestInit in JS.
            let upstream = web_sys::Request::new_with_str_and_init(&target, req.inner().unchecked_ref())
                .map_err(|e| worker::Error::JsError(format!("{e:?}")))?;
            let upstream = web_sys::Request::new_with_request_and_init(&upstream, &init)
                .map_err(|e| worker::Error::JsError(format!("{e:?}")))?;
            worker::Fetch::Request(Request::from(upstream)).send().await
        }
        None => env.assets("ASSETS")?.fetch_request(req).await,
    }
}

fn is_rewritable(response: &Response) -> bool {
    let status = response.status_code();
    let headers = response.headers();
    let html = headers
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/html"));
    // Workers hand us gzip and brotli bodies already decoded; anything else we
    // could not read, so it passes through.
    let encoding_ok = match headers.get("content-encoding").ok().flatten() {
        None => true,
        Some(enc) => matches!(enc.trim().to_ascii_lowercase().as_str(), "" | "identity" | "gzip" | "br"),
    };
    status == 200 && html && encoding_ok
}

fn request_facts(req: &Request, dev: bool) -> RequestFacts {
    let headers = req.headers();
    let get = |name: &str| headers.get(name).ok().flatten();
    let cf: JsValue = js_sys::Reflect::get(req.inner(), &JsValue::from_str("cf")).unwrap_or(JsValue::UNDEFINED);
    let mut geo = Geo {
        country: tailor_cf_string(&cf, "country").filter(|c| c != "XX" && c != "T1"),
        region: tailor_cf_string(&cf, "region"),
        city: tailor_cf_string(&cf, "city"),
        continent: tailor_cf_string(&cf, "continent"),
        eu: tailor_cf_string(&cf, "isEUCountry").map(|v| v == "1"),
        timezone: tailor_cf_string(&cf, "timezone"),
    };
    let mut now = (tailor_now_ms() / 1000.0).floor() as i64;
    if dev {
        // Local testing only: stand-ins for what request.cf and the clock give.
        // Any geo header replaces the whole cf geo, so a simulated visitor is
        // not mixed with the local runtime's placeholder location.
        if ["x-tailor-country", "x-tailor-region", "x-tailor-city", "x-tailor-timezone"].iter().any(|h| get(h).is_some()) {
            geo = Geo::default();
        }
        if let Some(country) = get("x-tailor-country") {
            geo.country = Some(country);
        }
        if let Some(region) = get("x-tailor-region") {
            geo.region = Some(region);
        }
        if let Some(city) = get("x-tailor-city") {
            geo.city = Some(city);
        }
        if let Some(tz) = get("x-tailor-timezone") {
            geo.timezone = Some(tz);
        }
        if let Some(Ok((epoch, offset))) = get("x-tailor-time").map(|t| parse_rfc3339(&t)) {
            now = epoch;
            if get("x-tailor-timezone").is_none() {
                // The offset written in the header is the visitor's.
                geo.timezone = Some(fixed_offset_zone(offset));
            }
        }
    }
    let header_pairs: Vec<(String, String)> = headers.entries().take(100).map(|(k, v)| (k, v)).collect();
    RequestFacts {
        url: req.url().map(|u| u.to_string()).unwrap_or_default(),
        user_agent: get("user-agent"),
        ch_mobile: get("sec-ch-ua-mobile"),
        ch_platform: get("sec-ch-ua-platform"),
        ch_brands: get("sec-ch-ua"),
        cookies: get("cookie"),
        accept_language: get("accept-language"),
        referrer: get("referer"),
        headers: header_pairs,
        geo,
        now,
        fresh_visitor_id: Some(tailor_random_id()),
        custom: Vec::new(),
        gpc: get("sec-gpc").is_some_and(|v| v.trim() == "1"),
    }
}

/// `Etc/GMT-1` is UTC+1 (POSIX signs are inverted); whole hours only, which
/// is what `Intl` accepts; other offsets fall back to UTC.
fn fixed_offset_zone(offset_seconds: i64) -> String {
    if offset_seconds == 0 || offset_seconds % 3600 != 0 {
        return "UTC".to_string();
    }
    let hours = offset_seconds / 3600;
    format!("Etc/GMT{}{}", if hours > 0 { "-" } else { "+" }, hours.abs())
}

/// Resolves a redirect target against the page URL and keeps it on the
/// same host unless the rule file allow-lists the target host.
fn safe_redirect(target: &str, page_url: &str, allowed_hosts: &[String]) -> Option<String> {
    let base = web_sys::Url::new(page_url).ok()?;
    let resolved = web_sys::Url::new_with_base(target, page_url).ok()?;
    let protocol = resolved.protocol();
    if protocol != "https:" && protocol != "http:" {
        return None;
    }
    let host = resolved.hostname().to_ascii_lowercase();
    if host != base.hostname().to_ascii_lowercase() && !allowed_hosts.iter().any(|h| *h == host) {
        return None;
    }
    let href = resolved.href();
    // Redirecting to the page itself would loop.
    (href != base.href()).then_some(href)
}
