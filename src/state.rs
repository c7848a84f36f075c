//! The decision as JSON, embedded in the page as
//! `<script type="application/json" id="tailor-state">` for the browser
//! script (which must not apply twice what the edge applied, and reuses the
//! edge's geo) and for analytics.

use crate::context::Context;
use crate::decide::{Decision, Outcome, SkipDisplay, Via};
use crate::model::Ruleset;
use crate::value::Value;

/// How long the visitor cookie lives: a year, as A/B tests need stable arms.
pub const VISITOR_COOKIE_MAX_AGE: u32 = 31_536_000;

/// Version of the state format, bumped on incompatible change.
pub const STATE_VERSION: f64 = 1.0;

/// Builds the state object. `applied` says whether the plan's changes were
/// already made to this HTML (true at the edge).
pub fn state_json(rules: &Ruleset, decision: &Decision, ctx: &Context, applied: bool) -> Value {
    let mut state = Value::Object(Vec::new());
    state.insert("v", Value::Number(STATE_VERSION));
    if let Some(id) = &ctx.visitor_id {
        state.insert("visitor", Value::String(id.clone()));
    }
    let mut geo = Value::Object(Vec::new());
    for key in ["country", "region", "city", "continent", "eu", "timezone"] {
        if let Some(value) = ctx.attributes.get(key) {
            geo.insert(key, value.clone());
        }
    }
    state.insert("geo", geo);
    // A loop, not `map` and `collect` (generic code in the browser engine).
    let mut decisions = Vec::new();
    for (c, a) in decision.assigned() {
        let campaign = &rules.campaigns[c];
        let mut d = Value::Object(Vec::new());
        d.insert("campaign", Value::String(campaign.id.clone()));
        d.insert("variant", Value::String(campaign.variants.get(a.variant).map_or(String::new(), |v| v.id.clone())));
        if let Some(bucket) = a.bucket {
            d.insert("bucket", Value::Number((bucket * 10_000.0).round() / 10_000.0));
        }
        d.insert("via", via_name(a.via).into());
        decisions.push(d);
    }
    state.insert("decisions", Value::Array(decisions));
    state.insert("applied", Value::Bool(applied));
    state
}

pub fn via_name(via: Via) -> &'static str {
    match via {
        Via::Audience => "audience",
        Via::Bucket => "bucket",
        Via::BotControl => "bot",
        Via::Forced => "forced",
        Via::NoConsent => "no_consent",
    }
}

/// The `Set-Cookie` value (or `document.cookie` assignment) that stores a
/// visitor id made for this request, when an A/B test needed it. Crawlers
/// never get one.
pub fn visitor_cookie(rules: &Ruleset, decision: &Decision, ctx: &Context) -> Option<String> {
    if !ctx.visitor_id_is_new || !decision.used_visitor_id() || ctx.device() == "bot" {
        return None;
    }
    let id = ctx.visitor_id.as_deref()?;
    let mut cookie = format_cookie_start(&rules.site.visitor_cookie, id);
    crate::value::push_uint(VISITOR_COOKIE_MAX_AGE.into(), &mut cookie);
    cookie.push_str("; SameSite=Lax; Secure");
    Some(cookie)
}

fn format_cookie_start(name: &str, id: &str) -> String {
    let mut cookie = String::with_capacity(name.len() + id.len() + 48);
    cookie.push_str(name);
    cookie.push('=');
    cookie.push_str(id);
    cookie.push_str("; Path=/; Max-Age=");
    cookie
}

/// Every campaign with its outcome, for `tailor explain --format json`, the
/// browser's `campaigns` and QA debugging: `{id, variants, matched, variant?,
/// via?, bucket?, reason?}`.
pub fn campaign_report(rules: &Ruleset, decision: &Decision) -> Value {
    let campaigns = rules
        .campaigns
        .iter()
        .zip(&decision.outcomes)
        .map(|(campaign, outcome)| {
            let mut c = Value::Object(Vec::new());
            c.insert("id", Value::String(campaign.id.clone()));
            c.insert("variants", Value::Array(campaign.variants.iter().map(|v| Value::String(v.id.clone())).collect()));
            match outcome {
                Outcome::Assigned(a) => {
                    c.insert("matched", Value::Bool(true));
                    c.insert("variant", Value::String(campaign.variants.get(a.variant).map_or(String::new(), |v| v.id.clone())));
                    c.insert("via", via_name(a.via).into());
                    if let Some(bucket) = a.bucket {
                        c.insert("bucket", Value::Number(bucket));
                    }
                }
                Outcome::Skipped(skip) => {
                    c.insert("matched", Value::Bool(false));
                    c.insert("reason", Value::String(SkipDisplay { skip, rules }.to_string()));
                }
            }
            c
        })
        .collect();
    Value::Array(campaigns)
}
