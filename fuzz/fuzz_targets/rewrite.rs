//! The streaming HTML rewrite on random pages with random plans.
//!
//! The plan's selectors come from a list of valid selectors (or, now and then,
//! are arbitrary text), its actions and their strings are arbitrary, the page
//! is arbitrary bytes, and the streaming rewriter is fed random chunk sizes.
//!
//! Properties: nothing panics; a plan whose selectors are all valid is
//! accepted (`Ok`) by `rewrite_page` and `PageRewriter::new`; the output does not
//! depend on how the page was cut into chunks (`tailor rewrite` shows byte for
//! byte what the worker streams); and with an empty plan and no state script the
//! page passes through byte for byte.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use tailor::model::Action;
use tailor::plan::{Plan, PlannedChange};
use tailor::rewrite::{rewrite_page, PageRewriter, RewriteError};

const SELECTORS: &[&str] = &[
    "div", "#a", ".b", "p > span", "a[href]", "li:nth-child(2)", "body", "head", "html", "title", "script", "*",
    "#hero h1", "p span", "img[src]", "[data-x=\"1\"]", "li:first-child", "ul li", "div.b#a", "a:not(.b)",
];
const CHARSETS: &[&str] = &["utf-8", "windows-1252", "iso-8859-1", "shift_jis", "euc-kr", "gb18030", "koi8-r", "utf-16le", "bogus"];

#[derive(Debug, Arbitrary)]
enum SelectorIn {
    Known(u8),
    Raw(String),
}

#[derive(Debug, Arbitrary)]
enum ActionIn {
    Text(String),
    Html(String),
    SetAttr(Vec<(String, String)>),
    RemoveAttr(Vec<String>),
    AddClass(Vec<String>),
    RemoveClass(Vec<String>),
    Before(String),
    After(String),
    Prepend(String),
    Append(String),
    Replace(String),
    Remove,
}

impl From<ActionIn> for Action<String> {
    fn from(a: ActionIn) -> Self {
        match a {
            ActionIn::Text(t) => Action::Text(t),
            ActionIn::Html(h) => Action::Html(h),
            ActionIn::SetAttr(pairs) => Action::SetAttr(pairs),
            ActionIn::RemoveAttr(v) => Action::RemoveAttr(v),
            ActionIn::AddClass(v) => Action::AddClass(v),
            ActionIn::RemoveClass(v) => Action::RemoveClass(v),
            ActionIn::Before(h) => Action::Before(h),
            ActionIn::After(h) => Action::After(h),
            ActionIn::Prepend(h) => Action::Prepend(h),
            ActionIn::Append(h) => Action::Append(h),
            ActionIn::Replace(h) => Action::Replace(h),
            ActionIn::Remove => Action::Remove,
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    changes: Vec<(SelectorIn, ActionIn)>,
    state_script: Option<String>,
    /// `None`: UTF-8 with `<meta charset>` detection, as `rewrite_page`.
    charset: Option<u8>,
    chunk_sizes: Vec<u16>,
    page: &'a [u8],
}

fn stream(plan: &Plan, script: Option<String>, charset: Option<&str>, page: &[u8], sizes: &[u16]) -> Result<Vec<u8>, RewriteError> {
    let mut rewriter = PageRewriter::new(plan, script, charset)?;
    let mut out = Vec::new();
    let mut rest = page;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let mut n = sizes.next().map_or(rest.len(), |&s| s as usize).min(rest.len());
        if n == 0 {
            // A stream can deliver empty chunks.
            out.extend(rewriter.push(&[]));
            n = 1;
        }
        let (chunk, tail) = rest.split_at(n);
        out.extend(rewriter.push(chunk));
        rest = tail;
    }
    let (last, _reason) = rewriter.finish();
    out.extend(last);
    Ok(out)
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 64 * 1024 {
        return;
    }
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else { return };
    if input.changes.len() > 32 {
        return;
    }
    let mut all_valid = true;
    let changes: Vec<PlannedChange> = input
        .changes
        .into_iter()
        .enumerate()
        .map(|(campaign, (selector, action))| {
            let selector = match selector {
                SelectorIn::Known(i) => SELECTORS[i as usize % SELECTORS.len()].to_string(),
                SelectorIn::Raw(s) => {
                    all_valid = false;
                    s
                }
            };
            PlannedChange { campaign, selector, action: action.into() }
        })
        .collect();
    let plan = Plan { redirect: None, changes };
    let page = input.page;

    // The whole page at once, as the CLI does.
    let whole = match rewrite_page(page, &plan, input.state_script.clone()) {
        Ok(out) => out,
        Err(e) => {
            assert!(!all_valid, "valid selectors refused: {e}");
            assert!(matches!(e, RewriteError::Selector { .. }), "{e}");
            return;
        }
    };
    if plan.changes.is_empty() && input.state_script.is_none() {
        assert!(whole == page, "an empty plan changed the page");
    }

    // In random chunks, as the worker does: the same bytes.
    let sizes: Vec<u16> = input.chunk_sizes.iter().take(64).copied().collect();
    let streamed = stream(&plan, input.state_script.clone(), None, page, &sizes).expect("accepted above");
    assert!(streamed == whole, "the output depends on the chunking");

    // With a declared charset (the Content-Type's), whole and chunked agree too.
    if let Some(i) = input.charset {
        let charset = CHARSETS[i as usize % CHARSETS.len()];
        match stream(&plan, input.state_script.clone(), Some(charset), page, &[u16::MAX]) {
            Ok(one) => {
                let chunked = stream(&plan, input.state_script.clone(), Some(charset), page, &sizes).expect("accepted above");
                assert!(one == chunked, "the output depends on the chunking ({charset})");
                if plan.changes.is_empty() && input.state_script.is_none() {
                    assert!(one == page, "an empty plan changed the page ({charset})");
                }
            }
            Err(RewriteError::UnsupportedEncoding(_)) => assert!(matches!(charset, "utf-16le" | "bogus"), "{charset} refused"),
            Err(e) => panic!("{e}"),
        }
    }
});
