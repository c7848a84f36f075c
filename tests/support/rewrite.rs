//! What the fast rewriter's differential tests share
//! (tests/rewrite_differential.rs, tests/rewrite_fast.rs): running an engine
//! on a page fed whole or in chunks, comparing it with lol_html, and the two
//! narrow allowances where the fast rewriter may write something else.
//!
//! The allowances, both where lol_html cannot be followed:
//!
//! 1. lol_html gives up on a parsing ambiguity (`<select><xmp>`; also on a
//!    start tag cut off by the end of the page once its name is complete,
//!    `<select><style `, since its tag scanner checks at the end of the
//!    name). It then writes nothing more of the chunk it was given: a loss
//!    of content. The fast rewriter gives up at the same tag and passes the
//!    rest of the page through as it came, by design. Checked exactly: the
//!    fast rewriter gives up, at a tag where lol_html does (lol_html fed the
//!    page up to that tag does not give up; fed its name too, it does), and
//!    writes what lol_html writes for the page up to that tag, then the rest
//!    untouched. (lol_html's loss can reach further back: it may hold back
//!    bytes before the tag, such as a bogus comment `</ x>`, and lose them
//!    with the chunk.)
//! 2. A start tag that switches the tokenizer to text (`<style>`, `<script>`,
//!    `<textarea>`...) ending in an empty unquoted value (`<style a=>`), that
//!    lol_html only scanned (no selector needed it), followed by a tag that
//!    lol_html lexes (a selector needs it). lol_html's lexer then restarts at
//!    that tag in the text mode of the first one, reads the tag as text,
//!    and runs its element handlers on some later tag (or trips a debug
//!    assertion): output that follows no rule worth mirroring. The fast
//!    rewriter gives up at that tag and passes the rest through. Checked
//!    exactly: it gives up where the page up to that point ends in such a
//!    tag and then only text and comments, and writes what lol_html writes
//!    for the page up to there, then the rest untouched. This is checked
//!    even where lol_html itself panics on the whole page.
//!
//! Where the fast rewriter gives up, its reason says from which byte it
//! passed the page through; the checks take the offset from there and
//! verify it against lol_html and the page.

// Each test file uses part of this module.
#![allow(dead_code)]

#[path = "../../benches/support/changes.rs"]
pub mod bench;

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Once;
use tailor::plan::{Plan, PlannedChange};
use tailor::rewrite::{fast_path_supports, Engine, PageRewriter, RewriteError};

pub use bench::s;

/// `Engine` is not assumed to be `Copy` or `Debug`; this stands for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Which {
    LolHtml,
    Fast,
    Auto,
}

impl Which {
    fn engine(self) -> Engine {
        match self {
            Which::LolHtml => Engine::LolHtml,
            Which::Fast => Engine::Fast,
            Which::Auto => Engine::Auto,
        }
    }
}

/// How a document is fed to the rewriter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Chunking {
    Whole,
    OneByte,
    /// Chunks of this many bytes.
    Every(usize),
    /// Pseudo-random chunk lengths from this seed (some empty, mostly short,
    /// now and then a few KB).
    Random(u64),
}

impl Chunking {
    fn lengths(self, len: usize) -> Vec<usize> {
        match self {
            Chunking::Whole => vec![len],
            Chunking::OneByte => vec![1; len],
            Chunking::Every(n) => {
                let n = n.max(1);
                (0..len).step_by(n).map(|at| n.min(len - at)).collect()
            }
            Chunking::Random(seed) => {
                let mut rng = Rng::new(seed);
                let mut lengths = Vec::new();
                let mut left = len;
                while left > 0 {
                    let n = match rng.below(16) {
                        0 => 0,
                        1..=4 => 1 + rng.below(3),
                        5..=8 => 1 + rng.below(16),
                        9..=13 => 1 + rng.below(256),
                        _ => 1 + rng.below(8192),
                    };
                    let n = n.min(left);
                    lengths.push(n);
                    left -= n;
                }
                lengths
            }
        }
    }
}

pub fn fed(chunking: Chunking) -> &'static str {
    match chunking {
        Chunking::Whole => "whole",
        Chunking::OneByte => "in one-byte chunks",
        Chunking::Every(_) => "in fixed chunks",
        Chunking::Random(_) => "in random chunks",
    }
}

/// What a rewrite produced.
pub struct Outcome {
    pub bytes: Vec<u8>,
    pub bail_out: Option<String>,
}

pub fn rewrite(which: Which, plan: &Plan, state: Option<&str>, doc: &[u8], chunking: Chunking) -> Result<Outcome, RewriteError> {
    let mut rewriter = PageRewriter::with_engine(plan, state.map(str::to_string), None, which.engine())?;
    let mut bytes = Vec::with_capacity(doc.len() + 512);
    let mut at = 0;
    for n in chunking.lengths(doc.len()) {
        bytes.extend(rewriter.push(&doc[at..at + n]));
        at += n;
    }
    let (rest, bail_out) = rewriter.finish();
    bytes.extend(rest);
    Ok(Outcome { bytes, bail_out })
}

thread_local! {
    /// Set while `caught` runs: the panic hook then keeps quiet and records the message.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    static PANIC_MESSAGE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs `f`, turning a panic into `Err(message with location)`. A rewriter
/// that panics on some input is a finding to report, not a reason to stop.
pub fn caught<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) {
                PANIC_MESSAGE.with(|m| *m.borrow_mut() = info.to_string());
            } else {
                default(info);
            }
        }));
    });
    CATCHING.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(false));
    result.map_err(|_| PANIC_MESSAGE.with(|m| m.borrow().clone()))
}

/// lol_html with the document whole: what every other run must reproduce.
/// `Err` when lol_html itself panics on the document (there is no reference then).
pub fn reference(plan: &Plan, state: Option<&str>, doc: &[u8]) -> Result<Outcome, String> {
    match caught(|| rewrite(Which::LolHtml, plan, state, doc, Chunking::Whole)) {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(err)) => panic!("test setup: lol_html refused the plan ({err}):\n{}", describe_plan(plan)),
        Err(panic) => Err(panic),
    }
}

/// How a run differs from the reference.
pub struct Difference {
    /// A short classification, to group failures into kinds.
    pub signature: String,
    /// The first difference with context, for the failure message.
    pub text: String,
}

impl Difference {
    fn new(signature: impl Into<String>, text: impl Into<String>) -> Difference {
        Difference { signature: signature.into(), text: text.into() }
    }
}

/// Runs `which` and compares it with the reference (lol_html fed whole, or
/// `Err` with lol_html's panic); `None` when they agree: the same bytes and
/// both bailing out or neither, or where the module's allowances apply and
/// hold. A chunked run may also match lol_html fed the same chunks (where
/// lol_html's own output depends on the chunks). Where lol_html panics, only
/// allowance 2 can be checked; otherwise there is nothing to compare and
/// this is `None` (the callers count those pages).
pub fn difference(expected: &Result<Outcome, String>, which: Which, plan: &Plan, state: Option<&str>, doc: &[u8], chunking: Chunking) -> Option<Difference> {
    let fast_rewriter = match which {
        Which::Fast => true,
        Which::Auto => fast_path_supports(plan),
        Which::LolHtml => false,
    };
    if expected.is_err() && !fast_rewriter {
        // lol_html again, which panics again.
        return None;
    }
    let actual = match caught(|| rewrite(which, plan, state, doc, chunking)) {
        Ok(Ok(actual)) => actual,
        Ok(Err(err)) => return Some(Difference::new("refuses the plan", format!("{which:?} refused a plan it must take: {err}\n"))),
        Err(panic) => {
            let signature = format!("panics: {}", panic.lines().last().unwrap_or_default());
            return Some(Difference::new(signature, format!("{which:?} panicked: {panic}\n")));
        }
    };
    let gave_up_after_unlexed_switch = fast_rewriter && actual.bail_out.as_deref().is_some_and(|r| r.contains(UNLEXED_TEXT_SWITCH));
    let expected = match expected {
        Ok(expected) => expected,
        Err(_) if gave_up_after_unlexed_switch => return allowance_failure(unlexed_text_switch_allowance(&actual, plan, state, doc), &actual),
        Err(_) => return None,
    };
    if agree(expected, &actual) {
        return None;
    }
    if gave_up_after_unlexed_switch {
        return allowance_failure(unlexed_text_switch_allowance(&actual, plan, state, doc), &actual);
    }
    if expected.bail_out.is_some() && fast_rewriter {
        return allowance_failure(ambiguity_allowance(&actual, plan, state, doc), &actual);
    }
    let signature = signature(expected, &actual);
    let mut out = describe_difference(expected, &actual, which);
    if chunking != Chunking::Whole {
        match caught(|| rewrite(Which::LolHtml, plan, state, doc, chunking)) {
            Ok(Ok(same_chunks)) if agree(&same_chunks, &actual) => return None,
            Ok(Ok(same_chunks)) if agree(&same_chunks, expected) => {
                out.push_str("  (lol_html fed the same chunks writes what it writes when fed whole)\n");
            }
            Ok(Ok(same_chunks)) => {
                out.push_str("  lol_html fed the same chunks writes something else again; against that:\n");
                out.push_str(&describe_difference(&same_chunks, &actual, which));
            }
            Ok(Err(err)) => panic!("test setup: lol_html refused the plan ({err}):\n{}", describe_plan(plan)),
            Err(panic) => {
                let _ = writeln!(out, "  (lol_html fed the same chunks panics: {panic})");
            }
        }
    }
    Some(Difference { signature, text: out })
}

/// Part of the fast rewriter's reason for giving up in allowance 2 (src/rewrite/fast.rs).
const UNLEXED_TEXT_SWITCH: &str = "ends in an empty unquoted attribute value (`<style a=>`)";

fn allowance_failure(check: Result<(), (String, String)>, actual: &Outcome) -> Option<Difference> {
    let (signature, mut text) = check.err()?;
    let _ = writeln!(text, "  bail-out: {:?}", actual.bail_out);
    Some(Difference::new(signature, text))
}

/// Allowance 1: lol_html gave up on an ambiguity.
fn ambiguity_allowance(actual: &Outcome, plan: &Plan, state: Option<&str>, doc: &[u8]) -> Result<(), (String, String)> {
    let from = passed_through_from(actual, doc).map_err(|text| (s("lol_html bails out, the other does not"), text))?;
    let name_end = doc[from + 1..]
        .iter()
        .position(|&c| is_tag_name_end(c))
        .map(|i| from + 1 + i)
        .ok_or_else(|| (s("gives up at a tag whose name does not end"), format!("gave up at byte {from}\n")))?;
    let (prefix, gave_up_before) = lol_html_so_far(plan, state, &doc[..=from])?;
    let (_, gave_up_at_tag) = lol_html_so_far(plan, state, &doc[..=name_end])?;
    if gave_up_before || !gave_up_at_tag {
        let text = format!(
            "gave up at byte {from} ({}); lol_html gives up before it: {gave_up_before}, on its name: {gave_up_at_tag}\n",
            show(&doc[from..=name_end])
        );
        return Err((s("both bail out, but not at the same tag"), text));
    }
    prefix_then_rest(actual, &prefix, &doc[from..])
}

/// Allowance 2: `<style a=>`, unlexed, then a tag that lol_html lexes.
fn unlexed_text_switch_allowance(actual: &Outcome, plan: &Plan, state: Option<&str>, doc: &[u8]) -> Result<(), (String, String)> {
    let from = passed_through_from(actual, doc).map_err(|text| (s("gives up after `<style a=>` without saying where"), text))?;
    if !follows_text_switch_ending_in_empty_value(doc, from) {
        let text = format!("gave up at byte {from}, after {}\n", show(&doc[from.saturating_sub(60)..from]));
        return Err((s("gives up after `<style a=>`, but not right after one"), text));
    }
    let (prefix, gave_up) = lol_html_so_far(plan, state, &doc[..=from])?;
    if gave_up {
        return Err((s("gives up after `<style a=>`, after lol_html did"), format!("gave up at byte {from}\n")));
    }
    prefix_then_rest(actual, &prefix, &doc[from..])
}

/// The page offset from which the fast rewriter says it passed the page
/// through; it must start a tag.
fn passed_through_from(actual: &Outcome, doc: &[u8]) -> Result<usize, String> {
    let reason = actual.bail_out.as_deref().ok_or_else(|| s("did not give up\n"))?;
    let offset = reason.rsplit_once("from byte ").and_then(|(_, after)| after.trim_end_matches(')').parse::<usize>().ok());
    let offset = offset.ok_or_else(|| format!("its reason does not say where it passed the page through from: {reason}\n"))?;
    match doc.get(offset) {
        Some(b'<') => Ok(offset),
        _ => Err(format!("it says it passed the page through from byte {offset}, which does not start a tag\n")),
    }
}

/// What lol_html has written after being fed `doc` (the page not ended yet),
/// and whether it has given up. Fed a page up to and including the `<` of a
/// tag, it has written all before that tag: the `<` makes it write out what
/// it may hold back (after a bogus comment such as `</ x>`, its tag scanner
/// holds the bytes back until the next `<`).
fn lol_html_so_far(plan: &Plan, state: Option<&str>, doc: &[u8]) -> Result<(Vec<u8>, bool), (String, String)> {
    caught(|| {
        let mut rewriter = PageRewriter::with_engine(plan, state.map(str::to_string), None, Engine::LolHtml).expect("test setup: lol_html takes the plan");
        let bytes = rewriter.push(doc);
        (bytes, rewriter.bail_out_reason().is_some())
    })
    .map_err(|panic| (s("lol_html panics on the page up to where the other gives up"), format!("{panic}\n")))
}

fn prefix_then_rest(actual: &Outcome, prefix: &[u8], rest: &[u8]) -> Result<(), (String, String)> {
    let expected = Outcome { bytes: [prefix, rest].concat(), bail_out: actual.bail_out.clone() };
    if actual.bytes == expected.bytes {
        return Ok(());
    }
    let text = describe_difference_between(&expected, "lol_html's prefix + the rest", actual, "Fast");
    Err((s("gives up, but does not write the rewritten prefix and the rest as it came"), text))
}

/// The start tags that switch lol_html's tokenizer to text (in HTML content).
const TEXT_SWITCHING_TAGS: &[&[u8]] = &[b"textarea", b"title", b"plaintext", b"script", b"style", b"iframe", b"xmp", b"noembed", b"noframes", b"noscript"];

/// Whether `doc[..at]` ends with a start tag that switches the tokenizer to
/// text and whose last attribute has an empty unquoted value (`<style a=>`),
/// then only text and comments: where allowance 2 lets the fast rewriter
/// give up. (A `<style` inside a comment would pass too; it does not matter
/// for a check of where the fast rewriter already chose to give up.)
fn follows_text_switch_ending_in_empty_value(doc: &[u8], at: usize) -> bool {
    (0..at).filter(|&lt| doc[lt] == b'<').any(|lt| {
        let name_start = lt + 1;
        let switches = TEXT_SWITCHING_TAGS.iter().any(|name| {
            doc.get(name_start..name_start + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name))
                && doc.get(name_start + name.len()).is_some_and(|&c| is_tag_name_end(c))
        });
        switches
            && match start_tag_end(doc, lt) {
                Some((end, ends_in_empty_value)) => ends_in_empty_value && end <= at && only_text_and_comments(&doc[end..at]),
                None => false,
            }
    })
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c')
}

fn is_tag_name_end(c: u8) -> bool {
    is_whitespace(c) || c == b'/' || c == b'>'
}

/// The end (after `>`) of the start tag at `doc[lt]`, lexed as the HTML
/// standard (and lol_html) lex tags, and whether its last attribute has an
/// empty unquoted value (`a=>`); `None` if the page ends first.
fn start_tag_end(doc: &[u8], lt: usize) -> Option<(usize, bool)> {
    let mut i = lt + 1;
    while !is_tag_name_end(*doc.get(i)?) {
        i += 1;
    }
    loop {
        match *doc.get(i)? {
            c if is_whitespace(c) => i += 1,
            b'/' if *doc.get(i + 1)? == b'>' => return Some((i + 2, false)),
            b'/' => i += 1,
            b'>' => return Some((i + 1, false)),
            _ => {
                i += 1;
                while !(is_tag_name_end(*doc.get(i)?) || doc[i] == b'=') {
                    i += 1;
                }
                while is_whitespace(*doc.get(i)?) {
                    i += 1;
                }
                if doc[i] != b'=' {
                    continue;
                }
                i += 1;
                while is_whitespace(*doc.get(i)?) {
                    i += 1;
                }
                match doc[i] {
                    quote @ (b'"' | b'\'') => i += 2 + doc.get(i + 1..)?.iter().position(|&c| c == quote)?,
                    b'>' => return Some((i + 1, true)),
                    _ => {
                        while !(is_whitespace(*doc.get(i)?) || doc[i] == b'>') {
                            i += 1;
                        }
                    }
                }
            }
        }
    }
}

/// Whether `text` holds no tag in the data state: only text, comments,
/// doctypes and bogus comments (`<!x>`, `<?x>`, `</ x>`) that close within it.
fn only_text_and_comments(text: &[u8]) -> bool {
    let mut i = 0;
    while let Some(offset) = text[i..].iter().position(|&c| c == b'<') {
        let lt = i + offset;
        let rest = &text[lt..];
        let until_gt = |from: usize| rest.get(from..).and_then(|r| r.iter().position(|&c| c == b'>')).map(|p| lt + from + p + 1);
        let next = match (rest.get(1), rest.get(2)) {
            (Some(c), _) if c.is_ascii_alphabetic() => return false,
            (Some(b'/'), Some(c)) if c.is_ascii_alphabetic() => return false,
            (Some(b'/'), Some(b'>')) => Some(lt + 3),
            (Some(b'!'), _) if rest.starts_with(b"<!--") => comment_end(rest).map(|end| lt + end),
            (Some(b'!' | b'?' | b'/'), _) => until_gt(2),
            _ => Some(lt + 1),
        };
        match next {
            Some(next) => i = next,
            None => return false,
        }
    }
    true
}

/// The end of the comment `text` starts with (`<!--`), if it closes.
fn comment_end(text: &[u8]) -> Option<usize> {
    if text.starts_with(b"<!-->") {
        return Some(5);
    }
    if text.starts_with(b"<!--->") {
        return Some(6);
    }
    (4..text.len()).find_map(|i| {
        if text[i..].starts_with(b"-->") {
            Some(i + 3)
        } else if text[i..].starts_with(b"--!>") {
            Some(i + 4)
        } else {
            None
        }
    })
}

/// The kind of a difference: what lol_html writes at the first differing
/// byte, and whether the other output is shorter or longer (the same bug
/// tends to look the same there).
pub fn signature(expected: &Outcome, actual: &Outcome) -> String {
    let (e, a) = (&expected.bytes, &actual.bytes);
    if e == a {
        return format!("only one bails out (lol_html: {}, other: {})", expected.bail_out.is_some(), actual.bail_out.is_some());
    }
    let at = first_difference(e, a);
    let lol_html = e.get(at).map_or(s("ends"), |&b| format!("writes {}", show(&[b])));
    let other = match a.len().cmp(&e.len()) {
        std::cmp::Ordering::Less => "shorter",
        std::cmp::Ordering::Equal => "as long",
        std::cmp::Ordering::Greater => "longer",
    };
    format!("where lol_html {lol_html} the output differs (the other one is {other})")
}

fn agree(a: &Outcome, b: &Outcome) -> bool {
    a.bytes == b.bytes && a.bail_out.is_some() == b.bail_out.is_some()
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()))
}

/// Bytes as a Rust-like string literal: valid UTF-8 as text, other bytes as `\xNN`.
pub fn show(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        let valid = format!("{:?}", chunk.valid());
        out.push_str(&valid[1..valid.len() - 1]);
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out.push('"');
    out
}

const CONTEXT: usize = 120;
/// Outputs up to this size are printed whole as well.
pub const PRINT_WHOLE: usize = 3000;

pub fn describe_difference(expected: &Outcome, actual: &Outcome, which: Which) -> String {
    describe_difference_between(expected, "lol_html", actual, &format!("{which:?}"))
}

fn describe_difference_between(expected: &Outcome, expected_name: &str, actual: &Outcome, actual_name: &str) -> String {
    let (e, a) = (&expected.bytes, &actual.bytes);
    let at = first_difference(e, a);
    let mut out = String::new();
    if e == a {
        let _ = writeln!(out, "same bytes, but only one of them bailed out");
    } else {
        let _ = writeln!(out, "outputs differ: {expected_name} {} bytes, {actual_name} {} bytes, first difference at byte {at}", e.len(), a.len());
        let _ = writeln!(out, "  common prefix ends: {}", show(&e[at.saturating_sub(CONTEXT)..at]));
        let _ = writeln!(out, "  {:<19} {}", format!("{expected_name} goes on:"), show(&e[at..(at + CONTEXT).min(e.len())]));
        let _ = writeln!(out, "  {:<19} {}", format!("{actual_name} goes on:"), show(&a[at..(at + CONTEXT).min(a.len())]));
    }
    let _ = writeln!(out, "  bail-out: {expected_name} {:?}, {actual_name} {:?}", expected.bail_out, actual.bail_out);
    if e.len() <= PRINT_WHOLE && a.len() <= PRINT_WHOLE {
        let _ = writeln!(out, "  {:<16} {}", format!("{expected_name} output:"), show(e));
        let _ = writeln!(out, "  {:<16} {}", format!("{actual_name} output:"), show(a));
    }
    out
}

pub fn describe_plan(plan: &Plan) -> String {
    if plan.changes.is_empty() {
        return "  (no changes)".to_string();
    }
    plan.changes.iter().map(|c| format!("  {:?} => {:?}", c.selector, c.action)).collect::<Vec<_>>().join("\n")
}

/// The changes of benches/rewrite.rs, in order (all in the fast rewriter's subset).
pub fn bench_changes() -> Vec<(&'static str, tailor::model::Action<String>)> {
    bench::changes()
}

pub fn plan(changes: Vec<(&str, tailor::model::Action<String>)>) -> Plan {
    Plan { redirect: None, changes: changes.into_iter().map(|(selector, action)| PlannedChange { campaign: 0, selector: s(selector), action }).collect() }
}

/// A tiny deterministic PRNG (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// 0..n
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// true with probability n/d
    pub fn chance(&mut self, n: usize, d: usize) -> bool {
        self.below(d) < n
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// A page of the shared corpus.
pub struct Page {
    pub name: String,
    pub bytes: Vec<u8>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

/// Every page of corpus/pages and corpus/bench, smallest first; `None` (with
/// a note) when the corpus is absent.
pub fn corpus(test: &str) -> Option<Vec<Page>> {
    let dir = corpus_dir();
    let mut pages = Vec::new();
    for sub in ["pages", "bench"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            if path.extension().is_some_and(|x| x == "html") {
                let name = format!("{sub}/{}", path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
                let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("test setup: reading {}: {err}", path.display()));
                pages.push(Page { name, bytes });
            }
        }
    }
    if pages.is_empty() {
        eprintln!("{test}: no pages under {}, skipped", dir.display());
        return None;
    }
    pages.sort_by(|a, b| (a.bytes.len(), &a.name).cmp(&(b.bytes.len(), &b.name)));
    Some(pages)
}
