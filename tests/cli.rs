#![cfg(not(target_arch = "wasm32"))]
//! The `tailor` command line, run as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const DESKTOP: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

fn tailor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tailor")).current_dir(ROOT).args(args).output().expect("run tailor")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file in tests/bad-rules gives exactly the diagnostics in its
/// `.expected` file (run with TAILOR_BLESS=1 to rewrite them after a
/// deliberate change, then review the diff). Most have errors and exit 1; a
/// few show mistakes that are only warnings (an empty rule file) and exit 0,
/// but every file must give at least one diagnostic.
#[test]
fn bad_rule_files_give_their_exact_diagnostics() {
    let dir = Path::new(ROOT).join("tests/bad-rules");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("toml" | "json")))
        .collect();
    files.sort();
    assert!(files.len() >= 12, "expected at least a dozen bad rule files, found {}", files.len());
    let bless = std::env::var_os("TAILOR_BLESS").is_some();
    let mut failures = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(ROOT).unwrap().to_str().unwrap().to_string();
        let out = tailor(&["check", &relative]);
        let text = stdout(&out);
        let diagnostics: Vec<&str> = text.lines().filter(|l| l.contains(": error: ") || l.contains(": warning: ")).collect();
        let has_error = diagnostics.iter().any(|l| l.contains(": error: "));
        let status = if has_error { 1 } else { 0 };
        if out.status.code() != Some(status) || diagnostics.is_empty() {
            failures.push(format!("{relative}: exit {:?}, expected {status} with diagnostics\n{text}", out.status.code()));
        }
        for line in &diagnostics {
            assert!(line.starts_with(&format!("{relative}:")), "diagnostic without file:line:col: {line}");
        }
        let expected_path = file.with_extension(format!("{}.expected", file.extension().unwrap().to_str().unwrap()));
        let actual = diagnostics.join("\n") + "\n";
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!("{relative}:\n--- expected\n{expected}--- actual\n{actual}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn check_accepts_the_demo_rules_without_warnings() {
    let out = tailor(&["check", "www/tailor.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(!stdout(&out).contains(": warning: "), "{}", stdout(&out));
    assert!(stdout(&out).contains("ok: 8 campaigns"), "{}", stdout(&out));
}

#[test]
fn check_json_format_is_machine_readable() {
    let out = tailor(&["check", "tests/bad-rules/unknown-segment.toml", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_eq!(report["ok"], false);
    assert_eq!(report["errors"], 1);
    let d = &report["diagnostics"][0];
    assert_eq!(d["line"], 6);
    assert_eq!(d["column"], 21);
    assert_eq!(d["severity"], "error");
    assert!(d["message"].as_str().unwrap().contains("unknown segment `mobil`"));
}

#[test]
fn check_reports_a_missing_file_as_usage_error() {
    let out = tailor(&["check", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read no/such/file.toml"));
}

#[test]
fn explain_says_which_campaign_matched_and_why_others_did_not() {
    let out = tailor(&[
        "explain", "www/tailor.toml", "--url", "https://shop.example/", "--ua", IPHONE, "--country", "DE", "--city", "Berlin",
        "--time", "2026-12-03T19:30:00+01:00", "--tz", "Europe/Berlin", "--visitor", "v1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("yes  dach-hero -> german (audience)"), "{text}");
    assert!(text.contains("yes  mobile-lite -> lite"), "{text}");
    assert!(text.contains("yes  evening-stores -> night"), "{text}");
    assert!(text.contains("yes  winter-sale -> sale"), "{text}");
    assert!(text.contains("no   us-hero: not in segment `us`: country is \"DE\", expected \"US\""), "{text}");
    assert!(text.contains("no   vip-pricing: not in segment `vip`: cookie.tier is missing"), "{text}");
    assert!(text.contains("no   old-sale-page: the path matches none of `pages`"), "{text}");
    assert!(text.contains("\"Willkommen, Berlin!\""), "{text}");
}

#[test]
fn explain_reports_schedule_reasons_on_the_site_clock() {
    // A Saturday evening in Berlin: the weekday-only sale is off, and so is it after hours.
    let out = tailor(&["explain", "www/tailor.toml", "--url", "https://shop.example/", "--time", "2026-12-05T12:00:00+01:00"]);
    assert!(stdout(&out).contains("no   winter-sale: not scheduled on sat (Europe/Berlin)"), "{}", stdout(&out));
    let out = tailor(&["explain", "www/tailor.toml", "--url", "https://shop.example/", "--time", "2026-12-03T21:15:00+01:00"]);
    assert!(stdout(&out).contains("no   winter-sale: outside its hours: it is 21:15 in Europe/Berlin"), "{}", stdout(&out));
    let out = tailor(&["explain", "www/tailor.toml", "--url", "https://shop.example/", "--time", "2026-11-20T12:00:00+01:00"]);
    assert!(stdout(&out).contains("no   winter-sale: not started: starts at 2026-11-30T23:00:00Z"), "{}", stdout(&out));
}

#[test]
fn explain_json_has_campaigns_plan_and_attributes() {
    let out = tailor(&[
        "explain", "www/tailor.toml", "--url", "https://shop.example/pricing/", "--ua", DESKTOP, "--country", "US",
        "--cookie", "tier=gold", "--visitor", "v1", "--format", "json", "--time", "2026-11-22T10:00:00-05:00", "--tz", "America/New_York",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    assert_eq!(report["attributes"]["device"], "desktop");
    assert_eq!(report["attributes"]["local_hour"], 10.0);
    assert_eq!(report["attributes"]["cookie"]["tier"], "gold");
    let campaigns = report["campaigns"].as_array().unwrap();
    let vip = campaigns.iter().find(|c| c["id"] == "vip-pricing").unwrap();
    assert_eq!(vip["matched"], true);
    assert_eq!(vip["variant"], "gold");
    let us = campaigns.iter().find(|c| c["id"] == "us-hero").unwrap();
    assert_eq!(us["matched"], false);
    assert_eq!(us["reason"], "the path matches none of `pages`");
    let changes = report["plan"]["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["select"] == "#pricing .pro .price" && c["value"] == "€15/month (gold member price)"));
}

#[test]
fn explain_without_visitor_id_skips_ab_tests() {
    let out = tailor(&["explain", "www/tailor.toml", "--url", "https://shop.example/"]);
    assert!(stdout(&out).contains("no   pro-trial: A/B test needs a visitor id and there is none"), "{}", stdout(&out));
}

#[test]
fn explain_shows_redirects() {
    let out = tailor(&["explain", "www/tailor.toml", "--url", "https://shop.example/sale"]);
    assert!(stdout(&out).contains("redirect /shop/ (campaign old-sale-page)"), "{}", stdout(&out));
}

#[test]
fn rewrite_personalizes_the_demo_page() {
    let out = tailor(&[
        "rewrite", "www/tailor.toml", "--page", "www/index.html", "--url", "https://shop.example/", "--ua", IPHONE,
        "--country", "DE", "--city", "München", "--time", "2026-11-22T10:00:00+01:00", "--tz", "Europe/Berlin",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let html = stdout(&out);
    assert!(html.contains("<h1>Willkommen, München!</h1>"), "{html}");
    assert!(html.contains("src=\"/img/hero-de.svg\""));
    assert!(html.contains("<b>Gratis Versand</b>"));
    assert!(!html.contains("class=\"legacy\""), "mobile visitors lose the legacy block");
    assert!(html.contains("<script type=\"application/json\" id=\"tailor-state\">"));
    assert!(html.contains("\"campaign\":\"dach-hero\",\"variant\":\"german\""));
    let original = std::fs::read_to_string(Path::new(ROOT).join("www/index.html")).unwrap();
    assert!(original.contains("Gear up for every season") && !html.contains("<h1>Gear up for every season</h1>"));
}

#[test]
fn rewrite_escapes_visitor_supplied_tokens() {
    let out = tailor(&[
        "rewrite", "www/tailor.toml", "--page", "www/index.html", "--url", "https://shop.example/", "--country", "AT",
        "--city", "<img src=x onerror=alert(1)>",
    ]);
    let html = stdout(&out);
    assert!(html.contains("Willkommen, &lt;img src=x onerror=alert(1)&gt;!"), "{html}");
    assert!(!html.contains("<img src=x"));
}

#[test]
fn rewrite_leaves_a_page_untouched_when_nothing_applies() {
    let out = tailor(&["rewrite", "www/tailor.toml", "--page", "www/index.html", "--url", "https://shop.example/", "--time", "2026-11-22T10:00:00+01:00"]);
    let original = std::fs::read(Path::new(ROOT).join("www/index.html")).unwrap();
    assert_eq!(out.stdout, original);
}

#[test]
fn build_embeds_the_ruleset_in_a_copy_of_the_engine() {
    let tmp = std::env::temp_dir().join(format!("tailor-build-test-{}", std::process::id()));
    let engine = tmp.join("engine/worker");
    std::fs::create_dir_all(&engine).unwrap();
    // The smallest valid wasm module stands in for the real engine here; the
    // real one is built and run in workerd by the edge tests.
    std::fs::write(engine.join("index_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(engine.join("index.js"), "export default {}").unwrap();
    let out_dir = tmp.join("out");
    let out = tailor(&["build", "www/tailor.toml", "--out", out_dir.to_str().unwrap(), "--engine", tmp.join("engine").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let wasm = std::fs::read(out_dir.join("worker/index_bg.wasm")).unwrap();
    let rules = std::fs::read(out_dir.join("rules.bin")).unwrap();
    assert!(wasm.starts_with(b"\0asm\x01\0\0\0"));
    assert!(wasm.ends_with(&rules), "the ruleset is the payload of the last (custom) section");
    assert!(wasm.windows(12).any(|w| w == b"tailor.rules"));
    let decoded = tailor::codec::decode(&rules).expect("decodes");
    assert_eq!(decoded.campaigns.len(), 8);
    assert!(out_dir.join("worker/worker.mjs").exists() && out_dir.join("worker/index.js").exists());
    // Rebuilding replaces the section rather than stacking a second one.
    let again = tailor(&["build", "www/tailor.toml", "--out", out_dir.to_str().unwrap(), "--engine", tmp.join("engine").to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(std::fs::read(out_dir.join("worker/index_bg.wasm")).unwrap().len(), wasm.len());
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn build_refuses_broken_rules() {
    let out = tailor(&["build", "tests/bad-rules/unknown-segment.toml", "--out", "/tmp/tailor-never"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unknown segment `mobil`"));
}
