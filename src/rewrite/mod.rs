//! Applies a [`Plan`] to an HTML byte stream.
//!
//! Two implementations with the same output: tailor's own [`fast`] rewriter
//! for plans whose selectors are all simple (ids, classes, attributes, tag
//! names, sibling positions, descendant and child combinators: nearly every
//! plan), and lol_html for the rest. The fast one mirrors lol_html byte for byte
//! (tests/rewrite_differential.rs, tests/rewrite_fast.rs) at about twice its
//! speed with handlers.
//!
//! Both stream: memory stays bounded whatever the page size. Neither fails a
//! page: when the parser gives up (a parsing ambiguity, the memory limit),
//! the rest of the page is passed through as it came, so the visitor gets a
//! complete page with the changes made so far.

mod fast;
mod names;
mod selector;

use crate::model::Action;
use crate::plan::{edit_classes, Plan};
use lol_html::html_content::{ContentType, Element};
use lol_html::{element, end, AsciiCompatibleEncoding, ElementContentHandlers, HtmlRewriter, MemorySettings, Settings};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

/// Memory a single page rewrite may use for buffering (a start tag split across
/// chunks, text being replaced). Beyond it the rewriter bails out gracefully.
const MAX_REWRITER_MEMORY: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewriteError {
    /// The page's charset is not ASCII-compatible (UTF-16 and friends), which
    /// the streaming parser cannot handle: pass the page through.
    UnsupportedEncoding(String),
    /// A selector of the plan does not parse (the compiler prevents this).
    Selector { selector: String, reason: String },
    /// [`Engine::Fast`] was asked for a plan with a selector outside its subset.
    FastPathUnsupported,
}

impl fmt::Display for RewriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RewriteError::UnsupportedEncoding(label) => write!(f, "charset `{label}` is not supported by the rewriter"),
            RewriteError::Selector { selector, reason } => write!(f, "selector `{selector}`: {reason}"),
            RewriteError::FastPathUnsupported => write!(f, "a selector of the plan is outside the fast rewriter's subset"),
        }
    }
}

impl std::error::Error for RewriteError {}

type Output = Rc<RefCell<Vec<u8>>>;
type Sink = Box<dyn FnMut(&[u8])>;

/// Which implementation rewrites a page. The tests and benchmarks compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The fast rewriter when the plan allows it, else lol_html.
    Auto,
    LolHtml,
    /// The fast rewriter, or [`RewriteError::FastPathUnsupported`].
    Fast,
}

/// Whether the fast rewriter can apply this plan.
pub fn fast_path_supports(plan: &Plan) -> bool {
    fast::supports(plan)
}

/// A streaming page rewrite: feed chunks with [`PageRewriter::push`], collect
/// what is ready after each, and call [`PageRewriter::finish`] at the end.
/// It borrows the plan (`'p`) rather than copying its text.
pub struct PageRewriter<'p> {
    inner: Inner<'p>,
}

enum Inner<'p> {
    LolHtml(Box<LolHtmlRewriter>),
    Fast(Box<fast::Rewriter<'p>>),
}

impl<'p> PageRewriter<'p> {
    /// `state_script`, when given, is inserted at the end of `<head>` (or of
    /// the document when there is no head). `charset` is the page's, when
    /// the response says; otherwise the page's `<meta>` may set it.
    pub fn new(plan: &'p Plan, state_script: Option<String>, charset: Option<&str>) -> Result<PageRewriter<'p>, RewriteError> {
        PageRewriter::with_engine(plan, state_script, charset, Engine::Auto)
    }

    pub fn with_engine(plan: &'p Plan, mut state_script: Option<String>, charset: Option<&str>, engine: Engine) -> Result<PageRewriter<'p>, RewriteError> {
        if engine != Engine::LolHtml {
            let encoding = charset.map(ascii_compatible_encoding).transpose()?;
            if let Some(rewriter) = fast::Rewriter::new(plan, &mut state_script, encoding) {
                return Ok(PageRewriter { inner: Inner::Fast(Box::new(rewriter)) });
            }
            if engine == Engine::Fast {
                return Err(RewriteError::FastPathUnsupported);
            }
        }
        Ok(PageRewriter { inner: Inner::LolHtml(Box::new(LolHtmlRewriter::new(plan, state_script, charset)?)) })
    }

    /// Feeds a chunk; returns the bytes ready for the client.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        match &mut self.inner {
            Inner::LolHtml(rewriter) => rewriter.push(chunk),
            Inner::Fast(rewriter) => rewriter.push(chunk),
        }
    }

    /// Ends the stream; returns the last bytes and why the rewriter gave up
    /// early, if it did (for the platform's log).
    pub fn finish(self) -> (Vec<u8>, Option<String>) {
        match self.inner {
            Inner::LolHtml(rewriter) => rewriter.finish(),
            Inner::Fast(mut rewriter) => {
                let rest = rewriter.finish();
                let reason = rewriter.bail_out_reason().map(str::to_string);
                rewriter.recycle();
                (rest, reason)
            }
        }
    }

    /// Number of times a change was applied to an element so far.
    pub fn applied_count(&self) -> u32 {
        match &self.inner {
            Inner::LolHtml(rewriter) => rewriter.applied.get(),
            Inner::Fast(rewriter) => rewriter.applied_count(),
        }
    }

    /// Why the rewriter gave up early, if it did.
    pub fn bail_out_reason(&self) -> Option<&str> {
        match &self.inner {
            Inner::LolHtml(rewriter) => rewriter.bail_out_reason.as_deref(),
            Inner::Fast(rewriter) => rewriter.bail_out_reason(),
        }
    }
}

fn ascii_compatible_encoding(label: &str) -> Result<&'static encoding_rs::Encoding, RewriteError> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes())
        .filter(|e| e.is_ascii_compatible())
        .ok_or_else(|| RewriteError::UnsupportedEncoding(label.to_string()))
}

/// The plan of [`LolHtmlRewriter::detector`]: no changes.
static NO_CHANGES: Plan = Plan { redirect: None, changes: Vec::new() };

/// The lol_html rewrite.
///
/// lol_html gives up on a parsing ambiguity (`<select><xmp>`) with an error
/// that is not a graceful bail-out: the rest of the chunk, and what it held
/// back from before, is lost. So the fast rewriter's tokenizer, which finds
/// those ambiguities where lol_html does (tests/rewrite_fast.rs), reads each
/// chunk first, without changes, and lol_html never gets the ambiguous tag:
/// there lol_html's rewrite of the page so far is ended and the rest goes
/// out as it came, as in the fast rewriter. Where an ambiguity is possible
/// (inside `<select>`, after `<frameset>`) lol_html is fed only up to the
/// end of the last complete tag or comment, since it judges a tag as soon
/// as its name ends; elsewhere it gets each chunk as it came (its output
/// after `<style a=>` depends on where chunks end).
struct LolHtmlRewriter {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    output: Output,
    /// tailor's tokenizer with no changes, a chunk ahead of lol_html; `None`
    /// once it gave up for another reason than an ambiguity (a construct
    /// longer than lol_html's memory limit, which lol_html passes through
    /// itself) or met `<style a=>`, after which lol_html's reading depends
    /// on the plan's selectors, which it does not have: then lol_html reads
    /// on alone (and loses the rest of a chunk on an ambiguity, as before).
    detector: Option<Box<fast::Rewriter<'static>>>,
    /// Input the detector has not passed yet, held back from lol_html.
    held: Vec<u8>,
    /// The page offset of `held`'s first byte: what lol_html has been fed.
    fed: u64,
    /// Set once the state script is in (or must not go in any more).
    state_script_inserted: Option<Rc<Cell<bool>>>,
    /// Set once `lol_html` bailed out: later chunks pass through untouched.
    bailed_out: bool,
    /// The error that made it bail out, for the platform's log line.
    bail_out_reason: Option<String>,
    /// How many elements a change was applied to.
    applied: Rc<Cell<u32>>,
}

impl LolHtmlRewriter {
    fn new(plan: &Plan, state_script: Option<String>, charset: Option<&str>) -> Result<LolHtmlRewriter, RewriteError> {
        // `ascii_compatible_encoding` refuses the others, so `new` takes it.
        let page_encoding = charset.map(ascii_compatible_encoding).transpose()?;
        let encoding = page_encoding.and_then(AsciiCompatibleEncoding::new).unwrap_or_else(AsciiCompatibleEncoding::utf_8);
        let detector = fast::Rewriter::new(&NO_CHANGES, &mut None, page_encoding).map(Box::new);
        let output: Output = Rc::new(RefCell::new(Vec::with_capacity(16 * 1024)));
        let applied = Rc::new(Cell::new(0u32));
        let mut settings = Settings::new()
            .with_encoding(encoding)
            .with_adjust_charset_on_meta_tag(charset.is_none())
            .with_graceful_bail_out_on_content_handler_error(true)
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(MAX_REWRITER_MEMORY)
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            );

        for change in &plan.changes {
            let selector: lol_html::Selector = change
                .selector
                .parse()
                .map_err(|e: lol_html::errors::SelectorError| RewriteError::Selector { selector: change.selector.clone(), reason: e.to_string() })?;
            let action = change.action.clone();
            let applied = applied.clone();
            settings = settings.append_element_content_handler((
                std::borrow::Cow::Owned(selector),
                ElementContentHandlers::default().element(move |el: &mut Element| {
                    apply(el, &action);
                    applied.set(applied.get() + 1);
                    Ok(())
                }),
            ));
        }

        let mut state_script_inserted = None;
        if let Some(script) = state_script {
            // At the end of <head> when the page closes its head; otherwise
            // (no head, or a head whose end tag never comes) at the end of the
            // document. The browser script looks it up by id either way.
            let script = Rc::new(script);
            let inserted = Rc::new(Cell::new(false));
            state_script_inserted = Some(inserted.clone());
            let head_seen = Cell::new(false);
            let (head_script, head_inserted) = (script.clone(), inserted.clone());
            settings = settings.append_element_content_handler(element!("head", move |el| {
                if head_seen.replace(true) {
                    return Ok(());
                }
                if let Some(handlers) = el.end_tag_handlers() {
                    let (script, inserted) = (head_script.clone(), head_inserted.clone());
                    let handler: lol_html::EndTagHandler<'static> = Box::new(move |end| {
                        if !inserted.replace(true) {
                            end.before(&script, ContentType::Html);
                        }
                        Ok(())
                    });
                    handlers.push(handler);
                }
                Ok(())
            }));
            settings = settings.append_document_content_handler(end!(move |end| {
                if !inserted.replace(true) {
                    end.append(&script, ContentType::Html);
                }
                Ok(())
            }));
        }

        let sink_output = output.clone();
        let sink: Sink = Box::new(move |bytes: &[u8]| sink_output.borrow_mut().extend_from_slice(bytes));
        Ok(LolHtmlRewriter {
            rewriter: Some(HtmlRewriter::new(settings, sink)),
            output,
            detector,
            held: Vec::new(),
            fed: 0,
            state_script_inserted,
            bailed_out: false,
            bail_out_reason: None,
            applied,
        })
    }

    fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.bailed_out {
            self.output.borrow_mut().extend_from_slice(chunk);
            return self.take();
        }
        let Some(detector) = self.detector.as_mut() else {
            self.write(chunk);
            return self.take();
        };
        // Its output is the input: only where it gives up matters.
        detector.push(chunk);
        let available = self.held.len() + chunk.len();
        let trusted_until = detector.selector_dependent_from().unwrap_or(u64::MAX);
        let passed = match (detector.ambiguity_offset(), detector.bail_out_reason()) {
            (Some(at), _) if at < trusted_until => {
                self.held.extend_from_slice(chunk);
                return self.give_up_at(at);
            }
            (Some(_), _) | (_, Some(_)) => {
                self.detector = None;
                available
            }
            (None, None) if trusted_until != u64::MAX => {
                self.detector = None;
                available
            }
            (None, None) if detector.ambiguity_possible() => (detector.consumed().saturating_sub(self.fed) as usize).min(available),
            (None, None) => available,
        };
        // Usually nothing is held and all of the chunk passes: lol_html
        // reads it where it is.
        let held = std::mem::take(&mut self.held);
        let from_chunk = passed.saturating_sub(held.len());
        self.write(&held[..passed.min(held.len())]);
        self.write(&chunk[..from_chunk]);
        self.held = held;
        self.held.drain(..passed.min(self.held.len()));
        self.held.extend_from_slice(&chunk[from_chunk..]);
        self.fed += passed as u64;
        self.take()
    }

    /// Feeds lol_html.
    fn write(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if self.bailed_out {
            self.output.borrow_mut().extend_from_slice(bytes);
        } else if let Some(rewriter) = self.rewriter.as_mut() {
            if let Err(err) = rewriter.write(bytes) {
                // A graceful bail-out (the memory limit, a handler's error)
                // flushed what lol_html had not written as it came; from
                // now on we copy. An ambiguity the detector did not see
                // first (none is known) loses what lol_html held.
                self.bailed_out = true;
                self.bail_out_reason = Some(err.to_string());
                self.rewriter = None;
            }
        }
    }

    /// The detector gave up at page offset `at`: lol_html rewrites the
    /// page up to there and ends; the rest goes out as it came, without
    /// the state script (the fast rewriter does not add it either then).
    fn give_up_at(&mut self, at: u64) -> Vec<u8> {
        let held = std::mem::take(&mut self.held);
        let before = (at.saturating_sub(self.fed) as usize).min(held.len());
        self.write(&held[..before]);
        if let Some(inserted) = &self.state_script_inserted {
            inserted.set(true);
        }
        self.end();
        self.bailed_out = true;
        if self.bail_out_reason.is_none() {
            self.bail_out_reason = self.detector.as_ref().and_then(|d| d.bail_out_reason()).map(str::to_string);
        }
        self.output.borrow_mut().extend_from_slice(&held[before..]);
        self.fed = at.max(self.fed);
        self.take()
    }

    fn end(&mut self) {
        if let Some(rewriter) = self.rewriter.take() {
            if let Err(err) = rewriter.end() {
                self.bail_out_reason = Some(err.to_string());
            }
        }
    }

    fn finish(mut self) -> (Vec<u8>, Option<String>) {
        let mut out = Vec::new();
        if !self.bailed_out {
            match self.detector.as_mut().and_then(|detector| {
                detector.finish();
                detector.ambiguity_offset().filter(|&at| detector.selector_dependent_from().is_none_or(|from| at < from))
            }) {
                Some(at) => out = self.give_up_at(at),
                None => {
                    let held = std::mem::take(&mut self.held);
                    self.write(&held);
                }
            }
        }
        self.end();
        out.extend(self.take());
        (out, self.bail_out_reason)
    }

    fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut *self.output.borrow_mut())
    }
}

/// Rewrites a whole page in memory (CLI, tests).
pub fn rewrite_page(page: &[u8], plan: &Plan, state_script: Option<String>) -> Result<Vec<u8>, RewriteError> {
    let mut rewriter = PageRewriter::new(plan, state_script, None)?;
    let mut out = rewriter.push(page);
    out.extend(rewriter.finish().0);
    Ok(out)
}

/// Applies one action. Text goes through lol_html's text escaping; attribute
/// values get `&` escaped here and `"` by lol_html, so the browser reads back
/// exactly the rendered string.
fn apply(el: &mut Element, action: &Action<String>) {
    match action {
        Action::Text(text) => el.set_inner_content(text, ContentType::Text),
        Action::Html(markup) => el.set_inner_content(markup, ContentType::Html),
        Action::SetAttr(pairs) => {
            for (name, value) in pairs {
                let _ = el.set_attribute(name, &value.replace('&', "&amp;"));
            }
        }
        Action::RemoveAttr(names) => names.iter().for_each(|n| el.remove_attribute(n)),
        Action::AddClass(classes) => {
            let current = el.get_attribute("class").unwrap_or_default();
            let _ = el.set_attribute("class", &edit_classes(&current, classes, &[]).replace('&', "&amp;"));
        }
        Action::RemoveClass(classes) => {
            if let Some(current) = el.get_attribute("class") {
                let _ = el.set_attribute("class", &edit_classes(&current, &[], classes).replace('&', "&amp;"));
            }
        }
        Action::Before(markup) => el.before(markup, ContentType::Html),
        Action::After(markup) => el.after(markup, ContentType::Html),
        Action::Prepend(markup) => el.prepend(markup, ContentType::Html),
        Action::Append(markup) => el.append(markup, ContentType::Html),
        Action::Replace(markup) => el.replace(markup, ContentType::Html),
        Action::Remove => el.remove(),
    }
}
