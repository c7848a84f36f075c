#![cfg(not(target_arch = "wasm32"))]
//! Runs GrowthBook's shared SDK test vectors (spec 0.8.0) against the
//! condition and bucketing code. Every case of every section must pass, and
//! every section must run as many cases as the file holds.

use serde_json::Value as Json;
use tailor::bucket;
use tailor::condition::{Condition, SavedGroups};
use tailor::value::Value;

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/conformance/growthbook-cases.json");

fn to_value(j: &Json) -> Value {
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap()),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Json::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3
}

fn ranges(j: &Json) -> Vec<(f64, f64)> {
    j.as_array().unwrap().iter().map(|r| (r[0].as_f64().unwrap(), r[1].as_f64().unwrap())).collect()
}

/// Runs `check` on every case of `section`; returns the number run.
fn run(doc: &Json, section: &str, failures: &mut Vec<String>, check: impl Fn(&[Json]) -> Result<(), String>) -> usize {
    let cases = doc[section].as_array().unwrap_or_else(|| panic!("section {section} missing"));
    for case in cases {
        let case = case.as_array().unwrap();
        if let Err(why) = check(case) {
            failures.push(format!("{section}: {} -> {why}", Json::Array(case.clone())));
        }
    }
    cases.len()
}

#[test]
fn growthbook_shared_test_vectors() {
    let text = std::fs::read_to_string(CASES).expect("read growthbook-cases.json");
    let doc: Json = serde_json::from_str(&text).unwrap();
    let mut failures = Vec::new();
    let mut counts = Vec::new();

    counts.push((
        "hash",
        run(&doc, "hash", &mut failures, |c| {
            let got = bucket::hash(c[0].as_str().unwrap(), c[1].as_str().unwrap(), c[2].as_u64().unwrap() as u32);
            match (got, c[3].as_f64()) {
                (None, None) => Ok(()),
                (Some(g), Some(e)) if close(g, e) => Ok(()),
                (g, _) => Err(format!("got {g:?}")),
            }
        }),
    ));

    counts.push((
        "getBucketRange",
        run(&doc, "getBucketRange", &mut failures, |c| {
            let args = &c[1];
            let weights: Option<Vec<f64>> = args[2].as_array().map(|w| w.iter().map(|x| x.as_f64().unwrap()).collect());
            let got = bucket::bucket_ranges(
                args[0].as_u64().unwrap() as usize,
                args[1].as_f64().unwrap(),
                weights.as_deref(),
            );
            let want = ranges(&c[2]);
            let ok = got.len() == want.len() && got.iter().zip(&want).all(|(g, w)| close(g.0, w.0) && close(g.1, w.1));
            if ok {
                Ok(())
            } else {
                Err(format!("got {got:?}"))
            }
        }),
    ));

    counts.push((
        "chooseVariation",
        run(&doc, "chooseVariation", &mut failures, |c| {
            let got = bucket::choose_variation(c[1].as_f64().unwrap(), &ranges(&c[2]));
            let want = c[3].as_i64().unwrap();
            let got_i = got.map_or(-1, |i| i as i64);
            if got_i == want {
                Ok(())
            } else {
                Err(format!("got {got:?}"))
            }
        }),
    ));

    counts.push((
        "inNamespace",
        run(&doc, "inNamespace", &mut failures, |c| {
            let ns = &c[2];
            let got = bucket::in_namespace(
                c[1].as_str().unwrap(),
                (ns[0].as_str().unwrap(), ns[1].as_f64().unwrap(), ns[2].as_f64().unwrap()),
            );
            if got == c[3].as_bool().unwrap() {
                Ok(())
            } else {
                Err(format!("got {got}"))
            }
        }),
    ));

    counts.push((
        "getEqualWeights",
        run(&doc, "getEqualWeights", &mut failures, |c| {
            let got = bucket::equal_weights(c[0].as_i64().unwrap());
            let want: Vec<f64> = c[1].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
            let ok = got.len() == want.len() && got.iter().zip(&want).all(|(g, w)| close(*g, *w));
            if ok {
                Ok(())
            } else {
                Err(format!("got {got:?}"))
            }
        }),
    ));

    counts.push((
        "getQueryStringOverride",
        run(&doc, "getQueryStringOverride", &mut failures, |c| {
            let got = bucket::query_string_override(
                c[1].as_str().unwrap(),
                c[2].as_str().unwrap(),
                c[3].as_u64().unwrap() as usize,
            );
            let want = c[4].as_u64().map(|n| n as usize);
            if got == want {
                Ok(())
            } else {
                Err(format!("got {got:?}"))
            }
        }),
    ));

    counts.push((
        "evalCondition",
        run(&doc, "evalCondition", &mut failures, |c| {
            let condition = Condition::parse(&to_value(&c[1])).map_err(|e| format!("parse error: {e}"))?;
            let attributes = to_value(&c[2]);
            let groups: SavedGroups = match c.get(4).and_then(Json::as_object) {
                Some(map) => {
                    map.iter().map(|(k, v)| (k.clone(), v.as_array().unwrap().iter().map(to_value).collect())).collect()
                }
                None => SavedGroups::default(),
            };
            let want = c[3].as_bool().unwrap();
            let got = condition.eval(&attributes, &groups);
            // The explanation must agree with the verdict.
            let failure = condition.first_failure(&attributes, &groups);
            if failure.is_some() == got {
                return Err(format!("first_failure {failure:?} disagrees with eval {got}"));
            }
            if got == want {
                Ok(())
            } else {
                Err(format!("got {got}"))
            }
        }),
    ));

    for f in &failures {
        eprintln!("FAIL {f}");
    }
    for (section, n) in &counts {
        let expected = doc[*section].as_array().unwrap().len();
        eprintln!(
            "{section}: {} / {n} passed",
            n - failures.iter().filter(|f| f.starts_with(&format!("{section}:"))).count()
        );
        assert_eq!(*n, expected, "section {section} ran {n} of {expected} cases");
    }
    // Every array section of the file is covered.
    let sections: Vec<&str> =
        doc.as_object().unwrap().iter().filter(|(_, v)| v.is_array()).map(|(k, _)| k.as_str()).collect();
    for s in sections {
        assert!(counts.iter().any(|(c, _)| *c == s), "section {s} is not run");
    }
    assert!(failures.is_empty(), "{} GrowthBook cases failed", failures.len());
}

/// The binary ruleset stores conditions and saved groups compiled
/// (`src/codec/condition.rs`), and the engines decode them instead of
/// compiling their JSON: for every case, and for the operators and group
/// shapes the cases do not reach, the decoded condition must be the very
/// tree `Condition::parse` builds, decide as it does with or without its
/// sources (`encode` and `encode_lean`), and explain as it does when the
/// sources are kept.
#[test]
fn precompiled_conditions_decide_as_parsed() {
    use tailor::codec;
    use tailor::compile::{compile, source::Format};
    use tailor::model::Segment;

    let text = std::fs::read_to_string(CASES).expect("read growthbook-cases.json");
    let doc: Json = serde_json::from_str(&text).unwrap();
    let mut cases: Vec<(Json, Json, Json)> = doc["evalCondition"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[1].clone(), c[2].clone(), c.get(4).cloned().unwrap_or(Json::Null)))
        .collect();
    let groups = serde_json::json!({
        "v1": ["a", 2],
        "list": {"type": "list", "attributeKey": "id", "values": ["x", "y"]},
        "nokey": {"type": "list", "values": ["x"]},
        "badvalues": {"type": "list", "attributeKey": "id", "values": "x"},
        "cond": {"type": "condition", "condition": {"country": {"$in": ["DE", "AT"]}, "$savedGroup": {"id": "list"}}},
        "notcond": {"type": "condition", "condition": "x"},
        "loop": {"type": "condition", "condition": {"$savedGroup": {"id": "loop"}}},
        "other": {"type": "what"},
        "junk": 5,
    });
    let attributes = serde_json::json!({
        "id": "x", "country": "DE", "version": "1.2.3-rc.1", "name": "Ärger", "tags": ["News", "a", null, 3],
        "n": "12", "obj": {"1": 2, "a": [1, {"b": null}]}, "1": "one", "other": "y",
    });
    for (condition, attrs) in [
        (r#"{"name": {"$regexi": "^ärger$"}, "id": {"$regex": "x"}}"#, true),
        (r#"{"name": {"$regexi": "ÄR"}, "path": {"$regex": "\\.pdf$"}, "q": {"$regex": "a+("}}"#, true),
        (r#"{"tags": {"$alli": ["news", "A"]}, "name": {"$ini": ["ärger"]}, "country": {"$nini": ["at"]}}"#, true),
        (r#"{"version": {"$vgt": "1.2.3-beta", "$vlt": 1.3, "$veq": null, "$vne": "v1.2.3+x"}}"#, true),
        (r#"{"n": {"$lt": "2", "$gte": 12, "$lte": ["12"], "$gt": "0x0b"}, "id": {"$gt": {"a": 1}}}"#, true),
        (r#"{"tags": {"$size": {"$gt": 2}, "$elemMatch": {"$eq": "a"}, "$all": "x"}, "obj.a": {"$elemMatch": {"b": {"$exists": true}}}}"#, true),
        (r#"{"id": {"$inGroup": "list", "$notInGroup": "v1", "$type": "string", "$frob": 1, "$exists": 0}, "1": "one"}"#, true),
        (r#"{"$savedGroup": {"id": "cond"}, "$or": [{"$savedGroup": {"id": "list", "attributeKey": "other"}}, {"$savedGroup": {"id": "nokey", "attributeKey": 3}}]}"#, true),
        (r#"{"$nor": [{"$savedGroup": {"id": "loop"}}, {"$savedGroup": {"id": "notcond"}}, {"$savedGroup": "x"}], "$not": {"obj": {"1": 2, "a": [1, {"b": null}]}}}"#, true),
        (r#"{"$and": [{"id": {"$inGroup": "badvalues"}}, {"id": {"$notInGroup": "other"}}, {"id": {"$in": "x", "$all": ["x"]}}], "missing": null, "country": true, "n": 12}"#, true),
    ] {
        let attrs = if attrs { attributes.clone() } else { Json::Null };
        cases.push((serde_json::from_str(condition).unwrap(), attrs, groups.clone()));
    }

    let mut rules = compile("", "empty.toml", Format::Toml, 0).ruleset.expect("an empty ruleset");
    let mut checked = 0;
    for (condition, attrs, groups) in &cases {
        let Ok(parsed) = Condition::parse(&to_value(condition)) else { continue };
        let attrs = to_value(attrs);
        rules.saved_groups = SavedGroups::from_payload(&to_value(groups));
        rules.segments = vec![Segment { name: "s".into(), condition: parsed.clone() }];
        let full = codec::decode(&codec::encode(&rules)).expect("decodes");
        let lean_bytes = codec::encode_lean(&rules);
        let lean = codec::decode(&lean_bytes).expect("decodes");
        assert_eq!(codec::encode_lean(&lean), lean_bytes, "{condition}: the lean form round-trips");
        let decoded = &full.segments[0].condition;
        assert_eq!(format!("{decoded:?}"), format!("{parsed:?}"), "{condition}: decoded tree");
        assert_eq!(format!("{:?}", full.saved_groups), format!("{:?}", rules.saved_groups), "{condition}: decoded groups");
        let want = parsed.eval(&attrs, &rules.saved_groups);
        assert_eq!(decoded.eval(&attrs, &full.saved_groups), want, "{condition}: decision");
        assert_eq!(lean.segments[0].condition.eval(&attrs, &lean.saved_groups), want, "{condition}: lean decision");
        assert_eq!(
            decoded.first_failure(&attrs, &full.saved_groups),
            parsed.first_failure(&attrs, &rules.saved_groups),
            "{condition}: explanation"
        );
        assert_eq!(lean.segments[0].condition.first_failure(&attrs, &lean.saved_groups).is_none(), want, "{condition}");
        checked += 1;
    }
    assert!(checked > cases.len() * 9 / 10, "only {checked} of {} cases parse", cases.len());
}
