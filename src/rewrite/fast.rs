//! tailor's own streaming rewriter, for plans whose selectors are all in the
//! [`selector`](super::selector) subset.
//!
//! Why: lol_html with even one element handler runs at about half the speed
//! of its own passthrough (its selector VM, open-element bookkeeping and
//! attribute lexing run on every tag). A plan of a few simple selectors needs
//! much less: find each tag with `memchr`, keep a stack of open elements with
//! a bit per ancestor compound, and copy everything else through untouched.
//!
//! What: the output is byte for byte what [`super::PageRewriter`]'s lol_html
//! path produces (tests/rewrite_differential.rs and tests/rewrite_fast.rs
//! check it on the corpus and on generated tag soup). So this module mirrors
//! lol_html 3's model, quirks included: its tokenizer states (the HTML
//! standard's, simplified), its simulation of the tree builder (namespaces,
//! raw text elements, the ambiguity that makes it give up), its stack of
//! open elements (void elements are not pushed; an end tag pops up to the
//! nearest element of its name), how it serializes a changed start tag, and
//! when it suppresses removed content; also where lol_html's tokenizer
//! depends on whether its tag scanner hands a tag to its lexer, which the
//! plan's selectors decide (after `<style a=>`).
//!
//! Where lol_html gives up (an ambiguity), it loses the rest of the chunk;
//! the fast rewriter passes the rest of the page through as it came, and
//! does the same where lol_html would misread the page (a tag it lexes right
//! after an unlexed `<style a=>`). Its reason then says from which byte.

use super::names::{self, TagName};
use super::selector::{self, Combinator, ElementFacts, Selector};
use crate::model::Action;
use crate::plan::{edit_classes, Plan};
use encoding_rs::{Encoding, UTF_8};
use memchr::{memchr, memchr2};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Input a single incomplete construct (a tag, a comment) may hold back
/// before the rewriter gives up and passes the rest through, like lol_html's
/// memory limit.
const MAX_BUFFERED: usize = 8 * 1024 * 1024;

/// Ancestor compounds are tracked as bits of a `u128` per open element.
const MAX_ANCESTOR_COMPOUNDS: usize = 128;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Namespace {
    Html,
    Svg,
    MathMl,
}

/// How text is tokenized after the current position.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TextMode {
    Data,
    /// RCDATA and RAWTEXT behave the same here: only the appropriate end tag ends them.
    RawText,
    Script(ScriptState),
    PlainText,
    Cdata,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ScriptState {
    Normal,
    Escaped,
    EscapedDashDash,
    DoubleEscaped,
    DoubleEscapedDashDash,
}

/// lol_html's ambiguity guard: where a text-switching tag makes it unclear
/// whether what follows is markup, lol_html gives up (and so do we).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ambiguity {
    Default,
    InSelect,
    InTemplateInSelect(u64),
    InOrAfterFrameset,
}

/// Content to insert: an index into [`Program::contents`].
#[derive(Clone, Copy, Debug)]
struct Chunk(u32);

struct Content<'p> {
    /// The plan's text, or the state script.
    text: Cow<'p, str>,
    /// Escape `&`, `<` and `>` (lol_html's `ContentType::Text`).
    escape: bool,
}

/// What lol_html keeps for a token: content around it, or instead of it.
#[derive(Clone, Default, Debug)]
struct Mutations {
    before: Vec<Chunk>,
    replacement: Vec<Chunk>,
    after: Vec<Chunk>,
    removed: bool,
}

/// A change's action, borrowed from the plan: compiling a plan copies none
/// of its text (on a small page, copying it cost as much as a change).
enum Operation<'p> {
    Inner(Chunk),
    SetAttributes(&'p [(String, String)]),
    RemoveAttributes(&'p [String]),
    AddClass(&'p [String]),
    RemoveClass(&'p [String]),
    Before(Chunk),
    After(Chunk),
    Prepend(Chunk),
    Append(Chunk),
    Replace(Chunk),
    Remove,
}

/// A change's selector, compiled.
struct Match {
    selector: Rc<Selector>,
    /// The ancestor-bit index of each compound but the last.
    ancestor_bits: Vec<u32>,
}

/// What matching a plan's elements needs. It depends only on the plan's
/// selectors, so it is compiled once for a list of them and kept per thread
/// (see [`Matcher::for_plan`]): a process that rewrites page after page (a
/// server embedding this crate, the benchmark) meets the few lists of its
/// site's variant combinations again and again, and compiling them for
/// each page was a fifteenth of a small page's rewrite (150 ns for the
/// 5-change plan). A list not kept costs about 110 ns more than compiling
/// did before the cache (benches/rewrite.rs `tailor-5-cold`). The CLI
/// rewrites one page per run and the worker uses workerd's `HTMLRewriter`:
/// neither keeps anything.
struct Matcher {
    /// The selectors, in the plan's order, each after its length (one
    /// allocation, not one per selector): what the cache compares.
    selectors: Box<[u8]>,
    /// One per change of the plan.
    changes: Vec<Match>,
    /// By the first byte of a lowercased tag name (its low five bits, which
    /// tell letters apart): the changes (of the first 64) whose selector
    /// could match such an element.
    candidates: [u64; 32],
    /// Every compound that must match an ancestor, by bit.
    ancestor_compounds: Vec<AncestorCompound>,
    /// [`Matcher::candidates`] for [`Matcher::ancestor_compounds`]; empty
    /// when there are none (most plans).
    ancestor_candidates: Vec<u128>,
    /// Whose children to count by name, for `:nth-of-type`.
    counted_types: CountedTypes,
}

/// The plan compiled for this rewriter.
struct Program<'p> {
    matcher: Rc<Matcher>,
    /// By change, as in the plan.
    operations: Vec<Operation<'p>>,
    contents: Vec<Content<'p>>,
    state_script: Option<Chunk>,
    adjust_charset: bool,
}

/// Which elements `:nth-of-type` needs counted among their siblings of the
/// same name. lol_html counts every element once a selector asks; counting
/// only the names the selectors test gives them the same positions.
enum CountedTypes {
    None,
    /// Only elements of these (lowercased) names.
    Names(Vec<Vec<u8>>),
    /// A compound without a type selector (`.a:first-of-type`) asks.
    All,
}

/// Compound `index` of `selector` (the parsed selectors are shared between
/// pages, see [`selector::parse_cached`]).
struct AncestorCompound {
    selector: Rc<Selector>,
    index: usize,
}

impl AncestorCompound {
    fn compound(&self) -> &selector::Compound {
        &self.selector.compounds[self.index]
    }
}

thread_local! {
    /// The thread's last matchers, the most recently used first.
    static MATCHERS: RefCell<Vec<Rc<Matcher>>> = const { RefCell::new(Vec::new()) };
}

/// How many matchers a thread keeps: a site's pages get a few lists of
/// selectors (one per combination of variants shown together).
const CACHED_MATCHERS: usize = 16;

impl Matcher {
    /// The matcher of the plan's selectors, from the thread's cache or
    /// compiled; `None` when a selector is outside the subset.
    fn for_plan(plan: &Plan) -> Option<Rc<Matcher>> {
        let fits = |matcher: &Matcher| {
            let mut rest = &matcher.selectors[..];
            matcher.changes.len() == plan.changes.len()
                && plan.changes.iter().all(|change| {
                    let selector = change.selector.as_bytes();
                    let Some((length, after)) = rest.split_first_chunk::<8>() else { return false };
                    let fits = u64::from_le_bytes(*length) == selector.len() as u64 && after.starts_with(selector);
                    rest = after.get(selector.len()..).unwrap_or_default();
                    fits
                })
        };
        MATCHERS
            .try_with(|cache| {
                let Ok(mut cache) = cache.try_borrow_mut() else { return Matcher::compile(plan).map(Rc::new) };
                if let Some(index) = cache.iter().position(|matcher| fits(matcher)) {
                    cache[..=index].rotate_right(1);
                    return Some(Rc::clone(&cache[0]));
                }
                let matcher = Rc::new(Matcher::compile(plan)?);
                cache.truncate(CACHED_MATCHERS - 1);
                cache.insert(0, Rc::clone(&matcher));
                Some(matcher)
            })
            .unwrap_or_else(|_| Matcher::compile(plan).map(Rc::new))
    }

    fn compile(plan: &Plan) -> Option<Matcher> {
        let mut selectors = Vec::with_capacity(plan.changes.iter().map(|change| 8 + change.selector.len()).sum());
        for change in &plan.changes {
            selectors.extend_from_slice(&(change.selector.len() as u64).to_le_bytes());
            selectors.extend_from_slice(change.selector.as_bytes());
        }
        let mut matcher = Matcher {
            selectors: selectors.into_boxed_slice(),
            changes: Vec::with_capacity(plan.changes.len()),
            candidates: [0; 32],
            ancestor_compounds: Vec::new(),
            ancestor_candidates: Vec::new(),
            counted_types: CountedTypes::None,
        };
        for change in &plan.changes {
            let selector = selector::parse_cached(&change.selector)?;
            let mut ancestor_bits = Vec::new();
            for (index, compound) in selector.compounds[..selector.compounds.len() - 1].iter().enumerate() {
                let bit = match matcher.ancestor_compounds.iter().position(|c| c.compound() == compound) {
                    Some(bit) => bit,
                    None => {
                        matcher.ancestor_compounds.push(AncestorCompound { selector: Rc::clone(&selector), index });
                        matcher.ancestor_compounds.len() - 1
                    }
                };
                if bit >= MAX_ANCESTOR_COMPOUNDS {
                    return None;
                }
                ancestor_bits.push(bit as u32);
            }
            for compound in selector.compounds.iter().filter(|c| c.positions.iter().any(|p| p.of_type)) {
                match (&mut matcher.counted_types, &compound.name) {
                    (CountedTypes::All, _) => {}
                    (_, None) => matcher.counted_types = CountedTypes::All,
                    (CountedTypes::None, Some(name)) => matcher.counted_types = CountedTypes::Names(vec![name.clone()]),
                    (CountedTypes::Names(names), Some(name)) => {
                        if !names.contains(name) {
                            names.push(name.clone());
                        }
                    }
                }
            }
            matcher.changes.push(Match { selector, ancestor_bits });
        }
        for (index, change) in matcher.changes.iter().enumerate().take(64) {
            match change.selector.compounds.last().and_then(name_class) {
                Some(class) => matcher.candidates[class] |= 1 << index,
                None => matcher.candidates.iter_mut().for_each(|m| *m |= 1 << index),
            }
        }
        if !matcher.ancestor_compounds.is_empty() {
            matcher.ancestor_candidates = vec![0; 32];
        }
        for (bit, ancestor) in matcher.ancestor_compounds.iter().enumerate() {
            match name_class(ancestor.compound()) {
                Some(class) => matcher.ancestor_candidates[class] |= 1 << bit,
                None => matcher.ancestor_candidates.iter_mut().for_each(|m| *m |= 1 << bit),
            }
        }
        Some(matcher)
    }
}

impl<'p> Program<'p> {
    fn compile(plan: &'p Plan) -> Option<Program<'p>> {
        let matcher = Matcher::for_plan(plan)?;
        // Contents: at most one per change, and the state script.
        let n = plan.changes.len();
        let mut program = Program { matcher, operations: Vec::with_capacity(n), contents: Vec::with_capacity(n + 1), state_script: None, adjust_charset: true };
        for change in &plan.changes {
            let operation = match &change.action {
                Action::Text(text) => Operation::Inner(program.content(text, true)),
                Action::Html(markup) => Operation::Inner(program.content(markup, false)),
                Action::SetAttr(pairs) => Operation::SetAttributes(pairs),
                Action::RemoveAttr(names) => Operation::RemoveAttributes(names),
                Action::AddClass(classes) => Operation::AddClass(classes),
                Action::RemoveClass(classes) => Operation::RemoveClass(classes),
                Action::Before(markup) => Operation::Before(program.content(markup, false)),
                Action::After(markup) => Operation::After(program.content(markup, false)),
                Action::Prepend(markup) => Operation::Prepend(program.content(markup, false)),
                Action::Append(markup) => Operation::Append(program.content(markup, false)),
                Action::Replace(markup) => Operation::Replace(program.content(markup, false)),
                Action::Remove => Operation::Remove,
            };
            program.operations.push(operation);
        }
        Some(program)
    }

    fn content(&mut self, text: &'p str, escape: bool) -> Chunk {
        self.contents.push(Content { text: Cow::Borrowed(text), escape });
        Chunk(self.contents.len() as u32 - 1)
    }
}

/// The candidate tables' index for elements a compound can match: the low
/// five bits of its tag name's first byte (which tell letters apart); `None`
/// without a tag name (any element).
fn name_class(compound: &selector::Compound) -> Option<usize> {
    compound.name.as_ref()?.first().map(|&first| byte_class(first))
}

fn byte_class(first: u8) -> usize {
    (first & 31) as usize
}

/// Whether every selector of the plan is one the fast rewriter matches.
pub(crate) fn supports(plan: &Plan) -> bool {
    plan.changes.iter().all(|change| selector::parse_cached(&change.selector).is_some())
}

/// An attribute as lexed: byte ranges into the buffer.
#[derive(Clone, Copy, Debug)]
struct AttributeSpan {
    name: (usize, usize),
    value: Option<(usize, usize)>,
    raw: (usize, usize),
}

/// An attribute of a changed start tag: as it was, or new (its name and
/// value are ranges of [`ElementEdit::bytes`]).
#[derive(Clone, Copy)]
enum EditedAttribute {
    Raw(AttributeSpan),
    New { name: (usize, usize), value: (usize, usize) },
}

/// A lexed tag.
struct Tag {
    name: (usize, usize),
    self_closing: bool,
    /// Index just after the closing `>`.
    end: usize,
    /// The tag ends in an attribute with an empty unquoted value (`<x a=>`,
    /// `<x a= >`): there lol_html's tokenizer goes to the data state rather
    /// than to the text state the tag may switch to (see [`Rewriter::unlexed_text_switch`]).
    ends_in_empty_unquoted_value: bool,
}

/// An open element.
struct Frame {
    /// Its lowercased name's first eight bytes (see [`names::name_key`]) and length.
    name_key: u64,
    name_length: u32,
    /// Where the rest of a longer name is in `Buffers::names` (and the
    /// names of the elements above it start).
    rest_of_name: u32,
    /// Its element children so far (for `:nth-child`).
    children: u32,
    ancestor_bits: u128,
    end_mutations: Option<Box<Mutations>>,
    /// Its end tag takes the state script (the first `<head>`).
    takes_state_script: bool,
    removes_content: bool,
}

enum Step {
    /// Consumed up to here.
    At(usize),
    /// The construct from here on is incomplete: wait for more input.
    NeedMore(usize),
}

pub(crate) struct Rewriter<'p> {
    program: Program<'p>,
    /// Buffers kept per thread (see [`Buffers`]).
    buffers: Box<Buffers>,
    out: Vec<u8>,
    text: TextMode,
    ambiguity: Ambiguity,
    /// Open matched elements whose content is removed: nothing is emitted while above zero.
    removing: u32,
    encoding: &'static Encoding,
    charset_found: bool,
    head_seen: bool,
    state_script_inserted: bool,
    /// Elements with no open parent so far (for `:nth-child`).
    root_children: u32,
    bailed_out: Option<String>,
    applied: u32,
    /// The page offset of `pending`'s first byte (all before it is consumed),
    /// to say in a bail-out reason where the page was passed through from.
    consumed: u64,
    /// The page offset the rest was passed through from, once given up on
    /// an ambiguity (where lol_html gives up too).
    ambiguity_offset: Option<u64>,
    /// The first `<style a=>`-like tag: from there on how lol_html reads
    /// the page depends on its selectors (see `unlexed_text_switch`).
    selector_dependent_from: Option<u64>,
    /// Set after a start tag that switches the tokenizer to text (`<style>`,
    /// `<script>`, `<textarea>`, `<plaintext>`...) but ends in `a=>`, when
    /// lol_html only scanned it (no selector needed it): lol_html's tag
    /// scanner then reads on in the data state (`before_attribute_value_state`
    /// goes to `data_state` on `>`), remembering this text mode, until the
    /// next tag. Had lol_html lexed that tag, it would have handed the text
    /// mode back to the scanner with the switch (`continue_from_bookmark`),
    /// and the fast rewriter follows the switch as usual then. The mode kept
    /// matters if lol_html must lex the next tag: its lexer restarts at that
    /// tag in this text mode and misreads it, so the fast rewriter gives up
    /// there (see [`UNLEXED_TEXT_SWITCH`]). `raw_end_name` still holds the
    /// switching tag's name meanwhile.
    unlexed_text_switch: Option<TextMode>,
}

/// The rewriter's working buffers, kept per thread from one page to the
/// next, for a process that rewrites page after page on one thread (see
/// [`Matcher`]): allocating and freeing them for each page cost a twentieth
/// of a small page's rewrite. Boxed, so that taking and returning them
/// moves a pointer (moving the struct cost more than the allocations on the
/// smallest pages).
struct Buffers {
    /// Input not yet consumed (an incomplete construct at a chunk's end).
    pending: Vec<u8>,
    /// The lowercased name whose end tag ends raw text or script data.
    raw_end_name: Vec<u8>,
    ns_stack: Vec<Namespace>,
    /// The open elements.
    stack: Vec<Frame>,
    /// What the open elements' names have beyond their first eight bytes
    /// (see [`Frame::rest_of_name`]), one after the other.
    names: Vec<u8>,
    /// The current start tag's attributes.
    attributes: Vec<AttributeSpan>,
    /// The current tag's name.
    lowercase_name: TagName,
    /// The changes to the current element.
    edit: ElementEdit,
    /// For `:nth-of-type`, when the plan asks.
    typed_children: TypedChildCounters,
}

thread_local! {
    static SPARE_BUFFERS: Cell<Option<Box<Buffers>>> = const { Cell::new(None) };
}

/// Buffers grown past these on a huge page are dropped rather than kept.
const MAX_KEPT_STACK: usize = 1024;
const MAX_KEPT_BYTES: usize = 64 * 1024;

impl Buffers {
    /// The thread's spare buffers (empty), or new ones.
    fn take() -> Box<Buffers> {
        match SPARE_BUFFERS.try_with(Cell::take) {
            Ok(Some(spare)) => spare,
            _ => Box::new(Buffers {
                pending: Vec::new(),
                raw_end_name: Vec::new(),
                ns_stack: Vec::with_capacity(4),
                // Room for a typical page's nesting and tags at once: growing
                // these step by step was a tenth of a small page's rewrite.
                stack: Vec::with_capacity(32),
                names: Vec::with_capacity(256),
                attributes: Vec::with_capacity(16),
                lowercase_name: TagName::default(),
                edit: ElementEdit::default(),
                typed_children: TypedChildCounters::default(),
            }),
        }
    }

    /// Empties the buffers and keeps them for the thread's next rewriter,
    /// unless a huge page grew them.
    fn put_back(mut self: Box<Buffers>) {
        let bytes = [self.pending.capacity(), self.names.capacity(), self.edit.bytes.capacity()];
        if self.stack.capacity() > MAX_KEPT_STACK || bytes.iter().any(|&n| n > MAX_KEPT_BYTES) {
            return;
        }
        self.pending.clear();
        self.raw_end_name.clear();
        self.ns_stack.clear();
        self.stack.clear();
        self.names.clear();
        self.attributes.clear();
        self.edit.reset(false, false);
        self.typed_children.by_name.clear();
        let _ = SPARE_BUFFERS.try_with(|spare| spare.set(Some(self)));
    }
}

impl<'p> Rewriter<'p> {
    /// `None` when a selector is outside the subset (and then `state_script`
    /// is left as it was). `encoding` is the page's if known (then `<meta>`
    /// does not change it), else UTF-8.
    pub(crate) fn new(plan: &'p Plan, state_script: &mut Option<String>, encoding: Option<&'static Encoding>) -> Option<Rewriter<'p>> {
        let mut program = Program::compile(plan)?;
        program.adjust_charset = encoding.is_none();
        if let Some(script) = state_script.take() {
            program.contents.push(Content { text: Cow::Owned(script), escape: false });
            program.state_script = Some(Chunk(program.contents.len() as u32 - 1));
        }
        let mut buffers = Buffers::take();
        buffers.ns_stack.push(Namespace::Html);
        Some(Rewriter {
            program,
            buffers,
            out: Vec::new(),
            text: TextMode::Data,
            ambiguity: Ambiguity::Default,
            removing: 0,
            encoding: encoding.unwrap_or(UTF_8),
            charset_found: false,
            head_seen: false,
            state_script_inserted: false,
            root_children: 0,
            bailed_out: None,
            applied: 0,
            consumed: 0,
            ambiguity_offset: None,
            selector_dependent_from: None,
            unlexed_text_switch: None,
        })
    }

    /// Ends the rewriter, keeping its buffers for the thread's next one
    /// (dropped instead, a rewriter frees them).
    pub(crate) fn recycle(self) {
        let Rewriter { buffers, .. } = self;
        buffers.put_back();
    }

    pub(crate) fn applied_count(&self) -> u32 {
        self.applied
    }

    pub(crate) fn bail_out_reason(&self) -> Option<&str> {
        self.bailed_out.as_deref()
    }

    /// Where it gave up on a parsing ambiguity, as lol_html does (the page
    /// offset of the tag), if it did.
    pub(crate) fn ambiguity_offset(&self) -> Option<u64> {
        self.ambiguity_offset
    }

    /// How much of the page it has read as complete constructs; the rest
    /// (an incomplete tag or comment at the end of a chunk) waits for more.
    pub(crate) fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Where lol_html's reading of the page starts to depend on its
    /// selectors (the first text-switching tag ending in `a=>`), if it does:
    /// from there a rewriter of other selectors may read it otherwise.
    pub(crate) fn selector_dependent_from(&self) -> Option<u64> {
        self.selector_dependent_from
    }

    /// Whether the next start tag could be one lol_html gives up on (inside
    /// `<select>`, after `<frameset>`): only there does its ambiguity guard
    /// refuse a tag.
    pub(crate) fn ambiguity_possible(&self) -> bool {
        self.ambiguity != Ambiguity::Default
    }

    /// Feeds a chunk; returns the bytes ready.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        // About the size of the input, once: a page grows a little, and a
        // small one by the state script (growing the output cost as much
        // as inserting it).
        let state_script = match self.program.state_script {
            Some(script) if !self.state_script_inserted => self.program.contents[script.0 as usize].text.len(),
            _ => 0,
        };
        self.out.reserve(chunk.len() + chunk.len() / 8 + state_script);
        if self.bailed_out.is_some() {
            self.out.extend_from_slice(chunk);
        } else if self.buffers.pending.is_empty() {
            let consumed = self.run(chunk, false);
            self.consumed += consumed as u64;
            self.buffers.pending.extend_from_slice(&chunk[consumed..]);
        } else {
            let mut input = std::mem::take(&mut self.buffers.pending);
            input.extend_from_slice(chunk);
            let consumed = self.run(&input, false);
            self.consumed += consumed as u64;
            input.drain(..consumed);
            self.buffers.pending = input;
        }
        if self.buffers.pending.len() > MAX_BUFFERED && self.bailed_out.is_none() {
            self.bailed_out = Some(passed_through_from(format!("a construct longer than {MAX_BUFFERED} bytes"), self.consumed));
            let rest = std::mem::take(&mut self.buffers.pending);
            self.out.extend_from_slice(&rest);
        }
        std::mem::take(&mut self.out)
    }

    /// Ends the input; returns the last bytes.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        if self.bailed_out.is_none() {
            let input = std::mem::take(&mut self.buffers.pending);
            self.run(&input, true);
            if self.bailed_out.is_none() && !self.state_script_inserted {
                if let Some(script) = self.program.state_script {
                    self.state_script_inserted = true;
                    self.write_chunk(script);
                }
            }
        }
        std::mem::take(&mut self.out)
    }

    /// Consumes as much of `input` as forms complete constructs (all of it
    /// when `last`); returns how much.
    fn run(&mut self, input: &[u8], last: bool) -> usize {
        // Bytes from `copied` up to the current construct go out as they came.
        let mut copied = 0;
        let mut at = 0;
        while at < input.len() && self.bailed_out.is_none() {
            let step = match self.text {
                TextMode::Data => self.data(input, at, last, &mut copied),
                TextMode::RawText => self.raw_text(input, at, last, &mut copied),
                TextMode::Script(_) => self.script_data(input, at, last, &mut copied),
                TextMode::PlainText => Step::At(input.len()),
                TextMode::Cdata => match find(input, at, b"]]>") {
                    Some(end) => {
                        self.text = TextMode::Data;
                        Step::At(end + 3)
                    }
                    None if last => Step::At(input.len()),
                    // Keep a possible `]]` for the next chunk.
                    None => Step::NeedMore(input.len().saturating_sub(2).max(at)),
                },
            };
            match step {
                Step::At(next) => at = next,
                Step::NeedMore(from) => {
                    at = from;
                    break;
                }
            }
        }
        if self.bailed_out.is_none() {
            if last {
                at = input.len();
            }
            self.copy(input, &mut copied, at);
        }
        at
    }

    /// Copies input up to `to` when emitting, and moves `copied` there.
    fn copy(&mut self, input: &[u8], copied: &mut usize, to: usize) {
        if self.removing == 0 && to > *copied {
            self.out.extend_from_slice(&input[*copied..to]);
        }
        *copied = to;
    }

    fn data(&mut self, input: &[u8], at: usize, last: bool, copied: &mut usize) -> Step {
        let Some(offset) = memchr(b'<', &input[at..]) else { return Step::At(input.len()) };
        let lt = at + offset;
        let Some(&next) = input.get(lt + 1) else { return if last { Step::At(input.len()) } else { Step::NeedMore(lt) } };
        match next {
            c if c.is_ascii_alphabetic() => self.tag(input, lt, false, last, copied),
            b'/' => match input.get(lt + 2) {
                None if last => Step::At(input.len()),
                None => Step::NeedMore(lt),
                Some(c) if c.is_ascii_alphabetic() => self.tag(input, lt, true, last, copied),
                // `</>` is dropped by browsers but kept by lol_html, as text.
                Some(b'>') => Step::At(lt + 3),
                Some(_) => self.until_gt(input, lt + 2, lt, last),
            },
            b'!' => self.markup_declaration(input, lt, last),
            b'?' => self.until_gt(input, lt + 2, lt, last),
            _ => Step::At(lt + 1),
        }
    }

    /// A bogus comment: up to and including the next `>`.
    fn until_gt(&mut self, input: &[u8], from: usize, start: usize, last: bool) -> Step {
        match memchr(b'>', &input[from.min(input.len())..]) {
            Some(offset) => Step::At(from + offset + 1),
            None if last => Step::At(input.len()),
            None => Step::NeedMore(start),
        }
    }

    fn markup_declaration(&mut self, input: &[u8], lt: usize, last: bool) -> Step {
        let rest = &input[lt + 2..];
        let comment = starts_with(rest, b"--", false);
        let doctype = starts_with(rest, b"DOCTYPE", true);
        let cdata = starts_with(rest, b"[CDATA[", false);
        if !last && (comment.is_none() || doctype.is_none() || cdata.is_none()) {
            return Step::NeedMore(lt);
        }
        if comment == Some(true) {
            return self.comment(input, lt, last);
        }
        if doctype == Some(true) {
            return self.until_gt(input, lt + 9, lt, last);
        }
        if cdata == Some(true) && self.current_namespace() != Namespace::Html {
            self.text = TextMode::Cdata;
            return Step::At(lt + 9);
        }
        self.until_gt(input, lt + 2, lt, last)
    }

    /// A comment from `<!--`: lol_html's comment states reduce to "the first
    /// `-->` or `--!>` after it", plus `<!-->` and `<!--->`.
    fn comment(&mut self, input: &[u8], lt: usize, last: bool) -> Step {
        let body = lt + 4;
        match input.get(body) {
            Some(b'>') => return Step::At(body + 1),
            Some(b'-') => match input.get(body + 1) {
                Some(b'>') => return Step::At(body + 2),
                None if !last => return Step::NeedMore(lt),
                _ => {}
            },
            None if !last => return Step::NeedMore(lt),
            _ => {}
        }
        let mut from = body;
        while let Some(offset) = memchr(b'-', &input[from.min(input.len())..]) {
            let dash = from + offset;
            match (input.get(dash + 1), input.get(dash + 2), input.get(dash + 3)) {
                (Some(b'-'), Some(b'>'), _) => return Step::At(dash + 3),
                (Some(b'-'), Some(b'!'), Some(b'>')) => return Step::At(dash + 4),
                (Some(b'-'), Some(b'!'), None) | (Some(b'-'), None, _) | (None, _, _) => break,
                _ => from = dash + 1,
            }
        }
        if last {
            Step::At(input.len())
        } else {
            Step::NeedMore(lt)
        }
    }

    fn raw_text(&mut self, input: &[u8], at: usize, last: bool, copied: &mut usize) -> Step {
        let mut from = at;
        loop {
            let Some(offset) = memchr(b'<', &input[from..]) else { return Step::At(input.len()) };
            let lt = from + offset;
            match self.appropriate_end_tag(input, lt) {
                Some(true) => return self.tag(input, lt, true, last, copied),
                Some(false) => from = lt + 1,
                None if last => return Step::At(input.len()),
                None => return Step::NeedMore(lt),
            }
        }
    }

    /// Whether `</name` followed by whitespace, `/` or `>` starts at `lt`,
    /// for the element whose raw text this is; `None` if the input ends first.
    fn appropriate_end_tag(&self, input: &[u8], lt: usize) -> Option<bool> {
        let name = &self.buffers.raw_end_name;
        let after = lt + 2 + name.len();
        let available = &input[lt..input.len().min(after + 1)];
        let prefix_ok = |bytes: &[u8]| {
            bytes.first().is_none_or(|&c| c == b'<')
                && bytes.get(1).is_none_or(|&c| c == b'/')
                && bytes.get(2..).unwrap_or_default().iter().zip(name.iter()).all(|(a, b)| a.to_ascii_lowercase() == *b)
        };
        if !prefix_ok(available) {
            return Some(false);
        }
        input.get(after).map(|&c| is(c, ENDS_TAG_NAME))
    }

    fn script_data(&mut self, input: &[u8], at: usize, last: bool, copied: &mut usize) -> Step {
        let TextMode::Script(state) = self.text else { return Step::At(at) };
        let need = |lt: usize| if last { Step::At(input.len()) } else { Step::NeedMore(lt) };
        match state {
            ScriptState::Normal => {
                let Some(offset) = memchr(b'<', &input[at..]) else { return Step::At(input.len()) };
                let lt = at + offset;
                match input.get(lt + 1) {
                    None => need(lt),
                    Some(b'/') => match self.appropriate_end_tag(input, lt) {
                        Some(true) => self.tag(input, lt, true, last, copied),
                        Some(false) => Step::At(lt + 1),
                        None => need(lt),
                    },
                    Some(b'!') => match (input.get(lt + 2), input.get(lt + 3)) {
                        (Some(b'-'), Some(b'-')) => {
                            self.text = TextMode::Script(ScriptState::EscapedDashDash);
                            Step::At(lt + 4)
                        }
                        (None, _) | (Some(b'-'), None) => need(lt),
                        _ => Step::At(lt + 2),
                    },
                    Some(_) => Step::At(lt + 1),
                }
            }
            ScriptState::Escaped | ScriptState::DoubleEscaped => {
                let double = state == ScriptState::DoubleEscaped;
                let Some(offset) = memchr2(b'-', b'<', &input[at..]) else { return Step::At(input.len()) };
                let i = at + offset;
                if input[i] == b'-' {
                    return match input.get(i + 1) {
                        None => need(i),
                        Some(b'-') => {
                            self.text = TextMode::Script(if double { ScriptState::DoubleEscapedDashDash } else { ScriptState::EscapedDashDash });
                            Step::At(i + 2)
                        }
                        Some(_) => Step::At(i + 1),
                    };
                }
                if double {
                    self.double_escaped_less_than(input, i, last)
                } else {
                    self.escaped_less_than(input, i, last, copied)
                }
            }
            ScriptState::EscapedDashDash | ScriptState::DoubleEscapedDashDash => {
                let double = state == ScriptState::DoubleEscapedDashDash;
                match input[at] {
                    b'-' => Step::At(at + 1),
                    b'<' if double => self.double_escaped_less_than(input, at, last),
                    b'<' => self.escaped_less_than(input, at, last, copied),
                    b'>' => {
                        // Reconsumed in the script data state, where it is text.
                        self.text = TextMode::Script(ScriptState::Normal);
                        Step::At(at + 1)
                    }
                    _ => {
                        self.text = TextMode::Script(if double { ScriptState::DoubleEscaped } else { ScriptState::Escaped });
                        Step::At(at + 1)
                    }
                }
            }
        }
    }

    /// At `<` in escaped script data.
    fn escaped_less_than(&mut self, input: &[u8], lt: usize, last: bool, copied: &mut usize) -> Step {
        let need = |lt: usize| if last { Step::At(input.len()) } else { Step::NeedMore(lt) };
        let escaped = |this: &mut Self, to: usize| {
            this.text = TextMode::Script(ScriptState::Escaped);
            Step::At(to)
        };
        match input.get(lt + 1) {
            None => need(lt),
            Some(b'/') => match self.appropriate_end_tag(input, lt) {
                Some(true) => self.tag(input, lt, true, last, copied),
                Some(false) => escaped(self, lt + 1),
                None => need(lt),
            },
            Some(_) => match script_word(&input[lt + 1..]) {
                None => need(lt),
                Some((taken, true)) => {
                    self.text = TextMode::Script(ScriptState::DoubleEscaped);
                    Step::At(lt + 1 + taken)
                }
                // `<` itself is consumed either way.
                Some((taken, false)) => escaped(self, lt + 1 + taken),
            },
        }
    }

    /// At `<` in double-escaped script data.
    fn double_escaped_less_than(&mut self, input: &[u8], lt: usize, last: bool) -> Step {
        let need = |lt: usize| if last { Step::At(input.len()) } else { Step::NeedMore(lt) };
        let double = |this: &mut Self, to: usize| {
            this.text = TextMode::Script(ScriptState::DoubleEscaped);
            Step::At(to)
        };
        match input.get(lt + 1) {
            None => need(lt),
            Some(b'/') => match script_word(&input[lt + 2..]) {
                None => need(lt),
                Some((taken, true)) => {
                    self.text = TextMode::Script(ScriptState::Escaped);
                    Step::At(lt + 2 + taken)
                }
                Some((taken, false)) => double(self, lt + 2 + taken),
            },
            Some(_) => double(self, lt + 1),
        }
    }

    fn current_namespace(&self) -> Namespace {
        self.buffers.ns_stack.last().copied().unwrap_or(Namespace::Html)
    }

    /// Lexes the tag at `lt` and handles it.
    fn tag(&mut self, input: &[u8], lt: usize, end_tag: bool, last: bool, copied: &mut usize) -> Step {
        let Some(tag) = self.lex_tag(input, lt, end_tag) else {
            if !last {
                return Step::NeedMore(lt);
            }
            if !end_tag {
                self.bail_out_if_cut_off_tag_is_ambiguous(input, lt, copied);
            }
            return Step::At(input.len());
        };
        self.buffers.lowercase_name.set(input, tag.name);
        if end_tag {
            self.end_tag(input, lt, &tag, copied);
        } else {
            let known = self.buffers.lowercase_name.known();
            self.start_tag(input, lt, &tag, known, copied);
        }
        Step::At(tag.end)
    }

    /// lol_html's tag and attribute states, from `<` to `>`; `None` if the
    /// input ends first. Attributes of start tags go to `self.buffers.attributes`.
    fn lex_tag(&mut self, input: &[u8], lt: usize, end_tag: bool) -> Option<Tag> {
        self.buffers.attributes.clear();
        let name_start = lt + if end_tag { 2 } else { 1 };
        let mut i = name_start;
        while !is(*input.get(i)?, ENDS_TAG_NAME) {
            i += 1;
        }
        let name = (name_start, i);
        let mut self_closing = false;
        loop {
            // Before an attribute name.
            let c = *input.get(i)?;
            match c {
                b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' => i += 1,
                b'/' => {
                    // The self-closing start tag state.
                    if *input.get(i + 1)? == b'>' {
                        self_closing = true;
                        return Some(Tag { name, self_closing, end: i + 2, ends_in_empty_unquoted_value: false });
                    }
                    i += 1;
                }
                b'>' => return Some(Tag { name, self_closing, end: i + 1, ends_in_empty_unquoted_value: false }),
                _ => {
                    let attribute_start = i;
                    i += 1;
                    while !is(*input.get(i)?, ENDS_ATTRIBUTE_NAME) {
                        i += 1;
                    }
                    let attribute_name = (attribute_start, i);
                    // After the name.
                    while is_whitespace(*input.get(i)?) {
                        i += 1;
                    }
                    if input[i] != b'=' {
                        self.buffers.attributes.push(AttributeSpan { name: attribute_name, value: None, raw: attribute_name });
                        continue;
                    }
                    i += 1;
                    while is_whitespace(*input.get(i)?) {
                        i += 1;
                    }
                    match input[i] {
                        quote @ (b'"' | b'\'') => {
                            let value_start = i + 1;
                            let close = value_start + memchr(quote, input.get(value_start..)?)?;
                            self.buffers.attributes.push(AttributeSpan {
                                name: attribute_name,
                                value: Some((value_start, close)),
                                raw: (attribute_start, close + 1),
                            });
                            i = close + 1;
                        }
                        b'>' => {
                            self.buffers.attributes.push(AttributeSpan { name: attribute_name, value: None, raw: attribute_name });
                            return Some(Tag { name, self_closing, end: i + 1, ends_in_empty_unquoted_value: true });
                        }
                        _ => {
                            let value_start = i;
                            while !is(*input.get(i)?, ENDS_UNQUOTED_VALUE) {
                                i += 1;
                            }
                            self.buffers.attributes.push(AttributeSpan {
                                name: attribute_name,
                                value: Some((value_start, i)),
                                raw: (attribute_start, i),
                            });
                        }
                    }
                }
            }
        }
    }

    fn enter_namespace(&mut self, ns: Namespace) {
        self.buffers.ns_stack.push(ns);
    }

    fn leave_namespace(&mut self) {
        if self.buffers.ns_stack.len() > 1 {
            self.buffers.ns_stack.pop();
        }
    }

    /// A start tag cut off by the end of the page, when its name is complete
    /// (followed by whitespace or `/`): lol_html's tag scanner consults its
    /// ambiguity guard as soon as a start tag's name ends
    /// (`finish_tag_name` in `tag_name_state`), so it may give up on a tag
    /// that never completes (`<select><style `). Then it writes nothing of
    /// the rest of the chunk; the fast rewriter gives up there too and
    /// passes the rest through, as for any ambiguity.
    #[cold]
    fn bail_out_if_cut_off_tag_is_ambiguous(&mut self, input: &[u8], lt: usize, copied: &mut usize) {
        let name_start = lt + 1;
        let Some(name_length) = input.get(name_start..).and_then(|rest| rest.iter().position(|&c| is(c, ENDS_TAG_NAME))) else { return };
        self.buffers.lowercase_name.set(input, (name_start, name_start + name_length));
        let known = self.buffers.lowercase_name.known();
        if self.track_ambiguity(known).is_err() {
            self.bail_out_on_ambiguity(input, copied, lt);
        }
    }

    /// lol_html's ambiguity guard for the start tag `lowercase_name` (whose
    /// [`TagName::known`] flags are `known`): `Err` where a text-switching tag
    /// makes it unclear whether what follows is markup, and lol_html gives up.
    // Forced, as is `push_frame`: at opt-level "z" both were calls on
    // every start tag (4 to 6 % of a small page's rewrite).
    #[inline(always)]
    fn track_ambiguity(&mut self, known: u16) -> Result<(), ()> {
        let name = self.buffers.lowercase_name.as_slice();
        match self.ambiguity {
            Ambiguity::Default => {
                if known & names::SELECT != 0 {
                    self.ambiguity = Ambiguity::InSelect;
                } else if known & names::FRAMESET != 0 {
                    self.ambiguity = Ambiguity::InOrAfterFrameset;
                }
            }
            Ambiguity::InSelect => {
                if matches!(name, b"select" | b"textarea" | b"input" | b"keygen") {
                    self.ambiguity = Ambiguity::Default;
                } else if name == b"template" {
                    self.ambiguity = Ambiguity::InTemplateInSelect(1);
                } else if known & names::SWITCHES_TEXT & !names::SCRIPT != 0 {
                    return Err(());
                }
            }
            Ambiguity::InTemplateInSelect(depth) => {
                if name == b"template" {
                    self.ambiguity = Ambiguity::InTemplateInSelect(depth + 1);
                } else if known & names::SWITCHES_TEXT != 0 {
                    return Err(());
                }
            }
            Ambiguity::InOrAfterFrameset => {
                if known & names::SWITCHES_TEXT != 0 && name != b"noframes" {
                    return Err(());
                }
            }
        }
        Ok(())
    }

    /// The ambiguity guard and the tree builder's feedback for a start tag.
    /// `Err` when lol_html would give up.
    fn start_tag_feedback(&mut self, input: &[u8], tag: &Tag, known: u16) -> Result<(), ()> {
        self.track_ambiguity(known)?;
        let name = self.buffers.lowercase_name.as_slice();
        let ns = self.current_namespace();
        if known & names::SVG != 0 {
            self.enter_namespace(Namespace::Svg);
        } else if known & names::MATH != 0 {
            self.enter_namespace(Namespace::MathMl);
        } else if ns != Namespace::Html {
            if causes_foreign_content_exit(name) {
                self.leave_namespace();
            } else if (ns == Namespace::Svg && matches!(name, b"desc" | b"title" | b"foreignobject"))
                || (ns == Namespace::MathMl && matches!(name, b"mi" | b"mo" | b"mn" | b"ms" | b"mtext"))
            {
                if !tag.self_closing {
                    self.enter_namespace(Namespace::Html);
                }
            } else if name == b"font" {
                let exits = self.buffers.attributes.iter().any(|a| {
                    let n = &input[a.name.0..a.name.1];
                    n.eq_ignore_ascii_case(b"color") || n.eq_ignore_ascii_case(b"size") || n.eq_ignore_ascii_case(b"face")
                });
                if exits {
                    self.leave_namespace();
                }
            } else if ns == Namespace::MathMl && name == b"annotation-xml" && !tag.self_closing {
                let html = self.buffers.attributes.iter().any(|a| {
                    let Some(value) = a.value else { return false };
                    let value = &input[value.0..value.1];
                    input[a.name.0..a.name.1].eq_ignore_ascii_case(b"encoding")
                        && (value.eq_ignore_ascii_case(b"text/html") || value.eq_ignore_ascii_case(b"application/xhtml+xml"))
                });
                if html {
                    self.enter_namespace(Namespace::Html);
                }
            }
        } else {
            let mode = if known & names::RAW_TEXT != 0 {
                Some(TextMode::RawText)
            } else if known & names::SCRIPT != 0 {
                Some(TextMode::Script(ScriptState::Normal))
            } else if known & names::PLAINTEXT != 0 {
                Some(TextMode::PlainText)
            } else {
                None
            };
            if let Some(mode) = mode {
                self.text = mode;
                self.buffers.raw_end_name.clear();
                self.buffers.raw_end_name.extend_from_slice(name);
            }
        }
        Ok(())
    }

    fn end_tag_feedback(&mut self) {
        let name = self.buffers.lowercase_name.as_slice();
        match self.ambiguity {
            Ambiguity::InSelect if name == b"select" => self.ambiguity = Ambiguity::Default,
            Ambiguity::InTemplateInSelect(depth) if name == b"template" => {
                self.ambiguity = if depth == 1 { Ambiguity::InSelect } else { Ambiguity::InTemplateInSelect(depth - 1) };
            }
            _ => {}
        }
        let ns = self.current_namespace();
        if ns == Namespace::Html {
            let len = self.buffers.ns_stack.len();
            if len >= 2 {
                let previous = self.buffers.ns_stack[len - 2];
                if (previous == Namespace::MathMl && matches!(name, b"mi" | b"mo" | b"mn" | b"ms" | b"mtext" | b"annotation-xml"))
                    || (previous == Namespace::Svg && matches!(name, b"desc" | b"title" | b"foreignobject"))
                {
                    self.leave_namespace();
                }
            }
        } else if (ns == Namespace::Svg && name == b"svg") || (ns == Namespace::MathMl && name == b"math") || matches!(name, b"p" | b"br") {
            self.leave_namespace();
        }
    }

    /// Gives up like lol_html: the rest of the input from `from` goes out as it came.
    fn bail_out(&mut self, input: &[u8], copied: &mut usize, from: usize, reason: String) {
        self.copy(input, copied, from);
        self.out.extend_from_slice(&input[from..]);
        *copied = input.len();
        self.bailed_out = Some(passed_through_from(reason, self.consumed + from as u64));
    }

    /// Gives up at the start tag `lowercase_name` at `lt`, as lol_html's ambiguity guard does.
    #[cold]
    fn bail_out_on_ambiguity(&mut self, input: &[u8], copied: &mut usize, lt: usize) {
        let name = String::from_utf8_lossy(self.buffers.lowercase_name.as_slice()).into_owned();
        let reason = format!("The parser has encountered a text content tag (`<{name}>`) in the context where it is ambiguous whether this tag should be ignored or not");
        self.ambiguity_offset = Some(self.consumed + lt as u64);
        self.bail_out(input, copied, lt, reason);
    }

    /// Whether lol_html lexes this start tag rather than only scanning it.
    /// Its tag scanner hands a tag to the lexer when the selector VM asks
    /// for it: when a selector matches the element (the plan's, lol_html's
    /// own `meta` one for the charset, tailor's `head` one for the state
    /// script), when one needs its attributes to tell (a compound with an
    /// id, class or attribute test whose tag name fits, at its place in the
    /// selector), and for every element outside the HTML namespace (the VM
    /// needs its self-closing flag). Without selectors there is no VM.
    #[cold]
    #[inline(never)]
    fn lol_html_lexes_start_tag(&self, element: &StartTagFacts<'_>, plan_matches: bool) -> bool {
        let program = &self.program;
        let has_selector_vm = !program.operations.is_empty() || program.state_script.is_some() || program.adjust_charset;
        has_selector_vm
            && (!element.html
                || plan_matches
                || (element.name == b"meta" && program.adjust_charset)
                || (element.name == b"head" && program.state_script.is_some())
                || program.matcher.changes.iter().any(|change| needs_attributes(change, element, &self.buffers.stack)))
    }

    /// Whether lol_html lexes this end tag (`lowercase_name`, closing
    /// `stack[closes..]`) rather than only scanning it: when an element it
    /// closes has an end-tag handler (end-tag mutations, the state script),
    /// when it ends removed content, and where the tree builder simulation
    /// must see the whole tag (a name lol_html cannot hash, possibly
    /// `</annotation-xml>`, in HTML content inside MathML). Call it before
    /// [`Rewriter::end_tag_feedback`].
    #[cold]
    #[inline(never)]
    fn lol_html_lexes_end_tag(&self, closes: Option<usize>) -> bool {
        let name = self.buffers.lowercase_name.as_slice();
        let ns_depth = self.buffers.ns_stack.len();
        let integration_point_check = self.current_namespace() == Namespace::Html
            && ns_depth >= 2
            && self.buffers.ns_stack[ns_depth - 2] == Namespace::MathMl
            && !matches!(name, b"mi" | b"mo" | b"mn" | b"ms" | b"mtext")
            && !lol_html_hashes_name(name);
        let Some(closes) = closes else { return integration_point_check };
        let closed = &self.buffers.stack[closes..];
        let ends_removed_content = self.removing > 0 && closed.iter().filter(|f| f.removes_content).count() as u32 == self.removing;
        integration_point_check || ends_removed_content || closed.iter().any(|f| f.end_mutations.is_some() || f.takes_state_script)
    }

    fn start_tag(&mut self, input: &[u8], lt: usize, tag: &Tag, known: u16, copied: &mut usize) {
        self.text = TextMode::Data;
        if self.start_tag_feedback(input, tag, known).is_err() {
            self.bail_out_on_ambiguity(input, copied, lt);
            return;
        }
        let ns = self.current_namespace();
        let pushed = if ns == Namespace::Html { known & names::VOID == 0 } else { !tag.self_closing };

        // Its position among its siblings, as lol_html's selector VM counts
        // before it matches (the elements of the stack above).
        let siblings = match self.buffers.stack.last_mut() {
            Some(parent) => &mut parent.children,
            None => &mut self.root_children,
        };
        *siblings = siblings.saturating_add(1);
        let child_index = i32::try_from(*siblings).unwrap_or(i32::MAX);
        let counted = match &self.program.matcher.counted_types {
            CountedTypes::None => false,
            CountedTypes::Names(names) => names.iter().any(|n| n == self.buffers.lowercase_name.as_slice()),
            CountedTypes::All => true,
        };
        let type_index = if counted { self.buffers.typed_children.add_child(self.buffers.lowercase_name.as_slice(), self.buffers.stack.len()) } else { 0 };
        let facts = StartTagFacts { input, name: self.buffers.lowercase_name.as_slice(), attributes: &self.buffers.attributes, html: ns == Namespace::Html, child_index, type_index };
        let mut matched: u64 = 0;
        let first_byte_class = byte_class(self.buffers.lowercase_name.as_slice().first().copied().unwrap_or(0));
        let mut candidates = self.program.matcher.candidates[first_byte_class];
        while candidates != 0 {
            let index = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            if matches_here(&self.program.matcher.changes[index], &facts, &self.buffers.stack) {
                matched |= 1 << index;
            }
        }
        let mut overflow: Vec<usize> = Vec::new();
        for (index, change) in self.program.matcher.changes.iter().enumerate().skip(64) {
            if matches_here(change, &facts, &self.buffers.stack) {
                overflow.push(index);
            }
        }
        // Rare: only around `<style a=>`.
        let switches_text_after_empty_value = tag.ends_in_empty_unquoted_value && self.text != TextMode::Data;
        if switches_text_after_empty_value && self.selector_dependent_from.is_none() {
            self.selector_dependent_from = Some(self.consumed + lt as u64);
        }
        if self.unlexed_text_switch.is_some() || switches_text_after_empty_value {
            let after_unlexed_switch = self.unlexed_text_switch.take().is_some();
            let lexed = self.lol_html_lexes_start_tag(&facts, matched != 0 || !overflow.is_empty());
            if after_unlexed_switch && lexed {
                // lol_html's lexer would restart at this tag in the text
                // mode of the tag before, read it as text and run the
                // element's handlers on some later tag.
                self.bail_out(input, copied, lt, UNLEXED_TEXT_SWITCH.to_string());
                return;
            }
            if switches_text_after_empty_value && !lexed {
                self.unlexed_text_switch = Some(self.text);
                self.text = TextMode::Data;
            }
        }
        let is_meta = known & names::META != 0;
        let is_first_head = known & names::HEAD != 0 && !self.head_seen;
        let ancestor_bits = if pushed {
            let mut candidates = self.program.matcher.ancestor_candidates.get(first_byte_class).copied().unwrap_or(0);
            let mut bits = 0u128;
            while candidates != 0 {
                let bit = candidates.trailing_zeros() as usize;
                candidates &= candidates - 1;
                if self.program.matcher.ancestor_compounds[bit].compound().matches(&facts) {
                    bits |= 1 << bit;
                }
            }
            bits
        } else {
            0
        };

        // Handlers in lol_html's order: the charset one, the plan's, the state script's.
        // The tag itself is written in the encoding it was read in, even if
        // it declares another.
        let tag_encoding = self.encoding;
        if is_meta && self.program.adjust_charset && !self.charset_found {
            if let Some(encoding) = meta_charset(input, &self.buffers.attributes, self.encoding) {
                self.charset_found = true;
                self.encoding = encoding;
            }
        }
        let mut takes_state_script = false;
        if is_first_head {
            self.head_seen = true;
            takes_state_script = pushed && self.program.state_script.is_some();
        }
        if matched == 0 && overflow.is_empty() {
            // Nothing to change here: the tag goes out with the bytes around it.
            if pushed {
                self.push_frame(ancestor_bits, None, takes_state_script, false);
            }
            return;
        }

        let element = &mut self.buffers.edit;
        element.reset(pushed, tag.self_closing);
        let indices = (0..self.program.operations.len().min(64)).filter(|i| matched & (1 << i) != 0).chain(overflow);
        for index in indices {
            self.applied += 1;
            let operation = &self.program.operations[index];
            element.apply(operation, input, &self.buffers.attributes, tag_encoding);
        }

        if self.removing == 0 {
            self.copy(input, copied, lt);
            let (out, contents, element) = (&mut self.out, &self.program.contents, &self.buffers.edit);
            let mutations = &element.start;
            for chunk in &mutations.before {
                write_chunk(out, contents, *chunk, tag_encoding);
            }
            if !mutations.removed {
                if element.modified {
                    serialize_start_tag(out, input, tag.name, element, element.self_closing);
                } else {
                    out.extend_from_slice(&input[lt..tag.end]);
                }
            } else {
                for chunk in &mutations.replacement {
                    write_chunk(out, contents, *chunk, tag_encoding);
                }
            }
            for chunk in &mutations.after {
                write_chunk(out, contents, *chunk, tag_encoding);
            }
        }
        *copied = tag.end;
        if pushed {
            let removes = self.buffers.edit.removes_content;
            let end_mutations = self.buffers.edit.end.take().map(Box::new);
            self.push_frame(ancestor_bits, end_mutations, takes_state_script, removes);
            if removes {
                self.removing += 1;
            }
        }
    }

    #[inline(always)]
    fn push_frame(&mut self, ancestor_bits: u128, end_mutations: Option<Box<Mutations>>, takes_state_script: bool, removes_content: bool) {
        let rest_of_name = self.buffers.names.len() as u32;
        let name = self.buffers.lowercase_name.as_slice();
        if name.len() > 8 {
            self.buffers.names.extend_from_slice(&name[8..]);
        }
        self.buffers.stack.push(Frame { name_key: self.buffers.lowercase_name.key(), name_length: name.len() as u32, rest_of_name, children: 0, ancestor_bits, end_mutations, takes_state_script, removes_content });
    }

    fn end_tag(&mut self, input: &[u8], lt: usize, tag: &Tag, copied: &mut usize) {
        self.text = TextMode::Data;
        let name = self.buffers.lowercase_name.as_slice();
        let (names, key, length) = (&self.buffers.names, self.buffers.lowercase_name.key(), name.len() as u32);
        let found = self.buffers.stack.iter().rposition(|f| {
            f.name_key == key && f.name_length == length && (length <= 8 || names[f.rest_of_name as usize..].starts_with(&name[8..]))
        });
        if let Some(text) = self.unlexed_text_switch {
            self.unlexed_text_switch = None;
            // lol_html's lexer, restarting here in the switched-to text mode,
            // still reads the end tag of the switching element as a tag.
            let ends_switched_text = text != TextMode::PlainText && self.buffers.lowercase_name.as_slice() == self.buffers.raw_end_name.as_slice();
            if !ends_switched_text && self.lol_html_lexes_end_tag(found) {
                self.bail_out(input, copied, lt, UNLEXED_TEXT_SWITCH.to_string());
                return;
            }
        }
        self.end_tag_feedback();
        let was_removing = self.removing > 0;
        // The end-tag handlers of the elements it closes run innermost
        // first: each sets the tag's mutations (so the outermost one's win),
        // the head's then adds the state script.
        let mut mutations: Option<Box<Mutations>> = None;
        // The state script goes after `mutations.before` (a handler of an
        // element outside the head, run later, replaces both).
        let mut state_script = None;
        if let Some(index) = found {
            if !matches!(self.program.matcher.counted_types, CountedTypes::None) {
                self.buffers.typed_children.pop_to(index);
            }
            self.buffers.names.truncate(self.buffers.stack[index].rest_of_name as usize);
            for frame in self.buffers.stack.drain(index..).rev() {
                if frame.removes_content {
                    self.removing -= 1;
                }
                if frame.end_mutations.is_some() {
                    mutations = frame.end_mutations;
                    state_script = None;
                }
                if frame.takes_state_script && !self.state_script_inserted {
                    self.state_script_inserted = true;
                    state_script = self.program.state_script;
                }
            }
        }
        if self.removing > 0 {
            *copied = tag.end;
            return;
        }
        if was_removing {
            // Emission resumes with this end tag.
            *copied = lt;
        }
        if mutations.is_none() && state_script.is_none() {
            return;
        }
        self.copy(input, copied, lt);
        let no_mutations = Mutations::default();
        let mutations = mutations.as_deref().unwrap_or(&no_mutations);
        for chunk in mutations.before.iter().chain(&state_script) {
            self.write_chunk(*chunk);
        }
        if !mutations.removed {
            self.out.extend_from_slice(&input[lt..tag.end]);
        } else {
            for chunk in &mutations.replacement {
                self.write_chunk(*chunk);
            }
        }
        for chunk in &mutations.after {
            self.write_chunk(*chunk);
        }
        *copied = tag.end;
    }

    /// Writes inserted content in the page's encoding.
    fn write_chunk(&mut self, chunk: Chunk) {
        write_chunk(&mut self.out, &self.program.contents, chunk, self.encoding);
    }
}

fn write_chunk(out: &mut Vec<u8>, contents: &[Content<'_>], chunk: Chunk, encoding: &'static Encoding) {
    let Some(content) = contents.get(chunk.0 as usize) else { return };
    write_str(out, &content.text, content.escape, encoding);
}

fn write_str(out: &mut Vec<u8>, text: &str, escape: bool, encoding: &'static Encoding) {
    let mut write = |s: &str| {
        if encoding == UTF_8 || s.is_ascii() {
            out.extend_from_slice(s.as_bytes());
        } else {
            out.extend_from_slice(&encoding.encode(s).0);
        }
    };
    if !escape {
        write(text);
        return;
    }
    let mut rest = text;
    while let Some(i) = rest.bytes().position(|c| matches!(c, b'&' | b'<' | b'>')) {
        write(&rest[..i]);
        write(match rest.as_bytes()[i] {
            b'<' => "&lt;",
            b'>' => "&gt;",
            _ => "&amp;",
        });
        rest = &rest[i + 1..];
    }
    write(rest);
}

/// Why the fast rewriter gives up after `<style a=>` (see [`Rewriter::unlexed_text_switch`]).
const UNLEXED_TEXT_SWITCH: &str = "a tag that lol_html lexes follows a text-switching start tag that ends in an empty unquoted attribute value (`<style a=>`) and that it only scanned: lol_html's lexer would read that tag in the wrong text mode";

/// A bail-out reason with where the page was passed through from, for the log.
fn passed_through_from(reason: String, offset: u64) -> String {
    format!("{reason} (the page is passed through as it came from byte {offset})")
}

/// Whether the selector VM needs the attributes of this element for some
/// compound of the change: one with an id, class or attribute test whose
/// tag name fits (or that has none), first in the selector or joined to
/// compounds that match its open ancestors.
fn needs_attributes(change: &Match, element: &StartTagFacts<'_>, stack: &[Frame]) -> bool {
    change.selector.compounds.iter().enumerate().any(|(k, compound)| {
        compound.tests_attributes()
            && compound.name.as_deref().is_none_or(|name| name == element.name)
            && (k == 0 || ancestors_match(change, k - 1, stack))
    })
}

/// Whether lol_html's `LocalNameHash` represents this (lowercased) tag
/// name: letters and the digits 1 to 6, as many as fit 64 bits at 5 bits
/// each. Others it compares as bytes, and its tree builder simulation
/// asks for the whole tag to check them.
fn lol_html_hashes_name(name: &[u8]) -> bool {
    let mut hash: u64 = 0;
    for &c in name {
        if hash >> (64 - 5) != 0 {
            return false;
        }
        let code = match c {
            b'a'..=b'z' => u64::from(c & 0x1f) + 5,
            b'1'..=b'6' => u64::from(c & 0x0f) - 1,
            _ => return false,
        };
        hash = (hash << 5) | code;
    }
    true
}

/// A start tag's facts for selector matching.
struct StartTagFacts<'a> {
    input: &'a [u8],
    name: &'a [u8],
    attributes: &'a [AttributeSpan],
    html: bool,
    child_index: i32,
    type_index: i32,
}

impl ElementFacts for StartTagFacts<'_> {
    fn name(&self) -> &[u8] {
        self.name
    }

    fn attribute(&self, lowercase_name: &[u8]) -> Option<&[u8]> {
        let a = self.attributes.iter().find(|a| self.input[a.name.0..a.name.1].eq_ignore_ascii_case(lowercase_name))?;
        Some(a.value.map_or(&[][..], |v| &self.input[v.0..v.1]))
    }

    fn is_html(&self) -> bool {
        self.html
    }

    fn child_index(&self) -> i32 {
        self.child_index
    }

    fn type_index(&self) -> i32 {
        self.type_index
    }
}

/// lol_html's `TypedChildCounterMap`: for each tag name, how many children
/// of that name the open element at each depth has had, kept only for the
/// depths still open (a counter is dropped when its parent closes). A list,
/// not a map: usually only the one or two names the selectors test are
/// counted (see [`CountedTypes`]).
#[derive(Default)]
struct TypedChildCounters {
    /// Per name: the counters of shallower open depths, and the deepest one.
    by_name: Vec<(Vec<u8>, Vec<TypedCounter>, TypedCounter)>,
}

#[derive(Clone, Copy)]
struct TypedCounter {
    count: i32,
    depth: usize,
}

impl TypedChildCounters {
    /// Counts a child named `name` of the open element at `depth` (the
    /// stack's length: 0 for the document); returns its position among
    /// those, from 1.
    fn add_child(&mut self, name: &[u8], depth: usize) -> i32 {
        let first = TypedCounter { count: 1, depth };
        match self.by_name.iter_mut().find(|(n, ..)| n == name) {
            None => {
                self.by_name.push((name.to_vec(), Vec::new(), first));
                1
            }
            Some((_, outer, current)) => {
                if current.depth == depth {
                    current.count = current.count.saturating_add(1);
                } else {
                    outer.push(std::mem::replace(current, first));
                }
                current.count
            }
        }
    }

    /// Drops the counters of depths deeper than `depth` (the stack is
    /// being cut to `depth` elements).
    fn pop_to(&mut self, depth: usize) {
        self.by_name.retain_mut(|(_, outer, current)| {
            while current.depth > depth {
                match outer.pop() {
                    Some(next) => *current = next,
                    None => return false,
                }
            }
            true
        });
    }
}

/// Whether the change's selector matches the element about to be opened,
/// whose open ancestors are `stack`.
fn matches_here(change: &Match, element: &StartTagFacts<'_>, stack: &[Frame]) -> bool {
    let compounds = &change.selector.compounds;
    let Some(last) = compounds.last() else { return false };
    if !last.matches(element) {
        return false;
    }
    compounds.len() == 1 || ancestors_match(change, compounds.len() - 2, stack)
}

/// Whether compounds `..=k` match ancestors among `stack` (the candidates
/// for compound `k`, joined to `k + 1` by `combinators[k]`).
fn ancestors_match(change: &Match, k: usize, stack: &[Frame]) -> bool {
    let bit = 1u128 << change.ancestor_bits[k];
    match change.selector.combinators[k] {
        Combinator::Child => match stack.split_last() {
            Some((parent, above)) => parent.ancestor_bits & bit != 0 && (k == 0 || ancestors_match(change, k - 1, above)),
            None => false,
        },
        Combinator::Descendant => {
            (0..stack.len()).rev().any(|j| stack[j].ancestor_bits & bit != 0 && (k == 0 || ancestors_match(change, k - 1, &stack[..j])))
        }
    }
}

/// One element's changes as lol_html's `Element` records them. The
/// rewriter keeps one and clears it for the next element, so that changing
/// an element allocates nothing once its buffers have grown (on small pages
/// allocation was most of what a change cost).
#[derive(Default)]
struct ElementEdit {
    can_have_content: bool,
    self_closing: bool,
    start: Mutations,
    end: Option<Mutations>,
    /// The attributes, once an operation looked at them as a list
    /// (`attributes_listed`).
    attributes: Vec<EditedAttribute>,
    attributes_listed: bool,
    /// Names and values of new attributes, and text being built.
    bytes: Vec<u8>,
    /// An attribute was set or removed: the start tag is re-serialized.
    modified: bool,
    removes_content: bool,
}

impl Mutations {
    fn clear(&mut self) {
        self.before.clear();
        self.replacement.clear();
        self.after.clear();
        self.removed = false;
    }
}

impl ElementEdit {
    fn reset(&mut self, can_have_content: bool, self_closing: bool) {
        self.can_have_content = can_have_content;
        self.self_closing = self_closing;
        self.start.clear();
        self.end = None;
        self.attributes.clear();
        self.attributes_listed = false;
        self.bytes.clear();
        self.modified = false;
        self.removes_content = false;
    }

    fn remove_content(&mut self) {
        self.start.after.clear();
        if let Some(end) = &mut self.end {
            end.before.clear();
        }
        self.removes_content = true;
    }

    fn end(&mut self) -> &mut Mutations {
        self.end.get_or_insert_with(Mutations::default)
    }

    fn apply(&mut self, operation: &Operation, input: &[u8], spans: &[AttributeSpan], encoding: &'static Encoding) {
        match operation {
            Operation::Inner(chunk) => {
                if self.can_have_content {
                    self.self_closing = false;
                    self.remove_content();
                    self.start.after.insert(0, *chunk);
                }
            }
            Operation::SetAttributes(pairs) => {
                for (name, value) in pairs.iter() {
                    self.set_attribute(name.as_bytes(), value, input, spans, encoding);
                }
            }
            Operation::RemoveAttributes(names) => {
                for name in names.iter() {
                    let name = name.as_bytes();
                    if !valid_attribute_name(name, encoding) {
                        continue;
                    }
                    self.list_attributes(spans);
                    let before = self.attributes.len();
                    let bytes = &self.bytes;
                    self.attributes.retain(|a| !edited_name(a, input, bytes).eq_ignore_ascii_case(name));
                    if self.attributes.len() != before {
                        self.modified = true;
                    }
                }
            }
            Operation::AddClass(add) => {
                let current = self.attribute_string(b"class", input, spans, encoding).unwrap_or_default();
                let value = edit_classes(&current, add, &[]);
                self.set_attribute(b"class", &value, input, spans, encoding);
            }
            Operation::RemoveClass(remove) => {
                if let Some(current) = self.attribute_string(b"class", input, spans, encoding) {
                    let value = edit_classes(&current, &[], remove);
                    self.set_attribute(b"class", &value, input, spans, encoding);
                }
            }
            Operation::Before(chunk) => self.start.before.push(*chunk),
            Operation::After(chunk) => {
                if self.can_have_content {
                    self.end().after.insert(0, *chunk);
                } else {
                    self.start.after.insert(0, *chunk);
                }
            }
            Operation::Prepend(chunk) => {
                if self.can_have_content {
                    self.self_closing = false;
                    self.start.after.insert(0, *chunk);
                }
            }
            Operation::Append(chunk) => {
                if self.can_have_content {
                    self.self_closing = false;
                    self.end().before.push(*chunk);
                }
            }
            Operation::Replace(chunk) => {
                self.start.removed = true;
                self.start.replacement.clear();
                self.start.replacement.push(*chunk);
                if self.can_have_content {
                    self.remove_content();
                    self.end().removed = true;
                }
            }
            Operation::Remove => {
                self.start.removed = true;
                if self.can_have_content {
                    self.remove_content();
                    self.end().removed = true;
                }
            }
        }
    }

    fn list_attributes(&mut self, spans: &[AttributeSpan]) {
        if !self.attributes_listed {
            self.attributes_listed = true;
            self.attributes.extend(spans.iter().map(|s| EditedAttribute::Raw(*s)));
        }
    }

    /// The first attribute of that name, decoded as lol_html decodes it.
    fn attribute_string<'a>(&'a self, name: &[u8], input: &'a [u8], spans: &[AttributeSpan], encoding: &'static Encoding) -> Option<Cow<'a, str>> {
        let bytes: &[u8] = if self.attributes_listed {
            match self.attributes.iter().find(|a| edited_name(a, input, &self.bytes).eq_ignore_ascii_case(name))? {
                EditedAttribute::Raw(span) => span.value.map_or(&[][..], |v| &input[v.0..v.1]),
                EditedAttribute::New { value, .. } => &self.bytes[value.0..value.1],
            }
        } else {
            let span = spans.iter().find(|s| input[s.name.0..s.name.1].eq_ignore_ascii_case(name))?;
            span.value.map_or(&[][..], |v| &input[v.0..v.1])
        };
        Some(encoding.decode(bytes).0)
    }

    /// Sets attribute `name` (matched ASCII-case-insensitively; a new one is
    /// named in lowercase) to `value`, with `&` written as `&amp;` as
    /// lol_html's `set_attribute` does.
    fn set_attribute(&mut self, name: &[u8], value: &str, input: &[u8], spans: &[AttributeSpan], encoding: &'static Encoding) {
        if !valid_attribute_name(name, encoding) {
            return;
        }
        self.list_attributes(spans);
        let value_start = self.bytes.len();
        let mut rest = value.as_bytes();
        if encoding == UTF_8 {
            while let Some(i) = memchr(b'&', rest) {
                self.bytes.extend_from_slice(&rest[..i]);
                self.bytes.extend_from_slice(b"&amp;");
                rest = &rest[i + 1..];
            }
            self.bytes.extend_from_slice(rest);
        } else {
            self.bytes.extend_from_slice(&encoding.encode(&value.replace('&', "&amp;")).0);
        }
        let value = (value_start, self.bytes.len());
        let bytes = &self.bytes;
        match self.attributes.iter().position(|a| edited_name(a, input, bytes).eq_ignore_ascii_case(name)) {
            Some(index) => {
                // The name keeps its case as it was written.
                let name = match self.attributes[index] {
                    EditedAttribute::Raw(span) => {
                        let start = self.bytes.len();
                        self.bytes.extend_from_slice(&input[span.name.0..span.name.1]);
                        (start, self.bytes.len())
                    }
                    EditedAttribute::New { name, .. } => name,
                };
                self.attributes[index] = EditedAttribute::New { name, value };
            }
            None => {
                let start = self.bytes.len();
                self.bytes.extend(name.iter().map(u8::to_ascii_lowercase));
                self.attributes.push(EditedAttribute::New { name: (start, self.bytes.len()), value });
            }
        }
        self.modified = true;
    }
}

fn edited_name<'a>(attribute: &EditedAttribute, input: &'a [u8], bytes: &'a [u8]) -> &'a [u8] {
    match attribute {
        EditedAttribute::Raw(span) => &input[span.name.0..span.name.1],
        EditedAttribute::New { name, .. } => &bytes[name.0..name.1],
    }
}

/// lol_html refuses (and ignores) attribute names it could not write.
fn valid_attribute_name(name: &[u8], encoding: &'static Encoding) -> bool {
    if name.is_empty() || name.iter().any(|&c| matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b'\x0c' | b'/' | b'>' | b'=')) {
        return false;
    }
    if encoding == UTF_8 || name.is_ascii() {
        return true;
    }
    let Ok(name) = std::str::from_utf8(name) else { return false };
    !encoding.encode(name).2
}

/// A changed start tag as lol_html writes it.
fn serialize_start_tag(out: &mut Vec<u8>, input: &[u8], name: (usize, usize), element: &ElementEdit, self_closing: bool) {
    let attributes = &element.attributes;
    out.push(b'<');
    out.extend_from_slice(&input[name.0..name.1]);
    for attribute in attributes {
        out.push(b' ');
        match *attribute {
            EditedAttribute::Raw(span) => out.extend_from_slice(&input[span.raw.0..span.raw.1]),
            EditedAttribute::New { name, value } => {
                out.extend_from_slice(&element.bytes[name.0..name.1]);
                out.extend_from_slice(b"=\"");
                let mut rest = &element.bytes[value.0..value.1];
                while let Some(i) = memchr(b'"', rest) {
                    out.extend_from_slice(&rest[..i]);
                    out.extend_from_slice(b"&quot;");
                    rest = &rest[i + 1..];
                }
                out.extend_from_slice(rest);
                out.push(b'"');
            }
        }
    }
    if self_closing {
        if !attributes.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(b"/>");
    } else {
        out.push(b'>');
    }
}

/// The encoding a `<meta>` declares, as lol_html reads it.
fn meta_charset(input: &[u8], spans: &[AttributeSpan], encoding: &'static Encoding) -> Option<&'static Encoding> {
    let get = |name: &[u8]| -> Option<Cow<'_, str>> {
        let span = spans.iter().find(|s| input[s.name.0..s.name.1].eq_ignore_ascii_case(name))?;
        Some(encoding.decode(span.value.map_or(&[][..], |v| &input[v.0..v.1])).0)
    };
    let ascii_compatible = |e: &'static Encoding| e.is_ascii_compatible().then_some(e);
    if let Some(found) = get(b"charset").and_then(|cs| Encoding::for_label_no_replacement(cs.as_bytes())).and_then(ascii_compatible) {
        return Some(found);
    }
    let http_equiv = get(b"http-equiv")?;
    if !http_equiv.eq_ignore_ascii_case("Content-Type") {
        return None;
    }
    let mime: mime::Mime = get(b"content")?.parse().ok()?;
    let charset = mime.get_param("charset")?;
    Encoding::for_label_no_replacement(charset.as_str().as_bytes()).and_then(ascii_compatible)
}

pub(super) fn is_whitespace(c: u8) -> bool {
    BYTE_CLASS[c as usize] & WHITESPACE != 0
}

const WHITESPACE: u8 = 1;
/// Ends a tag name: whitespace, `/`, `>`.
const ENDS_TAG_NAME: u8 = 2;
/// Ends an attribute name: those and `=`.
const ENDS_ATTRIBUTE_NAME: u8 = 4;
/// Ends an unquoted attribute value: whitespace and `>`.
const ENDS_UNQUOTED_VALUE: u8 = 8;

/// The lexer's byte classes, one lookup per byte in its loops.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let whitespace = [b' ', b'\n', b'\r', b'\t', b'\x0c'];
    let mut i = 0;
    while i < whitespace.len() {
        table[whitespace[i] as usize] = WHITESPACE | ENDS_TAG_NAME | ENDS_ATTRIBUTE_NAME | ENDS_UNQUOTED_VALUE;
        i += 1;
    }
    table[b'/' as usize] = ENDS_TAG_NAME | ENDS_ATTRIBUTE_NAME;
    table[b'>' as usize] = ENDS_TAG_NAME | ENDS_ATTRIBUTE_NAME | ENDS_UNQUOTED_VALUE;
    table[b'=' as usize] = ENDS_ATTRIBUTE_NAME;
    table
};

fn is(c: u8, class: u8) -> bool {
    BYTE_CLASS[c as usize] & class != 0
}

/// Whether `bytes` starts with `prefix`; `None` if it is a prefix of it
/// (the input ends before it can tell).
fn starts_with(bytes: &[u8], prefix: &[u8], ignore_case: bool) -> Option<bool> {
    let n = bytes.len().min(prefix.len());
    let same = if ignore_case { bytes[..n].eq_ignore_ascii_case(&prefix[..n]) } else { bytes[..n] == prefix[..n] };
    if !same {
        Some(false)
    } else if n == prefix.len() {
        Some(true)
    } else {
        None
    }
}

/// lol_html's check for the word `script` in escaped script data: `None`
/// if the input ends first, else how many bytes it takes (0 when it is not
/// there, 6 for `script` followed by anything else) and whether it is the
/// whole word (then 7, the delimiter included).
fn script_word(bytes: &[u8]) -> Option<(usize, bool)> {
    match starts_with(bytes, b"script", true)? {
        false => Some((0, false)),
        true => match bytes.get(6) {
            None => None,
            Some(&c) if is(c, ENDS_TAG_NAME) => Some((7, true)),
            Some(_) => Some((6, false)),
        },
    }
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(&haystack[from..], needle).map(|i| from + i)
}

fn causes_foreign_content_exit(name: &[u8]) -> bool {
    matches!(
        name,
        b"b" | b"big" | b"blockquote" | b"body" | b"br" | b"center" | b"code" | b"dd" | b"div" | b"dl" | b"dt" | b"em" | b"embed"
            | b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" | b"head" | b"hr" | b"i" | b"img" | b"li" | b"listing" | b"menu"
            | b"meta" | b"nobr" | b"ol" | b"p" | b"pre" | b"ruby" | b"s" | b"small" | b"span" | b"strong" | b"strike" | b"sub"
            | b"sup" | b"table" | b"tt" | b"u" | b"ul" | b"var"
    )
}

#[cfg(test)]
mod tests {
    use super::super::{Engine, PageRewriter};
    use super::lol_html_hashes_name;
    use crate::model::Action;
    use crate::plan::{Plan, PlannedChange};

    fn plan(changes: &[(&str, Action<String>)]) -> Plan {
        let changes = changes.iter().map(|(selector, action)| PlannedChange { campaign: 0, selector: selector.to_string(), action: action.clone() });
        Plan { redirect: None, changes: changes.collect() }
    }

    /// The page rewritten whole, and why the rewriter gave up, if it did.
    fn rewrite(page: &str, plan: &Plan, engine: Engine) -> (String, Option<String>) {
        let Ok(mut rewriter) = PageRewriter::with_engine(plan, None, None, engine) else { panic!("the engine takes the plan") };
        let mut out = rewriter.push(page.as_bytes());
        let (rest, reason) = rewriter.finish();
        out.extend(rest);
        (String::from_utf8_lossy(&out).into_owned(), reason)
    }

    #[test]
    fn end_tags_find_long_names_that_share_eight_bytes() {
        let page = "<Custom-Element-A><custom-element-b><p>x</CUSTOM-ELEMENT-A>y</custom-element-b><custom-element-bb>z</custom-element-b></custom-element-bb><blockquote><p>z</blockquote>";
        let change = plan(&[("p", Action::Append("!".to_string())), ("custom-element-a", Action::Append("A".to_string())), ("custom-element-bb", Action::Append("B".to_string()))]);
        let fast = rewrite(page, &change, Engine::Fast);
        assert_eq!(fast, rewrite(page, &change, Engine::LolHtml));
        assert_eq!(fast.0, "<Custom-Element-A><custom-element-b><p>xA</CUSTOM-ELEMENT-A>y</custom-element-b><custom-element-bb>z</custom-element-b>B</custom-element-bb><blockquote><p>z!</blockquote>");
    }

    #[test]
    fn plans_after_other_plans_on_one_thread_rewrite_as_alone() {
        // Lists of selectors of the same lengths, in other orders, the same
        // lists with other texts, and more lists than a thread keeps (16).
        let page = "<html><head><title>t</title></head><body><h1>h</h1><p class=a>p</p><ul><li>1</li><li>2</li></ul></body></html>";
        const LISTS: [[&str; 3]; 8] = [
            ["h1", "ul", "p.a"],
            ["ul", "h1", "p.a"],
            ["title", "p.a", "h1"],
            ["ul li", "p.a", "h1"],
            ["li:nth-of-type(2)", "h1", "ul"],
            ["li:nth-of-type(1)", "h1", "ul"],
            ["body > p", "ul li", "title"],
            ["body > p", "title", "ul li"],
        ];
        let plan_of = |k: usize| {
            let other = format!("#n{k}");
            let list = LISTS.get(k % 24).copied().unwrap_or([LISTS[k % 8][0], LISTS[k % 8][1], &other]);
            plan(&[(list[0], Action::Text(format!("{k}"))), (list[1], Action::AddClass(vec![format!("c{k}")])), (list[2], Action::Append(format!("<i>{k}</i>")))])
        };
        let plans: Vec<usize> = (0..48).chain((0..48).rev()).chain([3, 3, 2, 11, 3]).collect();
        let alone: Vec<_> = plans.iter().map(|&k| std::thread::spawn(move || rewrite(page, &plan_of(k), Engine::Fast)).join().ok()).collect();
        let one_thread = std::thread::spawn(move || plans.iter().map(|&k| Some(rewrite(page, &plan_of(k), Engine::Fast))).collect::<Vec<_>>()).join().ok();
        assert_eq!(one_thread, Some(alone));
    }

    #[test]
    fn a_rewriter_starts_clean_with_the_buffers_of_the_one_before() {
        // Each page on its own thread, with new buffers...
        let alone = |page: &'static str, plan: Plan| std::thread::spawn(move || rewrite(page, &plan, Engine::Fast)).join().ok();
        let changes = || plan(&[("div > p", Action::AddClass(vec!["x".to_string()])), ("svg title", Action::Text("T".to_string())), ("li:nth-of-type(2)", Action::Remove)]);
        let first = "<ul><li>1<div><svg><g><p a='";
        let second = "<ul><li>1</li><li>2</li></ul><title>s</title><div><p>p</p></div>";
        let expected = alone(second, changes());
        assert_eq!(expected.as_ref().map(|(page, _)| page.as_str()), Some("<ul><li>1</li></ul><title>s</title><div><p class=\"x\">p</p></div>"));
        // ...and after a page that left elements open, a namespace, a
        // tag cut off and counters of `<li>` behind, on one thread.
        let first_and_second = std::thread::spawn(move || {
            let _ = rewrite(first, &changes(), Engine::Fast);
            rewrite(second, &changes(), Engine::Fast)
        });
        assert_eq!(first_and_second.join().ok(), expected);
    }

    #[test]
    fn an_unlexed_text_switch_ending_in_a_bare_equals_sign_reads_on_as_markup() {
        // No selector needs `<title a=>`: lol_html only scans it and reads
        // on in the data state, so `<b>` is an element, not title text.
        let page = "<title a=><i></i><b>x</b></title>";
        let change = plan(&[("b", Action::Text("B".to_string()))]);
        let fast = rewrite(page, &change, Engine::Fast);
        assert_eq!(fast, (String::from("<title a=><i></i><b>B</b></title>"), None));
        assert_eq!(fast, rewrite(page, &change, Engine::LolHtml));
    }

    #[test]
    fn a_lexed_text_switch_ending_in_a_bare_equals_sign_switches() {
        // A selector needs the `<title>`'s attributes: lol_html lexes it and
        // the title's text follows, where `<b>` is text.
        let page = "<title a=><b>x</b></title><b>y</b>";
        let change = plan(&[("title[lang]", Action::Remove), ("b", Action::Text("B".to_string()))]);
        let fast = rewrite(page, &change, Engine::Fast);
        assert_eq!(fast, (String::from("<title a=><b>x</b></title><b>B</b>"), None));
        assert_eq!(fast, rewrite(page, &change, Engine::LolHtml));
    }

    #[test]
    fn a_lexed_tag_after_an_unlexed_text_switch_passes_the_rest_through() {
        // lol_html would lex `<b>` in the title's text mode: the fast
        // rewriter gives up there instead of following it.
        let page = "<p>a</p><title a=><b>x</b><p>b</p>";
        let change = plan(&[("b", Action::Remove), ("p", Action::Remove)]);
        let (out, reason) = rewrite(page, &change, Engine::Fast);
        assert_eq!(out, "<title a=><b>x</b><p>b</p>");
        assert!(reason.is_some_and(|r| r.contains("`<style a=>`") && r.ends_with("from byte 18)")));
    }

    #[test]
    fn an_ambiguous_start_tag_cut_off_by_the_end_passes_through() {
        // lol_html gives up once the name `style` ends, and loses the rest.
        let page = "<p>a</p><select><style ";
        let change = plan(&[("p", Action::Remove)]);
        let (out, reason) = rewrite(page, &change, Engine::Fast);
        assert_eq!(out, "<select><style ");
        assert!(reason.is_some_and(|r| r.contains("`<style>`") && r.ends_with("from byte 16)")));
        assert!(rewrite(page, &change, Engine::LolHtml).1.is_some(), "lol_html gives up too");
        // Without the space the name may go on: lol_html does not give up.
        assert_eq!(rewrite("<select><style", &change, Engine::Fast), (String::from("<select><style"), None));
    }

    #[test]
    fn tag_names_hash_as_lol_html_hashes_them() {
        for hashed in ["a", "h1", "h6", "blockquote", "foreignobject", "abcdefghijklm"] {
            assert!(lol_html_hashes_name(hashed.as_bytes()), "{hashed}");
        }
        for not in ["annotation-xml", "h7", "x_y", "é", "klmnopqrstuvw", "abcdefghijklmn"] {
            assert!(!lol_html_hashes_name(not.as_bytes()), "{not}");
        }
    }
}
