//! `{{attribute}}` tokens in text and attribute values.
//!
//! `Willkommen, {{city | Freund}}!` renders the visitor's city, or the
//! fallback after `|` when the attribute is missing or empty. Rendering yields
//! raw text; escaping is the output's job (the rewriter, the DOM), so the
//! same template is safe in element content and in attribute values.

use crate::value::Value;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Literal(String),
    Token { path: String, fallback: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{{` at this byte offset has no closing `}}`.
    Unclosed { offset: usize },
    /// `{{}}` or `{{ | x}}` at this byte offset names no attribute.
    EmptyToken { offset: usize },
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::Unclosed { .. } => f.write_str("`{{` is not closed by `}}`"),
            TemplateError::EmptyToken { .. } => {
                f.write_str("`{{ }}` names no attribute; write for example `{{city}}`")
            }
        }
    }
}

impl Template {
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = source;
        let mut offset = 0;
        while let Some(open) = crate::search::find(rest, "{{") {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let after_open = &rest[open + 2..];
            let close = crate::search::find(after_open, "}}").ok_or(TemplateError::Unclosed { offset: offset + open })?;
            let inner = &after_open[..close];
            let (path, fallback) = match inner.split_once('|') {
                Some((path, fallback)) => (path.trim(), fallback.trim()),
                None => (inner.trim(), ""),
            };
            if path.is_empty() {
                return Err(TemplateError::EmptyToken { offset: offset + open });
            }
            parts.push(Part::Token { path: path.to_string(), fallback: fallback.to_string() });
            let consumed = open + 2 + close + 2;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// A template that is only text.
    pub fn literal(text: impl Into<String>) -> Template {
        let text = text.into();
        Template { parts: if text.is_empty() { Vec::new() } else { vec![Part::Literal(text)] } }
    }

    pub fn from_parts(parts: Vec<Part>) -> Template {
        Template { parts }
    }

    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// The attribute paths the template reads, for the compiler's name check.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Token { path, .. } => Some(path.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// The literal text if the template has no tokens.
    pub fn as_literal(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Token { .. } => return None,
            }
        }
        Some(out)
    }

    pub fn render(&self, attributes: &Value) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Token { path, fallback } => match attributes.path(path) {
                    Some(value) if !value.is_null() && value.as_str() != Some("") => {
                        out.push_str(&value.to_js_string())
                    }
                    _ => out.push_str(fallback),
                },
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_tokens_with_fallbacks() {
        let t = Template::parse("Willkommen, {{city | Freund}}! {{ local_hour }}h").unwrap();
        let mut attrs = Value::Null;
        attrs.insert("local_hour", Value::Number(18.0));
        assert_eq!(t.render(&attrs), "Willkommen, Freund! 18h");
        attrs.insert("city", "Berlin".into());
        assert_eq!(t.render(&attrs), "Willkommen, Berlin! 18h");
        assert_eq!(t.tokens().collect::<Vec<_>>(), vec!["city", "local_hour"]);
    }

    #[test]
    fn rejects_broken_tokens() {
        assert_eq!(Template::parse("a {{city"), Err(TemplateError::Unclosed { offset: 2 }));
        assert_eq!(Template::parse("{{ }}"), Err(TemplateError::EmptyToken { offset: 0 }));
        assert_eq!(Template::parse("plain").unwrap().as_literal().as_deref(), Some("plain"));
    }
}
