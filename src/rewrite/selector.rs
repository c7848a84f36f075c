//! The selectors the fast rewriter matches by itself, and how they match.
//!
//! Only a subset: type selectors and `*`, `#id`, `.class`, attribute tests,
//! `:first-child`, `:nth-child(an+b)`, `:first-of-type` and
//! `:nth-of-type(an+b)`, compounds of these, joined by descendant (` `) and
//! child (`>`) combinators. That covers what marketers write (`#hero h1`,
//! `.promo`, `a[href^="https://"]`, `nav li:first-child a`); anything else
//! (`:not()`, `+`, selector lists, escapes, `i` flags) makes [`parse`] return
//! `None` and the page goes through lol_html instead. Matching follows lol_html (through the
//! `selectors` crate) exactly: names compare ASCII-case-insensitively, ids
//! and classes case-sensitively, attribute values raw (no character
//! references decoded), case-insensitively only for the HTML attributes the
//! HTML standard lists, and only on HTML elements.

use super::fast::is_whitespace;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// A selector: compounds from left to right and the combinator before each
/// but the first (`combinators[i]` joins `compounds[i]` and `compounds[i + 1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Selector {
    pub compounds: Vec<Compound>,
    pub combinators: Vec<Combinator>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Combinator {
    Descendant,
    Child,
}

/// One element's tests, all of which must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Compound {
    /// ASCII-lowercased; `None` for `*` or no type selector.
    pub name: Option<Vec<u8>>,
    pub ids: Vec<Vec<u8>>,
    pub classes: Vec<Vec<u8>>,
    pub attributes: Vec<AttributeTest>,
    /// `:nth-child`/`:nth-of-type` tests (`:first-child` is `:nth-child(1)`).
    pub positions: Vec<Position>,
}

/// `:nth-child(an+b)` or, `of_type`, `:nth-of-type(an+b)`: the element is
/// the `a*n + b`-th (for some `n >= 0`) element child of its parent, or of
/// its parent's children of its name, counting from 1 as lol_html counts
/// (the elements of its stack, see `fast.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    pub of_type: bool,
    pub step: i32,
    pub offset: i32,
}

impl Position {
    /// lol_html's `NthChild::has_index`.
    fn has_index(self, index: i32) -> bool {
        let offsetted = index.wrapping_sub(self.offset);
        if self.step == 0 {
            offsetted == 0
        } else if (offsetted < 0 && self.step > 0) || (offsetted > 0 && self.step < 0) {
            false
        } else {
            offsetted.wrapping_rem(self.step) == 0
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AttributeTest {
    /// ASCII-lowercased.
    pub name: Vec<u8>,
    pub operator: Operator,
    pub value: Vec<u8>,
    /// Whether the value compares ASCII-case-insensitively on HTML elements.
    pub html_case_insensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operator {
    Exists,
    Equals,
    /// `~=`: one of the whitespace-separated words.
    Includes,
    /// `|=`: equal, or followed by `-`.
    DashMatch,
    Prefix,
    Suffix,
    Substring,
}

/// The attribute values that compare case-insensitively on HTML elements
/// (<https://html.spec.whatwg.org/multipage/semantics-other.html#case-sensitivity-of-selectors>),
/// the list the `selectors` crate uses.
const CASE_INSENSITIVE_ATTRIBUTES: &[&str] = &[
    "accept", "accept-charset", "align", "alink", "axis", "bgcolor", "charset", "checked", "clear", "codetype", "color",
    "compact", "declare", "defer", "dir", "direction", "disabled", "enctype", "face", "frame", "hreflang", "http-equiv",
    "lang", "language", "link", "media", "method", "multiple", "nohref", "noresize", "noshade", "nowrap", "readonly",
    "rel", "rev", "rules", "scope", "scrolling", "selected", "shape", "target", "text", "type", "valign", "valuetype",
    "vlink",
];

/// Selectors parsed so far on this thread (the worker's isolate, the CLI),
/// at most this many: a rule set has a fixed list of selectors, so every
/// page after the first finds its plan's selectors here. Parsing them again
/// for each page cost about as much as rewriting a 4 KB page.
const CACHED_SELECTORS: usize = 512;

thread_local! {
    static PARSED: RefCell<HashMap<Box<str>, Option<Rc<Selector>>, BuildHasherDefault<Fnv>>> = RefCell::new(HashMap::default());
}

/// FNV-1a for the cache's keys: short selectors the rule author wrote, not
/// input an attacker picks, so no keyed hash is needed, and SipHash cost
/// as much per page as a small change.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// [`parse`], remembered per thread (the answer `None` too, so a plan
/// outside the subset is not parsed again either). When the cache is full,
/// it starts over: rule sets have far fewer selectors, so only a caller
/// that makes up selectors per page gets there, and it then pays what
/// [`parse`] costs.
pub(super) fn parse_cached(source: &str) -> Option<Rc<Selector>> {
    // `try_with`: while the thread ends there is no cache, only parsing.
    PARSED
        .try_with(|parsed| {
            let Ok(mut parsed) = parsed.try_borrow_mut() else { return parse(source).map(Rc::new) };
            if let Some(selector) = parsed.get(source) {
                return selector.clone();
            }
            if parsed.len() >= CACHED_SELECTORS {
                parsed.clear();
            }
            let selector = parse(source).map(Rc::new);
            parsed.insert(source.into(), selector.clone());
            selector
        })
        .unwrap_or_else(|_| parse(source).map(Rc::new))
}

/// Parses a selector of the subset; `None` for anything outside it.
pub(super) fn parse(source: &str) -> Option<Selector> {
    let mut parser = Parser { s: source.as_bytes(), i: 0 };
    parser.skip_whitespace();
    let mut compounds = vec![parser.compound()?];
    let mut combinators = Vec::new();
    loop {
        let had_space = parser.skip_whitespace();
        match parser.peek() {
            None => break,
            Some(b'>') => {
                parser.i += 1;
                parser.skip_whitespace();
                combinators.push(Combinator::Child);
            }
            Some(_) if had_space => combinators.push(Combinator::Descendant),
            Some(_) => return None,
        }
        compounds.push(parser.compound()?);
    }
    Some(Selector { compounds, combinators })
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_whitespace(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')) {
            self.i += 1;
        }
        self.i > start
    }

    /// A CSS identifier without escapes; `None` if there is none here.
    fn identifier(&mut self) -> Option<Vec<u8>> {
        let start = self.i;
        let starts_name = |c: u8| c.is_ascii_alphabetic() || c == b'_' || c >= 0x80;
        match (self.s.get(self.i).copied(), self.s.get(self.i + 1).copied()) {
            (Some(c), _) if starts_name(c) => {}
            (Some(b'-'), Some(c)) if starts_name(c) => self.i += 1,
            _ => return None,
        }
        self.i += 1;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c >= 0x80) {
            self.i += 1;
        }
        Some(self.s[start..self.i].to_vec())
    }

    fn compound(&mut self) -> Option<Compound> {
        let mut compound = Compound::default();
        let mut any = false;
        if self.peek() == Some(b'*') {
            self.i += 1;
            any = true;
        } else if let Some(name) = self.identifier() {
            compound.name = Some(name.to_ascii_lowercase());
            any = true;
        }
        loop {
            match self.peek() {
                Some(b'#') => {
                    self.i += 1;
                    compound.ids.push(self.identifier()?);
                }
                Some(b'.') => {
                    self.i += 1;
                    compound.classes.push(self.identifier()?);
                }
                Some(b'[') => {
                    self.i += 1;
                    compound.attributes.push(self.attribute()?);
                }
                Some(b':') => {
                    self.i += 1;
                    compound.positions.push(self.position()?);
                }
                _ => break,
            }
            any = true;
        }
        any.then_some(compound)
    }

    /// A pseudo-class after its `:`, of those lol_html supports that only
    /// count siblings.
    fn position(&mut self) -> Option<Position> {
        let name = self.identifier()?.to_ascii_lowercase();
        let (of_type, argument) = match name.as_slice() {
            b"first-child" => return Some(Position { of_type: false, step: 0, offset: 1 }),
            b"first-of-type" => return Some(Position { of_type: true, step: 0, offset: 1 }),
            b"nth-child" => (false, true),
            b"nth-of-type" => (true, true),
            _ => (false, false),
        };
        if !argument || self.peek()? != b'(' {
            return None;
        }
        self.i += 1;
        self.skip_whitespace();
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'-') {
            self.i += 1;
        }
        let (step, offset) = an_plus_b(&self.s[start..self.i])?;
        self.skip_whitespace();
        if self.peek()? != b')' {
            return None;
        }
        self.i += 1;
        Some(Position { of_type, step, offset })
    }

    fn attribute(&mut self) -> Option<AttributeTest> {
        self.skip_whitespace();
        let name = self.identifier()?.to_ascii_lowercase();
        self.skip_whitespace();
        let operator = match self.peek()? {
            b']' => {
                self.i += 1;
                return Some(AttributeTest { name, operator: Operator::Exists, value: Vec::new(), html_case_insensitive: false });
            }
            b'=' => Operator::Equals,
            first => {
                if self.s.get(self.i + 1) != Some(&b'=') {
                    return None;
                }
                self.i += 1;
                match first {
                    b'~' => Operator::Includes,
                    b'|' => Operator::DashMatch,
                    b'^' => Operator::Prefix,
                    b'$' => Operator::Suffix,
                    b'*' => Operator::Substring,
                    _ => return None,
                }
            }
        };
        self.i += 1;
        self.skip_whitespace();
        let value = match self.peek()? {
            quote @ (b'"' | b'\'') => {
                let start = self.i + 1;
                let end = start + self.s[start..].iter().position(|&c| c == quote)?;
                let value = &self.s[start..end];
                if value.iter().any(|&c| c == b'\\' || c == b'\n' || c == b'\r' || c == b'\x0c') {
                    return None;
                }
                self.i = end + 1;
                value.to_vec()
            }
            _ => self.identifier()?,
        };
        self.skip_whitespace();
        if self.peek()? != b']' {
            return None;
        }
        self.i += 1;
        let html_case_insensitive = CASE_INSENSITIVE_ATTRIBUTES.iter().any(|a| a.as_bytes() == name.as_slice());
        Some(AttributeTest { name, operator, value, html_case_insensitive })
    }
}

/// `an+b` as CSS writes it, in the forms without inner whitespace: `odd`,
/// `even`, `b`, `an`, `an+b`, `an-b` (`a` may be empty, `+` or `-`). The
/// rest of CSS's grammar (`2n + 1`) is left to lol_html.
fn an_plus_b(text: &[u8]) -> Option<(i32, i32)> {
    if text.eq_ignore_ascii_case(b"odd") {
        return Some((2, 1));
    }
    if text.eq_ignore_ascii_case(b"even") {
        return Some((2, 0));
    }
    let integer = |digits: &[u8], negative: bool| -> Option<i32> {
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let value = std::str::from_utf8(digits).ok()?.parse::<i32>().ok()?;
        Some(if negative { -value } else { value })
    };
    let signed = |text: &[u8]| -> Option<i32> {
        match text.split_first()? {
            (b'+', rest) => integer(rest, false),
            (b'-', rest) => integer(rest, true),
            _ => integer(text, false),
        }
    };
    let Some(n) = text.iter().position(|&c| c == b'n' || c == b'N') else { return Some((0, signed(text)?)) };
    let step = match &text[..n] {
        b"" | b"+" => 1,
        b"-" => -1,
        a => signed(a)?,
    };
    let offset = match &text[n + 1..] {
        b"" => 0,
        b @ [b'+' | b'-', ..] => signed(b)?,
        _ => return None,
    };
    Some((step, offset))
}

/// What a compound needs to know of an element.
pub(super) trait ElementFacts {
    /// The ASCII-lowercased tag name.
    fn name(&self) -> &[u8];
    /// The raw value of the first attribute of that (lowercase) name; empty
    /// for an attribute without a value.
    fn attribute(&self, lowercase_name: &[u8]) -> Option<&[u8]>;
    fn is_html(&self) -> bool;
    /// Its position among its parent's element children, from 1.
    fn child_index(&self) -> i32;
    /// Its position among its parent's element children of its name, from 1.
    fn type_index(&self) -> i32;
}

impl Compound {
    /// Whether it tests ids, classes or attributes, not only the tag name.
    pub fn tests_attributes(&self) -> bool {
        !self.ids.is_empty() || !self.classes.is_empty() || !self.attributes.is_empty()
    }

    pub fn matches(&self, element: &impl ElementFacts) -> bool {
        if let Some(name) = &self.name {
            if element.name() != name.as_slice() {
                return false;
            }
        }
        if !self.ids.is_empty() {
            let Some(id) = element.attribute(b"id") else { return false };
            if self.ids.iter().any(|wanted| wanted.as_slice() != id) {
                return false;
            }
        }
        if !self.classes.is_empty() {
            let Some(class) = element.attribute(b"class") else { return false };
            let has = |wanted: &Vec<u8>| class.split(|&c| is_whitespace(c)).any(|c| c == wanted.as_slice());
            if !self.classes.iter().all(has) {
                return false;
            }
        }
        self.attributes.iter().all(|test| test.matches(element))
            && self.positions.iter().all(|p| p.has_index(if p.of_type { element.type_index() } else { element.child_index() }))
    }
}

impl AttributeTest {
    fn matches(&self, element: &impl ElementFacts) -> bool {
        let Some(actual) = element.attribute(&self.name) else { return false };
        let insensitive = self.html_case_insensitive && element.is_html();
        let eq = |a: &[u8], b: &[u8]| if insensitive { a.eq_ignore_ascii_case(b) } else { a == b };
        let wanted = self.value.as_slice();
        match self.operator {
            Operator::Exists => true,
            Operator::Equals => eq(actual, wanted),
            // lol_html's compiler drops the empty-value forms: they never match.
            _ if wanted.is_empty() => false,
            Operator::Includes => actual.split(|&c| is_whitespace(c)).any(|part| eq(part, wanted)),
            Operator::DashMatch => {
                eq(actual, wanted) || (actual.get(wanted.len()) == Some(&b'-') && eq(&actual[..wanted.len()], wanted))
            }
            Operator::Prefix => actual.len() >= wanted.len() && eq(&actual[..wanted.len()], wanted),
            Operator::Suffix => actual.len() >= wanted.len() && eq(&actual[actual.len() - wanted.len()..], wanted),
            Operator::Substring => actual.windows(wanted.len()).any(|w| eq(w, wanted)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subset_parses_and_the_rest_does_not() {
        for ok in ["h1", "#hero h1", "div#spec-container > h1", "a[href^=\"https://twitter.com\"]", "*", "body *", "[data-x]", ".a.b", "ul  li>a", "form button[type=submit]", "x-widget", "-foo"] {
            assert!(parse(ok).is_some(), "{ok}");
        }
        for no in ["", "a,b", "a + b", "a ~ b", "li:last-child", "p:not(.a)", "li:nth-child(2n + 1)", "li:nth-child(n of .a)", "li:nth-child()", "li:nth-child(2n+)", "li:nth-child(99999999999)", "a[href=x i]", "#a\\:b", "a >", "> a", "[x=1]", "a[b", "ns|a", "1a", "--", "a::before", "[x='a\\'b']"] {
            assert!(parse(no).is_none(), "{no}");
        }
        let s = parse("div#spec-container > H1.x[lang|=en]").unwrap();
        assert_eq!(s.combinators, vec![Combinator::Child]);
        assert_eq!(s.compounds[1].name.as_deref(), Some(&b"h1"[..]));
        assert!(s.compounds[1].attributes[0].html_case_insensitive);
        for (source, of_type, step, offset) in [
            ("li:first-child", false, 0, 1),
            ("p:FIRST-OF-TYPE", true, 0, 1),
            ("li:nth-child(odd)", false, 2, 1),
            ("li:nth-child( EVEN )", false, 2, 0),
            ("li:nth-child(3)", false, 0, 3),
            ("li:nth-child(+3)", false, 0, 3),
            ("li:nth-child(-n+3)", false, -1, 3),
            ("li:nth-of-type(2n-1)", true, 2, -1),
            ("li:nth-child(n)", false, 1, 0),
            ("li:nth-child(-2N)", false, -2, 0),
        ] {
            let s = parse(source).unwrap_or_else(|| panic!("{source}"));
            assert_eq!(s.compounds[0].positions, vec![Position { of_type, step, offset }], "{source}");
        }
        let odd = Position { of_type: false, step: 2, offset: 1 };
        assert_eq!((1..=6).map(|i| odd.has_index(i)).collect::<Vec<_>>(), [true, false, true, false, true, false]);
        let first_three = Position { of_type: false, step: -1, offset: 3 };
        assert_eq!((1..=5).map(|i| first_three.has_index(i)).collect::<Vec<_>>(), [true, true, true, false, false]);
    }
}
