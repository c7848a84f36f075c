//! `evaluate`: GrowthBook-style decisions for an app that passes its own
//! attributes, in the engines built with the `evaluate` feature (`tailor
//! build --evaluate`, and the QA engine). A page view decides once; an app
//! may decide once per render, so this path allocates nothing once warm and
//! its decision code is built for speed (`fast-decide`).

use super::{give, Text, INPUT, RULES};
use crate::context::Context;
use crate::intl::IntlClock;
use crate::value::{json_text, Value};
use std::cell::RefCell;

/// What one `evaluate` call leaves for the next, so that deciding for one
/// visitor after another allocates nothing once the buffers have grown: the
/// decoded attributes (see [`crate::wire`]), the visitor id and path
/// strings, and the results.
struct Scratch {
    decoder: crate::wire::Decoder,
    attributes: Value,
    visitor_id: String,
    path: String,
    results: Vec<i32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const {
        RefCell::new(Scratch { decoder: crate::wire::Decoder::new(), attributes: Value::Null, visitor_id: String::new(), path: String::new(), results: Vec::new() })
    };
}

/// GrowthBook-style evaluation for an app that has its own attributes (a
/// single-page app, a server render in node): the first `length` bytes of
/// [`attributes_buffer`](super::attributes_buffer) are the attributes
/// object conditions see (`id` is the visitor id A/B tests hash, `path` the
/// page for `pages`) in the binary form of [`crate::wire`], as
/// `pkg-template/src/attributes.js` writes it; `now_ms` the time for
/// schedules. The same decision as [`decide`](super::decide) for the same
/// attributes, without reasons, plan or JSON: this is the path to call once
/// per visitor and render.
///
/// Returns where in the wasm memory the results are: one `i32` per campaign
/// in ruleset order, the variant index or `-1` where none applies
/// ([`campaigns_json`] names them), valid until the next call; 0 when no
/// ruleset is loaded or the attributes are malformed.
/// `pkg-template/src/evaluate.js` reads them.
#[no_mangle]
pub extern "C" fn evaluate(length: usize, now_ms: f64) -> *const i32 {
    RULES.with(|r| {
        let rules = r.borrow();
        let Some(rules) = rules.as_ref() else { return std::ptr::null() };
        INPUT.with(|input| SCRATCH.with(|scratch| {
            let (Ok(input), Ok(mut scratch)) = (input.try_borrow(), scratch.try_borrow_mut()) else { return std::ptr::null() };
            let scratch = &mut *scratch;
            let Some(attributes) = input.get(..length) else { return std::ptr::null() };
            if !scratch.decoder.decode_into(attributes, &mut scratch.attributes) {
                return std::ptr::null();
            }
            let now = (now_ms / 1000.0).floor() as i64;
            let needs_clock = rules.campaigns.iter().any(|c| c.schedule.hours.is_some() || c.schedule.days != 0);
            let attributes = std::mem::take(&mut scratch.attributes);
            let visitor_id = attributes.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()).map(|id| {
                let mut owned = std::mem::take(&mut scratch.visitor_id);
                owned.clear();
                owned.push_str(id);
                owned
            });
            let mut path = std::mem::take(&mut scratch.path);
            path.clear();
            path.push_str(attributes.get("path").and_then(Value::as_str).unwrap_or("/"));
            let ctx = Context {
                visitor_id,
                visitor_id_is_new: false,
                path,
                identifiers_allowed: true,
                now,
                site_time: if needs_clock { crate::time::ZoneClock::local_time(&IntlClock, &rules.site.timezone, now) } else { None },
                attributes,
            };
            let results = &mut scratch.results;
            results.clear();
            results.resize(rules.campaigns.len(), -1);
            crate::decide::for_each_variant(rules, &ctx, |campaign, variant| results[campaign] = variant as i32);
            scratch.attributes = ctx.attributes;
            scratch.path = ctx.path;
            if let Some(id) = ctx.visitor_id {
                scratch.visitor_id = id;
            }
            // Never null for a ruleset without campaigns either: an empty
            // Vec's dangling pointer is not 0.
            scratch.results.as_ptr()
        }))
    })
}

/// `[{id, variants: [id...]}]` in ruleset order, to name what [`evaluate`] returns.
#[no_mangle]
pub extern "C" fn campaigns_json() -> *const Text {
    give(RULES.with(|r| {
        let rules = r.borrow();
        let mut out = String::from("[");
        for c in rules.as_ref().map_or(&[][..], |rules| &rules.campaigns) {
            json_text::item(&mut out);
            out.push('{');
            json_text::key(&mut out, "id");
            json_text::string(&mut out, Some(&c.id));
            json_text::key(&mut out, "variants");
            out.push('[');
            for v in &c.variants {
                json_text::item(&mut out);
                json_text::string(&mut out, Some(&v.id));
            }
            out.push_str("]}");
        }
        out.push(']');
        out
    }))
}
