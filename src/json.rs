//! A small strict JSON reader, without `serde_json`, that builds on every
//! target: what JSON text means for the engines. The browser engine no
//! longer reads JSON (the loader writes its facts and attributes in the
//! binary form of [`crate::wire`], which must read as this reads their
//! JSON text); the tests, the fuzz targets and the wasm tests use it. (The
//! compiler has its own parser with spans.)

use crate::value::Value;
use std::fmt;

const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub offset: usize,
}

impl JsonError {
    /// The message without `core::fmt` (see `DecodeError::message`).
    pub fn message(&self) -> String {
        let mut out = String::from("invalid JSON at byte ");
        crate::value::push_uint(self.offset as u64, &mut out);
        out
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

pub fn parse(text: &str) -> Result<Value, JsonError> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err());
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self) -> JsonError {
        JsonError { offset: self.i }
    }
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn eat(&mut self, lit: &[u8]) -> bool {
        if self.s[self.i..].starts_with(lit) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }
    fn value(&mut self, depth: usize) -> Result<Value, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.err());
        }
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut entries = Vec::new();
                self.ws();
                if self.eat(b"}") {
                    return Ok(Value::Object(entries));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.ws();
                    if !self.eat(b":") {
                        return Err(self.err());
                    }
                    entries.push((key, self.value(depth + 1)?));
                    self.ws();
                    if self.eat(b"}") {
                        return Ok(Value::Object(entries));
                    }
                    if !self.eat(b",") {
                        return Err(self.err());
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.eat(b"]") {
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    if self.eat(b"]") {
                        return Ok(Value::Array(items));
                    }
                    if !self.eat(b",") {
                        return Err(self.err());
                    }
                }
            }
            Some(b'"') => self.string().map(Value::String),
            Some(b't') if self.eat(b"true") => Ok(Value::Bool(true)),
            Some(b'f') if self.eat(b"false") => Ok(Value::Bool(false)),
            Some(b'n') if self.eat(b"null") => Ok(Value::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.i;
                while self.s.get(self.i).is_some_and(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
                    self.i += 1;
                }
                let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| self.err())?;
                crate::value::parse_f64(text).map(Value::Number).ok_or(JsonError { offset: start })
            }
            _ => Err(self.err()),
        }
    }
    fn string(&mut self) -> Result<String, JsonError> {
        if !self.eat(b"\"") {
            return Err(self.err());
        }
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.s.get(self.i).is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20) {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).map_err(|_| self.err())?);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = match self.s.get(self.i).copied() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let hi = self.hex4()?;
                            // A high surrogate pairs only with a low one; a lone
                            // surrogate (JSON.stringify writes them as escapes) is
                            // U+FFFD and the escape after it is read on its own.
                            let lo = match self.s.get(self.i + 1..self.i + 3) {
                                Some(b"\\u") if (0xD800..0xDC00).contains(&hi) => {
                                    let at = self.i;
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if (0xDC00..0xE000).contains(&lo) {
                                        Some(lo)
                                    } else {
                                        self.i = at;
                                        None
                                    }
                                }
                                _ => None,
                            };
                            match lo {
                                Some(lo) => char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)).unwrap_or('\u{fffd}'),
                                None => char::from_u32(hi).unwrap_or('\u{fffd}'),
                            }
                        }
                        _ => return Err(self.err()),
                    };
                    out.push(c);
                    self.i += 1;
                }
                _ => return Err(self.err()),
            }
        }
    }
    /// Reads the four hex digits after `u`, leaving `i` on the last one.
    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self.s.get(self.i + 1..self.i + 5).ok_or_else(|| self.err())?;
        let text = std::str::from_utf8(digits).map_err(|_| self.err())?;
        let n = u32::from_str_radix(text, 16).map_err(|_| self.err())?;
        self.i += 4;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use crate::value::Value;

    #[test]
    fn round_trips_what_value_writes() {
        let text = r#"{"a":[1,2.5,-3e2,true,false,null],"b":{"c":"x\"y\\n\u00e9\ud83d\ude00"}}"#;
        let v = parse(text).unwrap();
        assert_eq!(v.path("b.c"), Some(&Value::from("x\"y\\né😀")));
        assert_eq!(parse(&v.to_json()).unwrap(), v);
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"\\x\"", "1 2", "\"\u{1}\"", &"[".repeat(100)] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
