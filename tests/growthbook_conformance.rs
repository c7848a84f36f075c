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
