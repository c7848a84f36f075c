//! TOML syntax errors in our own words, at the position of the real mistake.
//!
//! `toml_edit` reports where its grammar got stuck, in the grammar's terms. For the mistakes
//! marketers make most, that is the wrong place or the wrong words: a string or bracket left
//! open is reported lines later, where the parser gave up ("missing comma between array
//! elements"); `version =` with nothing after it is "string values must be quoted, expected
//! literal string"; `"google\.com"` is "missing escaped value" one character after the
//! backslash. [`explain`] recognizes these and says what is wrong where it is wrong; anything
//! else keeps `toml_edit`'s message and position.

use super::source::{describe_char, LineIndex, Span};
use std::fmt;

/// Something that must be closed again, as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Opener {
    /// `[name]` or `[[name]]`.
    Header,
    /// `"…"`, which must end on its line.
    BasicString,
    /// `'…'`, which must end on its line.
    LiteralString,
    /// `"""…"""`.
    MultiLineBasic,
    /// `'''…'''`.
    MultiLineLiteral,
    /// `[…]` after `=`.
    Array,
    /// `{…}`.
    InlineTable,
}

impl Opener {
    /// Bytes of the opening delimiter, so the span covers it.
    fn len(self) -> usize {
        match self {
            Opener::MultiLineBasic | Opener::MultiLineLiteral => 3,
            _ => 1,
        }
    }
}

/// The syntax mistakes we explain ourselves, each with what the message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem<'s> {
    /// Opened and never closed; `gave_up` is where the parser noticed, when on a later line.
    Unclosed { what: Opener, gave_up: Option<(usize, usize)> },
    /// `key =` and then nothing.
    MissingValue { key: &'s str },
    /// An unquoted word where a value belongs.
    BareWord { word: &'s str },
    /// A backslash before a character that does not make an escape; `single_quoted` is the
    /// same text as a literal string, when that means exactly what was meant.
    BadEscape { escape: String, single_quoted: Option<String> },
    /// `\u` or `\U` without its hex digits, or naming no character.
    BadUnicodeEscape { escape: &'s str },
    /// A key outside quotes with a character bare keys cannot have (`größe`, `$in`).
    UnquotedKey { key: &'s str },
    IntegerTooLarge { digits: &'s str },
    LeadingZero { written: &'s str },
    DuplicateKey { key: &'s str },
}

impl fmt::Display for Problem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unclosed { what, gave_up } => {
                let text = match what {
                    Opener::Header => "this table header is not closed: add `]` at its end",
                    Opener::BasicString => "this string is not closed: end it with `\"` on the same line, or use `\"\"\"` for text over several lines",
                    Opener::LiteralString => "this string is not closed: end it with `'` on the same line, or use `'''` for text over several lines",
                    Opener::MultiLineBasic => "this multi-line string is not closed: end it with `\"\"\"`",
                    Opener::MultiLineLiteral => "this multi-line string is not closed: end it with `'''`",
                    Opener::Array => "this array is not closed: add `]` after its last element",
                    Opener::InlineTable => "this inline table is not closed: add `}` after its last entry",
                };
                f.write_str(text)?;
                if let Some((line, column)) = gave_up {
                    write!(f, " (the TOML reader gave up at line {line}, column {column})")?;
                }
                Ok(())
            }
            Problem::MissingValue { key } => {
                write!(f, "`{key}` has no value: write one after `=` (text in quotes, like `{key} = \"…\"`)")
            }
            Problem::BareWord { word } => write!(f, "`{word}` is not a value; if it is text, quote it: \"{word}\""),
            Problem::BadEscape { escape, single_quoted } => {
                write!(f, "{escape} is not an escape sequence in a string in double quotes: write `\\\\` for a backslash")?;
                match single_quoted {
                    Some(text) => write!(f, ", or use single quotes, which keep backslashes as written: {text}"),
                    None => f.write_str(", or use single quotes ('…'), which keep backslashes as written"),
                }
            }
            Problem::BadUnicodeEscape { escape } => write!(
                f,
                "`{escape}` is not a valid unicode escape: `\\u` takes 4 hex digits and `\\U` 8, naming a character (like `\\u00E9` for é)"
            ),
            Problem::UnquotedKey { key } => write!(
                f,
                "`{key}` must be in quotes: keys without quotes may only use the letters A-Z and a-z, digits, `-` and `_`; write \"{key}\""
            ),
            Problem::IntegerTooLarge { digits } => {
                write!(f, "`{digits}` is too large: TOML whole numbers go from -9223372036854775808 to 9223372036854775807")
            }
            Problem::LeadingZero { written } => {
                let plain = written.trim_start_matches(['0', '_']);
                let plain = if plain.is_empty() { "0" } else { plain };
                write!(f, "`{written}`: a number in TOML cannot start with 0; write `{plain}`")
            }
            Problem::DuplicateKey { key } => write!(f, "duplicate key `{key}`"),
        }
    }
}

/// Our message and span for a `toml_edit` error with this plain `message` at `span`, or its
/// own when we have nothing better to say.
pub(super) fn explain(source: &str, span: Span, message: String) -> (String, Span) {
    match problem(source, span, &message) {
        Some((problem, span)) => (problem.to_string(), span),
        None => (message, span),
    }
}

fn problem<'s>(source: &'s str, span: Span, message: &str) -> Option<(Problem<'s>, Span)> {
    let at = span.start.min(source.len());
    if let Some((what, open)) = first_unclosed(source) {
        // Only when the parser stopped at or after the opening: an earlier error is another one.
        if open <= at {
            let lines = LineIndex::new(source);
            let (open_line, _) = lines.line_col(open);
            let (line, column) = lines.line_col(at);
            let gave_up = (line > open_line).then_some((line, column));
            return Some((Problem::Unclosed { what, gave_up }, Span { start: open, end: open + what.len() }));
        }
    }
    if let Some((key, key_span)) = key_without_value(source, at) {
        return Some((Problem::MissingValue { key }, key_span));
    }
    if let Some(word) = bare_word_at(source, at) {
        return Some((Problem::BareWord { word }, span));
    }
    if message.starts_with("missing escaped value") {
        return bad_escape(source, at);
    }
    if message.contains("unicode") {
        return bad_unicode_escape(source, at);
    }
    if message.starts_with("invalid unquoted key") {
        let (key, key_span) = word_around(source, at)?;
        return Some((Problem::UnquotedKey { key }, key_span));
    }
    if message == "integer number overflowed" || message == "unexpected leading zero, expected nothing" {
        let rest = source.get(at..)?;
        let len = rest.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(rest.len());
        let digits = rest.get(..len).filter(|d| !d.is_empty())?;
        let problem = if message.starts_with("integer") { Problem::IntegerTooLarge { digits } } else { Problem::LeadingZero { written: digits } };
        return Some((problem, span));
    }
    if message == "duplicate key" {
        // In a file with many campaigns a bare "duplicate key" leaves the reader hunting.
        let key = source.get(span.start..span.end).map(str::trim).filter(|k| !k.is_empty())?;
        return Some((Problem::DuplicateKey { key }, span));
    }
    None
}

/// The first string, bracket or header the file opens and never closes (the innermost, when
/// several are open at the end), and where it opens. A stray closing bracket is left to the
/// parser.
///
/// A lexer of TOML's delimiters only: strings (with their escapes), comments, headers and
/// brackets; everything else is skipped byte by byte, which is safe in UTF-8 because all the
/// delimiters are ASCII.
pub(super) fn first_unclosed(source: &str) -> Option<(Opener, usize)> {
    let b = source.as_bytes();
    let mut stack: Vec<(Opener, usize)> = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    while let Some(&c) = b.get(i) {
        match c {
            b'\n' => {
                line_start = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'#' => {
                i = line_end(b, i);
                continue;
            }
            _ => {}
        }
        let first_on_line = std::mem::replace(&mut line_start, false);
        match c {
            b'"' | b'\'' => {
                let triple = if c == b'"' { b"\"\"\"" } else { b"'''" };
                let (what, end) = if b[i..].starts_with(triple) {
                    let what = if c == b'"' { Opener::MultiLineBasic } else { Opener::MultiLineLiteral };
                    (what, multi_line_end(b, i + 3, c))
                } else {
                    let what = if c == b'"' { Opener::BasicString } else { Opener::LiteralString };
                    (what, string_end(b, i + 1, c))
                };
                match end {
                    Some(end) => i = end,
                    None => return Some((what, i)),
                }
            }
            // A table header stands alone on its line, outside any value.
            b'[' if stack.is_empty() && first_on_line => match header_end(b, i) {
                Some(end) => i = end,
                None => return Some((Opener::Header, i)),
            },
            b'[' => {
                stack.push((Opener::Array, i));
                i += 1;
            }
            b'{' => {
                stack.push((Opener::InlineTable, i));
                i += 1;
            }
            b']' | b'}' => {
                let closes = if c == b']' { Opener::Array } else { Opener::InlineTable };
                match stack.last() {
                    Some(&(what, _)) if what == closes => {
                        stack.pop();
                    }
                    // It closes an outer bracket, so the inner one was left open.
                    Some(&open) => return Some(open),
                    None => {}
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    stack.last().copied()
}

/// The offset of the newline ending the line at `i` (or the end of the text).
fn line_end(b: &[u8], i: usize) -> usize {
    b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n)
}

/// After the closing quote of a one-line string whose text starts at `i`; `None` if the line
/// or the text ends first. In `"…"` a backslash escapes the next character.
fn string_end(b: &[u8], mut i: usize, quote: u8) -> Option<usize> {
    while let Some(&c) = b.get(i) {
        match c {
            b'\n' => return None,
            b'\\' if quote == b'"' => {
                if b.get(i + 1) == Some(&b'\n') {
                    return None;
                }
                i += 2;
            }
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// After the closing `"""` / `'''` (up to two more quotes belong to the text), or `None`.
fn multi_line_end(b: &[u8], mut i: usize, quote: u8) -> Option<usize> {
    while let Some(&c) = b.get(i) {
        if c == b'\\' && quote == b'"' {
            i += 2;
        } else if c == quote && b.get(i + 1) == Some(&quote) && b.get(i + 2) == Some(&quote) {
            let mut end = i + 3;
            while end < i + 5 && b.get(end) == Some(&quote) {
                end += 1;
            }
            return Some(end);
        } else {
            i += 1;
        }
    }
    None
}

/// After the `]` of a header starting at `i` (quoted keys may hold `]`), or `None` if its line
/// ends first.
fn header_end(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'\n' => return None,
            b'"' | b'\'' => i = string_end(b, i + 1, c)?,
            b']' => {
                return Some(if b.get(i + 1) == Some(&b']') { i + 2 } else { i + 1 });
            }
            _ => i += 1,
        }
    }
    None
}

/// `key =` with only blanks up to `at`, where the line, a comment, a `,` or a closing bracket
/// follows: the key and its span.
fn key_without_value(source: &str, at: usize) -> Option<(&str, Span)> {
    let line_start = source.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let before = source.get(line_start..at)?.trim_end_matches([' ', '\t']);
    let after = source.get(at..)?.chars().next();
    if !before.ends_with('=') || !matches!(after, None | Some('\n' | '\r' | '#' | ',' | '}' | ']')) {
        return None;
    }
    let before_eq = &before[..before.len() - 1];
    // The key starts after the last `{` or `,` of the line, if the key-value is inside `{ }`.
    let key_start = before_eq.rfind(['{', ',']).map_or(0, |i| i + 1);
    let raw = &before_eq[key_start..];
    let key = raw.trim();
    if key.is_empty() {
        return None;
    }
    let start = line_start + key_start + (raw.len() - raw.trim_start().len());
    Some((key, Span { start, end: start + key.len() }))
}

/// An unquoted word at `offset` in value position (what a marketer writes for `key = value`
/// when they forget the quotes).
fn bare_word_at(source: &str, offset: usize) -> Option<&str> {
    // Only in value position: right after `=` (or inside an array).
    let line_start = source.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let before = source.get(line_start..offset)?.trim_end();
    if !(before.ends_with('=') || before.ends_with('[') || before.ends_with(',')) || !before.contains('=') {
        return None;
    }
    let rest = source.get(offset..)?;
    let len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
    let word = &rest[..len];
    let starts_alpha = word.chars().next().is_some_and(char::is_alphabetic);
    (starts_alpha && !matches!(word, "true" | "false" | "inf" | "nan")).then_some(word)
}

/// The key (as far as it goes without a separator) around the character at `at`, and its span.
fn word_around(source: &str, at: usize) -> Option<(&str, Span)> {
    let is_separator = |c: char| c.is_whitespace() || "=.[]{},\"'#".contains(c);
    let start = source.get(..at)?.rfind(is_separator).map_or(0, |i| i + 1);
    let rest = source.get(start..)?;
    let key = &rest[..rest.find(is_separator).unwrap_or(rest.len())];
    (!key.is_empty()).then_some((key, Span { start, end: start + key.len() }))
}

/// toml_edit points one past the backslash; we point at it and show the escape as written.
fn bad_escape(source: &str, at: usize) -> Option<(Problem<'_>, Span)> {
    let backslash = at.checked_sub(1).filter(|&i| source.as_bytes().get(i) == Some(&b'\\'))?;
    let next = source.get(at..)?.chars().next();
    let escape = match next {
        Some(c) if !(c.is_control() || c.is_whitespace()) => format!("`\\{c}`"),
        Some(c) => format!("a backslash followed by {}", describe_char(c)),
        None => "a backslash at the end".to_string(),
    };
    let single_quoted = one_line_string_around(source, backslash).and_then(literal_equivalent);
    Some((Problem::BadEscape { escape, single_quoted }, Span { start: backslash, end: at + next.map_or(0, char::len_utf8) }))
}

/// The text between the quotes of the one-line `"…"` string containing `offset`.
fn one_line_string_around(source: &str, offset: usize) -> Option<&str> {
    let b = source.as_bytes();
    let mut i = source.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    while i <= offset {
        match b.get(i)? {
            b'#' => return None,
            b'"' if b[i..].starts_with(b"\"\"\"") => return None,
            &q @ (b'"' | b'\'') => {
                let end = string_end(b, i + 1, q)?;
                if q == b'"' && offset < end {
                    return source.get(i + 1..end - 1);
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    None
}

/// `'text'` when the single-quoted string means what the author meant: every backslash is one
/// they wanted kept (none starts a real escape) and there is no `'` to end it early.
fn literal_equivalent(text: &str) -> Option<String> {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => return None,
            '\\' => match chars.next() {
                Some('b' | 't' | 'n' | 'f' | 'r' | 'e' | '"' | '\\' | 'u' | 'U' | 'x') | None => return None,
                Some(_) => {}
            },
            _ => {}
        }
    }
    Some(format!("'{text}'"))
}

/// The `\u…` / `\U…` escape around `at`, as written.
fn bad_unicode_escape(source: &str, at: usize) -> Option<(Problem<'_>, Span)> {
    let window = source.get(at.saturating_sub(9)..=at.min(source.len().saturating_sub(1)))?;
    let start = at.saturating_sub(9) + window.rfind(['\\'])?;
    let rest = source.get(start + 2..)?;
    let digits = rest.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(rest.len()).min(8);
    let end = start + 2 + digits;
    let escape = source.get(start..end).filter(|e| e.starts_with("\\u") || e.starts_with("\\U"))?;
    Some((Problem::BadUnicodeEscape { escape }, Span { start, end }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unclosed(source: &str) -> Option<(Opener, (usize, usize))> {
        first_unclosed(source).map(|(what, at)| (what, LineIndex::new(source).line_col(at)))
    }

    #[test]
    fn finds_what_is_left_open() {
        use Opener::*;
        assert_eq!(unclosed("a = \"x\nb = 1\n"), Some((BasicString, (1, 5))));
        assert_eq!(unclosed("a = 'x\n"), Some((LiteralString, (1, 5))));
        assert_eq!(unclosed("a = \"x\\\"\n"), Some((BasicString, (1, 5))), "an escaped quote does not close");
        assert_eq!(unclosed("a = \"\"\"x\n\"\"\nb = 1"), Some((MultiLineBasic, (1, 5))));
        assert_eq!(unclosed("a = '''x\n"), Some((MultiLineLiteral, (1, 5))));
        assert_eq!(unclosed("a = [1,\n 2\n[site]\nb = [3]\n"), Some((Array, (1, 5))));
        assert_eq!(unclosed("d = { c = { x = [1] }\n\n[[campaign]]\nid = \"h\"\n"), Some((InlineTable, (1, 5))));
        assert_eq!(unclosed("a = { b = [1, 2 }\n"), Some((Array, (1, 11))));
        assert_eq!(unclosed("a = [[1, 2\n"), Some((Array, (1, 6))));
        assert_eq!(unclosed("[site\nb = 1\n"), Some((Header, (1, 1))));
        assert_eq!(unclosed("x = { t = \"Hi! }]\n"), Some((BasicString, (1, 11))));
    }

    #[test]
    fn closed_things_are_not_reported() {
        for source in [
            "a = \"x # not a comment\" # ']' '\n",
            "[a.\"b]\".c]\nx = 1\n[[d]]\n",
            "a = \"\"\"\nmulti [ { '\n\"\"\"\nb = '''x''''\nc = \"\"\"q\"\"\"\"\"\n",
            "a = [\n  [1, 2],\n  # ]\n]\n",
            "a = { b = { c = [1, { d = 2 }] } }\n",
            "a = 'C:\\path\\'\n",
            "a = \"x\\\\\"\n",
            "a = 1]\n",
            "",
        ] {
            assert_eq!(first_unclosed(source), None, "{source:?}");
        }
    }

    fn explained(source: &str) -> (String, (usize, usize)) {
        match super::super::source::parse_toml(source) {
            Ok(_) => panic!("{source:?} parses"),
            Err(e) => (e.message, LineIndex::new(source).line_col(e.span.start)),
        }
    }

    #[test]
    fn messages_in_our_words_where_the_mistake_is() {
        let (m, at) = explained("[segments]\ng = { referrer = { \"$regex\" = \"google\\.com\" } }\n");
        assert_eq!(at, (2, 38));
        assert_eq!(m, "`\\.` is not an escape sequence in a string in double quotes: write `\\\\` for a backslash, or use single quotes, which keep backslashes as written: 'google\\.com'");
        let (m, _) = explained("a = \"it's \\d\"\n");
        assert!(m.ends_with("or use single quotes ('…'), which keep backslashes as written"), "{m}");
        let (m, at) = explained("a = \"x\\u12\"\n");
        assert_eq!((m.as_str(), at), ("`\\u12` is not a valid unicode escape: `\\u` takes 4 hex digits and `\\U` 8, naming a character (like `\\u00E9` for é)", (1, 7)));
        let (m, at) = explained("a = \"x\\uD800\"\n");
        assert!(m.starts_with("`\\uD800` is not"), "{m}");
        assert_eq!(at, (1, 7));
        for (source, key, at) in [
            ("name = \"x\"\nversion =\n[site]\n", "version", (2, 1)),
            ("version =", "version", (1, 1)),
            ("version = # todo\n", "version", (1, 1)),
            ("x = { a = 1, bb = }\n", "bb", (1, 14)),
            ("x = { \"$in\" = , b = 1 }\n", "\"$in\"", (1, 7)),
        ] {
            let (m, pos) = explained(source);
            assert_eq!(m, format!("`{key}` has no value: write one after `=` (text in quotes, like `{key} = \"…\"`)"), "{source:?}");
            assert_eq!(pos, at, "{source:?}");
        }
        for (source, key, at) in [("größe = 1\n", "größe", (1, 1)), ("x = { country = { $in = [1] } }\n", "$in", (1, 19)), ("[a.größe]\n", "größe", (1, 4))] {
            let (m, pos) = explained(source);
            assert!(m.starts_with(&format!("`{key}` must be in quotes: ")) && m.ends_with(&format!("write \"{key}\"")), "{m}");
            assert_eq!(pos, at, "{source:?}");
        }
        let (m, at) = explained("a = [1, 2\nb = 1\n");
        assert_eq!((m.as_str(), at), ("this array is not closed: add `]` after its last element (the TOML reader gave up at line 2, column 1)", (1, 5)));
        let (m, at) = explained("a = \"x\\\n");
        assert_eq!(at, (1, 5));
        assert!(m.starts_with("this string is not closed"), "{m}");
        let (m, _) = explained("p = 007\n");
        assert_eq!(m, "`007`: a number in TOML cannot start with 0; write `7`");
        let (m, _) = explained("p = 99999999999999999999\n");
        assert!(m.starts_with("`99999999999999999999` is too large"), "{m}");
        let (m, at) = explained("v = tailor_id\n");
        assert_eq!((m.as_str(), at), ("`tailor_id` is not a value; if it is text, quote it: \"tailor_id\"", (1, 5)));
    }
}
