//! Compiler diagnostics: `FILE:LINE:COL: error: what is wrong and how to fix it`.

use super::source::{LineIndex, Span};
use crate::value::{write_json_string, Value};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Diagnostic {
    pub fn at(severity: Severity, file: &str, lines: &LineIndex, span: Span, message: impl Into<String>) -> Self {
        let (line, column) = lines.line_col(span.start);
        Diagnostic { severity, file: file.to_string(), line, column, message: message.into() }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// One JSON object, for `--format json`.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{\"file\":");
        write_json_string(&self.file, &mut out);
        out.push_str(&format!(",\"line\":{},\"column\":{},\"severity\":", self.line, self.column));
        write_json_string(self.severity.as_str(), &mut out);
        out.push_str(",\"message\":");
        write_json_string(&self.message, &mut out);
        out.push('}');
        out
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}: {}", self.file, self.line, self.column, self.severity.as_str(), self.message)
    }
}

/// The closest candidate by edit distance, for "did you mean" hints.
pub fn suggest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(wrong, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = if ca == *cb { prev } else { prev + 1 };
            prev = row[j + 1];
            row[j + 1] = cost.min(row[j] + 1).min(prev + 1);
        }
    }
    row[b.len()]
}

/// Renders the value for messages, shortened.
pub fn show(value: &Value) -> String {
    let json = value.to_json();
    if json.chars().count() > 60 {
        format!("{}…", json.chars().take(60).collect::<String>())
    } else {
        json
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(suggest("countyr", ["country", "city"]), Some("country"));
        assert_eq!(suggest("zzz", ["country", "city"]), None);
        assert_eq!(suggest("prority", ["priority", "pages"]), Some("priority"));
    }
}
