//! The decision as JSON, embedded in the page as
//! `<script type="application/json" id="tailor-state">` for the browser
//! script (which must not apply twice what the edge applied, and reuses the
//! edge's geo) and for analytics.

use crate::context::Context;
use crate::decide::{Decision, Outcome, SkipDisplay, Via};
use crate::model::Ruleset;
use crate::value::{json_text, Value};

/// How long the visitor cookie lives: a year, as A/B tests need stable arms.
pub const VISITOR_COOKIE_MAX_AGE: u32 = 31_536_000;

/// Version of the state format, bumped on incompatible change.
pub const STATE_VERSION: f64 = 1.0;

/// The state object as JSON: `{v, visitor?, geo, decisions, applied}`,
/// and `qa: true` after them for a preview (`qa`). `applied` says whether
/// the plan's changes were already made to this HTML (true at the edge).
pub fn write_state(rules: &Ruleset, decision: &Decision, ctx: &Context, applied: bool, qa: bool, out: &mut String) {
    out.push('{');
    json_text::key(out, "v");
    json_text::number(out, STATE_VERSION);
    if let Some(id) = &ctx.visitor_id {
        json_text::key(out, "visitor");
        json_text::string(out, Some(id));
    }
    json_text::key(out, "geo");
    out.push('{');
    for key in ["country", "region", "city", "continent", "eu", "timezone"] {
        if let Some(value) = ctx.attributes.get(key) {
            json_text::key(out, key);
            value.write_json(out);
        }
    }
    out.push('}');
    json_text::key(out, "decisions");
    write_decisions(rules, decision, out);
    json_text::key(out, "applied");
    json_text::boolean(out, applied);
    if qa {
        json_text::key(out, "qa");
        json_text::boolean(out, true);
    }
    out.push('}');
}

/// The state's `decisions`: `[{campaign, variant, bucket?, via}]` for the
/// campaigns a variant was given in.
pub fn write_decisions(rules: &Ruleset, decision: &Decision, out: &mut String) {
    out.push('[');
    for (c, a) in decision.assigned() {
        let campaign = &rules.campaigns[c];
        json_text::item(out);
        out.push('{');
        json_text::key(out, "campaign");
        json_text::string(out, Some(&campaign.id));
        json_text::key(out, "variant");
        json_text::string(out, Some(campaign.variants.get(a.variant).map_or("", |v| &v.id)));
        if let Some(bucket) = a.bucket {
            json_text::key(out, "bucket");
            json_text::number(out, (bucket * 10_000.0).round() / 10_000.0);
        }
        json_text::key(out, "via");
        json_text::string(out, Some(via_name(a.via)));
        out.push('}');
    }
    out.push(']');
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
