//! Rewrite throughput, natively: `tailor::rewrite::rewrite_page` with plans of
//! 1, 5 and 20 changes against a bare lol_html passthrough (an `HtmlRewriter`
//! without handlers) and a plain copy of the same bytes, on the three lol-html
//! bench pages and the 65 corpus pages (in three size groups, each page
//! rewritten on its own, as the CLI and a worker would).
//!
//! More rows separate lol_html's cost from tailor's: *lol_html, same
//! selectors, no-op handlers* (what matching the plan's selectors costs in
//! lol_html itself), *lol_html, same changes, direct* (the 5-change plan
//! written straight against lol_html, without tailor's plumbing), *tailor
//! bare* (tailor without its two fixed selectors: `head` for the state script
//! and `meta` for the charset), *tailor cold* (the 5 changes, each page with
//! a list of selectors the rewriter has not kept compiled: every other tailor
//! row rewrites page after page with one plan, whose selectors it compiles
//! once per thread), and each selector of the 20-change plan alone.
//!
//! Two measurements in one run:
//! 1. criterion (MB/s with confidence intervals, one benchmark after the other,
//!    the alternatives for one page set next to each other);
//! 2. then interleaved rounds (every alternative once per round, rotating
//!    order), the source of the ratios: on a shared, noisy machine the ratio
//!    of neighbours in time is what holds. Written as JSON to
//!    `build/bench/rewrite.json` for benches/report.mjs.
//!
//! `cargo bench --bench rewrite`; BENCH_QUICK=1 for a short run,
//! BENCH_SPEED_BUILD=1 for the interleaved rounds of passthrough and tailor
//! only (into `rewrite-o3.json`; `make bench` runs it built at opt-level 3),
//! BENCH_SETS=cloudflare,corpus-small to keep only some page sets,
//! BENCH_COUNT=<variant> to run one variant once (for valgrind; with
//! BENCH_REPEAT=<n>, n times, for `perf stat` or `perf record`). Under
//! `cargo test --all-targets` (no `--bench` argument) every benchmark runs
//! once as a smoke test and nothing is timed. The pages come from
//! ../shared/corpus (BENCH_CORPUS_DIR overrides); without them it skips.

use criterion::{BenchmarkId, Criterion, Throughput};
use lol_html::html_content::ContentType;
use lol_html::{element, HtmlRewriter, Settings};
use std::borrow::Cow;
use std::cell::Cell;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tailor::plan::{Plan, PlannedChange};
use tailor::rewrite::PageRewriter;

// The changes the plans take, shared with the differential tests (tests/support/rewrite.rs).
#[path = "support/changes.rs"]
mod changes;
use changes::{changes, s};

/// A page set: its pages (each rewritten on its own) and their total size.
struct PageSet {
    name: String,
    pages: Vec<Vec<u8>>,
    bytes: usize,
}

fn corpus_dir() -> PathBuf {
    std::env::var_os("BENCH_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
}

const BENCH_PAGES: [&str; 3] = ["cloudflare.com.html", "ecma402-spec.html", "html-parsing-spec.html"];
/// Corpus size groups (upper bounds, bytes).
const SMALL: usize = 32 * 1024;
const MEDIUM: usize = 256 * 1024;

fn page_sets() -> Vec<PageSet> {
    let dir = corpus_dir();
    let mut sets = Vec::new();
    for name in BENCH_PAGES {
        let Ok(page) = std::fs::read(dir.join("bench").join(name)) else { continue };
        sets.push(PageSet { name: name.trim_end_matches(".html").to_string(), bytes: page.len(), pages: vec![page] });
    }
    let mut corpus: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("pages"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "html"))
                .filter_map(|p| Some((p.file_name()?.to_string_lossy().into_owned(), std::fs::read(&p).ok()?)))
                .collect()
        })
        .unwrap_or_default();
    corpus.sort();
    type Fits = fn(usize) -> bool;
    let groups: [(&str, Fits); 3] = [
        ("corpus-small (<32 KB)", |n| n < SMALL),
        ("corpus-medium (32-256 KB)", |n| (SMALL..MEDIUM).contains(&n)),
        ("corpus-large (>=256 KB)", |n| n >= MEDIUM),
    ];
    for (label, fits) in groups {
        let pages: Vec<Vec<u8>> = corpus.iter().filter(|(_, p)| fits(p.len())).map(|(_, p)| p.clone()).collect();
        if !pages.is_empty() {
            let bytes = pages.iter().map(Vec::len).sum();
            sets.push(PageSet { name: format!("{label}, {} pages", pages.len()), pages, bytes });
        }
    }
    sets
}

fn plan(n: usize) -> Plan {
    Plan {
        redirect: None,
        changes: changes().into_iter().take(n).map(|(selector, action)| PlannedChange { campaign: 0, selector: s(selector), action }).collect(),
    }
}

/// The 5-change plan in 17 orders of its changes: more lists of selectors
/// than the rewriter keeps compiled per thread (16), so that, used in turn,
/// every page's plan is one the thread has not met for 16 pages and its
/// selectors are compiled again, as for a page whose combination of
/// variants the process has not met lately. The five changes touch
/// different elements: any order gives the same page.
fn cold_plans() -> &'static [Plan] {
    static PLANS: OnceLock<Vec<Plan>> = OnceLock::new();
    PLANS.get_or_init(|| {
        let five = plan(5).changes;
        let mut order: Vec<usize> = (0..five.len()).collect();
        (0..17)
            .map(|_| {
                let plan = Plan { redirect: None, changes: order.iter().map(|&i| five[i].clone()).collect() };
                next_permutation(&mut order);
                plan
            })
            .collect()
    })
}

fn next_cold_plan() -> &'static Plan {
    thread_local! {
        static NEXT: Cell<usize> = const { Cell::new(0) };
    }
    let plans = cold_plans();
    let n = NEXT.with(|next| next.replace((next.get() + 1) % plans.len()));
    &plans[n]
}

/// The next order in lexicographic order (the first after the last).
fn next_permutation(order: &mut [usize]) {
    let Some(i) = (1..order.len()).rev().find(|&i| order[i - 1] < order[i]) else {
        order.reverse();
        return;
    };
    let j = (i..order.len()).rev().find(|&j| order[j] > order[i - 1]).unwrap_or(i);
    order.swap(i - 1, j);
    order[i..].reverse();
}

const STATE: &str = r#"<script type="application/json" id="tailor-state">{"v":1,"visitor":"3f2a9c0e5b7d4e1f","geo":{"country":"DE","city":"Berlin"},"decisions":[{"campaign":"dach-hero","variant":"german","via":"audience"}],"applied":true}</script>"#;

/// One way of producing the output page from the input page.
#[derive(Clone, Copy)]
enum Variant {
    /// memcpy into a fresh Vec.
    Copy,
    /// lol_html without any handler.
    Passthrough,
    /// tailor as the CLI runs it: the plan's first n changes, the decision
    /// state script inserted at the end of <head>, the charset taken from a
    /// <meta> tag (both cost lol_html a selector of their own: `head`, `meta`).
    Tailor(usize),
    /// tailor without the state script and with the charset given (no `meta`
    /// handler): only the plan's selectors.
    TailorBare(usize),
    /// [`Variant::Tailor`] with 5 changes, each page with the next of
    /// [`cold_plans`]: the rewriter never finds the plan's selectors
    /// compiled in its per-thread cache.
    TailorCold,
    /// lol_html with the plan's first n selectors and handlers that do nothing.
    Noop(usize),
    /// lol_html with the i-th change's selector alone, a handler that does nothing.
    NoopOne(usize),
    /// The 5-change plan written directly against lol_html.
    Direct5,
}

impl Variant {
    /// What the speed build's run measures (see [`speed_build_only`]).
    fn speed() -> Vec<Variant> {
        // The passthrough second: ratios are taken to `variants[1]` (see `interleave`).
        vec![Variant::Copy, Variant::Passthrough, Variant::Tailor(1), Variant::Tailor(5), Variant::Tailor(20), Variant::TailorCold]
    }

    fn main() -> Vec<Variant> {
        vec![
            Variant::Copy,
            Variant::Passthrough,
            Variant::Tailor(1),
            Variant::Tailor(5),
            Variant::Tailor(20),
            Variant::TailorBare(5),
            Variant::TailorCold,
            Variant::Noop(1),
            Variant::Noop(5),
            Variant::Noop(20),
            Variant::Direct5,
        ]
    }
    fn id(self) -> String {
        match self {
            Variant::Copy => s("copy"),
            Variant::Passthrough => s("lol_html-passthrough"),
            Variant::Tailor(n) => format!("tailor-{n}"),
            Variant::TailorBare(n) => format!("tailor-{n}-bare"),
            Variant::TailorCold => s("tailor-5-cold"),
            Variant::Noop(n) => format!("lol_html-noop-{n}"),
            Variant::NoopOne(i) => format!("lol_html-noop-selector-{}", i + 1),
            Variant::Direct5 => s("lol_html-direct-5"),
        }
    }
}

fn noop_settings<'h>(selectors: impl Iterator<Item = &'h str>) -> Settings<'h, 'static> {
    selectors.fold(Settings::new(), |settings, selector| {
        let selector: lol_html::Selector = selector.parse().unwrap();
        settings.append_element_content_handler((
            Cow::Owned(selector),
            lol_html::ElementContentHandlers::default().element(|el: &mut lol_html::html_content::Element| {
                black_box(el);
                Ok(())
            }),
        ))
    })
}

fn direct5_settings() -> Settings<'static, 'static> {
    [
        element!("title", |el| {
            el.set_inner_content("Winter sale: 20% off & free <shipping>", ContentType::Text);
            Ok(())
        }),
        element!("h1", |el| {
            el.set_inner_content("Willkommen, Berlin!", ContentType::Text);
            Ok(())
        }),
        element!("img", |el| {
            el.set_attribute("src", "/img/hero-de.svg")?;
            el.set_attribute("alt", "Winter in den Alpen &amp; mehr")?;
            Ok(())
        }),
        element!("body", |el| {
            let class = el.get_attribute("class").unwrap_or_default();
            let class = if class.is_empty() { s("tailor-on tailor-dach") } else { format!("{class} tailor-on tailor-dach") };
            el.set_attribute("class", &class)?;
            Ok(())
        }),
        element!("h2", |el| {
            el.set_inner_content("<b>Gratis Versand</b> nach Deutschland, Österreich und in die Schweiz", ContentType::Html);
            Ok(())
        }),
    ]
    .into_iter()
    .fold(Settings::new(), |settings, handler| settings.append_element_content_handler(handler))
}

fn lol_html(settings: Settings<'_, '_>, page: &[u8]) -> usize {
    let mut out = Vec::with_capacity(16 * 1024);
    let mut rw = HtmlRewriter::new(settings, |c: &[u8]| out.extend_from_slice(c));
    rw.write(black_box(page)).unwrap();
    rw.end().unwrap();
    black_box(out).len()
}

/// Runs one variant over every page of the set; returns the output bytes and,
/// for tailor, how many times a change was applied to an element.
fn run(variant: Variant, set: &PageSet, plans: &[Plan]) -> (usize, u32) {
    let mut out_bytes = 0;
    let mut applied = 0;
    for page in &set.pages {
        out_bytes += match variant {
            Variant::Copy => {
                let mut out = Vec::with_capacity(16 * 1024);
                out.extend_from_slice(black_box(page));
                black_box(out).len()
            }
            Variant::Passthrough => lol_html(Settings::new(), page),
            Variant::Tailor(_) | Variant::TailorBare(_) | Variant::TailorCold => {
                // What `rewrite_page` (the CLI) does, keeping the count.
                let mut rw = match variant {
                    Variant::Tailor(n) => PageRewriter::new(&plans[n], Some(STATE.to_string()), None),
                    Variant::TailorBare(n) => PageRewriter::new(&plans[n], None, Some("utf-8")),
                    _ => PageRewriter::new(next_cold_plan(), Some(STATE.to_string()), None),
                }
                .unwrap();
                let mut out = rw.push(black_box(page));
                applied += rw.applied_count();
                out.extend(rw.finish().0);
                black_box(out).len()
            }
            Variant::Noop(n) => lol_html(noop_settings(plans[n].changes.iter().map(|c| c.selector.as_str())), page),
            Variant::NoopOne(i) => lol_html(noop_settings(std::iter::once(plans[20].changes[i].selector.as_str())), page),
            Variant::Direct5 => lol_html(direct5_settings(), page),
        };
    }
    (out_bytes, applied)
}

fn quick() -> bool {
    std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn criterion_benches(c: &mut Criterion, sets: &[PageSet], plans: &[Plan]) {
    let (warm, measure, samples) = if quick() { (0.2, 0.5, 10) } else { (0.5, 1.5, 15) };
    for set in sets {
        let mut group = c.benchmark_group(format!("rewrite/{}", set.name));
        group.throughput(Throughput::Bytes(set.bytes as u64));
        group.warm_up_time(Duration::from_secs_f64(warm));
        group.measurement_time(Duration::from_secs_f64(measure));
        group.sample_size(samples);
        for v in Variant::main() {
            group.bench_function(BenchmarkId::from_parameter(v.id()), |b| b.iter(|| run(v, set, plans)));
        }
        group.finish();
    }
}

struct Measured {
    id: String,
    mbps: f64,
    min: f64,
    max: f64,
    ratio: f64,
    applied: Option<u32>,
}

/// Interleaved rounds on one page set: every variant once per round, the
/// order rotating, each for about `slice` seconds. Per variant: the median
/// throughput over the rounds, and the median over rounds of its ratio to the
/// passthrough of the same round (which must be `variants[1]`).
fn interleave(set: &PageSet, plans: &[Plan], variants: &[Variant], rounds: usize, slice: f64) -> Vec<Measured> {
    let iters: Vec<u32> = variants
        .iter()
        .map(|&v| {
            let t = Instant::now();
            black_box(run(v, set, plans));
            ((slice / t.elapsed().as_secs_f64().max(1e-7)) as u32).clamp(1, 1_000_000)
        })
        .collect();
    let mut mbps: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for round in 0..rounds {
        for k in 0..variants.len() {
            let i = (k + round) % variants.len();
            let t = Instant::now();
            for _ in 0..iters[i] {
                black_box(run(variants[i], set, plans));
            }
            mbps[i].push(set.bytes as f64 * iters[i] as f64 / t.elapsed().as_secs_f64() / 1e6);
        }
    }
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        xs[xs.len() / 2]
    };
    variants
        .iter()
        .enumerate()
        .map(|(i, &v)| Measured {
            id: v.id(),
            mbps: median(mbps[i].clone()),
            min: mbps[i].iter().cloned().fold(f64::MAX, f64::min),
            max: mbps[i].iter().cloned().fold(0.0, f64::max),
            ratio: median((0..rounds).map(|r| mbps[i][r] / mbps[1][r]).collect()),
            applied: matches!(v, Variant::Tailor(_) | Variant::TailorBare(_)).then(|| run(v, set, plans).1),
        })
        .collect()
}

fn json_measured(m: &[Measured]) -> String {
    let rows: Vec<String> = m
        .iter()
        .map(|m| {
            format!(
                "{{\"id\": {:?}, \"mbps\": {:.2}, \"mbps_min\": {:.2}, \"mbps_max\": {:.2}, \"ratio_to_passthrough\": {:.4}, \"applied\": {}}}",
                m.id,
                m.mbps,
                m.min,
                m.max,
                m.ratio,
                m.applied.map_or(s("null"), |a| a.to_string())
            )
        })
        .collect();
    format!("[\n        {}\n      ]", rows.join(",\n        "))
}

fn print_measured(m: &[Measured]) {
    for m in m {
        eprintln!(
            "  {:<28} {:>9.1} MB/s (rounds {:.1}-{:.1})  x passthrough {:.3}{}",
            m.id,
            m.mbps,
            m.min,
            m.max,
            m.ratio,
            m.applied.map_or(String::new(), |a| format!("  ({a} changes applied)"))
        );
    }
}

/// `BENCH_SPEED_BUILD=1`: only the interleaved rounds of the passthrough
/// and tailor, for `make bench`'s second build of this bench at opt-level 3
/// (benches/run.mjs, step `rewrite-o3`): what a user who builds for speed
/// gets. The results go to `rewrite-o3.json`.
fn speed_build_only() -> bool {
    std::env::var("BENCH_SPEED_BUILD").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The interleaved measurements, as JSON for benches/report.mjs.
fn interleaved(sets: &[PageSet], plans: &[Plan]) -> String {
    let (rounds, slice) = if quick() { (7, 0.015) } else { (25, 0.04) };
    eprintln!("\ninterleaved: {rounds} rounds, ~{slice} s per variant and round (ratios: medians of per-round ratios)");
    let variants = if speed_build_only() { Variant::speed() } else { Variant::main() };
    let mut out = Vec::new();
    for set in sets {
        eprintln!("{} ({} B):", set.name, set.bytes);
        let m = interleave(set, plans, &variants, rounds, slice);
        print_measured(&m);
        out.push(format!(
            "    {{\"name\": {:?}, \"pages\": {}, \"bytes\": {}, \"variants\": {}}}",
            set.name,
            set.pages.len(),
            set.bytes,
            json_measured(&m)
        ));
    }
    if speed_build_only() {
        return format!(
            "{{\n  \"rounds\": {rounds},\n  \"slice_seconds\": {slice},\n  \"opt_level\": {:?},\n  \"sets\": [\n{}\n  ]\n}}\n",
            std::env::var("CARGO_PROFILE_BENCH_OPT_LEVEL").unwrap_or_else(|_| s("profile")),
            out.join(",\n")
        );
    }
    // What each selector of the 20-change plan costs lol_html on its own
    // (no-op handler), on the corpus' medium pages (or the first set).
    let set = sets.iter().find(|s| s.name.starts_with("corpus-medium")).unwrap_or(&sets[0]);
    eprintln!("each selector alone (no-op handler), {}:", set.name);
    let mut variants = vec![Variant::Copy, Variant::Passthrough];
    variants.extend((0..20).map(Variant::NoopOne));
    variants.push(Variant::Noop(20));
    let m = interleave(set, plans, &variants, rounds.min(15), slice * 0.5);
    print_measured(&m);
    // How many elements each change of the 20-change plan applies to, per page set.
    let changes: Vec<String> = plans[20]
        .changes
        .iter()
        .map(|c| {
            let one = Plan { redirect: None, changes: vec![c.clone()] };
            let matches: Vec<String> = sets
                .iter()
                .map(|set| {
                    let n: u32 = set
                        .pages
                        .iter()
                        .map(|page| {
                            let mut rw = PageRewriter::new(&one, None, Some("utf-8")).unwrap();
                            rw.push(page);
                            rw.applied_count()
                        })
                        .sum();
                    format!("{:?}: {n}", set.name)
                })
                .collect();
            format!("{{\"selector\": {:?}, \"action\": {:?}, \"matches\": {{{}}}}}", c.selector, c.action.name(), matches.join(", "))
        })
        .collect();
    format!(
        "{{\n  \"rounds\": {rounds},\n  \"slice_seconds\": {slice},\n  \"opt_level\": {:?},\n  \"changes\": [\n    {}\n  ],\n  \"sets\": [\n{}\n  ],\n  \"selectors\": {{\"set\": {:?}, \"variants\": {}}}\n}}\n",
        std::env::var("CARGO_PROFILE_BENCH_OPT_LEVEL").unwrap_or_else(|_| s("profile")),
        changes.join(",\n    "),
        out.join(",\n"),
        set.name,
        json_measured(&m)
    )
}

fn main() {
    let mut sets = page_sets();
    if let Ok(filter) = std::env::var("BENCH_SETS") {
        sets.retain(|s| filter.split(',').any(|f| s.name.contains(f)));
    }
    if sets.is_empty() {
        eprintln!("rewrite bench: no pages under {} (BENCH_CORPUS_DIR, BENCH_SETS), skipped", corpus_dir().display());
        return;
    }
    let plans: Vec<Plan> = (0..=20).map(plan).collect();
    // BENCH_COUNT=<variant id>: that variant once over the page sets and
    // nothing else, for counting instructions under valgrind (deterministic,
    // unlike time on a shared machine; see benches/rewrite-count.mjs).
    if let Ok(id) = std::env::var("BENCH_COUNT") {
        let all = Variant::main().into_iter().chain((0..20).map(Variant::NoopOne));
        let v = all.into_iter().find(|v| v.id() == id).unwrap_or_else(|| panic!("BENCH_COUNT: no variant {id}"));
        // BENCH_REPEAT=<n>: n passes, for `perf stat` (hardware counters).
        let repeat: usize = std::env::var("BENCH_REPEAT").ok().and_then(|n| n.parse().ok()).unwrap_or(1);
        let mut bytes = 0;
        for _ in 0..repeat {
            bytes = sets.iter().map(|set| run(v, set, &plans).0).sum();
        }
        println!("{id}: {bytes} bytes out");
        return;
    }
    // Every variant must produce a page (every selector parses).
    for set in &sets {
        for v in Variant::main().into_iter().chain((0..20).map(Variant::NoopOne)) {
            assert!(run(v, set, &plans).0 > 0);
        }
    }
    let args: Vec<String> = std::env::args().collect();
    // `--profile-time` (criterion's mode for profilers) runs only criterion.
    let benching = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--profile-time");
    if !speed_build_only() {
        let mut c = Criterion::default().configure_from_args();
        criterion_benches(&mut c, &sets, &plans);
        c.final_summary();
    }
    if !benching {
        return;
    }
    let json = interleaved(&sets, &plans);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("build/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(if speed_build_only() { "rewrite-o3.json" } else { "rewrite.json" });
    std::fs::write(&file, json).unwrap();
    eprintln!("wrote {}", file.display());
}
