//! The browser engine in real headless Chromium (wasm-bindgen-test): the
//! demo ruleset as `tailor build` embeds it, decided with the browser's own
//! `Intl` time zones.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]

use tailor::browser::{cookie_name, decide_facts, load};
use tailor::json;
use tailor::value::Value;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const RULES: &[u8] = include_bytes!("../build/site/rules.bin");
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/// The facts (written here as JSON text) as the loader passes them.
fn decide(facts: &str) -> Value {
    assert_eq!(load(RULES), None, "the demo ruleset loads");
    let mut bytes = Vec::new();
    tailor::wire::encode(&json::parse(facts).expect("test facts are JSON"), &mut bytes);
    json::parse(&decide_facts(&bytes)).expect("decide returns JSON")
}

fn campaigns(result: &Value) -> Vec<(String, String)> {
    match result.get("decisions") {
        Some(Value::Array(ds)) => ds
            .iter()
            .map(|d| (d.get("campaign").unwrap().to_js_string(), d.get("variant").unwrap().to_js_string()))
            .collect(),
        _ => panic!("no decisions in {result}"),
    }
}

#[wasm_bindgen_test]
fn a_mobile_visitor_from_germany_in_the_evening() {
    // 2026-12-03T19:30:00+01:00, a Thursday evening in Berlin.
    let r = decide(&format!(
        r#"{{"url":"https://shop.example/","userAgent":"{IPHONE}","geo":{{"country":"DE","city":"Berlin","timezone":"Europe/Berlin"}},"now":1796322600000}}"#
    ));
    let got = campaigns(&r);
    for expected in [("dach-hero", "german"), ("mobile-lite", "lite"), ("evening-stores", "night")] {
        assert!(got.contains(&(expected.0.to_string(), expected.1.to_string())), "{expected:?} in {got:?}");
    }
    assert!(r.to_json().contains("Willkommen, Berlin!"));
}

#[wasm_bindgen_test]
fn intl_time_zones_decide_the_local_hour() {
    // The same instant is evening in Tokyo and morning in New York.
    let at = |tz: &str| {
        decide(&format!(r#"{{"url":"https://shop.example/","geo":{{"timezone":"{tz}"}},"now":1795431600000}}"#))
    };
    let tokyo = campaigns(&at("Asia/Tokyo"));
    let new_york = campaigns(&at("America/New_York"));
    assert!(tokyo.iter().any(|(c, _)| c == "evening-stores"), "{tokyo:?}");
    assert!(!new_york.iter().any(|(c, _)| c == "evening-stores"), "{new_york:?}");
}

#[wasm_bindgen_test]
fn ab_arms_follow_the_visitor_cookie_and_new_visitors_get_one() {
    let returning = decide(r#"{"url":"https://shop.example/pricing/","cookies":"tailor_id=visitor1","now":1795431600000}"#);
    assert!(campaigns(&returning).contains(&("pro-trial".into(), "trial".into())));
    assert_eq!(returning.get("setCookie"), Some(&Value::Null));
    let fresh = decide(r#"{"url":"https://shop.example/pricing/","freshVisitorId":"0123456789abcdef0123456789abcdef","now":1795431600000}"#);
    let cookie = fresh.get("setCookie").and_then(Value::as_str).expect("a new visitor gets a cookie");
    assert!(cookie.starts_with(&format!("{}=0123456789abcdef0123456789abcdef;", cookie_name())));
}

#[wasm_bindgen_test]
fn bad_input_is_an_error_not_a_panic() {
    assert!(load(b"TLRS garbage").is_some());
    assert_eq!(load(RULES), None);
    let r = json::parse(&decide_facts(b"\x06\xff")).unwrap();
    assert!(r.get("error").is_some());
}
