//! Decision latency: `decide` (and `decide` + `plan`) for rulesets of 1, 10,
//! 50 and 200 campaigns with realistic conditions, natively. The same
//! rulesets in wasm under node are measured by benches/node/ (see BENCHMARKS.md).

use std::hint::black_box;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use tailor::compile::{compile, source::Format, zone::ChronoClock};
use tailor::context::{Context, Geo, RequestFacts};
use tailor::decide::decide;
use tailor::plan::Plan;
use tailor::Ruleset;

/// A ruleset of `n` campaigns: geo, device, time, cookie and query segments,
/// page globs, schedules, groups and A/B tests, as a real site would have.
pub fn ruleset(n: usize) -> Ruleset {
    let mut toml = String::from(
        r#"
[site]
timezone = "Europe/Berlin"
[segments]
dach = { country = { "$in" = ["DE", "AT", "CH"] } }
mobile = { device = "mobile" }
evening = { local_hour = { "$gte" = 18 } }
vip = { "cookie.tier" = { "$in" = ["gold", "platinum"] } }
newsletter = { "query.utm_source" = { "$regex" = "^news" } }
returning = { new_visitor = false }
"#,
    );
    let audiences = ["dach", "mobile", "evening", "vip", "newsletter", "returning"];
    for i in 0..n {
        let audience = audiences[i % audiences.len()];
        let pages = if i % 3 == 0 { r#"["/", "/shop/*"]"# } else { r#"["/*"]"# };
        toml.push_str(&format!("\n[[campaign]]\nid = \"c{i}\"\npages = {pages}\naudience = [\"{audience}\"]\npriority = {}\n", i % 7));
        if i % 5 == 0 {
            toml.push_str("hours = \"06:00-23:00\"\ndays = [\"weekdays\", \"sat\"]\n");
        }
        if i % 4 == 0 {
            toml.push_str(&format!("group = \"g{}\"\n", i % 8));
        }
        if i % 2 == 0 {
            toml.push_str(&format!(
                "  [[campaign.variant]]\n  id = \"control\"\n  weight = 50\n  [[campaign.variant]]\n  id = \"b\"\n  weight = 50\n  changes = [{{ select = \"#c{i} h2\", text = \"Hello {{{{city | there}}}}\" }}, {{ select = \"#c{i} .cta\", add_class = \"x\" }}]\n"
            ));
        } else {
            toml.push_str(&format!("  [[campaign.variant]]\n  id = \"v\"\n  changes = [{{ select = \"#c{i} p\", html = \"<b>hi</b>\" }}]\n"));
        }
    }
    let compiled = compile(&toml, "bench.toml", Format::Toml, 0);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    compiled.ruleset.expect("compiles")
}

pub fn visitor() -> RequestFacts {
    RequestFacts {
        url: "https://shop.example/shop/tents?utm_source=newsletter".into(),
        user_agent: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1".into()),
        cookies: Some("tailor_id=3f2a9c0e5b7d4e1f; tier=gold; session=abc".into()),
        accept_language: Some("de-DE,de;q=0.9,en;q=0.8".into()),
        geo: Geo { country: Some("DE".into()), city: Some("Berlin".into()), timezone: Some("Europe/Berlin".into()), ..Geo::default() },
        now: 1_796_322_600,
        ..RequestFacts::default()
    }
}

fn bench(c: &mut Criterion) {
    let facts = visitor();
    let mut group = c.benchmark_group("decide");
    for n in [1usize, 10, 50, 200] {
        let rules = ruleset(n);
        let ctx = Context::build(&facts, &rules.site.visitor_cookie, &rules.site.timezone, &ChronoClock);
        group.bench_with_input(BenchmarkId::new("decide", n), &n, |b, _| b.iter(|| decide(black_box(&rules), black_box(&ctx))));
        group.bench_with_input(BenchmarkId::new("decide+plan", n), &n, |b, _| {
            b.iter(|| {
                let d = decide(black_box(&rules), black_box(&ctx));
                Plan::build(&rules, &d, &ctx)
            })
        });
    }
    group.finish();
    let rules = ruleset(10);
    c.bench_function("context/build", |b| {
        b.iter(|| Context::build(black_box(&facts), &rules.site.visitor_cookie, &rules.site.timezone, &ChronoClock))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
