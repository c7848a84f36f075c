//! The Cloudflare Worker's engine: decide per request.
//!
//! Thin on purpose: it turns the request and `request.cf` into
//! [`RequestFacts`], asks the core for a decision and a plan, and tells the
//! JS entry (src/js/worker-entry.mjs, written by `tailor build`) what to do:
//! pass the origin's response through, redirect, or stream the origin's page
//! through workerd's native `HTMLRewriter` with the plan (2 to 8 times less
//! CPU than lol_html compiled into the wasm, and 197 KB gzip less to upload;
//! see README and benches/rewriter). `HTMLRewriter` is lol_html inside
//! workerd, so `tailor rewrite` (lol_html natively) shows the same bytes.
//!
//! One synchronous call per request, with everything the engine needs from
//! JavaScript in one string (`tailor_incoming`): each crossing, future and
//! promise between JavaScript and wasm cost more than the decision itself
//! (measured in local workerd, see BENCHMARKS.md). The I/O stays in the
//! entry, which also catches a trap of this module and then serves the
//! origin directly, so even a bug here cannot take the site down. Anything
//! unexpected (no ruleset, a response that is not a successful HTML page, a
//! rewriter that cannot be set up) gives the origin's response untouched.

use crate::codec;
use crate::context::{Context, Geo, ParsedUrl, RequestFacts};
use crate::decide::{decide_with, decide_without_reasons, Outcome, SkipDisplay};
use crate::model::Ruleset;
use crate::model::Action;
use crate::plan::{Plan, PlannedChange};
use crate::preview::{self, PreviewParams};
use crate::intl::IntlClock;
use crate::state::{via_name, visitor_cookie, write_state};
use crate::time::parse_rfc3339;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use worker::Env;

#[wasm_bindgen(inline_js = r#"
export function tailor_rules() {
  const r = globalThis.__TAILOR_RULES__;
  return r ? new Uint8Array(r) : undefined;
}
export function tailor_now_ms() { return Date.now(); }
// Everything the engine reads from the request, the clock and the
// environment, in one string of NUL-separated fields (see `Incoming::parse`):
// one crossing into the engine instead of one per header. Header names,
// values and URLs cannot contain NUL; the other fields have it removed.
const clean = (v) => (v === undefined || v === null ? "" : String(v).replaceAll("\0", ""));
export function tailor_incoming(request, env) {
  const cf = request.cf || {};
  const key = env.TAILOR_PREVIEW_KEY;
  const fields = [
    String(Date.now()), crypto.randomUUID().replaceAll("-", ""),
    clean(env.TAILOR_DEV), typeof key === "string" ? clean(key) : "",
    request.method, request.url,
    clean(cf.country), clean(cf.region), clean(cf.city), clean(cf.continent), clean(cf.isEUCountry), clean(cf.timezone),
  ];
  let n = 0;
  for (const [name, value] of request.headers) {
    if (n++ === 100) break;
    fields.push(name, value);
  }
  return fields.join("\0");
}
"#)]
extern "C" {
    fn tailor_rules() -> Option<Vec<u8>>;
    fn tailor_now_ms() -> f64;
    fn tailor_incoming(request: &web_sys::Request, env: &Env) -> String;
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

/// The request, the clock and the environment as `tailor_incoming` wrote
/// them: the fields borrow from that one string.
struct Incoming<'a> {
    now_ms: f64,
    random_id: &'a str,
    dev: bool,
    preview_key: &'a str,
    method: &'a str,
    url: &'a str,
    cf: [&'a str; 6],
    /// Lowercase names (the runtime's `Headers` iterate so), at most 100.
    headers: Vec<(&'a str, &'a str)>,
}

impl<'a> Incoming<'a> {
    fn parse(text: &'a str) -> Incoming<'a> {
        let mut fields = text.split('\0');
        let mut next = || fields.next().unwrap_or("");
        let now_ms = next().parse().unwrap_or(0.0);
        let random_id = next();
        let dev = matches!(next(), "1" | "true" | "yes");
        let (preview_key, method, url) = (next(), next(), next());
        let cf = [next(), next(), next(), next(), next(), next()];
        let mut headers = Vec::new();
        while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
            headers.push((name, value));
        }
        Incoming { now_ms, random_id, dev, preview_key, method, url, cf, headers }
    }

    fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// What the JS entry (src/js/worker-entry.mjs) is to do with a request, as
/// NUL-separated fields (JSON and header values carry no raw NUL):
///
/// - `pass`: the origin's response as it is (no ruleset, not a GET, nothing
///   to personalize for this visitor);
/// - `redirect`, location, extra headers…: a 302 instead of the page;
/// - `personalize`, plan JSON, state script, extra headers…: the origin's
///   response, rewritten when it is a successful HTML page.
///
/// Synchronous and one call per request: the decision needs no I/O, and each
/// crossing between JavaScript and the engine, each future and promise
/// costs more than the decision itself. A trap here throws in the entry,
/// which then serves the origin's page.
#[wasm_bindgen]
pub fn decide(request: &web_sys::Request, env: &Env) -> String {
    let incoming_text = tailor_incoming(request, env);
    let incoming = Incoming::parse(&incoming_text);
    let rules = match rules() {
        Ok(rules) => rules,
        Err(reason) => {
            console_log(&format!("tailor: passing through: {reason}"));
            return PASS.to_string();
        }
    };
    #[cfg(feature = "fault-injection")]
    if incoming.header("x-tailor-fault") == Some("panic") {
        panic!("tailor: injected fault (test build)");
    }
    if incoming.method != "GET" {
        return PASS.to_string();
    }
    let mut facts = request_facts(&incoming);

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
    let key = Some(incoming.preview_key).filter(|k| !k.is_empty());
    let preview = preview::resolve(&rules, &params, rules.site.preview, key.map(str::as_bytes), facts.now);
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

    // Response headers to add, as `\0name\0value…` after the other fields.
    let mut extra = String::new();
    let mut add_header = |name: &str, value: &str| {
        extra.push('\0');
        extra.push_str(name);
        extra.push('\0');
        extra.extend(value.chars().filter(|&c| c != '\0'));
    };
    if let Some(cookie) = &session_cookie {
        add_header("set-cookie", cookie);
    }
    if let Some(cookie) = &set_cookie {
        add_header("set-cookie", cookie);
    }
    if preview.active && preview.debug {
        add_header("tailor-debug", &debug_header(&rules, &decision, &notes));
        // Since `tailor_incoming` read the clock (the clock is read again
        // only for this header).
        let elapsed = tailor_now_ms() - incoming.now_ms;
        add_header("server-timing", &format!("tailor;dur={elapsed};desc=\"decision\""));
    }

    if let Some((_, target)) = &plan.redirect {
        if let Some(location) = safe_redirect(target, &facts.url, &rules.site.redirect_hosts) {
            // A serialized URL has no raw NUL.
            return format!("redirect\0{location}{extra}");
        }
    }
    if decision.assigned().next().is_none() && !preview.active {
        return PASS.to_string();
    }
    if preview.active {
        plan.changes.push(PlannedChange { campaign: usize::MAX, selector: "body".into(), action: Action::Append(PREVIEW_BADGE.into()) });
    }
    let mut out = String::from("personalize\0");
    plan.write_json(&rules, &mut out);
    out.push_str("\0<script type=\"application/json\" id=\"tailor-state\">");
    write_state(&rules, &decision, &ctx, true, preview.active, &mut out);
    out.push_str("</script>");
    out.push_str(&extra);
    out
}

const PASS: &str = "pass";

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

fn request_facts(incoming: &Incoming<'_>) -> RequestFacts {
    let get = |name: &str| incoming.header(name).map(str::to_string);
    let cf = |i: usize| Some(incoming.cf[i]).filter(|v| !v.is_empty()).map(str::to_string);
    let mut geo = Geo {
        country: cf(0).filter(|c| c != "XX" && c != "T1"),
        region: cf(1),
        city: cf(2),
        continent: cf(3),
        eu: cf(4).map(|v| v == "1" || v == "true"),
        timezone: cf(5),
    };
    let mut now = (incoming.now_ms / 1000.0).floor() as i64;
    if incoming.dev {
        // Local testing only: stand-ins for what request.cf and the clock give.
        // Any geo header replaces the whole cf geo, so a simulated visitor is
        // not mixed with the local runtime's placeholder location.
        if ["x-tailor-country", "x-tailor-region", "x-tailor-city", "x-tailor-timezone"].iter().any(|h| incoming.header(h).is_some()) {
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
        if let Some(Ok((epoch, offset))) = incoming.header("x-tailor-time").map(parse_rfc3339) {
            now = epoch;
            if incoming.header("x-tailor-timezone").is_none() {
                // The offset written in the header is the visitor's.
                geo.timezone = Some(fixed_offset_zone(offset));
            }
        }
    }
    RequestFacts {
        url: incoming.url.to_string(),
        user_agent: get("user-agent"),
        ch_mobile: get("sec-ch-ua-mobile"),
        ch_platform: get("sec-ch-ua-platform"),
        ch_brands: get("sec-ch-ua"),
        cookies: get("cookie"),
        accept_language: get("accept-language"),
        referrer: get("referer"),
        headers: incoming.headers.iter().map(|&(k, v)| (k.to_string(), v.to_string())).collect(),
        geo,
        now,
        fresh_visitor_id: Some(incoming.random_id.to_string()),
        custom: Vec::new(),
        gpc: incoming.header("sec-gpc").is_some_and(|v| v.trim() == "1"),
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
