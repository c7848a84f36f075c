//! Attributes as the browser loader hands them to `evaluate`: a JSON value in
//! a small binary form instead of JSON text.
//!
//! An app that renders variants itself calls `evaluate` once per visitor or
//! per render, so its cost is per call. With JSON text, writing it
//! (`JSON.stringify`), copying it into the wasm and reading it back into a
//! [`Value`] tree cost more than deciding: half a microsecond for the text
//! alone, then an allocation for every key and string. This form is written
//! by `pkg-template/src/attributes.js` straight from the JS object (ASCII
//! copied byte by byte, numbers as `f64`), and [`decode_into`] reads it into
//! the `Value` of the previous call, reusing its strings, arrays and
//! objects, so that one visitor after another allocates nothing once the
//! buffers have grown.
//!
//! A value is a tag byte and its payload (integers little-endian):
//!
//! | tag | value | payload |
//! |---:|---|---|
//! | 0 | `null` | |
//! | 1 | `false` | |
//! | 2 | `true` | |
//! | 3 | number | `f64` |
//! | 4 | string | `u32` byte length, UTF-8 |
//! | 5 | array | `u32` count, that many values |
//! | 6 | object | `u32` count, that many (`u32` length, UTF-8 key, value) |
//!
//! The writer follows `JSON.stringify` (`toJSON`, non-finite numbers as
//! `null`, `undefined` members dropped), so a value means what its JSON text
//! would: `evaluate` decides exactly as it would from the JSON.

use crate::value::{same_bytes, Value};

/// Nesting deeper than this is refused, as the JSON reader refuses it.
const MAX_DEPTH: usize = 64;

/// Reads `bytes` into `into`, reusing what `into` holds. `false` on
/// malformed input (`into` is then some valid value, not to be used).
pub fn decode_into(bytes: &[u8], into: &mut Value) -> bool {
    Decoder::default().decode_into(bytes, into)
}

/// How many object members and array items a [`Decoder`] keeps for later
/// calls, and the most heap each may hold: a spare is kept for its buffers,
/// and a large value an app passed once is dropped rather than held for
/// good.
const MAX_SPARE: usize = 64;
const MAX_SPARE_BYTES: usize = 4096;

/// The heap bytes `v` holds, counted up to a little past `MAX_SPARE_BYTES`.
fn heap_bytes(v: &Value) -> usize {
    match v {
        Value::String(s) => s.capacity(),
        Value::Array(items) => items.iter().fold(items.capacity() * std::mem::size_of::<Value>(), |n, item| {
            if n > MAX_SPARE_BYTES { n } else { n + heap_bytes(item) }
        }),
        Value::Object(entries) => {
            entries.iter().fold(entries.capacity() * std::mem::size_of::<(String, Value)>(), |n, (k, item)| {
                if n > MAX_SPARE_BYTES { n } else { n + k.capacity() + heap_bytes(item) }
            })
        }
        _ => 0,
    }
}

/// Keeps what a call left out in `spares`, up to [`MAX_SPARE`] of them
/// and only those holding at most [`MAX_SPARE_BYTES`].
fn keep_spares<T>(spares: &mut Vec<T>, left_out: impl Iterator<Item = T>, value: impl Fn(&T) -> &Value) {
    for spare in left_out {
        if spares.len() < MAX_SPARE && heap_bytes(value(&spare)) <= MAX_SPARE_BYTES {
            spares.push(spare);
        }
    }
}

/// Reads one value after another into the same [`Value`], keeping the
/// object members and array items that one call left out for the next:
/// visitors differ in which attributes they have, and without the spares
/// every attribute missing from one visitor shifted the rest, so that keys
/// and values were overwritten and allocated again for the next visitor (a
/// third of the cost of `evaluate`).
#[derive(Default)]
pub struct Decoder {
    spare: Vec<(String, Value)>,
    spare_items: Vec<Value>,
}

impl Decoder {
    pub const fn new() -> Decoder {
        Decoder { spare: Vec::new(), spare_items: Vec::new() }
    }

    /// [`decode_into`], with this decoder's spare members.
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    pub fn decode_into(&mut self, bytes: &[u8], into: &mut Value) -> bool {
        let mut reader = Reader { bytes, at: 0, spare: &mut self.spare, spare_items: &mut self.spare_items };
        reader.value(into, 0).is_some() && reader.at == bytes.len()
    }
}

struct Reader<'a, 's> {
    bytes: &'a [u8],
    at: usize,
    spare: &'s mut Vec<(String, Value)>,
    spare_items: &'s mut Vec<Value>,
}

impl<'a> Reader<'a, '_> {
    #[cfg_attr(feature = "fast-decide", inline(always))]
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let bytes = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(bytes)
    }

    #[cfg_attr(feature = "fast-decide", inline(always))]
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    fn u32(&mut self) -> Option<usize> {
        let b = self.take(4)?;
        Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    /// A count of items that take at least a byte each: larger than what
    /// is left means a malformed input, refused before anything grows.
    #[cfg_attr(feature = "fast-decide", inline(always))]
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    fn count(&mut self) -> Option<usize> {
        let n = self.u32()?;
        (n <= self.bytes.len() - self.at).then_some(n)
    }

    #[cfg_attr(feature = "fast-decide", inline(always))]
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    fn str(&mut self) -> Option<&'a str> {
        crate::utf8::from_utf8(self.str_bytes()?).ok()
    }

    /// A string's bytes, not yet checked to be UTF-8.
    #[cfg_attr(feature = "fast-decide", inline(always))]
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    fn str_bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        self.take(n)
    }

    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    fn value(&mut self, into: &mut Value, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match *self.take(1)?.first()? {
            0 => *into = Value::Null,
            1 => *into = Value::Bool(false),
            2 => *into = Value::Bool(true),
            3 => {
                let b = self.take(8)?;
                let n = f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
                // `+ 0.0` turns -0 into 0, as its JSON text "0" would read.
                *into = Value::Number(n + 0.0);
            }
            4 => {
                let s = self.str()?;
                match into {
                    Value::String(old) => {
                        old.clear();
                        old.push_str(s);
                    }
                    _ => *into = Value::String(s.to_string()),
                }
            }
            5 => {
                let n = self.count()?;
                if !matches!(into, Value::Array(_)) {
                    *into = Value::Array(Vec::with_capacity(n));
                }
                let Value::Array(items) = into else { return None };
                for i in 0..n {
                    if i == items.len() {
                        items.push(self.spare_items.pop().unwrap_or(Value::Null));
                    }
                    self.value(&mut items[i], depth + 1)?;
                }
                // Items beyond this array's length keep their strings for
                // a later array (a visitor's `tags`, one or three).
                keep_spares(self.spare_items, items.drain(n..), |item| item);
            }
            6 => {
                let n = self.count()?;
                if !matches!(into, Value::Object(_)) {
                    *into = Value::Object(Vec::with_capacity(n));
                }
                let Value::Object(entries) = into else { return None };
                for i in 0..n {
                    let key_bytes = self.str_bytes()?;
                    // The same key as last time (the usual case: visitors
                    // share their attributes' shape) is valid UTF-8 already.
                    if i < entries.len() && same_bytes(entries[i].0.as_bytes(), key_bytes) {
                        self.value(&mut entries[i].1, depth + 1)?;
                        continue;
                    }
                    let key = crate::utf8::from_utf8(key_bytes).ok()?;
                    if let Some(j) = entries.get(i + 1..).and_then(|rest| rest.iter().position(|(k, _)| k == key)) {
                        // Further on (an attribute missing from this
                        // visitor shifted the rest): it keeps its buffers.
                        entries.swap(i, i + 1 + j);
                    } else {
                        // A member left out before, or a new one; the one
                        // at `i` stays for a later key.
                        let entry = match self.spare.iter().position(|(k, _)| k == key) {
                            Some(j) => self.spare.swap_remove(j),
                            None => (key.to_string(), Value::Null),
                        };
                        entries.insert(i.min(entries.len()), entry);
                    }
                    self.value(&mut entries[i].1, depth + 1)?;
                }
                keep_spares(self.spare, entries.drain(n..), |(_, value)| value);
            }
            _ => return None,
        }
        Some(())
    }
}

/// Writes `v` as `pkg-template/src/attributes.js` writes a JS value, for
/// Rust callers of the browser engine (its tests).
pub fn encode(v: &Value, out: &mut Vec<u8>) {
    let str = |s: &str, out: &mut Vec<u8>| {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.push(1 + u8::from(*b)),
        Value::Number(n) => {
            out.push(3);
            out.extend_from_slice(&n.to_le_bytes());
        }
        Value::String(s) => {
            out.push(4);
            str(s, out);
        }
        Value::Array(items) => {
            out.push(5);
            out.extend_from_slice(&(items.len() as u32).to_le_bytes());
            items.iter().for_each(|item| encode(item, out));
        }
        Value::Object(entries) => {
            out.push(6);
            out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
            for (k, item) in entries {
                str(k, out);
                encode(item, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode(v, &mut out);
        out
    }

    fn json(text: &str) -> Value {
        crate::json::parse(text).expect("test JSON")
    }

    #[test]
    fn reads_what_the_json_reader_reads_reusing_the_previous_value() {
        let docs = [
            r#"{"id":"visitor-1","plan":"pro","age":34,"tags":["beta","vip"],"score":0.5,"ok":true,"none":null}"#,
            r#"{"id":"v2","plan":"free","tags":[],"nested":{"a":[1,{"b":"ü€😀"}]}}"#,
            r#"{"id":"v3"}"#,
            r#"{"plan":["not","a","string"],"id":{"x":1},"age":"34"}"#,
            r#"[1,"two",null,false]"#,
            r#""just a string""#,
            r#"{"id":"visitor-1","plan":"pro","age":34,"tags":["beta","vip"],"score":0.5,"ok":true,"none":null}"#,
        ];
        let mut reused = Value::Null;
        for doc in docs {
            let expected = json(doc);
            assert!(decode_into(&bytes(&expected), &mut reused), "{doc}");
            assert_eq!(reused, expected, "{doc}");
            let mut fresh = Value::Null;
            assert!(decode_into(&bytes(&expected), &mut fresh));
            assert_eq!(fresh, expected);
        }
    }

    #[test]
    fn one_decoder_reads_visitors_of_changing_shapes_as_fresh_ones() {
        // Members missing, reordered, coming back with another type; arrays
        // shrinking and growing: the spares must never leak into a value.
        let mut state = 11u32;
        let mut next = |n: u32| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (state >> 16) % n
        };
        let keys = ["id", "plan", "age", "tags", "score", "version", "country", "nested"];
        let mut decoder = Decoder::new();
        let mut reused = Value::Null;
        for round in 0..3000 {
            let mut entries = Vec::new();
            for key in keys {
                if next(4) == 0 {
                    continue;
                }
                let value = match next(6) {
                    0 => Value::Number(f64::from(next(100))),
                    1 => Value::String("v".repeat(next(30) as usize)),
                    2 => Value::Array((0..next(4)).map(|i| Value::String(format!("t{i}"))).collect()),
                    3 => Value::Object(vec![("a".to_string(), Value::Array(vec![Value::Bool(true); next(3) as usize]))]),
                    4 => Value::Null,
                    _ => Value::Bool(next(2) == 1),
                };
                entries.push((key.to_string(), value));
            }
            if next(3) == 0 {
                entries.reverse();
            }
            let expected = Value::Object(entries);
            assert!(decoder.decode_into(&bytes(&expected), &mut reused), "round {round}");
            assert_eq!(reused, expected, "round {round}");
        }
        assert!(decoder.spare.len() <= MAX_SPARE && decoder.spare_items.len() <= MAX_SPARE);
    }

    #[test]
    fn large_values_left_out_are_not_kept() {
        let mut decoder = Decoder::new();
        let mut reused = Value::Null;
        let big = Value::Object(vec![
            ("id".to_string(), Value::String("v1".into())),
            ("note".to_string(), Value::String("x".repeat(100_000))),
            ("small".to_string(), Value::String("y".repeat(10))),
        ]);
        assert!(decoder.decode_into(&bytes(&big), &mut reused));
        let only_id = Value::Object(vec![("id".to_string(), Value::String("v2".into()))]);
        assert!(decoder.decode_into(&bytes(&only_id), &mut reused));
        assert_eq!(reused, only_id);
        let kept: Vec<&str> = decoder.spare.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kept, ["small"], "the 100 KB note is dropped, the short value kept");
    }

    #[test]
    fn negative_zero_reads_as_its_json_text_would() {
        let mut v = Value::Null;
        assert!(decode_into(&bytes(&Value::Number(-0.0)), &mut v));
        let Value::Number(n) = v else { panic!("a number") };
        assert!(n == 0.0 && n.is_sign_positive());
    }

    #[test]
    fn refuses_malformed_input_without_panicking() {
        let good = bytes(&json(r#"{"id":"abc","tags":["x",1,[true]]}"#));
        let mut v = Value::Null;
        // Every truncation and every trailing byte is refused.
        for end in 0..good.len() {
            assert!(!decode_into(&good[..end], &mut v), "truncated at {end}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(!decode_into(&longer, &mut v));
        // Unknown tags, counts beyond the input, invalid UTF-8.
        assert!(!decode_into(&[7], &mut v));
        assert!(!decode_into(&[5, 255, 255, 255, 255], &mut v));
        assert!(!decode_into(&[4, 2, 0, 0, 0, 0xc3, 0x28], &mut v));
        // Nesting: 64 levels below the top are read, 65 refused (as JSON).
        let nested = |levels: usize| {
            let mut out = vec![5u8, 1, 0, 0, 0].repeat(levels);
            out.push(0);
            out
        };
        assert!(decode_into(&nested(64), &mut v));
        assert!(crate::json::parse(&format!("{}null{}", "[".repeat(64), "]".repeat(64))).is_ok());
        assert!(!decode_into(&nested(65), &mut v));
        assert!(crate::json::parse(&format!("{}null{}", "[".repeat(65), "]".repeat(65))).is_err());
    }
}
