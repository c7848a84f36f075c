#![cfg(all(feature = "rewrite", not(target_arch = "wasm32")))]
//! The fast rewriter (`Engine::Fast`, tailor's own tokenizer and selector
//! matcher) against lol_html (`Engine::LolHtml`), wider than
//! tests/rewrite_differential.rs (which runs the bench's changes on the
//! corpus and its own tag soup).
//!
//! The fast path exists only for speed. `tailor rewrite`, the worker and the
//! preview all promise the page lol_html would write, so for every input the
//! fast rewriter must be indistinguishable from lol_html: the same bytes (and
//! the same answer to "did it bail out?"), whether the page arrives whole or in
//! chunks. The suite compares the two on
//! - the shared corpus (`../shared/corpus/{pages,bench}`; skipped with a note
//!   when absent, like benches/rewrite.rs): plans that use every action on
//!   common selectors, including changes to elements inside removed,
//!   replaced or emptied ones and several changes to one element; small
//!   pages in one-byte chunks; the default `rewrite_page`;
//! - handwritten edge cases and thousands of generated tag-soup documents
//!   (a seeded PRNG, no dependencies) that stress the tokenizer states and the
//!   tree-builder simulation (raw text, script escapes, foreign content,
//!   comments, broken tags, odd bytes), with random plans;
//! - which plans the fast path takes: `fast_path_supports`, `Engine::Fast`
//!   refusing the others, `Engine::Auto` and the default `rewrite_page`
//!   falling back to (or agreeing with) lol_html.
//!
//! The comparison and its two narrow allowances (lol_html giving up on an
//! ambiguity; `<style a=>` followed by a tag lol_html lexes) are in
//! tests/support/rewrite.rs. Inputs on which lol_html itself panics have no
//! reference: they are counted and shown in a note, and checked only where
//! the fast rewriter gives up under the second allowance.
//!
//! A failure shows the smallest failing case of each kind (generated
//! documents are shrunk first) with both outputs from the first differing
//! byte. Knobs: `REWRITE_FAST_CASES=<n>` (generated documents, default
//! 20000), `REWRITE_FAST_SEED=<n>`, `REWRITE_FAST_ONLY=<case>` (run one
//! generated case), `REWRITE_FAST_CORPUS=all` (every corpus page for the
//! plans of every action and the mixed plans, not only those up to 256 KB).

#[path = "support/rewrite.rs"]
mod support;

use std::fmt::{self, Write as _};
use std::time::Instant;
use support::{
    bench_changes, caught, corpus, describe_difference, describe_plan, difference, fed, plan, reference, s, show, signature, Chunking, Difference,
    Outcome, Page, Rng, Which, PRINT_WHOLE,
};
use tailor::model::Action;
use tailor::plan::{Plan, PlannedChange};
use tailor::rewrite::{fast_path_supports, rewrite_page, Engine, PageRewriter, RewriteError};

/// The decision state script of benches/rewrite.rs (inserted at the end of `<head>`).
const STATE: &str = r#"<script type="application/json" id="tailor-state">{"v":1,"visitor":"3f2a9c0e5b7d4e1f","geo":{"country":"DE","city":"Berlin"},"decisions":[{"campaign":"dach-hero","variant":"german","via":"audience"}],"applied":true}</script>"#;

const STATES: [Option<&str>; 2] = [Some(STATE), None];

// ---------------------------------------------------------------------------
// Collecting failures
// ---------------------------------------------------------------------------

/// One input on which an engine differs from lol_html.
struct Failure {
    /// Where the input came from (page name, generated case number).
    what: String,
    /// The input, when small enough to print.
    doc: Option<Vec<u8>>,
    doc_len: usize,
    /// The plan's name in this file.
    label: String,
    plan: Plan,
    state: bool,
    chunking: Chunking,
    /// Failures with the same key are one kind: the smallest of each is shown.
    key: String,
    difference: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "--- {} ({} bytes), state script: {}, fed: {:?}", self.what, self.doc_len, if self.state { "yes" } else { "no" }, self.chunking)?;
        if let Some(doc) = &self.doc {
            writeln!(f, "document: {}", show(doc))?;
        }
        writeln!(f, "plan {:?}:\n{}", self.label, describe_plan(&self.plan))?;
        write!(f, "{}", self.difference)
    }
}

/// The count of each kind of failure, and the smallest failure of up to
/// `shown` kinds (`failures` sorted smallest first), preferring inputs not
/// shown yet.
fn describe_kinds(failures: &[Failure], shown: usize) -> String {
    let mut kinds: Vec<(&str, usize)> = Vec::new();
    for f in failures {
        match kinds.iter_mut().find(|(k, _)| *k == f.key) {
            Some((_, n)) => *n += 1,
            None => kinds.push((&f.key, 1)),
        }
    }
    let mut out = format!("{} kinds:\n", kinds.len());
    out.push_str(&count_kinds(kinds.iter().map(|(k, n)| (k.to_string(), *n)).collect()));
    let mut keys: Vec<&str> = Vec::new();
    let mut inputs: Vec<&str> = Vec::new();
    let mut picked: Vec<&Failure> = Vec::new();
    for fresh_input in [true, false] {
        for f in failures {
            if picked.len() < shown && !keys.contains(&f.key.as_str()) && !(fresh_input && inputs.contains(&f.what.as_str())) {
                keys.push(&f.key);
                inputs.push(&f.what);
                picked.push(f);
            }
        }
    }
    picked.sort_by_key(|f| (f.doc_len, f.plan.changes.len()));
    let _ = writeln!(out, "\nThe smallest failure of {} kinds:", picked.len());
    for f in picked {
        let _ = writeln!(out, "\n[{}]\n{f}", f.key);
    }
    out
}

/// One line per kind, the most frequent first (at most 30).
fn count_kinds(mut kinds: Vec<(String, usize)>) -> String {
    kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
    let mut out = String::new();
    for (key, n) in kinds.iter().take(30) {
        let _ = writeln!(out, "  {n:>5} x {key}");
    }
    if kinds.len() > 30 {
        let _ = writeln!(out, "  ... and {} more kinds", kinds.len() - 30);
    }
    out
}

/// Collects the comparisons of one test and judges them at the end.
struct Checker {
    test: &'static str,
    started: Instant,
    runs: usize,
    failures: Vec<Failure>,
    /// Inputs on which lol_html itself panics: no reference, so compared
    /// only under the second allowance (see tests/support/rewrite.rs).
    lol_html_panics: Vec<String>,
    /// Inputs on which lol_html bails out (compared under the first allowance).
    lol_html_bail_outs: usize,
}

impl Checker {
    fn new(test: &'static str) -> Checker {
        Checker { test, started: Instant::now(), runs: 0, failures: Vec::new(), lol_html_panics: Vec::new(), lol_html_bail_outs: 0 }
    }

    /// `which` fed in each of `feeds` against lol_html fed whole.
    #[allow(clippy::too_many_arguments)]
    fn check(&mut self, what: &str, doc: &[u8], label: &str, plan: &Plan, state: Option<&str>, which: Which, feeds: &[Chunking]) {
        let expected = reference(plan, state, doc);
        match &expected {
            Ok(expected) => self.lol_html_bail_outs += expected.bail_out.is_some() as usize,
            Err(panic) => self.lol_html_panics.push(format!("{what}, plan {label:?}: {panic}")),
        }
        for &chunking in feeds {
            self.runs += 1;
            if let Some(Difference { signature, text }) = difference(&expected, which, plan, state, doc, chunking) {
                self.failures.push(Failure {
                    what: what.to_string(),
                    doc: (doc.len() <= PRINT_WHOLE).then(|| doc.to_vec()),
                    doc_len: doc.len(),
                    plan: plan.clone(),
                    state: state.is_some(),
                    chunking,
                    label: label.to_string(),
                    key: format!("{which:?} fed {}: {signature}", fed(chunking)),
                    difference: text,
                });
            }
        }
    }

    /// Passes when nothing differed; else fails with the count of each kind
    /// of failure and the smallest failure of each (at most `shown`).
    fn finish(mut self, shown: usize) {
        let test = self.test;
        eprintln!(
            "{test}: {} runs in {:.1} s, {} differ from lol_html (which bails out on {} inputs)",
            self.runs,
            self.started.elapsed().as_secs_f64(),
            self.failures.len(),
            self.lol_html_bail_outs
        );
        if !self.lol_html_panics.is_empty() {
            eprintln!("{test}: note: lol_html panics on {} inputs (no reference), e.g. {}", self.lol_html_panics.len(), self.lol_html_panics[0]);
        }
        if self.failures.is_empty() {
            return;
        }
        self.failures.sort_by_key(|f| (f.doc_len, f.plan.changes.len()));
        let mut message = format!("{test}: {} of {} runs differ from lol_html\n", self.failures.len(), self.runs);
        message.push_str(&describe_kinds(&self.failures, shown));
        panic!("{message}");
    }
}

/// FNV-1a, to derive a chunking seed from a page name.
fn hash(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01B3))
}

// ---------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------

fn strings(vs: &[&str]) -> Vec<String> {
    vs.iter().map(|v| s(v)).collect()
}

fn pairs(vs: &[(&str, &str)]) -> Vec<(String, String)> {
    vs.iter().map(|(n, v)| (s(n), s(v))).collect()
}

/// The bench's first five changes.
fn first5_plan() -> Plan {
    plan(bench_changes().into_iter().take(5).collect())
}

/// The bench plans: the first five changes, all twenty.
fn bench_plans_together() -> Vec<(String, Plan)> {
    vec![(s("bench: first 5"), first5_plan()), (s("bench: all 20"), plan(bench_changes()))]
}

/// Plans that use every action on common selectors, on the structure that
/// makes rewriting hard: elements inside removed, replaced and emptied
/// elements, several changes to one element, raw text and foreign elements.
fn action_plans() -> Vec<(String, Plan)> {
    use Action::*;
    let plans = vec![
        (
            "every action once",
            plan(vec![
                ("title", Text(s("Neu & <besser> \"jetzt\""))),
                ("p", Text(s("Absatz 'zitiert' & <b>nicht fett</b>"))),
                ("li", Html(s("<b>Punkt</b> &amp; mehr"))),
                ("a", SetAttr(pairs(&[("href", "https://example.com/?a=1&b=2"), ("data-tailor", "\"q\" <x> 'y'")]))),
                ("img", RemoveAttr(strings(&["srcset", "loading", "ALT"]))),
                ("div", AddClass(strings(&["tailor-div"]))),
                ("span", RemoveClass(strings(&["hidden", "icon", "nowrap"]))),
                ("td", Before(s("<!--before td-->"))),
                ("br", After(s("<wbr>"))),
                ("body", Prepend(s("<div id=\"tailor-top\">top</div>"))),
                ("head", Append(s("<meta name=\"tailor\" content=\"1\">"))),
                ("input", Replace(s("<input type=\"hidden\" name=\"tailor\">"))),
                ("style", Remove),
            ]),
        ),
        (
            "raw text and foreign elements",
            plan(vec![
                ("script", Text(s("/* </script> & <!-- <script> */"))),
                ("style", Html(s("/* tailor */ body { color: red }"))),
                ("title", Prepend(s("« "))),
                ("svg", AddClass(strings(&["tailor-svg"]))),
                ("svg *", SetAttr(pairs(&[("data-t", "1")]))),
                ("svg title", Text(s("svg title"))),
                ("meta", RemoveAttr(strings(&["content"]))),
                ("noscript", Append(s("<!--ns-->"))),
                ("textarea", Text(s("typed <text>"))),
                ("iframe", Remove),
                ("template", Html(s("<p>template</p>"))),
                ("math", Replace(s("<span>math</span>"))),
                ("select", Prepend(s("<option>first</option>"))),
            ]),
        ),
        (
            "changes inside removed elements",
            plan(vec![
                ("ul", Remove),
                ("ul li", AddClass(strings(&["in-removed"]))),
                ("ul li a", Text(s("x"))),
                ("li a", Before(s("<i>before</i>"))),
                ("li > a", After(s("<i>after</i>"))),
                ("nav", Remove),
                ("nav *", SetAttr(pairs(&[("data-x", "1")]))),
                ("nav a", Replace(s("<b>link</b>"))),
                ("script", Remove),
                ("script", After(s("<!--after a removed script-->"))),
            ]),
        ),
        (
            "changes inside replaced elements",
            plan(vec![
                ("table", Replace(s("<p>table</p>"))),
                ("table td", Html(s("<b>cell</b>"))),
                ("td a", SetAttr(pairs(&[("href", "#cell")]))),
                ("tr", Append(s("<td>+</td>"))),
                ("footer", Replace(s("<footer>f</footer>"))),
                ("footer a", Remove),
                ("footer *", Before(s("<hr>"))),
                ("header", Replace(s(""))),
                ("header img", Replace(s("<img alt=x>"))),
            ]),
        ),
        (
            "changes inside elements whose content is replaced",
            plan(vec![
                ("div > p", Text(s("ersetzt"))),
                ("div > p span", Remove),
                ("div > p a", Append(s("!"))),
                ("p a", AddClass(strings(&["in-text"]))),
                ("h1", Html(s("<span>h</span>"))),
                ("h1 *", Replace(s("<em>x</em>"))),
                ("#footer", Text(s("footer"))),
                ("#footer *", Before(s("<hr>"))),
                ("head", Html(s("<title>new head</title>"))),
                ("head meta", SetAttr(pairs(&[("data-m", "1")]))),
            ]),
        ),
        (
            "several changes on one element",
            plan(vec![
                ("a", AddClass(strings(&["t1", "t2"]))),
                ("a[href]", RemoveClass(strings(&["t1"]))),
                ("a[href^=\"http\"]", SetAttr(pairs(&[("rel", "noopener"), ("class", "c & d")]))),
                ("a", RemoveAttr(strings(&["target", "href"]))),
                ("a", Before(s("["))),
                ("a", Prepend(s("("))),
                ("a", Append(s(")"))),
                ("a", After(s("]"))),
                ("a[href]", Text(s("link"))),
                ("p", AddClass(strings(&["p1"]))),
                ("p", Html(s("<i>p</i>"))),
                ("p", Text(s("text wins?"))),
                ("li", Prepend(s("1"))),
                ("li", Prepend(s("2"))),
                ("li", Append(s("3"))),
                ("li", Append(s("4"))),
            ]),
        ),
        (
            "removed and replaced after other changes",
            plan(vec![
                ("p", Before(s("<hr class=before-p>"))),
                ("p", After(s("<hr class=after-p>"))),
                ("p", AddClass(strings(&["gone"]))),
                ("p", Remove),
                ("p a", Append(s("never"))),
                ("li", Text(s("li"))),
                ("li", Replace(s("<li>replaced</li>"))),
                ("li", Remove),
                ("h2", Html(s("<b>h2</b>"))),
                ("h2", Replace(s("<h2>again</h2>"))),
                ("h2 a", Append(s("!"))),
                ("img", Replace(s("<img alt=1>"))),
                ("img", Replace(s("<img alt=2>"))),
            ]),
        ),
        (
            "class, id and attribute selectors",
            plan(vec![
                (".icon", AddClass(strings(&["tailor-icon"]))),
                (".external", RemoveClass(strings(&["external"]))),
                (".hide", Remove),
                (".menu-item", Prepend(s("» "))),
                ("#content", Prepend(s("<p>content</p>"))),
                ("#main", SetAttr(pairs(&[("data-tailor", "main")]))),
                ("#header", Append(s("<p>header</p>"))),
                ("#footer", After(s("<p>after footer</p>"))),
                ("[href]", SetAttr(pairs(&[("data-h", "1")]))),
                ("a[href^=\"http\"]", AddClass(strings(&["ext"]))),
                ("a[href$='.pdf']", Before(s("<i>pdf</i>"))),
                ("[class~=text]", RemoveAttr(strings(&["class"]))),
                ("[lang|=en]", AddClass(strings(&["en"]))),
                ("[id*=nav]", Before(s("<!--nav-->"))),
                ("link[rel=stylesheet]", RemoveAttr(strings(&["media"]))),
                ("meta[name=viewport]", SetAttr(pairs(&[("content", "width=device-width")]))),
                ("div[class]", RemoveAttr(strings(&["style"]))),
                ("[data-id]", Text(s("data"))),
                ("input[type=\"hidden\"]", Remove),
            ]),
        ),
        (
            "combinators",
            plan(vec![
                ("div > p", AddClass(strings(&["dp"]))),
                ("ul li a", SetAttr(pairs(&[("data-ula", "1")]))),
                ("body *", AddClass(strings(&["b"]))),
                ("html > head > title", Text(s("t"))),
                ("head > meta", RemoveAttr(strings(&["name"]))),
                ("body > div", Before(s("<!--d-->"))),
                ("table td > a", Append(s("*"))),
                ("ul > li > ul > li", Prepend(s("» "))),
                ("div div div", RemoveClass(strings(&["row"]))),
                ("svg path", RemoveAttr(strings(&["fill"]))),
                ("div>span", After(s("|"))),
                ("* > b", Text(s("b"))),
            ]),
        ),
        ("everything in body removed", plan(vec![("body *", Remove), ("body *", AddClass(strings(&["never"]))), ("p", Text(s("never")))])),
        (
            "every element",
            plan(vec![("*", SetAttr(pairs(&[("data-t", "1")]))), ("* > *", RemoveAttr(strings(&["style"]))), ("* *", AddClass(strings(&["x"])))]),
        ),
        ("no changes", Plan::default()),
    ];
    plans.into_iter().map(|(label, plan)| (s(label), plan)).collect()
}

// ---------------------------------------------------------------------------
// The corpus (the bench's changes on it: tests/rewrite_differential.rs)
// ---------------------------------------------------------------------------

/// Pages below this size also go through in random chunks for every plan.
const CHUNKED_UP_TO: usize = 256 * 1024;

/// The corpus for the tests that run many plans on it: by default the pages
/// up to 256 KB (51 of 68, a quarter of the bytes, to keep the debug run
/// short; tests/rewrite_differential.rs runs every page), all of them with
/// `REWRITE_FAST_CORPUS=all`.
fn corpus_for_many_plans(test: &str) -> Option<Vec<Page>> {
    let mut pages = corpus(test)?;
    if std::env::var("REWRITE_FAST_CORPUS").is_ok_and(|v| v == "all") {
        return Some(pages);
    }
    let all = pages.len();
    pages.retain(|page| page.bytes.len() <= CHUNKED_UP_TO);
    eprintln!("{test}: the {} pages up to {} KB of {all} (REWRITE_FAST_CORPUS=all for every page)", pages.len(), CHUNKED_UP_TO / 1024);
    Some(pages)
}

/// Every page with every plan, with and without the state script: `Engine::Fast`
/// fed whole, and in random chunks when `chunked(page)`, against lol_html fed whole.
fn check_corpus(test: &'static str, pages: &[Page], plans: &[(String, Plan)], chunked: impl Fn(&Page) -> bool) {
    let mut checker = Checker::new(test);
    for page in pages {
        for (p, (label, plan)) in plans.iter().enumerate() {
            for state in STATES {
                let mut feeds = vec![Chunking::Whole];
                if chunked(page) {
                    feeds.push(Chunking::Random(hash(&page.name) ^ (p as u64) << 40 ^ state.is_some() as u64));
                }
                checker.check(&format!("corpus {}", page.name), &page.bytes, label, plan, state, Which::Fast, &feeds);
            }
        }
    }
    eprintln!("{test}: {} pages x {} plans", pages.len(), plans.len());
    checker.finish(8);
}
#[test]
fn corpus_every_action() {
    let Some(pages) = corpus_for_many_plans("corpus_every_action") else { return };
    check_corpus("corpus_every_action", &pages, &action_plans(), |page| page.bytes.len() < CHUNKED_UP_TO);
}

/// Small pages one byte at a time: every tokenizer state sees a chunk end.
#[test]
fn corpus_one_byte_chunks() {
    let Some(pages) = corpus("corpus_one_byte_chunks") else { return };
    let mut checker = Checker::new("corpus_one_byte_chunks");
    let small: Vec<&Page> = pages.iter().filter(|p| p.bytes.len() <= 8 * 1024).take(6).collect();
    let mut plans = bench_plans_together();
    plans.extend(
        action_plans().into_iter().filter(|(label, _)| label.starts_with("every action") || label.starts_with("several") || label.starts_with("raw text")),
    );
    for page in &small {
        for (label, plan) in &plans {
            for state in STATES {
                checker.check(&format!("corpus {}", page.name), &page.bytes, label, plan, state, Which::Fast, &[Chunking::OneByte]);
            }
        }
    }
    eprintln!("corpus_one_byte_chunks: {} pages x {} plans", small.len(), plans.len());
    checker.finish(8);
}

/// The default `rewrite_page` (Engine::Auto, which takes the fast path for
/// this plan) writes what lol_html writes.
#[test]
fn rewrite_page_matches_lol_html_on_corpus() {
    let Some(pages) = corpus("rewrite_page_matches_lol_html_on_corpus") else { return };
    let mut checker = Checker::new("rewrite_page_matches_lol_html_on_corpus");
    let plan = first5_plan();
    for page in &pages {
        for state in STATES {
            let Ok(expected) = reference(&plan, state, &page.bytes) else { continue };
            checker.runs += 1;
            let difference = match caught(|| rewrite_page(&page.bytes, &plan, state.map(str::to_string))) {
                Ok(Err(err)) => Some(Difference { signature: s("fails"), text: format!("rewrite_page failed: {err}\n") }),
                Err(panic) => Some(Difference { signature: s("panics"), text: format!("rewrite_page panicked: {panic}\n") }),
                Ok(Ok(bytes)) if bytes == expected.bytes => None,
                Ok(Ok(bytes)) => {
                    // rewrite_page does not tell whether it bailed out.
                    let actual = Outcome { bytes, bail_out: expected.bail_out.clone() };
                    Some(Difference { signature: signature(&expected, &actual), text: describe_difference(&expected, &actual, Which::Auto) })
                }
            };
            if let Some(Difference { signature, text }) = difference {
                checker.failures.push(Failure {
                    what: format!("rewrite_page, corpus {}", page.name),
                    doc: None,
                    doc_len: page.bytes.len(),
                    plan: plan.clone(),
                    state: state.is_some(),
                    chunking: Chunking::Whole,
                    label: s("bench: first 5"),
                    key: format!("rewrite_page: {signature}"),
                    difference: text,
                });
            }
        }
    }
    checker.finish(4);
}

// ---------------------------------------------------------------------------
// Which plans take the fast path
// ---------------------------------------------------------------------------

/// Selectors outside the fast path's subset. The first ones parse in lol_html.
#[rustfmt::skip]
const UNSUPPORTED: &[&str] = &[
    "li:nth-child(2n + 1)", "li:nth-child(-n+ 3)", "div:not(.x)", "a:not([href])", "h1, h2", "div,p", "h1 + p", "h1 ~ p", "[lang=en i]", "a[href$=\".PDF\" i]", "#a\\:b",
    ".a\\31 b", "[data-x=a\\\"b]",
];

/// Selectors in the subset.
#[rustfmt::skip]
const SUPPORTED: &[&str] = &[
    "p", "*", "DIV", "annotation-xml", "#main", ".c", "[href]", "[data-x=v]", "[data-x=\"v w\"]", "[data-x='v']", "[class~=c]", "[href^=http]",
    "[href$=\".pdf\"]", "[href*=example]", "[lang|=en]", "div.c#main[data-x=\"1\"][title]", "div p", "div > p", "div>p", "ul li > a.c", "body *",
    "* > *", "html > body div > p span", "li:first-child", "nav ul > li:first-child a", "p:nth-child(2)", "tr:nth-child(2n+1) td",
    "p:first-of-type", "article p:first-of-type", "li:nth-of-type(3)", "li:nth-child( odd )", "*:nth-of-type(-n+2)",
];

fn one_change(selector: &str) -> Plan {
    plan(vec![(selector, Action::AddClass(strings(&["x"])))])
}

#[test]
fn fast_path_supports_exactly_the_subset() {
    for selector in UNSUPPORTED {
        assert!(!fast_path_supports(&one_change(selector)), "fast_path_supports must be false for {selector:?}");
    }
    for selector in SUPPORTED {
        assert!(fast_path_supports(&one_change(selector)), "fast_path_supports must be true for {selector:?}");
    }
    for (selector, action) in bench_changes() {
        let alone = plan(vec![(selector, action)]);
        assert!(fast_path_supports(&alone), "fast_path_supports for the bench change {selector:?}");
    }
    let all_supported = plan(SUPPORTED.iter().map(|selector| (*selector, Action::Remove)).collect());
    assert!(fast_path_supports(&all_supported), "fast_path_supports must be true for a plan of supported selectors only");
    assert!(fast_path_supports(&plan(bench_changes())), "fast_path_supports must be true for the bench's changes together");
    for unsupported in UNSUPPORTED {
        let mut mixed = all_supported.clone();
        mixed.changes.insert(mixed.changes.len() / 2, PlannedChange { campaign: 0, selector: s(unsupported), action: Action::Remove });
        assert!(!fast_path_supports(&mixed), "fast_path_supports must be false for a plan with {unsupported:?} among supported selectors");
    }
    for selector in SELECTORS {
        let plan = one_change(selector);
        assert!(PageRewriter::with_engine(&plan, None, None, Engine::LolHtml).is_ok(), "test setup: lol_html must parse the generator's selector {selector:?}");
        assert!(fast_path_supports(&plan), "fast_path_supports must be true for the generator's selector {selector:?}");
    }
    for (label, plan) in bench_plans_together().into_iter().chain(action_plans()) {
        assert!(fast_path_supports(&plan), "fast_path_supports must be true for the test plan {label:?}");
    }
}

#[test]
fn fast_engine_refuses_unsupported_plans() {
    for selector in UNSUPPORTED {
        let plan = one_change(selector);
        let lol_html_parses = PageRewriter::with_engine(&plan, None, None, Engine::LolHtml).is_ok();
        match PageRewriter::with_engine(&plan, None, None, Engine::Fast) {
            Err(RewriteError::FastPathUnsupported) => {}
            // A selector lol_html cannot parse either may be refused as such.
            Err(RewriteError::Selector { .. }) if !lol_html_parses => {}
            Err(err) => panic!("Engine::Fast with {selector:?}: expected FastPathUnsupported, got another error: {err}"),
            Ok(_) => panic!("Engine::Fast accepted the unsupported selector {selector:?}"),
        }
    }
    let mut mixed = first5_plan();
    mixed.changes.push(PlannedChange { campaign: 0, selector: s("li:not(.x)"), action: Action::Remove });
    assert!(
        matches!(PageRewriter::with_engine(&mixed, Some(s(STATE)), None, Engine::Fast), Err(RewriteError::FastPathUnsupported)),
        "Engine::Fast must refuse a plan with one unsupported selector among supported ones"
    );
    assert!(PageRewriter::with_engine(&mixed, Some(s(STATE)), None, Engine::LolHtml).is_ok(), "Engine::LolHtml must take any selector lol_html parses");
    assert!(PageRewriter::with_engine(&mixed, Some(s(STATE)), None, Engine::Auto).is_ok(), "Engine::Auto must take any selector lol_html parses");
}

/// A plan with selectors outside the subset: `Engine::Auto` must fall back
/// to lol_html and write the same bytes.
#[test]
fn auto_engine_matches_lol_html_for_mixed_plans() {
    let mut mixed = plan(vec![
        ("li:first-child", Action::AddClass(strings(&["first"]))),
        ("p:nth-child(2)", Action::Text(s("second"))),
        ("div:not(.c)", Action::SetAttr(pairs(&[("data-not", "c")]))),
        ("h1, h2", Action::Prepend(s("# "))),
    ]);
    mixed.changes.extend(first5_plan().changes);
    let plans = [(s("mixed"), mixed)];
    for (label, plan) in &plans {
        assert!(!fast_path_supports(plan), "fast_path_supports must be false for the plan {label:?}");
    }
    let mut docs: Vec<(String, Vec<u8>)> = handwritten_documents().iter().enumerate().map(|(i, d)| (format!("handwritten document {i}"), d.to_vec())).collect();
    for case in 0..200u64 {
        let mut rng = Rng::new(case_seed(default_seed(), case));
        docs.push((format!("generated case {case}"), soup(&mut rng).concat()));
    }
    if let Some(pages) = corpus_for_many_plans("auto_engine_matches_lol_html_for_mixed_plans") {
        docs.extend(pages.into_iter().map(|p| (format!("corpus {}", p.name), p.bytes)));
    }
    let mut checker = Checker::new("auto_engine_matches_lol_html_for_mixed_plans");
    for (what, doc) in &docs {
        for (label, plan) in &plans {
            for state in STATES {
                checker.check(what, doc, label, plan, state, Which::Auto, &[Chunking::Whole, Chunking::Random(hash(what))]);
            }
        }
    }
    checker.finish(4);
}

// ---------------------------------------------------------------------------
// Handwritten documents
// ---------------------------------------------------------------------------

/// Small documents for the cases the state script and the tree-builder
/// simulation care about most.
fn handwritten_documents() -> Vec<&'static [u8]> {
    vec![
        b"",
        b"x",
        b"<",
        b"<head></head>",
        b"<html><head><title>t</title></head><body><p>x</p></body></html>",
        b"<!DOCTYPE html><title>no head tags</title><p class=c id=main>p",
        b"<head><head></head></head>",
        b"<body><head></head><p>head after body</p>",
        b"<html><head><meta charset=utf-8><style>p{}</style><script>if (a < b) {}</script></head><body>",
        b"<head><title>never closed",
        b"<head><script><!--</head>--></script></head><body>",
        b"<head><noscript><p>x</p></noscript></head>",
        b"<head><template><head></head></template></head>",
        b"<svg><head></head><title>svg</title></svg><head></head>",
        b"<table><tr><td><a href=\"http://e.com\">a</a><td>b</table><ul><li>1<li>2</ul>",
        b"<div id=main><div class=\"c d\"><p><span><b>deep</b></span></p></div></div>",
        b"<p>one<p>two<div>three</div><p>four",
        b"<a href=x><a href=y>nested</a></a>",
        b"<select><option>a<script>x</script><p>p</select>",
        b"<textarea></textarea><title></title><style></style><script></script>",
        b"<script><!--<script></script>--></script><p>after double escape",
        b"<script><!--<script></script></script><p>still script?",
        b"<plaintext><p>all text</p></plaintext>",
        b"<math><mi><p>x</p></mi><annotation-xml encoding=\"text/html\"><div>h</div></annotation-xml></math>",
        b"<svg><foreignObject><p>html</p></foreignObject><desc><b>d</b></desc><font color=red>out</font></svg>",
        b"<svg><![CDATA[<p>cdata</p>]]></svg><![CDATA[<p>bogus</p>]]>",
        b"<!----><!--><!---><!-- a --!><!-- <!-- x --><p>p",
        b"<br/><br></br><img src=x><input value=\"a>b\"><img/src=y>",
        b"<p>\r\n\x0C\x00\xC3\xA9\xFF&amp;&lt;&</p>",
        b"<DIV ID=MAIN CLASS=C><P>upper</P></DIV>",
        b"<html><head></head><body></body></html><p>after html</p>",
        b"<frameset><frame></frameset><noframes><p>x</p></noframes>",
    ]
}

#[test]
fn handwritten_documents_match_lol_html() {
    let mut checker = Checker::new("handwritten_documents_match_lol_html");
    let mut plans = bench_plans_together();
    plans.extend(action_plans());
    for (i, doc) in handwritten_documents().into_iter().enumerate() {
        for (label, plan) in &plans {
            for state in STATES {
                checker.check(&format!("handwritten document {i}"), doc, label, plan, state, Which::Fast, &[Chunking::Whole, Chunking::OneByte]);
            }
        }
    }
    checker.finish(8);
}

// ---------------------------------------------------------------------------
// Generated tag soup
// ---------------------------------------------------------------------------

#[rustfmt::skip]
const TAGS: &[&str] = &[
    "div", "div", "p", "p", "span", "a", "a", "b", "h1", "li", "ul", "table", "tr", "td", "img", "br", "input", "meta", "link", "select", "option",
    "template", "font", "svg", "math", "foreignObject", "desc", "mi", "mtext", "annotation-xml", "title", "style", "script", "textarea", "noscript",
    "iframe", "xmp", "noembed", "html", "head", "body", "path", "button", "section", "nav",
];

/// Attribute names with the values the selectors look for (and others).
const ATTRIBUTES: &[(&str, &[&str])] = &[
    ("id", &["main", "main", "x", "Main", "a b", ""]),
    ("class", &["c", "c", "c d", "C", "  c\td ", "d c", "cc", "c-d", ""]),
    ("href", &["http://e.com/", "https://x.org/a.pdf", "/a.pdf", "#", "HTTP://E", "http"]),
    ("data-x", &["1", "", "v", "a>b", "a'b\"c", "&amp;", "&", "v w"]),
    ("lang", &["en", "en-US", "EN", "english", "de"]),
    ("type", &["text", "TEXT", "hidden", "submit"]),
    ("title", &["a b", "x"]),
    ("encoding", &["text/html", "TEXT/HTML", "application/xhtml+xml", "svg"]),
    ("color", &["red"]),
    ("size", &["3"]),
    ("face", &["serif"]),
    ("charset", &["utf-8", "windows-1252"]),
    ("rel", &["canonical", "stylesheet"]),
    ("name", &["description", "viewport"]),
    ("x", &["y"]),
    ("viewBox", &["0 0 1 1"]),
    ("xlink:href", &["#a"]),
    ("=x", &["", "y"]),
    ("\"q", &["b"]),
    ("a<b", &["c"]),
    ("'", &["'"]),
];

#[rustfmt::skip]
const TEXTS: &[&[u8]] = &[
    b"hello", b"hello", b" ", b"a & b", b"&amp;", b"&lt;p&gt;", b"&", b"<", b">", b"< p", b"x<y", b"\r\n", b"\r", b"\n", b"\x0C", b"\x00", b"\t",
    "Grüße".as_bytes(), "日本語".as_bytes(), "\u{1F600}".as_bytes(), b"\xFF", b"\xC3", b"\xE2\x82", b"\xC3(", b"&#0;", b"&nbsp", b"a=b", b"'\"", b"]]>",
    b"--!>", b"-->",
];

#[rustfmt::skip]
const COMMENTS: &[&[u8]] = &[
    b"<!---->", b"<!-->", b"<!--->", b"<!-- a -->", b"<!-- a --!>", b"<!-- <!-- x -->", b"<!-- x -- y -->", b"<!--<script>-->",
    b"<!-- </div> <p> -->", b"<!--a--->", b"<!- x ->", b"<!--\x00-->", b"<!---->-->",
];

#[rustfmt::skip]
const ODDITIES: &[&[u8]] = &[
    b"<!DOCTYPE html>", b"<!doctype html PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">", b"<!DOCTYPE>", b"<![CDATA[ x <b> ]]>",
    b"<?xml version=\"1.0\"?>", b"<!x>", b"<! x>", b"</>", b"</ x>", b"</3>", b"<3", b"< p>", b"<>", b"<a<b>", b"<p<p>", b"<div\x00>", b"<#>",
    b"<a href=\"x\"/ >", b"<b/>", b"<div/>", b"<br/>", b"</br>", b"</p>", b"<a =x>", b"<img src=x =y>", b"<a href='x'title=y>",
    b"<p id=main id=x class=c class=d>",
];

#[rustfmt::skip]
const SKELETON: &[&[u8]] = &[
    b"<html>", b"</html>", b"<head>", b"<head>", b"</head>", b"</head>", b"<body>", b"</body>", b"<HEAD >", b"<head class=c>",
    b"<body class=\"c\" id=main>", b"</BODY >", b"<html lang=en>", b"</head >",
];

#[rustfmt::skip]
const FOREIGN: &[&[u8]] = &[
    b"<svg>", b"<svg>", b"</svg>", b"<SVG viewBox=\"0 0 1 1\">", b"<math>", b"</math>", b"<foreignObject>", b"<foreignobject class=c>",
    b"</foreignObject>", b"<desc>", b"</desc>", b"<title>", b"</title>", b"<mi>", b"</mi>", b"<mtext>", b"<annotation-xml encoding=\"text/html\">",
    b"<annotation-xml encoding='TEXT/HTML'>", b"<annotation-xml>", b"</annotation-xml>", b"<font color=red>", b"<font size=3>", b"<font face=x>",
    b"<font>", b"<font class=c>", b"</font>", b"<path/>", b"<path d=\"M0\" id=main>", b"</path>", b"<![CDATA[ <b>x</b> ]]>", b"<![CDATA[", b"]]>",
    b"<style>a<b></style>", b"<script>1<2</script>", b"<b>", b"</b>", b"<p>", b"<svg/>", b"<math/>", b"<br>", b"<textarea>x</textarea>",
    b"<xmp>y</xmp>", b"<g><g/></g>", b"<circle/>", b"<clipPath>", b"<mglyph>", b"<malignmark>", b"<div class=c>", b"</div>",
];

#[rustfmt::skip]
const META_CHARSETS: &[&[u8]] = &[
    b"<meta charset=\"utf-8\">", b"<meta charset=windows-1252>", b"<meta charset='iso-8859-2'>",
    b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\">", b"<meta charset=\"utf-16\">",
    b"<meta charset=\"x-user-defined\">", b"<meta charset=shift_jis>", b"<META CHARSET=\"UTF-8\">",
];

const RAW_TEXT_TAGS: &[&str] = &["script", "script", "script", "style", "style", "title", "textarea", "xmp", "iframe", "noscript", "noembed", "noframes"];

#[rustfmt::skip]
const SCRIPT_PIECES: &[&str] = &[
    "<!--", "<!--", "-->", "<script>", "<script ", "<SCRIPT>", "<scripts>", "</script>", "</script ", "</SCRIPT>", "</scripts>", "</script\t>", "x",
    "-", "--", "<", ">", "/", "<!-", "var a = '</scr' + 'ipt>';", "\r\n", "\0", "é",
];

#[rustfmt::skip]
const RAW_PIECES: &[&str] = &[
    "x", " ", "<", "/", "-", ">", "<!--", "-->", "</styl>", "</style x>", "</title", "</textarea >", "</xmp/>", "<b>", "&amp;", "&lt;", "</", "'\"",
    "\r\n", "\0", "é", "</iframe", "</noscript", "<!-- </style> -->",
];

#[rustfmt::skip]
const TRUNCATED: &[&[u8]] = &[
    b"<", b"<d", b"<div", b"<div ", b"<div id", b"<div id=", b"<div id=\"m", b"<div id='m", b"<div id=m", b"<div id=main /", b"</", b"</d", b"</div",
    b"</div ", b"<!", b"<!-", b"<!--", b"<!-- x", b"<!-- x -", b"<!-- x --", b"<!-- x --!", b"<!D", b"<!DOCTYPE", b"<!DOCTYPE html", b"<![CDATA[x",
    b"<?x", b"<script>", b"<script><!--", b"<script><!--<script>", b"<script><!--<script></script", b"<style>x", b"<title>x</tit", b"&", b"&am",
    b"<svg><![CDATA[x", b"<svg><![CDATA[x]]", b"\xC3", b"<textarea>", b"<plaintext>x", b"<a href=\"x\" /",
];

fn mixed_case(rng: &mut Rng, name: &str) -> String {
    match rng.below(10) {
        0 | 1 => name.to_ascii_uppercase(),
        2 | 3 => name.chars().map(|c| if rng.chance(1, 2) { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect(),
        _ => name.to_string(),
    }
}

fn attribute(rng: &mut Rng, out: &mut Vec<u8>) {
    let (name, values) = rng.pick(ATTRIBUTES);
    let name = mixed_case(rng, name);
    let value = rng.pick(values);
    let quote = if value.contains('"') { '\'' } else { '"' };
    let unquoted_ok = !value.is_empty() && !value.contains([' ', '\t', '"', '\'', '>']);
    let attr = match rng.below(12) {
        0 => name,
        1 => format!("{name}="),
        2 => format!("{name} = {quote}{value}{quote}"),
        3 if unquoted_ok => format!("{name} ={value}"),
        4..=6 => format!("{name}={quote}{value}{quote}"),
        7 | 8 if !value.contains('\'') => format!("{name}='{value}'"),
        9 | 10 if unquoted_ok => format!("{name}={value}"),
        // Unquoted even when the value has spaces or quotes: it splits.
        11 => format!("{name}={value}"),
        _ => format!("{name}=\"{}\"", value.replace('"', "&quot;")),
    };
    out.extend_from_slice(attr.as_bytes());
}

const ATTRIBUTE_SEPARATORS: &[&[u8]] = &[b" ", b" ", b" ", b"\t", b"\n", b"  ", b"/", b""];
const TAG_ENDS: &[&[u8]] = &[b">", b">", b">", b">", b">", b">", b" >", b"/>", b" />", b"\n>", b"/ >"];

fn start_tag(rng: &mut Rng, name: &str) -> Vec<u8> {
    let mut tag = format!("<{}", mixed_case(rng, name)).into_bytes();
    let attributes = match rng.below(8) {
        0..=2 => 0,
        3..=5 => 1,
        6 => 2,
        _ => 3 + rng.below(3),
    };
    for _ in 0..attributes {
        tag.extend_from_slice(rng.pick(ATTRIBUTE_SEPARATORS));
        let before = tag.len();
        attribute(rng, &mut tag);
        if rng.chance(1, 8) {
            // The same attribute again (with another value, maybe).
            let again = tag[before..].to_vec();
            tag.push(b' ');
            if rng.chance(1, 2) {
                tag.extend_from_slice(&again);
            } else {
                attribute(rng, &mut tag);
            }
        }
    }
    tag.extend_from_slice(rng.pick(TAG_ENDS));
    tag
}

fn end_tag(rng: &mut Rng, name: &str) -> Vec<u8> {
    let name = mixed_case(rng, name);
    match rng.below(14) {
        0 => b"</>".to_vec(),
        1 => b"</ x>".to_vec(),
        2 => b"</3>".to_vec(),
        3 => format!("</{name} >").into_bytes(),
        4 => format!("</{name} x=\"1\">").into_bytes(),
        5 => format!("</{name}/>").into_bytes(),
        6 => format!("</{name}\n>").into_bytes(),
        _ => format!("</{name}>").into_bytes(),
    }
}

fn text(rng: &mut Rng) -> Vec<u8> {
    (0..1 + rng.below(3)).flat_map(|_| rng.pick(TEXTS).to_vec()).collect()
}

fn raw_text_element(rng: &mut Rng) -> Vec<u8> {
    let name = rng.pick(RAW_TEXT_TAGS);
    let mut out = start_tag(rng, name);
    let pieces = if name == "script" { SCRIPT_PIECES } else { RAW_PIECES };
    for _ in 0..rng.below(8) {
        out.extend_from_slice(rng.pick(pieces).as_bytes());
    }
    let close = mixed_case(rng, name);
    let end = match rng.below(10) {
        0 => String::new(),
        1 => format!("</{close} >"),
        2 => format!("</{close} x>"),
        3 => format!("</{close}/>"),
        4 => format!("</{close}\t>"),
        _ => format!("</{close}>"),
    };
    out.extend_from_slice(end.as_bytes());
    out
}

/// An element with content: the structures the selectors look for.
fn element(rng: &mut Rng, depth: usize) -> Vec<u8> {
    let name = rng.pick(&["div", "p", "span", "a", "li", "ul", "b", "h1", "td", "table", "font", "svg", "select", "template", "nav"]);
    let mut out = start_tag(rng, name);
    for _ in 0..rng.below(4) {
        let inner = if depth < 3 && rng.chance(1, 2) { element(rng, depth + 1) } else { fragment(rng, depth + 1) };
        out.extend(inner);
    }
    if rng.chance(5, 6) {
        out.extend(end_tag(rng, name));
    }
    out
}

fn fragment(rng: &mut Rng, depth: usize) -> Vec<u8> {
    match rng.below(100) {
        0..=24 => {
            let name = rng.pick(TAGS);
            start_tag(rng, name)
        }
        25..=36 => {
            let name = rng.pick(TAGS);
            end_tag(rng, name)
        }
        37..=51 => text(rng),
        52..=56 => rng.pick(COMMENTS).to_vec(),
        57..=61 => rng.pick(ODDITIES).to_vec(),
        62..=71 => raw_text_element(rng),
        72..=81 => (0..1 + rng.below(5)).flat_map(|_| rng.pick(FOREIGN).to_vec()).collect(),
        82..=88 => rng.pick(SKELETON).to_vec(),
        89..=96 if depth < 3 => element(rng, depth + 1),
        97 => rng.pick(META_CHARSETS).to_vec(),
        98 if rng.chance(1, 4) => b"<plaintext>".to_vec(),
        _ => text(rng),
    }
}

/// A document as a list of fragments (so a failure can be shrunk fragment by fragment).
fn soup(rng: &mut Rng) -> Vec<Vec<u8>> {
    let most = if rng.chance(1, 4) { 40 } else { 14 };
    let n = 1 + rng.below(most);
    let mut fragments = Vec::with_capacity(n + 2);
    if rng.chance(1, 3) {
        fragments.push(b"<!DOCTYPE html>".to_vec());
    }
    for _ in 0..n {
        fragments.push(fragment(rng, 0));
    }
    if rng.chance(1, 8) {
        fragments.push(rng.pick(TRUNCATED).to_vec());
    }
    fragments
}

/// Selectors in the fast path, most of them matching what `soup` generates.
#[rustfmt::skip]
const SELECTORS: &[&str] = &[
    "div", "p", "span", "a", "b", "h1", "li", "ul", "table", "tr", "td", "img", "br", "input", "meta", "link", "script", "style", "title", "textarea",
    "noscript", "iframe", "xmp", "select", "option", "template", "svg", "math", "foreignObject", "foreignobject", "desc", "mi", "mtext",
    "annotation-xml", "font", "plaintext", "path", "head", "body", "html", "*", "DIV", "A", "#main", "#x", "#Main", ".c", ".d", ".C", ".c.d", "p.c",
    "div#main", "a.c#x", "*.c", "[id]", "[class]", "[href]", "[data-x]", "[data-x=\"\"]", "[data-x=\"1\"]", "[data-x=v]", "[data-x='v w']",
    "[class~=c]", "[class~=\"d\"]", "a[href^=http]", "a[href^=\"http\"]", "[href$=\".pdf\"]", "[href$=pdf]", "[href*=\"e.c\"]", "[data-x^='']",
    "[data-x*=\"\"]", "[lang|=en]", "[lang|=\"EN\"]", "[type=text]", "input[type=\"text\"]", "[title='a b']", "[x]", "[ID]", "[CLASS~=c]",
    "[encoding]", "font[color]", "li:first-child", "p:nth-child(2)", "div:first-of-type", "p:nth-of-type(odd)", "*:nth-child(-n+2)",
    "ul > li:nth-child(2n) a", "b:first-of-type", "td:nth-of-type(2)", "[data-x=\"a>b\"]", "div p", "div > p", "div>p", "ul li", "ul > li", "ul li a", "ul > li > a", "body *", "body > *",
    "div *", "* > b", "* *", "table td", "svg desc", "svg title", "svg *", "math mi", "svg foreignObject p", "p b", "span b", "b b", "div div",
    "html body div", "head title", "head meta", "head *", "body script", "select *", "template *", "li > a.c", "#main > *", ".c .c", ".c > .d",
    "[id] [class]", "p > span > b", "a[href] > span", "noscript *", "font b", "title *", "annotation-xml *", "mi p",
];

const TEXT_CONTENTS: &[&str] = &["", "x", "a & b < c > \"d\" 'e'", "Grüße", "</script>", "<!--", "&amp;"];
const MARKUP: &[&str] =
    &["", "<b>bold</b>", "<p>unclosed", "</div>", "<!-- c -->", "&amp; &lt;", "<script>1</script>", "Ö", "<!--", "<plaintext>", "<svg><path/>"];
const ATTR_NAMES: &[&str] = &["id", "class", "data-t", "href", "title", "TITLE", "data-x", "bad name", "\"q", "lang"];
const ATTR_VALUES: &[&str] = &["", "v", "a\"b", "a&b", "<>'", "é", "main", "c d"];
const CLASSES: &[&str] = &["t", "c", "d", "t2", "C", "c-d"];
const REMOVED_ATTRS: &[&str] = &["id", "class", "href", "data-x", "ID", "missing", "title", "lang"];

fn some(rng: &mut Rng, pool: &[&str], at_most: usize) -> Vec<String> {
    (0..1 + rng.below(at_most)).map(|_| rng.pick(pool).to_string()).collect()
}

fn random_action(rng: &mut Rng) -> Action<String> {
    match rng.below(12) {
        0 => Action::Text(rng.pick(TEXT_CONTENTS).to_string()),
        1 => Action::Html(rng.pick(MARKUP).to_string()),
        2 => Action::SetAttr((0..1 + rng.below(2)).map(|_| (rng.pick(ATTR_NAMES).to_string(), rng.pick(ATTR_VALUES).to_string())).collect()),
        3 => Action::RemoveAttr(some(rng, REMOVED_ATTRS, 2)),
        4 => Action::AddClass(some(rng, CLASSES, 2)),
        5 => Action::RemoveClass(some(rng, CLASSES, 2)),
        6 => Action::Before(rng.pick(MARKUP).to_string()),
        7 => Action::After(rng.pick(MARKUP).to_string()),
        8 => Action::Prepend(rng.pick(MARKUP).to_string()),
        9 => Action::Append(rng.pick(MARKUP).to_string()),
        10 => Action::Replace(rng.pick(MARKUP).to_string()),
        _ => Action::Remove,
    }
}

/// 1 to 4 changes; a quarter of the later ones reuse an earlier selector
/// (several changes on one element).
fn random_plan(rng: &mut Rng) -> Plan {
    let mut changes: Vec<PlannedChange> = Vec::new();
    for _ in 0..1 + rng.below(4) {
        let selector =
            if changes.is_empty() || !rng.chance(1, 4) { rng.pick(SELECTORS).to_string() } else { changes[rng.below(changes.len())].selector.clone() };
        changes.push(PlannedChange { campaign: 0, selector, action: random_action(rng) });
    }
    Plan { redirect: None, changes }
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

fn default_seed() -> u64 {
    env_number("REWRITE_FAST_SEED").unwrap_or(0x7A11_0F45_7000_0001)
}

fn case_seed(seed: u64, case: u64) -> u64 {
    seed ^ case.wrapping_mul(0xD1B5_4A32_D192_ED03)
}

/// A generated case that failed, before shrinking.
struct Failing {
    case: u64,
    fragments: Vec<Vec<u8>>,
    plan: Plan,
    state: Option<&'static str>,
    chunking: Chunking,
    /// The difference's signature (for the shrunk case's, if it no longer fails).
    signature: String,
}

/// A shrunk document's shape, to tell bugs apart: names, values and words
/// collapse to `a`, case and whitespace other than CR fold.
fn shape(doc: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    for &b in doc {
        let b = match b {
            b if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' => b'a',
            b'\t' | b'\n' | b'\x0C' => b' ',
            b => b,
        };
        if !(b == b'a' && out.last() == Some(&b'a')) {
            out.push(b);
        }
    }
    out
}

/// The kind of a shrunk failure: how it was fed, the kind of difference
/// (bytes or bail-out) and the shape of the document.
fn kind(chunking: Chunking, signature: &str, doc: &[u8]) -> String {
    let difference = if signature.starts_with("where lol_html") { "bytes differ" } else { signature.split(" (").next().unwrap_or(signature) };
    format!("Fast fed {}, {difference}, document shaped {}", fed(chunking), show(&shape(doc)))
}

/// What a shrunk case must still do.
#[derive(Clone, Copy)]
enum Symptom {
    /// `Engine::Fast` differs from lol_html, fed this way.
    FastDiffers(Chunking),
    /// lol_html itself panics.
    LolHtmlPanics,
}

/// Re-runs shrunk candidates (at most `budget` of them).
struct Shrinker {
    symptom: Symptom,
    budget: usize,
}

impl Shrinker {
    fn fails(&mut self, doc: &[u8], plan: &Plan, state: Option<&str>) -> bool {
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        let expected = reference(plan, state, doc);
        match self.symptom {
            Symptom::LolHtmlPanics => expected.is_err(),
            Symptom::FastDiffers(chunking) => difference(&expected, Which::Fast, plan, state, doc, chunking).is_some(),
        }
    }

    fn drop_changes(&mut self, doc: &[u8], plan: &mut Plan, state: Option<&str>) {
        let mut i = 0;
        while i < plan.changes.len() {
            let mut fewer = plan.clone();
            fewer.changes.remove(i);
            if self.fails(doc, &fewer, state) {
                *plan = fewer;
            } else {
                i += 1;
            }
        }
    }

    /// The smallest document and plan that still fail: drop changes, the
    /// state script, fragments, then spans of bytes of halving length.
    fn shrink(&mut self, fragments: &[Vec<u8>], plan: &Plan, state: Option<&'static str>) -> (Vec<u8>, Plan, Option<&'static str>) {
        let mut plan = plan.clone();
        let mut state = state;
        let mut fragments = fragments.to_vec();
        self.drop_changes(&fragments.concat(), &mut plan, state);
        if state.is_some() && self.fails(&fragments.concat(), &plan, None) {
            state = None;
        }
        loop {
            let before = fragments.len();
            let mut i = 0;
            while i < fragments.len() {
                let mut fewer = fragments.clone();
                fewer.remove(i);
                if self.fails(&fewer.concat(), &plan, state) {
                    fragments = fewer;
                } else {
                    i += 1;
                }
            }
            if fragments.len() == before {
                break;
            }
        }
        let mut doc = fragments.concat();
        let mut span = (doc.len() / 2).max(1);
        loop {
            let mut at = 0;
            while at + span <= doc.len() {
                let mut cut = doc.clone();
                cut.drain(at..at + span);
                if self.fails(&cut, &plan, state) {
                    doc = cut;
                } else {
                    at += span;
                }
            }
            if span == 1 {
                break;
            }
            span /= 2;
        }
        self.drop_changes(&doc, &mut plan, state);
        (doc, plan, state)
    }
}

/// A failing generated case, shrunk, as a failure to show.
fn shrink(failing: &Failing) -> Failure {
    let mut chunking = failing.chunking;
    // A chunk-boundary bug that shows with one-byte chunks keeps showing as the document shrinks.
    if !matches!(chunking, Chunking::Whole | Chunking::OneByte) {
        let mut one_byte = Shrinker { symptom: Symptom::FastDiffers(Chunking::OneByte), budget: 1 };
        if one_byte.fails(&failing.fragments.concat(), &failing.plan, failing.state) {
            chunking = Chunking::OneByte;
        }
    }
    let mut shrinker = Shrinker { symptom: Symptom::FastDiffers(chunking), budget: 6000 };
    let (doc, plan, state) = shrinker.shrink(&failing.fragments, &failing.plan, failing.state);
    let original = failing.fragments.concat();
    let (signature, mut difference) =
        match difference(&reference(&plan, state, &doc), Which::Fast, &plan, state, &doc, chunking) {
            Some(d) => (d.signature, d.text),
            // Cannot happen (the shrinker keeps failing cases only), but then the original shows it.
            None => (failing.signature.clone(), s("(the shrunk case no longer fails: see the original document)\n")),
        };
    let _ = writeln!(difference, "  original document ({} bytes): {}", original.len(), show(&original));
    let key = kind(chunking, &signature, &doc);
    Failure {
        what: format!(
            "generated case {}, shrunk from {} bytes (REWRITE_FAST_SEED={:#x} REWRITE_FAST_ONLY={})",
            failing.case,
            original.len(),
            default_seed(),
            failing.case
        ),
        doc_len: doc.len(),
        doc: Some(doc),
        plan,
        state: state.is_some(),
        chunking,
        label: s("random"),
        key,
        difference,
    }
}

/// How many failing generated cases are shrunk (the smallest first).
const SHRUNK: usize = 100;

/// Generated documents with random plans, whole and in chunks (one-byte chunks
/// for every eighth), with and without the state script.
#[test]
fn generated_tag_soup_matches_lol_html() {
    let started = Instant::now();
    let seed = default_seed();
    let cases: Vec<u64> = match env_number("REWRITE_FAST_ONLY") {
        Some(case) => vec![case],
        None => (0..env_number("REWRITE_FAST_CASES").unwrap_or(20_000)).collect(),
    };
    let mut failing: Vec<Failing> = Vec::new();
    let mut runs = 0;
    let mut bytes = 0;
    let mut bailed_out = 0;
    let mut lol_html_panics = Vec::new();
    for &case in &cases {
        let mut rng = Rng::new(case_seed(seed, case));
        let fragments = soup(&mut rng);
        let plan = random_plan(&mut rng);
        let state = rng.chance(1, 2).then_some(STATE);
        let chunked = if case % 8 == 0 { Chunking::OneByte } else { Chunking::Random(rng.next()) };
        let doc = fragments.concat();
        bytes += doc.len();
        let expected = reference(&plan, state, &doc);
        for chunking in [Chunking::Whole, chunked] {
            runs += 1;
            if let Some(Difference { signature, .. }) = difference(&expected, Which::Fast, &plan, state, &doc, chunking) {
                failing.push(Failing { case, fragments: fragments.clone(), plan: plan.clone(), state, chunking, signature });
                break;
            }
        }
        match expected {
            Ok(expected) => bailed_out += expected.bail_out.is_some() as usize,
            Err(panic) => lol_html_panics.push((doc.len(), case, fragments, plan, state, panic)),
        }
    }
    eprintln!(
        "generated_tag_soup_matches_lol_html: {} documents ({} bytes; lol_html bails out on {bailed_out}), {runs} runs in {:.1} s, {} failing",
        cases.len(),
        bytes,
        started.elapsed().as_secs_f64(),
        failing.len()
    );
    lol_html_panics.sort_by_key(|p| p.0);
    if let Some((_, case, fragments, plan, state, panic)) = lol_html_panics.first() {
        // Not the fast rewriter's failure, but worth knowing: the worker runs lol_html too.
        let (doc, plan, state) = Shrinker { symptom: Symptom::LolHtmlPanics, budget: 3000 }.shrink(fragments, plan, *state);
        eprintln!(
            "generated_tag_soup_matches_lol_html: note: lol_html panics on {} documents (no reference), e.g. case {case} shrunk to {} (state script: {})\nplan:\n{}\n{panic}",
            lol_html_panics.len(),
            show(&doc),
            state.is_some(),
            describe_plan(&plan)
        );
    }
    if failing.is_empty() {
        return;
    }
    // Shrink the smallest failing cases, group them by the shape of the shrunk
    // document, and show the smallest of each group.
    failing.sort_by_key(|f| (f.fragments.iter().map(Vec::len).sum::<usize>(), f.plan.changes.len()));
    let mut shrunk: Vec<Failure> = failing.iter().take(SHRUNK).map(shrink).collect();
    shrunk.sort_by_key(|f| (f.doc_len, f.plan.changes.len()));
    let mut message = format!("generated_tag_soup_matches_lol_html: {} of {} documents differ from lol_html (seed {seed:#x})", failing.len(), cases.len());
    if failing.len() > SHRUNK {
        let _ = write!(message, "; the {SHRUNK} smallest, shrunk, in ");
    } else {
        message.push_str(", shrunk, in ");
    }
    message.push_str(&describe_kinds(&shrunk, 16));
    eprintln!("generated_tag_soup_matches_lol_html: shrinking took until {:.1} s", started.elapsed().as_secs_f64());
    panic!("{message}");
}
