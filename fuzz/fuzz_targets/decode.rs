//! The ruleset decoder on arbitrary bytes.
//!
//! The first byte picks the mode: even, the rest goes to `decode` as it is
//! (header checks); odd, the rest is a *body* that gets a valid header (magic,
//! version, length and the FNV-1a checksum `src/codec.rs` uses), so the fuzzer
//! reaches the body parser instead of failing the checksum.
//!
//! Properties: `decode` never panics; a ruleset it accepts re-encodes to bytes
//! that decode to a ruleset with the same encoding (the canonical form is a fixed
//! point); and a decoded ruleset — even a forged one — runs through `decide`,
//! `Plan::build`, the state JSON and the rewrite without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tailor::context::{Context, FixedOffsetClock, RequestFacts};

const MAX_LEN: usize = 64 * 1024;

fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}

fn with_header(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(13 + body.len());
    out.extend_from_slice(tailor::codec::MAGIC);
    out.push(tailor::codec::FORMAT_VERSION);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    if rest.len() > MAX_LEN {
        return;
    }
    let bytes = if mode & 1 == 0 { rest.to_vec() } else { with_header(rest) };
    let Ok(rules) = tailor::codec::decode(&bytes) else { return };

    let encoded = tailor::codec::encode(&rules);
    let again = tailor::codec::decode(&encoded).unwrap_or_else(|e| panic!("decode(encode(decoded)) failed: {e}"));
    assert!(tailor::codec::encode(&again) == encoded, "the canonical encoding is not a fixed point");

    // A forged ruleset passed the checksum: the engine must still not panic.
    for (url, ua, cookies) in [
        ("https://shop.example/", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "tailor_id=visitor1; tier=gold"),
        ("https://shop.example/shop/x?utm_source=news", "Googlebot/2.1", ""),
    ] {
        let facts = RequestFacts {
            url: url.into(),
            user_agent: Some(ua.into()),
            cookies: Some(cookies.into()),
            fresh_visitor_id: Some("fresh1".into()),
            now: 1_798_133_400,
            ..RequestFacts::default()
        };
        let ctx = Context::for_site(&facts, &rules.site, &FixedOffsetClock(3600));
        let decision = tailor::decide(&rules, &ctx);
        let plan = tailor::Plan::build(&rules, &decision, &ctx);
        let mut json = String::new();
        tailor::state::write_state(&rules, &decision, &ctx, true, true, &mut json);
        let _ = tailor::state::visitor_cookie(&rules, &decision, &ctx);
        plan.write_json(&rules, &mut json);
        // Forged selectors may be refused (Err), never panic.
        let page = b"<html><head></head><body><div id=hero class=promo><h1>Hi</h1></div></body></html>";
        let _ = tailor::rewrite::rewrite_page(page, &plan, Some("<script>{}</script>".into()));
    }
});
