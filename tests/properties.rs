#![cfg(not(target_arch = "wasm32"))]
//! Property tests: hostile or random input never panics, and core invariants
//! hold for arbitrary data.

use proptest::prelude::*;
use tailor::condition::{Condition, SavedGroups};
use tailor::context::{parse_cookies, parse_query, primary_language, Context, FixedOffsetClock, Geo, RequestFacts};
use tailor::glob::Glob;
use tailor::template::Template;
use tailor::value::Value;

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1e6f64..1e6).prop_map(Value::Number),
        "[a-zA-Z0-9$._ -]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[$a-z.]{1,6}", inner), 0..4).prop_map(Value::Object),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decoding_random_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = tailor::codec::decode(&bytes);
        let mut framed = b"TLRS\x01".to_vec();
        framed.extend_from_slice(&bytes);
        let _ = tailor::codec::decode(&framed);
    }

    #[test]
    fn conditions_on_random_documents_never_panic(cond in value(), attrs in value()) {
        if let Ok(c) = Condition::parse(&cond) {
            let matched = c.eval(&attrs, &SavedGroups::default());
            // A failure explanation exists exactly when the condition fails.
            prop_assert_eq!(matched, c.first_failure(&attrs, &SavedGroups::default()).is_none());
        }
        let _ = Condition::lint(&cond);
    }

    #[test]
    fn templates_parse_or_fail_cleanly(text in "\\PC{0,40}") {
        if let Ok(t) = Template::parse(&text) {
            if !text.contains("{{") {
                prop_assert_eq!(t.render(&Value::Null), text);
            }
        }
    }

    #[test]
    fn a_glob_without_wildcards_matches_only_itself(path in "/[a-z/]{0,12}", other in "/[a-z/]{0,12}") {
        let g = Glob::new(path.clone());
        prop_assert!(g.matches(&path));
        prop_assert_eq!(g.matches(&other), path == other);
        prop_assert!(Glob::new("*").matches(&other));
    }

    #[test]
    fn request_parsing_is_total(header in "\\PC{0,200}", url in "\\PC{0,100}") {
        let _ = parse_cookies(&header).count();
        let _ = parse_query(&header).count();
        let _ = primary_language(&header);
        let facts = RequestFacts {
            url: url.clone(),
            user_agent: Some(header.clone()),
            cookies: Some(header.clone()),
            accept_language: Some(header.clone()),
            ch_platform: Some(header.clone()),
            ch_brands: Some(header.clone()),
            headers: vec![(header.clone(), header.clone())],
            geo: Geo { country: Some(header.clone()), timezone: Some(header.clone()), ..Geo::default() },
            fresh_visitor_id: Some(header.clone()),
            ..RequestFacts::default()
        };
        let ctx = Context::build(&facts, "tailor_id", "UTC", &FixedOffsetClock(0));
        // Only well-formed ids are ever used for bucketing.
        if let Some(id) = &ctx.visitor_id {
            prop_assert!(tailor::context::is_valid_visitor_id(id));
        }
    }

    #[test]
    fn allocation_free_bucketing_matches_the_reference(
        seed in "\\PC{0,12}", id in "\\PC{0,24}", version in 1u32..3,
        weights in prop::collection::vec(0.0f64..1.0, 0..6), coverage in -0.5f64..1.5,
        n in 0.0f64..1.0,
    ) {
        // The reference: GrowthBook's formulas as written (strings concatenated, ranges collected).
        let concat = if version == 1 { format!("{id}{seed}") } else { format!("{seed}{id}") };
        let first = tailor::bucket::fnv32a(&concat);
        let want = if version == 1 { f64::from(first % 1000) / 1000.0 } else { f64::from(tailor::bucket::fnv32a(&first.to_string()) % 10000) / 10000.0 };
        prop_assert_eq!(tailor::bucket::hash(&seed, &id, version), Some(want));
        let ranges = tailor::bucket::bucket_ranges(weights.len(), coverage, Some(&weights));
        prop_assert_eq!(tailor::bucket::choose_weighted(n, weights.len(), coverage, |i| weights[i]), tailor::bucket::choose_variation(n, &ranges));
        // Weights that sum to 1 (the usual case) exercise the non-fallback path.
        let total: f64 = weights.iter().sum();
        if total > 0.0 {
            let normal: Vec<f64> = weights.iter().map(|w| w / total).collect();
            let ranges = tailor::bucket::bucket_ranges(normal.len(), coverage, Some(&normal));
            prop_assert_eq!(tailor::bucket::choose_weighted(n, normal.len(), coverage, |i| normal[i]), tailor::bucket::choose_variation(n, &ranges));
        }
    }

    #[test]
    fn escaped_text_has_no_markup(text in "\\PC{0,60}") {
        let e = tailor::html::escaped(&text);
        prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"'));
    }
}

#[test]
fn huge_headers_are_handled() {
    let big = "a=b; ".repeat(64 * 1024 / 5);
    let facts = RequestFacts {
        url: format!("https://x/?{}", "q=1&".repeat(16 * 1024)),
        user_agent: Some("Mozilla/5.0 ".repeat(5000)),
        cookies: Some(big.clone()),
        accept_language: Some("de;q=0.1,".repeat(7000)),
        ..RequestFacts::default()
    };
    let ctx = Context::build(&facts, "tailor_id", "UTC", &FixedOffsetClock(0));
    assert_eq!(ctx.attributes.path("cookie.a"), Some(&Value::from("b")));
}
