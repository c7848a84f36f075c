//! Rule sources, TOML or JSON, parsed into one spanned tree.
//!
//! Marketers fix their rule files from our error messages alone, so every problem must be
//! reported as `FILE:LINE:COL` on the exact key or value at fault. That needs a byte span on
//! every key and value, which neither `toml_edit`'s document model nor `serde_json` gives us in
//! a shape the compiler can share. Both formats therefore land in the same [`Node`] tree, and
//! validation is written once against that tree.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

/// Deep structures serve no purpose in a rule file, and capping them keeps the recursive
/// parser and the compiler's recursive walks far away from the stack limit whatever the input.
pub const MAX_DEPTH: usize = 128;

/// Byte offsets rather than line/column, so spans stay cheap to carry around and are turned
/// into positions (with [`LineIndex`]) only when an error is actually reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    fn at(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    fn from_range(range: std::ops::Range<usize>) -> Span {
        Span {
            start: range.start,
            end: range.end,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Only JSON can write it; TOML has no null, so the compiler decides what it means.
    Null,
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
    /// Only TOML has datetimes; kept as written so the compiler chooses how to interpret
    /// offsets and local times instead of this layer guessing.
    Datetime(String),
    Array(Vec<Node>),
    /// A list rather than a map: source order matters for rule priority and for reporting
    /// errors in the order a reader meets them.
    Table(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    /// Separate from the value span so "unknown key" errors point at the key itself.
    pub key_span: Span,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Plain words without position or source excerpt: the caller renders
    /// `FILE:LINE:COL: error: MESSAGE` itself.
    pub message: String,
    pub span: Span,
}

impl SyntaxError {
    fn new(message: impl Into<String>, span: Span) -> SyntaxError {
        SyntaxError {
            message: message.into(),
            span,
        }
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SyntaxError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// TOML is the documented format, so anything not clearly JSON is read as TOML and gets
    /// TOML's error messages.
    pub fn from_path(path: &str) -> Format {
        match Path::new(path).extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

pub fn parse(source: &str, format: Format) -> Result<Node, SyntaxError> {
    match format {
        Format::Toml => parse_toml(source),
        Format::Json => parse_json(source),
    }
}

impl Node {
    /// First match wins; duplicates cannot occur because both parsers reject them.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Table(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Names as a TOML user would say them, for "expected X, found Y" messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            NodeKind::Null => "null",
            NodeKind::Bool(_) => "boolean",
            NodeKind::Integer(_) => "integer",
            NodeKind::Float(_) => "float",
            NodeKind::String(_) => "string",
            NodeKind::Datetime(_) => "datetime",
            NodeKind::Array(_) => "array",
            NodeKind::Table(_) => "table",
        }
    }
}

/// Maps byte offsets to 1-based line and column (column counted in characters, as editors do).
///
/// Keeps its own copy of the text: rule files are small, and owning it lets the index outlive
/// the buffer it was built from and count characters exactly instead of approximating.
#[derive(Debug, Clone)]
pub struct LineIndex {
    text: String,
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            text: source.to_owned(),
            line_starts,
        }
    }

    /// Only `\n` breaks lines, like TOML and the tools that report on these files; in CRLF
    /// files the `\r` is simply the last character of its line. Offsets past the end or inside a
    /// multi-byte character are clamped rather than rejected, because an error must always be
    /// printable.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let mut column = self
            .text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        // Editors hide a byte order mark, so it must not shift the first line's columns.
        if line_start == 0 && offset > 0 && self.text.starts_with('\u{feff}') {
            column -= 1;
        }
        (line + 1, column)
    }
}

// ---------------------------------------------------------------------------------------------
// TOML
// ---------------------------------------------------------------------------------------------

pub fn parse_toml(source: &str) -> Result<Node, SyntaxError> {
    let document = toml_edit::Document::parse(source).map_err(|e| toml_error(source, &e))?;
    let root_span = Span::at(0, source.len());
    TomlConverter { source }.table(document.as_table(), root_span, 0)
}

fn toml_error(source: &str, error: &toml_edit::TomlError) -> SyntaxError {
    let span = error
        .span()
        .map(Span::from_range)
        .unwrap_or_else(|| Span::at(source.len(), source.len()));
    let (message, span) =
        super::toml_syntax::explain(source, span, plain_toml_message(error.message()));
    SyntaxError::new(message, span)
}

/// `TomlError::message` is plain today, but its `Display` prepends a rendered excerpt; if a
/// future version folds that into the message we still want only the words.
fn plain_toml_message(message: &str) -> String {
    let mut lines: Vec<&str> = message.lines().collect();
    if lines
        .first()
        .is_some_and(|l| l.starts_with("TOML parse error at"))
    {
        // Header, then gutter lines `  |`, `N | source`, `  |   ^^^`.
        lines.remove(0);
        while lines
            .first()
            .is_some_and(|l| l.trim_start().starts_with('|') || is_gutter_line(l))
        {
            lines.remove(0);
        }
    }
    let text = lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    if text.is_empty() {
        "invalid TOML".to_owned()
    } else {
        text
    }
}

fn is_gutter_line(line: &str) -> bool {
    let trimmed = line.trim_start();
    let digits = trimmed.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && trimmed[digits..].trim_start().starts_with('|')
}

struct TomlConverter<'s> {
    source: &'s str,
}

impl TomlConverter<'_> {
    fn too_deep(span: Span) -> SyntaxError {
        SyntaxError::new(format!("nesting is deeper than {MAX_DEPTH} levels"), span)
    }

    fn table(
        &self,
        table: &toml_edit::Table,
        span: Span,
        depth: usize,
    ) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(Self::too_deep(span));
        }
        let mut entries = Vec::with_capacity(table.len());
        for (key, item) in table.iter() {
            let key_span = table
                .key(key)
                .and_then(|k| k.span())
                .map(Span::from_range)
                .unwrap_or(span);
            let value = self.item(item, key_span, depth + 1)?;
            entries.push(Entry {
                key: key.to_owned(),
                key_span,
                value,
            });
        }
        sort_by_first_appearance(&mut entries);
        Ok(Node {
            kind: NodeKind::Table(entries),
            span,
        })
    }

    fn item(
        &self,
        item: &toml_edit::Item,
        fallback: Span,
        depth: usize,
    ) -> Result<Node, SyntaxError> {
        match item {
            toml_edit::Item::Value(value) => self.value(value, fallback, depth),
            toml_edit::Item::Table(table) => {
                let span = table.span().map(Span::from_range).unwrap_or(fallback);
                self.table(table, span, depth)
            }
            toml_edit::Item::ArrayOfTables(array) => {
                let span = array.span().map(Span::from_range).unwrap_or(fallback);
                if depth > MAX_DEPTH {
                    return Err(Self::too_deep(span));
                }
                let mut nodes = Vec::with_capacity(array.len());
                for table in array.iter() {
                    let table_span = table.span().map(Span::from_range).unwrap_or(span);
                    nodes.push(self.table(table, table_span, depth + 1)?);
                }
                Ok(Node {
                    kind: NodeKind::Array(nodes),
                    span,
                })
            }
            // The parser never stores an empty item (and `Table::iter` skips them); an empty
            // table is the harmless reading if one ever appears.
            toml_edit::Item::None => Ok(Node {
                kind: NodeKind::Table(Vec::new()),
                span: fallback,
            }),
        }
    }

    fn value(
        &self,
        value: &toml_edit::Value,
        fallback: Span,
        depth: usize,
    ) -> Result<Node, SyntaxError> {
        use toml_edit::Value;
        let own_span = value.span().map(Span::from_range);
        let span = own_span.unwrap_or(fallback);
        let kind = match value {
            Value::String(s) => NodeKind::String(s.value().clone()),
            Value::Integer(i) => NodeKind::Integer(*i.value()),
            Value::Float(f) => NodeKind::Float(*f.value()),
            Value::Boolean(b) => NodeKind::Bool(*b.value()),
            Value::Datetime(d) => {
                let raw = own_span
                    .and_then(|s| self.source.get(s.start..s.end))
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| d.value().to_string());
                NodeKind::Datetime(raw)
            }
            Value::Array(array) => {
                if depth > MAX_DEPTH {
                    return Err(Self::too_deep(span));
                }
                let mut nodes = Vec::with_capacity(array.len());
                for element in array.iter() {
                    nodes.push(self.value(element, span, depth + 1)?);
                }
                NodeKind::Array(nodes)
            }
            Value::InlineTable(table) => {
                if depth > MAX_DEPTH {
                    return Err(Self::too_deep(span));
                }
                let mut entries = Vec::with_capacity(table.len());
                for (key, element) in table.iter() {
                    let key_span = table
                        .key(key)
                        .and_then(|k| k.span())
                        .map(Span::from_range)
                        .unwrap_or(span);
                    let value = self.value(element, key_span, depth + 1)?;
                    entries.push(Entry {
                        key: key.to_owned(),
                        key_span,
                        value,
                    });
                }
                sort_by_first_appearance(&mut entries);
                NodeKind::Table(entries)
            }
        };
        Ok(Node { kind, span })
    }
}

/// `toml_edit` moves a table to the end of its parent when a `[a]` header comes after an
/// earlier `[a.b]` had created `a` implicitly, so its map order is not source order. Ordering
/// by where each entry is first mentioned restores what the reader sees.
fn sort_by_first_appearance(entries: &mut [Entry]) {
    if entries.len() < 2 {
        return;
    }
    // The stored key of such a table is the late `[a]` header's, so only the earliest mention
    // anywhere inside the entry tells where it first appeared.
    entries.sort_by_cached_key(|e| e.key_span.start.min(first_offset(&e.value)));
}

fn first_offset(node: &Node) -> usize {
    let mut first = node.span.start;
    match &node.kind {
        NodeKind::Table(entries) => {
            for entry in entries {
                first = first
                    .min(entry.key_span.start)
                    .min(first_offset(&entry.value));
            }
        }
        NodeKind::Array(nodes) => {
            for element in nodes {
                first = first.min(first_offset(element));
            }
        }
        _ => {}
    }
    first
}

// ---------------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------------

/// Hand-written because `serde_json` keeps no positions for values, and strict (RFC 8259: no
/// comments, no trailing commas, no duplicate keys) because a lenient parser would silently
/// accept rule files that mean something other than what the marketer intended.
pub fn parse_json(source: &str) -> Result<Node, SyntaxError> {
    let mut parser = JsonParser {
        src: source,
        bytes: source.as_bytes(),
        pos: 0,
    };
    // Windows editors like to add one; it carries no meaning.
    if source.starts_with('\u{feff}') {
        parser.pos = '\u{feff}'.len_utf8();
    }
    parser.skip_whitespace();
    if parser.pos == parser.bytes.len() {
        return Err(SyntaxError::new(
            "the file is empty: a JSON rule file holds one object, at least `{}`",
            parser.here_span(),
        ));
    }
    let root = parser.value(0)?;
    parser.skip_whitespace();
    if parser.pos < parser.bytes.len() {
        return Err(SyntaxError::new(
            format!(
                "found {} after the end of the JSON document: a JSON rule file holds one object",
                parser.describe_here()
            ),
            parser.here_span(),
        ));
    }
    Ok(root)
}

/// A character for a message, as the reader sees it in the file: printable ones in backticks
/// exactly as written (a quote is `"`, not an escaped `\"`), the invisible ones by name, since
/// quoting them would show nothing.
pub(super) fn describe_char(c: char) -> String {
    match c {
        '\n' | '\r' => "end of line".to_owned(),
        '\t' => "a tab".to_owned(),
        ' ' => "a space".to_owned(),
        '\u{a0}' => "a non-breaking space (U+00A0)".to_owned(),
        // A backtick cannot be quoted in backticks.
        '`' => "a backtick (`)".to_owned(),
        c if c.is_control() || c.is_whitespace() || is_invisible(c) => {
            format!("the invisible character U+{:04X}", u32::from(c))
        }
        c => format!("`{c}`"),
    }
}

/// Format characters that editors show as nothing (zero-width spaces and joiners, direction
/// marks, a byte order mark in the middle of the text).
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{ad}')
}

struct JsonParser<'s> {
    src: &'s str,
    bytes: &'s [u8],
    pos: usize,
}

impl JsonParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn current_char(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    /// One character wide so the caret in a rendered error covers the whole character.
    fn here_span(&self) -> Span {
        let len = self.current_char().map_or(0, char::len_utf8);
        Span::at(self.pos, self.pos + len)
    }

    fn describe_here(&self) -> String {
        match self.current_char() {
            None => "end of input".to_owned(),
            Some(c) => describe_char(c),
        }
    }

    fn slice(&self, start: usize, end: usize) -> &str {
        self.src.get(start..end).unwrap_or_default()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => {
                let (text, span) = self.string()?;
                Ok(Node {
                    kind: NodeKind::String(text),
                    span,
                })
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'\'') => Err(SyntaxError::new(
                "strings must be written in double quotes in JSON",
                self.here_span(),
            )),
            Some(b'/') => Err(SyntaxError::new(
                "comments are not allowed in JSON",
                self.here_span(),
            )),
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => self.word(),
            _ => Err(SyntaxError::new(
                format!("expected a value, found {}", self.describe_here()),
                self.here_span(),
            )),
        }
    }

    fn word(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if b.is_ascii_alphanumeric() || b == b'_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        let span = Span::at(start, self.pos);
        let word = self.slice(start, self.pos);
        let kind = match word {
            "true" => NodeKind::Bool(true),
            "false" => NodeKind::Bool(false),
            "null" => NodeKind::Null,
            _ => {
                let lower = word.to_ascii_lowercase();
                let message = if matches!(lower.as_str(), "true" | "false" | "null") {
                    format!("expected a value, found `{word}` (JSON writes it `{lower}`)")
                } else {
                    format!("expected a value, found `{word}` (strings must be in double quotes)")
                };
                return Err(SyntaxError::new(message, span));
            }
        };
        Ok(Node { kind, span })
    }

    fn too_deep(&self) -> SyntaxError {
        SyntaxError::new(
            format!("nesting is deeper than {MAX_DEPTH} levels"),
            self.here_span(),
        )
    }

    fn object(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep());
        }
        let start = self.pos;
        self.pos += 1;
        let mut entries = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node {
                kind: NodeKind::Table(entries),
                span: Span::at(start, self.pos),
            });
        }
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(Self::unclosed("object", '}', start)),
                Some(b) if b.is_ascii_alphabetic() || b == b'_' || b == b'\'' => {
                    return Err(SyntaxError::new(
                        "object keys must be strings in double quotes",
                        self.here_span(),
                    ))
                }
                Some(_) => {
                    return Err(SyntaxError::new(
                        format!(
                            "expected a key in double quotes, found {}",
                            self.describe_here()
                        ),
                        self.here_span(),
                    ))
                }
            }
            let (key, key_span) = self.string()?;
            if !seen.insert(key.clone()) {
                return Err(SyntaxError::new(format!("duplicate key `{key}`"), key_span));
            }
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(SyntaxError::new(
                    format!("expected `:` after the key, found {}", self.describe_here()),
                    self.here_span(),
                ));
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(depth)?;
            entries.push(Entry {
                key,
                key_span,
                value,
            });
            if self.after_element(b'}', "object", start)? {
                return Ok(Node {
                    kind: NodeKind::Table(entries),
                    span: Span::at(start, self.pos),
                });
            }
        }
    }

    /// After a member or an element: `,` continues (unless the closing
    /// bracket follows it: JSON has no trailing commas), `close` ends the
    /// container (returns true), anything else is an error.
    fn after_element(&mut self, close: u8, what: &str, start: usize) -> Result<bool, SyntaxError> {
        self.skip_whitespace();
        match self.peek() {
            Some(b',') => {
                let comma = self.pos;
                self.pos += 1;
                self.skip_whitespace();
                if self.peek() == Some(close) {
                    return Err(Self::trailing_comma(comma));
                }
                Ok(false)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(true)
            }
            None => Err(Self::unclosed(what, close as char, start)),
            Some(_) => Err(SyntaxError::new(
                format!("expected `,` or `{}`, found {}", close as char, self.describe_here()),
                self.here_span(),
            )),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep());
        }
        let start = self.pos;
        self.pos += 1;
        let mut nodes = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node {
                kind: NodeKind::Array(nodes),
                span: Span::at(start, self.pos),
            });
        }
        loop {
            self.skip_whitespace();
            if self.peek().is_none() {
                return Err(Self::unclosed("array", ']', start));
            }
            nodes.push(self.value(depth)?);
            if self.after_element(b']', "array", start)? {
                return Ok(Node {
                    kind: NodeKind::Array(nodes),
                    span: Span::at(start, self.pos),
                });
            }
        }
    }

    fn trailing_comma(comma: usize) -> SyntaxError {
        SyntaxError::new(
            "trailing comma is not allowed in JSON",
            Span::at(comma, comma + 1),
        )
    }

    /// Points at the opening bracket: "end of input" alone says nothing about which of many
    /// brackets was left open.
    fn unclosed(what: &str, close: char, open: usize) -> SyntaxError {
        SyntaxError::new(
            format!("this {what} is never closed (expected `{close}` before the end of input)"),
            Span::at(open, open + 1),
        )
    }

    /// Returns the decoded text and the span including both quotes.
    fn string(&mut self) -> Result<(String, Span), SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            let Some(b) = self.peek() else {
                return Err(SyntaxError::new(
                    "unterminated string",
                    Span::at(start, self.pos),
                ));
            };
            match b {
                b'"' => {
                    out.push_str(self.slice(run, self.pos));
                    self.pos += 1;
                    return Ok((out, Span::at(start, self.pos)));
                }
                b'\\' => {
                    out.push_str(self.slice(run, self.pos));
                    let c = self.escape(start)?;
                    out.push(c);
                    run = self.pos;
                }
                b'\n' | b'\r' => {
                    return Err(SyntaxError::new(
                        "unterminated string (a string cannot continue on the next line; write `\\n` for a line break)",
                        Span::at(start, self.pos),
                    ));
                }
                0x00..=0x1f => {
                    return Err(SyntaxError::new(
                        format!(
                            "control character U+{:04X} must be escaped in a string",
                            u32::from(b)
                        ),
                        Span::at(self.pos, self.pos + 1),
                    ));
                }
                // Multi-byte characters are copied with the run, so stepping bytewise is fine:
                // the bytes that stop a run are all ASCII and hence character boundaries.
                _ => self.pos += 1,
            }
        }
    }

    /// Called with `pos` on the backslash; leaves `pos` after the escape.
    fn escape(&mut self, string_start: usize) -> Result<char, SyntaxError> {
        let escape_start = self.pos;
        self.pos += 1;
        let Some(b) = self.peek() else {
            return Err(SyntaxError::new(
                "unterminated string",
                Span::at(string_start, self.pos),
            ));
        };
        let simple = match b {
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            b'/' => Some('/'),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            _ => None,
        };
        if let Some(c) = simple {
            self.pos += 1;
            return Ok(c);
        }
        if b != b'u' {
            let c = self.current_char().unwrap_or(char::REPLACEMENT_CHARACTER);
            const VALID: &str = "valid escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX; write `\\\\` for a backslash";
            let message = match c {
                '\n' | '\r' => "a backslash at the end of a line: a JSON string cannot continue on the next line (write `\\n` for a line break, `\\\\` for a backslash)".to_owned(),
                c if c.is_control() || c.is_whitespace() || is_invisible(c) => {
                    format!("a backslash followed by {} is not an escape sequence ({VALID})", describe_char(c))
                }
                // Shown as written in the file: `\q`, one backslash.
                c => format!("invalid escape sequence `\\{c}` ({VALID})"),
            };
            return Err(SyntaxError::new(message, Span::at(escape_start, self.pos + c.len_utf8())));
        }
        self.pos += 1;
        let first = self.hex4(escape_start)?;
        let code = match first {
            0xD800..=0xDBFF => {
                let low_start = self.pos;
                if self.bytes.get(self.pos) != Some(&b'\\')
                    || self.bytes.get(self.pos + 1) != Some(&b'u')
                {
                    return Err(Self::unpaired(first, escape_start));
                }
                self.pos += 2;
                let second = self.hex4(low_start)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(Self::unpaired(first, escape_start));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(Self::unpaired(first, escape_start)),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| {
            SyntaxError::new(
                format!("invalid unicode escape U+{code:04X}"),
                Span::at(escape_start, self.pos),
            )
        })
    }

    fn unpaired(code: u32, escape_start: usize) -> SyntaxError {
        SyntaxError::new(
            format!("unpaired surrogate `\\u{code:04X}` in string (UTF-16 surrogates must come in high/low pairs)"),
            Span::at(escape_start, escape_start + 6),
        )
    }

    fn hex4(&mut self, escape_start: usize) -> Result<u32, SyntaxError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = self.peek().and_then(|b| char::from(b).to_digit(16));
            let Some(digit) = digit else {
                let end = self.pos + self.current_char().map_or(0, char::len_utf8);
                return Err(SyntaxError::new(
                    "invalid unicode escape: `\\u` must be followed by 4 hex digits",
                    Span::at(escape_start, end),
                ));
            };
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    self.digits();
                    return Err(SyntaxError::new(
                        "numbers cannot have leading zeros in JSON",
                        Span::at(start, self.pos),
                    ));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => {
                return Err(SyntaxError::new(
                    format!("expected a digit after `-`, found {}", self.describe_here()),
                    self.here_span(),
                ))
            }
        }
        let mut is_float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            is_float = true;
            if self.digits() == 0 {
                return Err(SyntaxError::new(
                    format!(
                        "expected a digit after the decimal point, found {}",
                        self.describe_here()
                    ),
                    self.here_span(),
                ));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            is_float = true;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(SyntaxError::new(
                    format!(
                        "expected a digit in the exponent, found {}",
                        self.describe_here()
                    ),
                    self.here_span(),
                ));
            }
        }
        let span = Span::at(start, self.pos);
        let text = self.slice(start, self.pos);
        if !is_float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Node {
                    kind: NodeKind::Integer(i),
                    span,
                });
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Node {
                kind: NodeKind::Float(f),
                span,
            }),
            _ => Err(SyntaxError::new(
                format!("number `{text}` is too large"),
                span,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spans differ between formats by construction; structure must not.
    fn strip(node: &Node) -> Node {
        let kind = match &node.kind {
            NodeKind::Array(nodes) => NodeKind::Array(nodes.iter().map(strip).collect()),
            NodeKind::Table(entries) => NodeKind::Table(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key.clone(),
                        key_span: Span::default(),
                        value: strip(&e.value),
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        Node {
            kind,
            span: Span::default(),
        }
    }

    fn pos(source: &str, span: Span) -> (usize, usize) {
        LineIndex::new(source).line_col(span.start)
    }

    fn text(source: &str, span: Span) -> &str {
        &source[span.start..span.end]
    }

    fn json_err(source: &str) -> (String, (usize, usize)) {
        match parse_json(source) {
            Ok(node) => panic!("expected an error for {source:?}, got {node:?}"),
            Err(e) => (e.message.clone(), pos(source, e.span)),
        }
    }

    fn toml_err(source: &str) -> (String, (usize, usize)) {
        match parse_toml(source) {
            Ok(node) => panic!("expected an error for {source:?}, got {node:?}"),
            Err(e) => (e.message.clone(), pos(source, e.span)),
        }
    }

    fn keys(node: &Node) -> Vec<&str> {
        match &node.kind {
            NodeKind::Table(entries) => entries.iter().map(|e| e.key.as_str()).collect(),
            _ => panic!("not a table: {node:?}"),
        }
    }

    const TOML_DOC: &str = r#"name = "Spring sale"
version = 2
site.locale = "fr-FR"

[defaults]
ratio = 0.5
enabled = true
empty = {}

[[campaign]]
id = "gold"
when = { "cookie.tier" = "gold", visits = { min = 3, max = -1 } }
weights = [1, 2.5, "x", [true]]

[[campaign]]
id = "silver"
tags = []
"#;

    const JSON_DOC: &str = r#"{
  "name": "Spring sale",
  "version": 2,
  "site": { "locale": "fr-FR" },
  "defaults": { "ratio": 0.5, "enabled": true, "empty": {} },
  "campaign": [
    {
      "id": "gold",
      "when": { "cookie.tier": "gold", "visits": { "min": 3, "max": -1 } },
      "weights": [1, 2.5, "x", [true]]
    },
    { "id": "silver", "tags": [] }
  ]
}"#;

    #[test]
    fn toml_and_json_give_the_same_tree() {
        let toml = parse_toml(TOML_DOC).expect("toml parses");
        let json = parse_json(JSON_DOC).expect("json parses");
        assert_eq!(strip(&toml), strip(&json));
        assert_eq!(
            keys(&toml),
            ["name", "version", "site", "defaults", "campaign"]
        );
    }

    #[test]
    fn parse_dispatches_on_format() {
        assert_eq!(Format::from_path("rules/tailor.json"), Format::Json);
        assert_eq!(Format::from_path("RULES.JSON"), Format::Json);
        assert_eq!(Format::from_path("tailor.toml"), Format::Toml);
        assert_eq!(Format::from_path("json"), Format::Toml);
        assert_eq!(Format::from_path("noext"), Format::Toml);
        let a = parse(TOML_DOC, Format::Toml).expect("toml");
        let b = parse(JSON_DOC, Format::Json).expect("json");
        assert_eq!(strip(&a), strip(&b));
    }

    #[test]
    fn quoted_dotted_key_stays_one_key() {
        let src =
            "\"cookie.tier\" = \"gold\"\ncookie.plain = 1\n[when]\n\"geo.country\" = \"FR\"\n";
        let root = parse_toml(src).expect("parses");
        assert_eq!(keys(&root), ["cookie.tier", "cookie", "when"]);
        let entry = root.entry("cookie.tier").expect("one key");
        assert_eq!(text(src, entry.key_span), "\"cookie.tier\"");
        assert_eq!(entry.value.kind, NodeKind::String("gold".into()));
        let cookie = root.get("cookie").expect("dotted key made a table");
        assert_eq!(cookie.type_name(), "table");
        assert_eq!(
            cookie.get("plain").map(|n| &n.kind),
            Some(&NodeKind::Integer(1))
        );
        assert_eq!(
            root.get("when")
                .and_then(|w| w.get("geo.country"))
                .map(|n| &n.kind),
            Some(&NodeKind::String("FR".into()))
        );

        let json = parse_json(r#"{"cookie.tier": "gold"}"#).expect("parses");
        assert_eq!(keys(&json), ["cookie.tier"]);
    }

    #[test]
    fn headers_and_dotted_keys_nest() {
        let src = "[a.b]\nx = 1\n[a.c]\ny.z = 2\n";
        let root = parse_toml(src).expect("parses");
        let a = root.get("a").expect("a");
        assert_eq!(keys(a), ["b", "c"]);
        let b = a.get("b").expect("b");
        assert_eq!(pos(src, b.span), (1, 1));
        assert_eq!(text(src, b.span), "[a.b]");
        let z = a
            .get("c")
            .and_then(|c| c.get("y"))
            .and_then(|y| y.get("z"))
            .expect("z");
        assert_eq!(z.kind, NodeKind::Integer(2));
        assert_eq!(pos(src, z.span), (4, 7));
        let y = a.get("c").and_then(|c| c.entry("y")).expect("y");
        assert_eq!(pos(src, y.key_span), (4, 1));
        // An implicit table has no text of its own; it points at the key that created it.
        assert_eq!(pos(src, y.value.span), (4, 1));
    }

    #[test]
    fn entries_keep_source_order_when_a_header_comes_late() {
        let src = "[a.b]\nx = 1\n[c]\ny = 2\n[a]\nz = 3\n";
        let root = parse_toml(src).expect("parses");
        assert_eq!(keys(&root), ["a", "c"]);
        let a = root.get("a").expect("a");
        assert_eq!(keys(a), ["b", "z"]);
        assert_eq!(pos(src, a.span), (5, 1));
    }

    #[test]
    fn toml_spans_point_into_inline_table_inside_array_of_tables() {
        let root = parse_toml(TOML_DOC).expect("parses");
        let campaigns = root.get("campaign").expect("campaign");
        let NodeKind::Array(items) = &campaigns.kind else {
            panic!("array of tables must become an array: {campaigns:?}");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(pos(TOML_DOC, campaigns.span), (10, 1));
        assert_eq!(pos(TOML_DOC, items[0].span), (10, 1));
        assert_eq!(text(TOML_DOC, items[0].span), "[[campaign]]");
        assert_eq!(pos(TOML_DOC, items[1].span), (15, 1));

        let when = items[0].get("when").expect("when");
        assert_eq!(pos(TOML_DOC, when.span), (12, 8));
        assert!(text(TOML_DOC, when.span).starts_with('{'));
        assert!(text(TOML_DOC, when.span).ends_with('}'));
        let tier = when.entry("cookie.tier").expect("tier");
        assert_eq!(pos(TOML_DOC, tier.key_span), (12, 10));
        assert_eq!(pos(TOML_DOC, tier.value.span), (12, 26));
        assert_eq!(text(TOML_DOC, tier.value.span), "\"gold\"");
        let visits = when.get("visits").expect("visits");
        let min = visits.entry("min").expect("min");
        assert_eq!(pos(TOML_DOC, min.key_span), (12, 45));
        assert_eq!(pos(TOML_DOC, min.value.span), (12, 51));
        assert_eq!(min.value.kind, NodeKind::Integer(3));
        let weights = items[0].get("weights").expect("weights");
        assert_eq!(text(TOML_DOC, weights.span), "[1, 2.5, \"x\", [true]]");
        let NodeKind::Array(ws) = &weights.kind else {
            panic!("array")
        };
        assert_eq!(pos(TOML_DOC, ws[1].span), (13, 15));
        assert_eq!(ws[1].type_name(), "float");
    }

    #[test]
    fn json_spans_point_at_keys_and_values() {
        let root = parse_json(JSON_DOC).expect("parses");
        let campaigns = root.get("campaign").expect("campaign");
        let NodeKind::Array(items) = &campaigns.kind else {
            panic!("array")
        };
        let min = items[0]
            .get("when")
            .and_then(|w| w.get("visits"))
            .and_then(|v| v.entry("min"))
            .expect("min");
        assert_eq!(pos(JSON_DOC, min.key_span), (9, 52));
        assert_eq!(text(JSON_DOC, min.key_span), "\"min\"");
        assert_eq!(pos(JSON_DOC, min.value.span), (9, 59));
        assert_eq!(pos(JSON_DOC, items[1].span), (12, 5));
        assert_eq!(pos(JSON_DOC, root.span), (1, 1));
        assert_eq!(root.span.end, JSON_DOC.len());
    }

    #[test]
    fn toml_scalars_and_datetimes() {
        let src = "a = 0x1F\nb = 1e3\nc = 'lit'\nd = 1979-05-27T07:32:00Z\ne = 07:32:00\nf = false\ng = inf\n";
        let root = parse_toml(src).expect("parses");
        assert_eq!(root.get("a").map(|n| &n.kind), Some(&NodeKind::Integer(31)));
        assert_eq!(
            root.get("b").map(|n| &n.kind),
            Some(&NodeKind::Float(1000.0))
        );
        assert_eq!(
            root.get("c").map(|n| &n.kind),
            Some(&NodeKind::String("lit".into()))
        );
        let d = root.get("d").expect("d");
        assert_eq!(d.kind, NodeKind::Datetime("1979-05-27T07:32:00Z".into()));
        assert_eq!(d.type_name(), "datetime");
        assert_eq!(
            root.get("e").map(|n| &n.kind),
            Some(&NodeKind::Datetime("07:32:00".into()))
        );
        assert_eq!(root.get("f").map(|n| &n.kind), Some(&NodeKind::Bool(false)));
        assert_eq!(root.get("g").map(|n| n.type_name()), Some("float"));
    }

    #[test]
    fn json_scalars() {
        let root = parse_json(
            r#"{"i": -42, "z": -0, "f": 1.5, "e": 2E+2, "big": 99999999999999999999,
               "min": -9223372036854775808, "n": null, "t": true, "s": "a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}"#,
        )
        .expect("parses");
        let kind = |k: &str| root.get(k).map(|n| n.kind.clone());
        assert_eq!(kind("i"), Some(NodeKind::Integer(-42)));
        assert_eq!(kind("z"), Some(NodeKind::Integer(0)));
        assert_eq!(kind("f"), Some(NodeKind::Float(1.5)));
        assert_eq!(kind("e"), Some(NodeKind::Float(200.0)));
        assert_eq!(kind("big"), Some(NodeKind::Float(1e20)));
        assert_eq!(kind("min"), Some(NodeKind::Integer(i64::MIN)));
        assert_eq!(kind("n"), Some(NodeKind::Null));
        assert_eq!(root.get("n").map(Node::type_name), Some("null"));
        assert_eq!(kind("t"), Some(NodeKind::Bool(true)));
        assert_eq!(
            kind("s"),
            Some(NodeKind::String("a\"\\/\u{8}\u{c}\n\r\té😀".into()))
        );
        let scalar = parse_json(" \"héllo wörld\" ").expect("scalar root");
        assert_eq!(scalar.kind, NodeKind::String("héllo wörld".into()));
        assert_eq!(scalar.span, Span { start: 1, end: 16 });
    }

    #[test]
    fn json_trailing_commas() {
        let (msg, at) = json_err("{\n  \"a\": 1,\n}");
        assert!(msg.contains("trailing comma"), "{msg}");
        assert_eq!(at, (2, 9));
        let (msg, at) = json_err("[1, 2 , ]");
        assert!(msg.contains("trailing comma"), "{msg}");
        assert_eq!(at, (1, 7));
    }

    #[test]
    fn json_unterminated_strings() {
        let (msg, at) = json_err("{\"a\": \"gold");
        assert_eq!(msg, "unterminated string");
        assert_eq!(at, (1, 7));
        let (msg, at) = json_err("{\n  \"a\": \"gold\n}");
        assert!(msg.starts_with("unterminated string"), "{msg}");
        assert_eq!(at, (2, 8));
        let (msg, at) = json_err("\"abc\\");
        assert_eq!(msg, "unterminated string");
        assert_eq!(at, (1, 1));
    }

    #[test]
    fn json_bad_escapes() {
        let (msg, at) = json_err("{\"a\": \"x\\qy\"}");
        assert!(msg.starts_with("invalid escape sequence `\\q` ("), "{msg}");
        assert_eq!(at, (1, 9));
        let (msg, at) = json_err("[\"\\u12G4\"]");
        assert!(msg.contains("4 hex digits"), "{msg}");
        assert_eq!(at, (1, 3));
        let (msg, at) = json_err("[\"ab\\uD83D\"]");
        assert!(msg.contains("unpaired surrogate"), "{msg}");
        assert_eq!(at, (1, 5));
        let (msg, _) = json_err("[\"\\uD83D\\u0041\"]");
        assert!(msg.contains("unpaired surrogate"), "{msg}");
        let (msg, _) = json_err("[\"\\uDE00\"]");
        assert!(msg.contains("unpaired surrogate"), "{msg}");
        let (msg, at) = json_err("[\"é\\é\"]");
        assert!(msg.contains("invalid escape"), "{msg}");
        assert_eq!(at, (1, 4));
        let (msg, at) = json_err("[\"a\tb\"]");
        assert!(msg.contains("U+0009"), "{msg}");
        assert_eq!(at, (1, 4));
    }

    #[test]
    fn json_duplicate_keys() {
        let src = "{\n  \"id\": 1,\n  \"when\": {},\n  \"id\": 2\n}";
        let (msg, at) = json_err(src);
        assert_eq!(msg, "duplicate key `id`");
        assert_eq!(at, (4, 3));
        // Same name in different objects is fine.
        assert!(parse_json(r#"{"a": {"id": 1}, "b": {"id": 2}}"#).is_ok());
        // Escapes are decoded before comparing.
        let (msg, _) = json_err(r#"{"id": 1, "\u0069d": 2}"#);
        assert_eq!(msg, "duplicate key `id`");
    }

    #[test]
    fn json_nesting_limit() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse_json(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let (msg, at) = json_err(&deep);
        assert!(msg.contains("deeper than 128"), "{msg}");
        assert_eq!(at, (1, MAX_DEPTH + 1));
        let objects = "{\"a\":".repeat(100_000);
        let (msg, _) = json_err(&objects);
        assert!(msg.contains("deeper than 128"), "{msg}");
        assert!(parse_json(&"[".repeat(1_000_000)).is_err());
    }

    #[test]
    fn json_other_errors() {
        let cases: &[(&str, &str, (usize, usize))] = &[
            ("", "the file is empty", (1, 1)),
            ("  \n ", "the file is empty", (2, 2)),
            ("\u{feff}", "the file is empty", (1, 1)),
            ("{} x", "after the end of the JSON document", (1, 4)),
            ("{\"a\" 1}", "expected `:`", (1, 6)),
            ("{\"a\": 1 \"b\": 2}", "expected `,` or `}`", (1, 9)),
            ("[1 2]", "expected `,` or `]`", (1, 4)),
            ("{a: 1}", "double quotes", (1, 2)),
            ("['a']", "double quotes", (1, 2)),
            ("// hi\n{}", "comments are not allowed", (1, 1)),
            ("[True]", "`true`", (1, 2)),
            ("[gold]", "double quotes", (1, 2)),
            ("[01]", "leading zeros", (1, 2)),
            ("[-]", "expected a digit after `-`", (1, 3)),
            ("[1.]", "decimal point", (1, 4)),
            ("[1e]", "exponent", (1, 4)),
            ("[+1]", "expected a value, found `+`", (1, 2)),
            ("[.5]", "expected a value", (1, 2)),
            ("[1e400]", "too large", (1, 2)),
            ("{\n  \"a\": [1,\n", "never closed", (2, 8)),
            ("{\"a\": 1", "never closed", (1, 1)),
            ("[,]", "expected a value, found `,`", (1, 2)),
            ("{,}", "expected a key", (1, 2)),
            ("[1]\u{a0}", "after the end", (1, 4)),
        ];
        for (src, needle, expected_at) in cases {
            let (msg, at) = json_err(src);
            assert!(msg.contains(needle), "{src:?}: {msg:?} lacks {needle:?}");
            assert_eq!(at, *expected_at, "{src:?}: {msg}");
            assert!(!msg.contains('\n'), "{src:?}: {msg:?}");
        }
    }

    #[test]
    fn json_accepts_a_byte_order_mark() {
        let src = "\u{feff}{\"a\": x}";
        let (_, at) = json_err(src);
        assert_eq!(at, (1, 7));
        assert!(parse_json("\u{feff}{}").is_ok());
    }

    #[test]
    fn toml_syntax_errors_have_plain_messages_and_positions() {
        let (msg, at) = toml_err("name = \"x\"\nversion = \n");
        assert_eq!(at, (2, 1));
        assert!(msg.starts_with("`version` has no value"), "{msg}");
        assert!(
            !msg.contains('\n') && !msg.contains("TOML parse error"),
            "{msg}"
        );

        let (msg, at) = toml_err("a = 1\n[t]\nb = 2\nb = 3\n");
        assert_eq!(msg, "duplicate key `b`");
        assert_eq!(at, (4, 1));

        let (msg, at) = toml_err("a = \"unterminated\nb = 1\n");
        assert!(!msg.is_empty());
        assert_eq!(at.0, 1);

        let (_, at) = toml_err("x = { a = 1, a = 2 }");
        assert_eq!(at, (1, 14));
    }

    #[test]
    fn toml_message_cleanup_drops_a_rendered_excerpt() {
        let rendered = "TOML parse error at line 1, column 10\n  |\n1 | 00:32:00.a999999\n  |          ^\ninvalid time\nexpected `digit`\n";
        assert_eq!(
            plain_toml_message(rendered),
            "invalid time; expected `digit`"
        );
        assert_eq!(plain_toml_message("duplicate key"), "duplicate key");
        assert_eq!(plain_toml_message(""), "invalid TOML");
    }

    #[test]
    fn toml_deep_nesting_is_an_error_not_a_crash() {
        // toml_edit stops these itself; either way the result must be an error.
        let key = vec!["k"; 500].join(".");
        let (msg, _) = toml_err(&format!("{key} = 1\n"));
        assert!(!msg.is_empty());
        let _ = toml_err(&format!("[{key}]\n"));
        let _ = toml_err(&format!("[[{key}]]\n"));
        assert!(parse_toml(&format!("x = {}", "[".repeat(10_000))).is_err());
        // Each path stays under toml_edit's own limit; together they exceed ours.
        let header = vec!["h"; 70].join(".");
        let dotted = vec!["d"; 70].join(".");
        let (msg, at) = toml_err(&format!("[{header}]\n{dotted} = 1\n"));
        assert!(msg.contains("deeper than 128"), "{msg}");
        assert_eq!(at.0, 2);
        let ok = vec!["k"; 40].join(".");
        assert!(parse_toml(&format!("{ok} = 1\n")).is_ok());
    }

    #[test]
    fn line_index_counts_characters_and_handles_crlf() {
        let src = "a = \"é\"\r\nb = \"日本\" # ✓\r\nc";
        let index = LineIndex::new(src);
        assert_eq!(index.line_col(0), (1, 1));
        let e_end = src.find("\"\r").expect("quote");
        assert_eq!(index.line_col(e_end), (1, 7));
        assert_eq!(index.line_col(e_end + 1), (1, 8)); // the \r
        let b = src.find('b').expect("b");
        assert_eq!(index.line_col(b), (2, 1));
        let hash = src.find('#').expect("#");
        assert_eq!(index.line_col(hash), (2, 10));
        // Inside a multi-byte character: reported at that character.
        assert_eq!(index.line_col(b + 6), (2, 6));
        assert_eq!(index.line_col(src.len() - 1), (3, 1));
        assert_eq!(index.line_col(src.len()), (3, 2));
        assert_eq!(index.line_col(usize::MAX), (3, 2));
        assert_eq!(LineIndex::new("").line_col(5), (1, 1));
        assert_eq!(LineIndex::new("\n\n").line_col(2), (3, 1));
        assert_eq!(LineIndex::new("\u{feff}ab").line_col(4), (1, 2));
    }

    #[test]
    fn crlf_sources_parse_with_correct_positions() {
        let toml = "a = 1\r\n[t]\r\nb = \"x\"\r\n";
        let root = parse_toml(toml).expect("toml");
        let b = root.get("t").and_then(|t| t.get("b")).expect("b");
        assert_eq!(pos(toml, b.span), (3, 5));
        let json = "{\r\n  \"t\": {\"b\": \"x\"}\r\n}";
        let root = parse_json(json).expect("json");
        let b = root.get("t").and_then(|t| t.get("b")).expect("b");
        assert_eq!(pos(json, b.span), (2, 14));
    }

    #[test]
    fn node_accessors() {
        let root = parse_json(r#"{"a": [1], "b": {"c": "d"}}"#).expect("parses");
        assert_eq!(root.type_name(), "table");
        assert_eq!(root.get("a").map(Node::type_name), Some("array"));
        assert_eq!(
            root.get("b").and_then(|b| b.get("c")).map(Node::type_name),
            Some("string")
        );
        assert!(root.get("missing").is_none());
        assert!(root.get("a").and_then(|a| a.get("x")).is_none());
        assert_eq!(root.entry("b").map(|e| e.key.as_str()), Some("b"));
    }

    /// Cheap deterministic fuzzing: truncations and byte-level mutations of valid documents,
    /// plus random bytes, must produce a result or an error, never a panic, and error spans
    /// must stay inside the source.
    #[test]
    fn parsers_never_panic() {
        fn check(src: &str) {
            for result in [parse_json(src), parse_toml(src)] {
                if let Err(e) = result {
                    assert!(e.span.start <= e.span.end, "{src:?}: {e:?}");
                    assert!(e.span.end <= src.len(), "{src:?}: {e:?}");
                    let _ = LineIndex::new(src).line_col(e.span.start);
                }
            }
        }
        let alphabet: Vec<char> = "{}[]\":,\\u0123456789abcdefDE+-.eE tnrl\n\r\t'#=é😀\u{0}/"
            .chars()
            .collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for doc in [
            JSON_DOC,
            TOML_DOC,
            r#"["\ud83d\ude00", -0.5e-3, {"a":null}]"#,
        ] {
            for (i, _) in doc.char_indices() {
                check(&doc[..i]);
            }
            let chars: Vec<char> = doc.chars().collect();
            for _ in 0..400 {
                let mut mutated = chars.clone();
                for _ in 0..3 {
                    let at = (next() as usize) % mutated.len();
                    let c = alphabet[(next() as usize) % alphabet.len()];
                    match next() % 3 {
                        0 => mutated[at] = c,
                        1 => mutated.insert(at, c),
                        _ => {
                            mutated.remove(at);
                        }
                    }
                    if mutated.is_empty() {
                        break;
                    }
                }
                check(&mutated.iter().collect::<String>());
            }
        }
        for _ in 0..2000 {
            let len = (next() % 40) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[(next() as usize) % alphabet.len()])
                .collect();
            check(&s);
        }
    }
}
