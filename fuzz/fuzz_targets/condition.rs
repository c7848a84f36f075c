//! The engines' JSON reader and GrowthBook conditions on arbitrary text.
//!
//! The input is split at the first NUL byte: the part before is a condition
//! document, the part after is the attributes object (and, after a second
//! NUL, a saved-groups payload).
//!
//! Properties of `json::parse` (the reader the browser engine gets its facts
//! through):
//! - it never panics;
//! - on text that `serde_json` accepts it agrees with `serde_json` (same value,
//!   numbers to the bit; skipped for duplicate keys and nesting deeper than the
//!   reader's documented limit of 64);
//! - what it parses re-serializes (`to_json`) to JSON that parses back to the
//!   same value, non-finite numbers becoming `null` as in `JSON.stringify`;
//! - it reads back what JavaScript's `JSON.stringify` writes for any string,
//!   lone UTF-16 surrogates included (they become U+FFFD): the whole input,
//!   read as UTF-16 code units, is written as `JSON.stringify` would and parsed.
//!
//! Properties of `Condition`:
//! - `parse`, `lint`, `eval`, `first_failure`, `attribute_paths` and
//!   `unknown_operators` never panic;
//! - `first_failure` is `None` exactly when `eval` is true (as documented);
//! - the logical operators compose: `{"$not": c}` and `{"$nor": [c]}` are the
//!   negation of `c`, `{"$or": [c]}` and `{"$and": [c, c]}` are `c`;
//! - without saved groups, the result only depends on the top-level attributes
//!   named by `attribute_paths` (the compiler checks those names against the
//!   known attributes, so a path it misses would let a typo through).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tailor::condition::{Condition, SavedGroups};
use tailor::value::Value;

/// The reader's nesting limit (`src/json.rs`).
const JSON_MAX_DEPTH: usize = 64;

fn parse_json(text: &str) -> Option<Value> {
    let ours = tailor::json::parse(text);
    if let Ok(theirs) = serde_json::from_str::<serde_json::Value>(text) {
        if serde_depth(&theirs) < JSON_MAX_DEPTH {
            let v = ours.as_ref().unwrap_or_else(|e| panic!("serde_json accepts, json::parse refuses ({e}): {text:?}"));
            assert!(agrees(v, &theirs), "json::parse gives {v:?}, serde_json {theirs:?}, for {text:?}");
        }
    }
    let value = ours.ok()?;
    let json = value.to_json();
    let back = tailor::json::parse(&json).unwrap_or_else(|e| panic!("to_json output does not parse: {e}: {json}"));
    assert!(same(&back, &stringified(&value)), "JSON round trip changed {value:?} into {back:?}");
    Some(value)
}

fn serde_depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(items) => 1 + items.iter().map(serde_depth).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(serde_depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// `ours` is the value `theirs` is; objects with a repeated key are not
/// compared (serde_json keeps one entry, the engine both, and conditions
/// read the first as JavaScript objects cannot hold two).
fn agrees(ours: &Value, theirs: &serde_json::Value) -> bool {
    match (ours, theirs) {
        (Value::Null, serde_json::Value::Null) => true,
        (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
        (Value::Number(a), serde_json::Value::Number(b)) => b.as_f64() == Some(*a),
        (Value::String(a), serde_json::Value::String(b)) => a == b,
        (Value::Array(a), serde_json::Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| agrees(a, b)),
        (Value::Object(a), serde_json::Value::Object(b)) => {
            let mut keys: Vec<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            if keys.len() != a.len() {
                return true;
            }
            a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && agrees(va, vb))
        }
        _ => false,
    }
}

/// What `JSON.parse(JSON.stringify(value))` gives: non-finite numbers become null.
fn stringified(v: &Value) -> Value {
    match v {
        Value::Number(n) if !n.is_finite() => Value::Null,
        Value::Array(items) => Value::Array(items.iter().map(stringified).collect()),
        Value::Object(entries) => Value::Object(entries.iter().map(|(k, v)| (k.clone(), stringified(v))).collect()),
        other => other.clone(),
    }
}

/// Equality with NaN equal to itself.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, a), (kb, b))| ka == kb && same(a, b))
        }
        _ => a == b,
    }
}

/// `JSON.stringify(s)` for a JavaScript string given as UTF-16 code units
/// (ES2019 "well-formed JSON.stringify": lone surrogates are escaped).
fn js_stringify(units: &[u16]) -> String {
    let mut out = String::from("\"");
    let mut i = 0;
    while i < units.len() {
        let u = units[i];
        let pair = (0xD800..0xDC00).contains(&u) && units.get(i + 1).is_some_and(|l| (0xDC00..0xE000).contains(l));
        if pair {
            out.push(char::decode_utf16([u, units[i + 1]]).next().unwrap().unwrap());
            i += 2;
            continue;
        }
        match u {
            0x22 => out.push_str("\\\""),
            0x5C => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            0..0x20 | 0xD800..0xE000 => out.push_str(&format!("\\u{u:04x}")),
            _ => out.push(char::from_u32(u.into()).unwrap()),
        }
        i += 1;
    }
    out.push('"');
    out
}

/// The attributes with only the top-level members the paths start with.
fn pruned(attributes: &Value, paths: &[String]) -> Option<Value> {
    let Value::Object(entries) = attributes else { return None };
    let firsts: Vec<&str> = paths.iter().map(|p| p.split('.').next().unwrap_or("")).collect();
    Some(Value::Object(entries.iter().filter(|(k, _)| firsts.contains(&k.as_str())).cloned().collect()))
}

fn check(c: &Condition, attributes: &Value, groups: &SavedGroups) -> bool {
    let ok = c.eval(attributes, groups);
    let failure = c.first_failure(attributes, groups);
    assert_eq!(ok, failure.is_none(), "eval and first_failure disagree: {failure:?}");
    if let Some(f) = failure {
        let _ = f.to_string();
    }
    ok
}

fn obj(key: &str, value: Value) -> Value {
    Value::Object(vec![(key.to_string(), value)])
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 16 * 1024 {
        return;
    }

    // The engine reads whatever string JSON.stringify writes.
    let units: Vec<u16> = data.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
    let text = js_stringify(&units);
    match tailor::json::parse(&text) {
        Ok(Value::String(s)) => assert!(s == String::from_utf16_lossy(&units), "{text:?} read as {s:?}"),
        other => panic!("{text:?} read as {other:?}"),
    }

    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.splitn(3, '\0');
    let Some(condition) = parts.next().and_then(parse_json) else { return };
    let attributes = parts.next().and_then(parse_json).unwrap_or(Value::Object(Vec::new()));
    let groups = parts.next().and_then(parse_json).map(|p| SavedGroups::from_payload(&p)).unwrap_or_default();

    let _ = Condition::lint(&condition);
    let Ok(c) = Condition::parse(&condition) else { return };
    let paths = c.attribute_paths();
    let _ = c.unknown_operators();
    let ok = check(&c, &attributes, &groups);

    let wrapped = |v: Value| Condition::parse(&v).unwrap_or_else(|e| panic!("a wrapped valid condition does not parse: {e}"));
    let not = wrapped(obj("$not", condition.clone()));
    assert_eq!(check(&not, &attributes, &groups), !ok, "$not");
    let nor = wrapped(obj("$nor", Value::Array(vec![condition.clone()])));
    assert_eq!(check(&nor, &attributes, &groups), !ok, "$nor");
    let or = wrapped(obj("$or", Value::Array(vec![condition.clone()])));
    assert_eq!(check(&or, &attributes, &groups), ok, "$or");
    let and = wrapped(obj("$and", Value::Array(vec![condition.clone(), condition.clone()])));
    assert_eq!(check(&and, &attributes, &groups), ok, "$and");

    let none = SavedGroups::default();
    if let Some(less) = pruned(&attributes, &paths) {
        assert_eq!(
            c.eval(&less, &none),
            c.eval(&attributes, &none),
            "the result depends on attributes outside attribute_paths {paths:?}"
        );
    }
});
