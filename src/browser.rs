//! The browser engine: the same decision as the edge, for the script tag.
//!
//! The JS loader (pkg-template/) gathers the visitor's facts from
//! `navigator`, `document` and `Intl`, writes them into the engine's memory
//! in the binary form of [`crate::wire`], and applies the returned plan to
//! the DOM. Decoding, context building, decision, plan and templates are the
//! core's, so a visitor gets the same variant at the edge and in the browser.
//!
//! The exports are plain wasm functions of numbers, and text comes back as
//! a [`Text`]: the loader's own few lines of glue
//! (pkg-template/src/engine.js) call them, so the module needs neither
//! wasm-bindgen's glue nor an allocator exported to JavaScript.

use crate::codec;
use crate::context::{Context, Geo, RequestFacts};
use crate::decide::decide_without_reasons;
use crate::preview;
#[cfg(feature = "qa")]
use crate::preview::{PreviewMode, PreviewParams};
use crate::intl::IntlClock;
use crate::model::Ruleset;
use crate::plan::Plan;
use crate::state::{visitor_cookie, write_decisions};
use crate::value::{json_text, Value};
use std::cell::RefCell;

#[cfg(feature = "evaluate")]
mod evaluate;

thread_local! {
    static RULES: RefCell<Option<Ruleset>> = const { RefCell::new(None) };
}

/// Loads the ruleset (the module's `tailor.rules` custom section, read by the
/// loader). Returns an error message, or `None` on success.
pub fn load(rules: &[u8]) -> Option<String> {
    match codec::decode(rules) {
        Ok(decoded) => {
            RULES.with(|r| *r.borrow_mut() = Some(decoded));
            None
        }
        Err(err) => Some(err.message()),
    }
}

/// The visitor cookie's name (for Rust callers and tests: the loader does
/// not need it, the engine reads the cookie from the facts, so it is not
/// exported to JS).
pub fn cookie_name() -> String {
    RULES.with(|r| r.borrow().as_ref().map_or_else(|| "tailor_id".to_string(), |r| r.site.visitor_cookie.clone()))
}

/// Text for the loader: where the bytes of UTF-8 are and how many. The
/// last text an export returned, valid until the next call.
#[repr(C)]
pub struct Text {
    ptr: *const u8,
    len: usize,
}

thread_local! {
    static OUTPUT: RefCell<(String, Text)> = const { RefCell::new((String::new(), Text { ptr: std::ptr::null(), len: 0 })) };
}

/// Keeps `text` until the next call, and returns where the loader reads it.
fn give(text: String) -> *const Text {
    OUTPUT.with(|output| {
        let Ok(mut output) = output.try_borrow_mut() else { return std::ptr::null() };
        let output = &mut *output;
        output.0 = text;
        output.1 = Text { ptr: output.0.as_ptr(), len: output.0.len() };
        &output.1 as *const Text
    })
}

thread_local! {
    static LOADING: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Room for a ruleset of `length` bytes, which the loader writes there for
/// [`load_from_buffer`]. Apart from [`attributes_buffer`], so that loading
/// a ruleset never moves the bytes an attribute writer is writing to. Null
/// while the engine is busy.
#[no_mangle]
pub extern "C" fn rules_buffer(length: usize) -> *mut u8 {
    room_in(&LOADING, length)
}

/// Room for at least `length` bytes in `buffer`, which the loader writes
/// into: where they start, or null while the engine is busy. The buffer
/// only grows.
fn room_in(buffer: &'static std::thread::LocalKey<RefCell<Vec<u8>>>, length: usize) -> *mut u8 {
    buffer.with(|buffer| {
        let Ok(mut buffer) = buffer.try_borrow_mut() else { return std::ptr::null_mut() };
        if buffer.len() < length {
            buffer.resize(length, 0);
        }
        buffer.as_mut_ptr()
    })
}

/// [`load`] for the loader: the ruleset's `length` bytes are where
/// [`rules_buffer`] says (and are freed once read). Null on success, else
/// the error message.
#[export_name = "load"]
pub extern "C" fn load_from_buffer(length: usize) -> *const Text {
    let rules = LOADING.with(|loading| loading.try_borrow_mut().map(|mut loading| std::mem::take(&mut *loading)).unwrap_or_default());
    match rules.get(..length) {
        Some(rules) => load(rules).map_or(std::ptr::null(), give),
        None => give("the ruleset is not in the rules buffer".into()),
    }
}

/// Decides for the facts the loader wrote where [`attributes_buffer`] says
/// (`length` bytes; see [`decide_facts`]) and returns JSON.
#[no_mangle]
pub extern "C" fn decide(length: usize) -> *const Text {
    let facts = INPUT.with(|input| {
        let input = input.try_borrow().ok()?;
        let mut facts = Value::Null;
        crate::wire::decode_into(input.get(..length)?, &mut facts).then_some(facts)
    });
    give(match facts {
        Some(facts) => decide_for_facts(&facts),
        None => error("malformed facts"),
    })
}

/// Decides for the facts (the loader's object in the binary form of
/// [`crate::wire`], as `pkg-template/src/attributes.js` writes it: no JSON
/// text, so the lean engine carries no JSON reader) and returns JSON:
/// `{setCookie, preview: {active, debug, notes}, decisions, plan,
/// redirectHosts}` (and `campaigns`, the report of every campaign with
/// reasons, for the debug panel when `preview.debug`) or `{error}`. Only
/// what the loader reads: the edge's `#tailor-state` object (its geo, the
/// visitor id) is the worker's, and the decisions are already here; the
/// lean engine, which has no previews, leaves out `preview` too.
pub fn decide_facts(facts: &[u8]) -> String {
    let mut input = Value::Null;
    if !crate::wire::decode_into(facts, &mut input) {
        return error("malformed facts");
    }
    decide_for_facts(&input)
}

fn decide_for_facts(input: &Value) -> String {
    RULES.with(|r| {
        let rules = r.borrow();
        let Some(rules) = rules.as_ref() else { return error("no ruleset loaded") };
        let mut facts = facts_from(input);
        let (preview, notes) = preview_of(rules, input, &mut facts);
        #[cfg_attr(not(feature = "qa"), allow(unused_mut))]
        let mut ctx = Context::for_site(&facts, &rules.site, &IntlClock);
        #[cfg(feature = "qa")]
        preview::simulate_context(&mut ctx, &preview.simulate);
        let decision = decide_for(rules, &ctx, &preview);
        let plan = Plan::build(rules, &decision, &ctx);
        // Written as JSON text member by member (see `json_text`).
        let mut out = String::from("{");
        // A preview never writes the sticky assignment.
        let set_cookie = if preview.active { None } else { visitor_cookie(rules, &decision, &ctx) };
        json_text::key(&mut out, "setCookie");
        json_text::string(&mut out, set_cookie.as_deref());
        if crate::PREVIEWS {
            json_text::key(&mut out, "preview");
            out.push('{');
            json_text::key(&mut out, "active");
            json_text::boolean(&mut out, preview.active);
            json_text::key(&mut out, "debug");
            json_text::boolean(&mut out, preview.debug);
            json_text::key(&mut out, "notes");
            json_text::strings(&mut out, &notes);
            out.push('}');
        }
        json_text::key(&mut out, "decisions");
        write_decisions(rules, &decision, &mut out);
        json_text::key(&mut out, "plan");
        plan.write_json(rules, &mut out);
        // The loader keeps redirects on the page's host unless the rules allow another.
        json_text::key(&mut out, "redirectHosts");
        json_text::strings(&mut out, &rules.site.redirect_hosts);
        #[cfg(feature = "qa")]
        if preview.debug {
            json_text::key(&mut out, "campaigns");
            crate::state::campaign_report(rules, &decision).write_json(&mut out);
        }
        out.push('}');
        out
    })
}

/// The QA preview of this view and its notes. `preview` in the facts is the
/// query string of preview parameters (from the URL or the session cookie);
/// `previewTrusted` is set by the loader only when the worker verified this
/// preview (its `#tailor-state` says `qa`) or its browser signature checked
/// out, since the HMAC of signed links cannot be checked here.
#[cfg(feature = "qa")]
fn preview_of(rules: &Ruleset, input: &Value, facts: &mut RequestFacts) -> (preview::Preview, Vec<String>) {
    let params = PreviewParams::from_query(input.get("preview").and_then(Value::as_str).unwrap_or(""));
    let mode = if matches!(input.get("previewTrusted"), Some(Value::Bool(true))) { PreviewMode::Open } else { rules.site.preview };
    let preview = preview::resolve(rules, &params, mode, None, facts.now);
    let mut notes = preview.notes.clone();
    notes.extend(preview::simulate_facts(facts, &preview.simulate));
    (preview, notes)
}

/// The lean engine every visitor downloads has no previews: the loader
/// loads the QA engine (`tailor-qa.wasm`, built with the `qa` feature)
/// instead when a preview is asked for.
#[cfg(not(feature = "qa"))]
fn preview_of(_: &Ruleset, _: &Value, _: &mut RequestFacts) -> (preview::Preview, Vec<String>) {
    (preview::Preview::default(), Vec::new())
}

/// Reasons (which condition failed) only for the debug panel of the QA engine.
fn decide_for(rules: &Ruleset, ctx: &Context, preview: &preview::Preview) -> crate::decide::Decision {
    #[cfg(feature = "qa")]
    if preview.debug {
        return crate::decide::decide_with(rules, ctx, &preview.overrides);
    }
    decide_without_reasons(rules, ctx, &preview.overrides)
}

thread_local! {
    /// The bytes the loader writes for [`decide`] (and `evaluate`): see
    /// [`attributes_buffer`].
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Room for `capacity` bytes of attributes in the engine's memory: the
/// loader writes them there, and [`decide`] (and `evaluate`) read them, so that a call
/// copies nothing and allocates nothing (copying the bytes in through an
/// allocation cost a tenth of deciding for a visitor). Returns where the
/// bytes go: valid until the next call into the engine that allocates,
/// and the loader asks again whenever the memory's buffer changed. Null
/// while the engine is busy.
#[no_mangle]
pub extern "C" fn attributes_buffer(capacity: usize) -> *mut u8 {
    room_in(&INPUT, capacity)
}

fn error(message: &str) -> String {
    let mut out = String::from("{");
    json_text::key(&mut out, "error");
    json_text::string(&mut out, Some(message));
    out.push('}');
    out
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

fn facts_from(v: &Value) -> RequestFacts {
    let geo = v.get("geo").unwrap_or(&Value::Null);
    RequestFacts {
        url: text(v, "url").unwrap_or_default(),
        user_agent: text(v, "userAgent"),
        ch_mobile: text(v, "chMobile"),
        ch_platform: text(v, "chPlatform"),
        ch_brands: text(v, "chBrands"),
        cookies: text(v, "cookies"),
        accept_language: text(v, "languages"),
        referrer: text(v, "referrer"),
        headers: Vec::new(),
        geo: Geo {
            country: text(geo, "country"),
            region: text(geo, "region"),
            city: text(geo, "city"),
            continent: text(geo, "continent"),
            eu: geo.get("eu").and_then(|e| match e {
                Value::Bool(b) => Some(*b),
                _ => None,
            }),
            timezone: text(geo, "timezone"),
        },
        now: v.get("now").and_then(Value::as_f64).map_or(0, |ms| (ms / 1000.0).floor() as i64),
        fresh_visitor_id: text(v, "freshVisitorId"),
        custom: match v.get("custom") {
            Some(Value::Object(entries)) => entries.clone(),
            _ => Vec::new(),
        },
        // `matches!`, not `==`: comparing `Value`s would bring their
        // `PartialEq` into the lean engine for this one use.
        gpc: matches!(v.get("gpc"), Some(Value::Bool(true))),
    }
}
