#![cfg(not(target_arch = "wasm32"))]
//! The core engine end to end on the host: compile -> encode -> decode ->
//! decide -> plan, with properties the edge and the browser rely on.

use tailor::bucket;
use tailor::codec;
use tailor::compile::{compile, source::Format, zone::ChronoClock};
use tailor::context::{Context, FixedOffsetClock, Geo, RequestFacts};
use tailor::decide::{decide, Outcome, Skip, Via};
use tailor::model::Action;
use tailor::plan::Plan;
use tailor::Ruleset;

fn rules(toml: &str) -> Ruleset {
    let compiled = compile(toml, "test.toml", Format::Toml, 0);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    compiled.ruleset.unwrap()
}

fn demo() -> Ruleset {
    rules(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/www/tailor.toml")).unwrap())
}

fn facts(url: &str, time: &str) -> RequestFacts {
    let (now, _) = tailor::time::parse_rfc3339(time).unwrap();
    RequestFacts { url: url.into(), now, geo: Geo { timezone: Some("Europe/Berlin".into()), ..Geo::default() }, ..RequestFacts::default() }
}

fn ctx(rules: &Ruleset, facts: &RequestFacts) -> Context {
    Context::build(facts, &rules.site.visitor_cookie, &rules.site.timezone, &ChronoClock)
}

fn outcome<'a>(rules: &Ruleset, decision: &'a tailor::Decision, id: &str) -> &'a Outcome {
    &decision.outcomes[rules.campaigns.iter().position(|c| c.id == id).unwrap()]
}

#[test]
fn the_binary_form_round_trips_and_decides_identically() {
    let original = demo();
    let bytes = codec::encode(&original);
    let decoded = codec::decode(&bytes).expect("decodes");
    assert_eq!(codec::encode(&decoded), bytes, "encode(decode(x)) == x");
    // The lean browser engine's form: the conditions without their sources.
    let lean_bytes = codec::encode_lean(&original);
    assert!(lean_bytes.len() < bytes.len());
    let lean = codec::decode(&lean_bytes).expect("decodes");
    assert_eq!(codec::encode(&lean), lean_bytes, "a ruleset without sources encodes without them");
    // Decisions from the compiled and the decoded ruleset agree for many
    // visitors (the reasons too, except from the lean form, which has none).
    for i in 0..500 {
        let mut f = facts("https://shop.example/pricing/", "2026-12-03T19:30:00+01:00");
        f.cookies = Some(format!("tailor_id=visitor{i}; tier={}", if i % 3 == 0 { "gold" } else { "none" }));
        f.geo.country = Some(["DE", "US", "FR", "AT"][i % 4].into());
        let a = decide(&original, &ctx(&original, &f));
        let b = decide(&decoded, &ctx(&decoded, &f));
        assert_eq!(a, b);
        let none = Default::default();
        let a = tailor::decide::decide_without_reasons(&original, &ctx(&original, &f), &none);
        let c = tailor::decide::decide_without_reasons(&lean, &ctx(&lean, &f), &none);
        assert_eq!(a, c);
    }
}

/// The common browser engine (built without `all-operators`) decodes
/// exactly what `fits_common_engine` accepts: every operator but the rare
/// ones, which it must refuse rather than misjudge (`tailor build` then
/// ships the engine with every operator).
#[test]
fn the_common_engine_takes_every_ruleset_without_the_rare_operators() {
    assert!(codec::fits_common_engine(&codec::encode_lean(&demo())), "the demo rules fit the common engine");
    let with = |when: &str| {
        // Saved groups (`[groups]`) are read only by the rare operators.
        let groups = if when.contains("Group") { "[groups]\nstaff = [\"a\", \"b\"]\n" } else { "" };
        let r = rules(&format!(
            "[site]\nattributes = [\"tags\", \"app\"]\n{groups}\
             [[campaign]]\nid = \"c\"\nwhen = {when}\n  [[campaign.variant]]\n  id = \"v\"\n"
        ));
        let lean = codec::encode_lean(&r);
        assert!(codec::decode(&lean).is_ok(), "{when}: the engines with every operator decode it");
        codec::fits_common_engine(&lean)
    };
    for common in [
        r#"{ country = "DE" }"#,
        r#"{ local_hour = 9, new_visitor = true, city = { "$exists" = true } }"#,
        r#"{ country = { "$eq" = "US", "$ne" = "CA" } }"#,
        r#"{ local_hour = { "$gte" = 18, "$lt" = "23" } }"#,
        r#"{ country = { "$in" = ["DE"], "$nin" = ["US"] }, "query.src" = { "$ini" = ["News"], "$nini" = ["x"] } }"#,
        r#"{ path = { "$regex" = "^/(shop|sale)/" }, referrer = { "$regexi" = "google\\." } }"#,
        r#"{ path = { "$regex" = "^/shop" } }"#,
        r#"{ country = { "$not" = { "$in" = ["DE"] } } }"#,
        r#"{ "$or" = [{ country = "DE" }], "$nor" = [{ device = "bot" }], "$and" = [{ device = "mobile" }], "$not" = { city = "Bonn" } }"#,
    ] {
        assert!(with(common), "{common} fits the common engine");
    }
    for rare in [
        r#"{ app = { "$vgte" = "2.1.0" } }"#,
        r#"{ app = { "$veq" = "2.1.0" } }"#,
        r#"{ id = { "$inGroup" = "staff" } }"#,
        r#"{ id = { "$notInGroup" = "staff" } }"#,
        r#"{ tags = { "$size" = 2 } }"#,
        r#"{ tags = { "$elemMatch" = { "$eq" = "ski" } } }"#,
        r#"{ tags = { "$elemMatch" = { name = "ski" } } }"#,
        r#"{ tags = { "$all" = ["ski"] } }"#,
        r#"{ tags = { "$alli" = ["Ski"] } }"#,
        r#"{ city = { "$type" = "string" } }"#,
        r#"{ tags = ["ski", "hike"] }"#,
        r#"{ country = { "$not" = { "$size" = 0 } } }"#,
        r#"{ "$or" = [{ country = "DE" }, { app = { "$vlt" = "1" } }] }"#,
    ] {
        assert!(!with(rare), "{rare} needs the engine with every operator");
    }
}

#[test]
fn corrupted_or_truncated_rulesets_are_refused_without_panicking() {
    let bytes = codec::encode(&demo());
    for len in 0..bytes.len() {
        assert!(codec::decode(&bytes[..len]).is_err(), "truncated at {len} must fail");
    }
    for i in 0..bytes.len() {
        let mut corrupted = bytes.clone();
        corrupted[i] ^= 0x5a;
        // The header fields and the checksum catch every single-byte change.
        assert!(codec::decode(&corrupted).is_err(), "byte {i} flipped must fail");
    }
    assert_eq!(codec::decode(b"not a ruleset at all").err(), Some(codec::DecodeError::BadMagic));
}

#[test]
fn ab_assignment_is_growthbook_hash_v2_of_seed_and_visitor() {
    let r = demo();
    let c = r.campaigns.iter().position(|c| c.id == "pro-trial").unwrap();
    let (mut control, mut trial) = (0, 0);
    for i in 0..2000 {
        let mut f = facts("https://shop.example/pricing/", "2026-11-23T09:00:00+01:00");
        f.cookies = Some(format!("tailor_id=v{i}"));
        let d = decide(&r, &ctx(&r, &f));
        let n = bucket::hash("pro-trial", &format!("v{i}"), 2).unwrap();
        match &d.outcomes[c] {
            Outcome::Assigned(a) => {
                assert_eq!(a.via, Via::Bucket);
                assert_eq!(a.bucket, Some(n));
                assert_eq!(a.variant, if n < 0.5 { 0 } else { 1 });
                if a.variant == 0 { control += 1 } else { trial += 1 }
            }
            other => panic!("expected an assignment, got {other:?}"),
        }
    }
    assert!((900..1100).contains(&control) && (900..1100).contains(&trial), "{control}/{trial}");
}

#[test]
fn crawlers_get_the_control_and_no_bucket() {
    let r = demo();
    let mut f = facts("https://shop.example/pricing/", "2026-11-23T09:00:00+01:00");
    f.user_agent = Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)".into());
    f.fresh_visitor_id = Some("fresh".into());
    let d = decide(&r, &ctx(&r, &f));
    match outcome(&r, &d, "pro-trial") {
        Outcome::Assigned(a) => assert_eq!((a.variant, a.via, a.bucket), (0, Via::BotControl, None)),
        other => panic!("{other:?}"),
    }
    assert!(!d.used_visitor_id(), "no cookie for crawlers");
}

#[test]
fn a_group_gives_a_visitor_at_most_one_campaign_by_priority() {
    let r = rules(
        r#"
[[campaign]]
id = "low"
priority = 1
group = "hero"
  [[campaign.variant]]
  id = "a"
  changes = [{ select = "h1", text = "low" }]

[[campaign]]
id = "high"
priority = 5
group = "hero"
  [[campaign.variant]]
  id = "a"
  changes = [{ select = "h1", text = "high" }]
"#,
    );
    let f = facts("https://x/", "2026-11-23T09:00:00+01:00");
    let d = decide(&r, &ctx(&r, &f));
    assert!(matches!(outcome(&r, &d, "high"), Outcome::Assigned(_)));
    assert_eq!(outcome(&r, &d, "low"), &Outcome::Skipped(Skip::GroupTaken { group: "hero".into(), by: 1 }));
}

#[test]
fn the_higher_priority_campaign_owns_a_selector_in_the_plan() {
    let r = rules(
        r#"
[[campaign]]
id = "first"
priority = 1
  [[campaign.variant]]
  id = "a"
  changes = [{ select = "h1", text = "first" }, { select = "p", text = "kept" }]

[[campaign]]
id = "second"
priority = 2
  [[campaign.variant]]
  id = "a"
  changes = [{ select = "h1", text = "second", add_class = "x" }]
"#,
    );
    let f = facts("https://x/", "2026-11-23T09:00:00+01:00");
    let c = ctx(&r, &f);
    let plan = Plan::build(&r, &decide(&r, &c), &c);
    let h1: Vec<_> = plan.changes.iter().filter(|ch| ch.selector == "h1").collect();
    assert_eq!(h1.len(), 2, "both actions of the winning campaign stay");
    assert!(h1.iter().all(|ch| ch.campaign == 1));
    assert!(plan.changes.iter().any(|ch| ch.selector == "p" && ch.action == Action::Text("kept".into())));
}

#[test]
fn hours_that_wrap_midnight_belong_to_the_day_they_start() {
    let r = rules(
        r#"
[site]
timezone = "Europe/Berlin"
[[campaign]]
id = "late"
hours = "22:00-02:00"
days = ["fri"]
  [[campaign.variant]]
  id = "a"
  changes = [{ select = "h1", text = "late" }]
"#,
    );
    let at = |t: &str| {
        let f = facts("https://x/", t);
        decide(&r, &ctx(&r, &f)).outcomes[0].clone()
    };
    assert!(matches!(at("2026-11-27T23:00:00+01:00"), Outcome::Assigned(_)), "Friday 23:00");
    assert!(matches!(at("2026-11-28T01:30:00+01:00"), Outcome::Assigned(_)), "Saturday 01:30 is still Friday night");
    assert!(matches!(at("2026-11-28T23:00:00+01:00"), Outcome::Skipped(Skip::WrongDay { day: "sat" })));
    assert!(matches!(at("2026-11-27T21:59:00+01:00"), Outcome::Skipped(Skip::OutsideHours { .. })));
    // Daylight saving: the site clock, not UTC, decides (summer is UTC+2).
    assert!(matches!(at("2026-07-03T22:30:00+02:00"), Outcome::Assigned(_)));
}

#[test]
fn times_without_offset_are_read_on_the_site_clock() {
    let r = rules(
        r#"
[site]
timezone = "America/New_York"
[[campaign]]
id = "launch"
start = 2026-12-01T09:00:00
  [[campaign.variant]]
  id = "a"
  changes = [{ select = "h1", text = "x" }]
"#,
    );
    let (start, _) = tailor::time::parse_rfc3339("2026-12-01T09:00:00-05:00").unwrap();
    assert_eq!(r.campaigns[0].schedule.start, Some(start));
}

#[test]
fn coverage_keeps_part_of_the_audience_out_of_a_test() {
    let r = rules(
        r#"
[[campaign]]
id = "half"
coverage = 0.5
  [[campaign.variant]]
  id = "control"
  weight = 1
  [[campaign.variant]]
  id = "b"
  weight = 1
  changes = [{ select = "h1", text = "b" }]
"#,
    );
    let mut out = 0;
    for i in 0..2000 {
        let mut f = facts("https://x/", "2026-11-23T09:00:00+01:00");
        f.cookies = Some(format!("tailor_id=u{i}"));
        if matches!(decide(&r, &ctx(&r, &f)).outcomes[0], Outcome::Skipped(Skip::NotInCoverage { .. })) {
            out += 1;
        }
    }
    assert!((900..1100).contains(&out), "{out} of 2000 outside coverage");
}

#[test]
fn conditions_see_the_same_attribute_names_as_the_rules() {
    let r = rules(
        r#"
[segments]
german_speaking_mobile = { "$and" = [{ language = "de" }, { device = "mobile" }, { "query.utm_source" = { "$regex" = "^news" } }] }
[[campaign]]
id = "x"
audience = ["german_speaking_mobile"]
  [[campaign.variant]]
  id = "a"
  changes = [{ select = "h1", text = "Hallo {{city | du}} aus {{country}}" }]
"#,
    );
    let mut f = facts("https://x/?utm_source=newsletter", "2026-11-23T09:00:00+01:00");
    f.accept_language = Some("de-CH,de;q=0.9,en;q=0.8".into());
    f.user_agent = Some("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36".into());
    f.geo.country = Some("CH".into());
    let c = Context::build(&f, "tailor_id", "UTC", &FixedOffsetClock(3600));
    let d = decide(&r, &c);
    assert!(matches!(d.outcomes[0], Outcome::Assigned(_)), "{:?}", d.outcomes[0]);
    let plan = Plan::build(&r, &d, &c);
    assert_eq!(plan.changes[0].action, Action::Text("Hallo du aus CH".into()));
}

#[test]
fn rewrite_applies_every_action_type() {
    let r = rules(
        r##"
[[campaign]]
id = "all"
  [[campaign.variant]]
  id = "a"
  changes = [
    { select = "#t", text = "<b>&\"" },
    { select = "#h", html = "<b>bold</b>" },
    { select = "#a", attr = { href = "/x?a=1&b=2", title = "say \"hi\"" }, remove_attr = "data-old" },
    { select = "#c", add_class = "new two", remove_class = "old" },
    { select = "#i", before = "<i>1</i>", after = "<i>2</i>", prepend = "<i>3</i>", append = "<i>4</i>" },
    { select = "#r", replace = "<p id=\"r2\">replaced</p>" },
    { select = ".gone", remove = true },
  ]
"##,
    );
    let page = br#"<html><head></head><body><p id="t">x</p><p id="h">x</p><a id="a" data-old="1" href="/">a</a><p id="c" class="old keep">c</p><p id="i">i</p><div id="r">r</div><div class="gone">g<span>s</span></div><p>end</p></body></html>"#;
    let f = facts("https://x/", "2026-11-23T09:00:00+01:00");
    let c = ctx(&r, &f);
    let plan = Plan::build(&r, &decide(&r, &c), &c);
    let out = String::from_utf8(tailor::rewrite::rewrite_page(page, &plan, Some("<script id=\"s\"></script>".into())).unwrap()).unwrap();
    assert_eq!(
        out,
        r#"<html><head><script id="s"></script></head><body><p id="t">&lt;b&gt;&amp;"</p><p id="h"><b>bold</b></p><a id="a" href="/x?a=1&amp;b=2" title="say &quot;hi&quot;">a</a><p id="c" class="keep new two">c</p><i>1</i><p id="i"><i>3</i>i<i>4</i></p><i>2</i><p id="r2">replaced</p><p>end</p></body></html>"#
    );
}

#[test]
fn the_state_script_lands_at_the_end_of_head_or_of_the_document() {
    let plan = Plan::default();
    let script = Some("<S>".to_string());
    let with_head = tailor::rewrite::rewrite_page(b"<html><head><title>t</title></head><body>b</body></html>", &plan, script.clone()).unwrap();
    assert_eq!(with_head, b"<html><head><title>t</title><S></head><body>b</body></html>");
    let without_head = tailor::rewrite::rewrite_page(b"<p>fragment</p>", &plan, script.clone()).unwrap();
    assert_eq!(without_head, b"<p>fragment</p><S>");
    let unclosed_head = tailor::rewrite::rewrite_page(b"<head><title>t</title><body>b", &plan, script).unwrap();
    assert_eq!(unclosed_head, b"<head><title>t</title><body>b<S>");
}

#[test]
fn streaming_in_tiny_chunks_gives_the_same_page() {
    let r = demo();
    let page = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/www/index.html")).unwrap();
    let mut f = facts("https://shop.example/", "2026-12-03T19:30:00+01:00");
    f.geo.country = Some("DE".into());
    f.geo.city = Some("Köln".into());
    let c = ctx(&r, &f);
    let plan = Plan::build(&r, &decide(&r, &c), &c);
    let whole = tailor::rewrite::rewrite_page(&page, &plan, None).unwrap();
    for chunk in [1, 3, 7, 64, 1000] {
        let mut rewriter = tailor::rewrite::PageRewriter::new(&plan, None, None).unwrap();
        let mut out = Vec::new();
        for piece in page.chunks(chunk) {
            out.extend(rewriter.push(piece));
        }
        out.extend(rewriter.finish().0);
        assert_eq!(out, whole, "chunk size {chunk}");
    }
    assert!(String::from_utf8_lossy(&whole).contains("Willkommen, Köln!"));
}

#[test]
fn without_consent_no_identifier_is_used_and_ab_tests_show_the_control() {
    let r = rules(
        r#"
[site]
consent = { cookie = "cookie_consent", value = "yes" }
[segments]
dach = { country = "DE" }
[[campaign]]
id = "geo"
audience = ["dach"]
  [[campaign.variant]]
  id = "german"
  changes = [{ select = "h1", text = "Hallo" }]
[[campaign]]
id = "test"
  [[campaign.variant]]
  id = "control"
  weight = 1
  [[campaign.variant]]
  id = "b"
  weight = 1
  changes = [{ select = "h2", text = "b" }]
"#,
    );
    let decide_for = |cookies: &str, gpc: bool| {
        let mut f = facts("https://x/", "2026-11-23T09:00:00+01:00");
        f.geo.country = Some("DE".into());
        f.cookies = Some(cookies.to_string());
        f.fresh_visitor_id = Some("fresh0123".into());
        f.gpc = gpc;
        let c = Context::for_site(&f, &r.site, &ChronoClock);
        let d = decide(&r, &c);
        (c, d)
    };
    // No consent cookie: the geo campaign still applies; the test shows its control, uncounted.
    let (c, d) = decide_for("tailor_id=returning1", false);
    assert_eq!(c.visitor_id, None, "the id cookie is not read");
    assert!(c.attributes.get("id").is_none());
    assert!(matches!(&d.outcomes[0], Outcome::Assigned(a) if a.via == Via::Audience));
    assert!(matches!(&d.outcomes[1], Outcome::Assigned(a) if a.variant == 0 && a.via == Via::NoConsent && a.bucket.is_none()));
    assert_eq!(tailor::state::visitor_cookie(&r, &d, &c), None, "no cookie is set");
    // Consent given: bucketing as usual.
    let (c, d) = decide_for("cookie_consent=yes; tailor_id=returning1", false);
    assert_eq!(c.visitor_id.as_deref(), Some("returning1"));
    assert!(matches!(&d.outcomes[1], Outcome::Assigned(a) if a.via == Via::Bucket));
    // Global Privacy Control overrides the cookie.
    let (c, d) = decide_for("cookie_consent=yes; tailor_id=returning1", true);
    assert_eq!(c.visitor_id, None);
    assert!(matches!(&d.outcomes[1], Outcome::Assigned(a) if a.via == Via::NoConsent));
}

#[test]
fn a_forced_campaign_still_runs_only_on_its_pages() {
    let rules = rules(
        r#"
[[campaign]]
id = "pricing-redirect"
pages = ["/pricing", "/pricing/*"]
exclude_pages = ["/pricing/legal"]
when = { country = "NZ" }
  [[campaign.variant]]
  id = "control"
  weight = 0.5
  [[campaign.variant]]
  id = "new"
  weight = 0.5
  redirect = "/pricing-new"
"#,
    );
    let overrides = tailor::decide::Overrides { forced: vec![(0, 1)], off: false };
    let decide_on = |url: &str| {
        let f = facts(url, "2026-12-03T12:00:00+01:00");
        tailor::decide::decide_with(&rules, &ctx(&rules, &f), &overrides).outcomes[0].clone()
    };
    // Outside the audience (not NZ) the force still applies, on the campaign's pages...
    assert!(matches!(decide_on("https://shop.example/pricing"), Outcome::Assigned(a) if a.via == Via::Forced && a.variant == 1));
    assert!(matches!(decide_on("https://shop.example/pricing/team"), Outcome::Assigned(a) if a.via == Via::Forced));
    // ...and nowhere else: no redirect of the home page or an excluded page.
    assert_eq!(decide_on("https://shop.example/"), Outcome::Skipped(Skip::PageNotMatched));
    assert!(matches!(decide_on("https://shop.example/pricing/legal"), Outcome::Skipped(Skip::PageExcluded { .. })));
    let f = facts("https://shop.example/", "2026-12-03T12:00:00+01:00");
    let decision = tailor::decide::decide_with(&rules, &ctx(&rules, &f), &overrides);
    assert_eq!(Plan::build(&rules, &decision, &ctx(&rules, &f)).redirect, None);
}

#[test]
fn variants_without_reasons_agree_with_the_full_decision() {
    let rules = demo();
    for i in 0..2000 {
        let mut f = facts(["https://shop.example/", "https://shop.example/pricing/"][i % 2], ["2026-12-03T19:30:00+01:00", "2026-12-05T09:10:00+01:00"][i / 2 % 2]);
        f.cookies = Some(format!("tailor_id=v{i}; tier={}", ["gold", "none", "silver"][i % 3]));
        f.geo.country = Some(["DE", "US", "FR", "AT"][i % 4].into());
        f.user_agent = Some(["Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", "Googlebot/2.1"][i % 3].into());
        let c = ctx(&rules, &f);
        let full: Vec<Option<usize>> = decide(&rules, &c).outcomes.iter().map(|o| match o {
            Outcome::Assigned(a) => Some(a.variant),
            Outcome::Skipped(_) => None,
        }).collect();
        assert_eq!(tailor::decide::variants(&rules, &c), full);
    }
}
