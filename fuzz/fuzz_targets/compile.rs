//! The rule compiler on arbitrary source text, TOML or JSON (first byte).
//!
//! Properties: `compile` never panics; a ruleset it accepts survives
//! `encode` -> `decode` -> `encode` byte for byte; and the accepted rules run:
//! `decide` + `Plan::build` for a plain visitor, and the plan's selectors (which the
//! compiler validated) are accepted by the rewriter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tailor::compile::source::Format;
use tailor::compile::zone::ChronoClock;
use tailor::context::{Context, RequestFacts};
use tailor::model::Action;
use tailor::plan::PlannedChange;

/// Longer sources only slow the fuzzer down; the compiler's size limits are
/// covered by the corpus tests (tests/bad-rules/huge-*).
const MAX_LEN: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    if rest.len() > MAX_LEN {
        return;
    }
    let Ok(source) = std::str::from_utf8(rest) else { return };
    let format = if selector & 1 == 0 { Format::Toml } else { Format::Json };
    let compiled = tailor::compile::compile(source, "fuzz.toml", format, 0);
    let has_errors = compiled.has_errors();
    let Some(rules) = compiled.ruleset else {
        assert!(has_errors, "no ruleset and no error");
        return;
    };
    assert!(!has_errors);

    let encoded = tailor::codec::encode(&rules);
    let decoded = tailor::codec::decode(&encoded).unwrap_or_else(|e| panic!("decode(encode(ruleset)) failed: {e}"));
    let reencoded = tailor::codec::encode(&decoded);
    assert!(encoded == reencoded, "encode(decode(encode(ruleset))) differs from encode(ruleset)");

    // Run the rules for one visitor on one page: nothing may panic, and every
    // selector of the plan must be one the rewriter accepts.
    let facts = RequestFacts {
        url: "https://shop.example/".into(),
        user_agent: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1".into()),
        cookies: Some("tier=gold; tailor_id=visitor1".into()),
        now: 1_798_133_400,
        ..RequestFacts::default()
    };
    let ctx = Context::for_site(&facts, &decoded.site, &ChronoClock);
    let decision = tailor::decide(&decoded, &ctx);
    let plan = tailor::Plan::build(&decoded, &decision, &ctx);
    let page = b"<html><head><title>t</title></head><body><div id=hero><h1>Hi</h1><p class=promo>x</p></div></body></html>";
    if let Err(e) = tailor::rewrite::rewrite_page(page, &plan, None) {
        panic!("the compiler accepted a plan the rewriter refuses: {e}");
    }
    // Every selector of every variant, not only the ones this visitor got.
    let changes = decoded
        .campaigns
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.variants.iter().flat_map(move |v| v.changes.iter().map(move |ch| (i, ch.selector.clone()))))
        .map(|(campaign, selector)| PlannedChange { campaign, selector, action: Action::Remove })
        .collect();
    let all = tailor::Plan { redirect: None, changes };
    if let Err(e) = tailor::rewrite::rewrite_page(page, &all, None) {
        panic!("the compiler accepted a selector the rewriter refuses: {e}");
    }
});
