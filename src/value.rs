//! A JSON-shaped value, owned by the core.
//!
//! The engine that ships to the edge and the browser must not carry `serde_json`
//! (size), yet conditions follow GrowthBook's semantics, which are defined on
//! JSON values. This small enum is that JSON value. Objects keep insertion order
//! in a `Vec` because GrowthBook compares objects with `JSON.stringify`, which
//! is order sensitive, and because the objects involved are tiny (a linear scan
//! beats hashing for a dozen keys).

use std::fmt;

/// A JSON value with JavaScript's number model (every number is an `f64`).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object, or `None` for a missing key or a non-object.
    /// Not `#[inline(always)]`: copied into its two dozen callers it cost
    /// the browser engine 430 B gzip, for no speed `evaluate` (which calls
    /// it twice per visitor; conditions find keys in `resolve`) could measure.
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(entries) => entries.iter().find(|(k, _)| same_key(k, key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Mutable access to member `key`, inserting `Value::Null` if it is absent.
    /// Turns a non-object into an empty object first.
    pub fn entry(&mut self, key: &str) -> &mut Value {
        if !matches!(self, Value::Object(_)) {
            *self = Value::Object(Vec::new());
        }
        let Value::Object(entries) = self else { unreachable!("made an object above") };
        let index = match entries.iter().position(|(k, _)| k == key) {
            Some(index) => index,
            None => {
                entries.push((key.to_string(), Value::Null));
                entries.len() - 1
            }
        };
        &mut entries[index].1
    }

    /// Sets member `key` of an object (see [`Value::entry`]).
    pub fn insert(&mut self, key: &str, value: Value) {
        *self.entry(key) = value;
    }

    /// Follows a dotted path (`cookie.tier`) the way GrowthBook's `getPath` does:
    /// each part must name a member of an object, otherwise the result is `None`
    /// (GrowthBook's `null`/`undefined`). Templates and the consent rule use
    /// it, not conditions: size-optimized.
    pub fn path(&self, path: &str) -> Option<&Value> {
        let mut current = self;
        for part in crate::search::split(path, b".") {
            current = current.get(part)?;
        }
        Some(current)
    }

    #[cfg_attr(feature = "fast-decide", inline(always))]
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// JavaScript's `String(value)`: what `value + ""` yields. Used by
    /// GrowthBook's string comparison and by `{{token}}` expansion.
    pub fn to_js_string(&self) -> String {
        let mut out = String::new();
        self.write_js_string(&mut out);
        out
    }

    fn write_js_string(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => write_js_number(*n, out),
            Value::String(s) => out.push_str(s),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    // Array.prototype.join renders null and undefined as "".
                    if !item.is_null() {
                        item.write_js_string(out);
                    }
                }
            }
            Value::Object(_) => out.push_str("[object Object]"),
        }
    }

    /// `JSON.stringify(value)` as JavaScript writes it (no spaces).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    pub fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) if n.is_finite() => write_js_number(*n, out),
            Value::Number(_) => out.push_str("null"),
            Value::String(s) => write_json_string(s, out),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Value::Object(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(key, out);
                    out.push(':');
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// An array of strings (names, hosts). A loop rather than `map` and
/// `collect`, whose generic code is larger in the browser engine, shared
/// by every list of strings the engines report.
impl From<&[String]> for Value {
    fn from(items: &[String]) -> Self {
        let mut array = Vec::with_capacity(items.len());
        for item in items {
            array.push(Value::String(item.clone()));
        }
        Value::Array(array)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

/// Writes a number the way JavaScript's `Number.prototype.toString` does:
/// integers without a fraction, the shortest round-trip digits otherwise, and
/// exponent notation outside `1e-7 < |n| < 1e21` (`1e+21`, `1.5e-7`), so that
/// GrowthBook's `value + ""` comparisons see the same text as in JavaScript.
pub fn write_js_number(n: f64, out: &mut String) {
    if n.is_nan() {
        out.push_str("NaN");
    } else if n.is_infinite() {
        out.push_str(if n > 0.0 { "Infinity" } else { "-Infinity" });
    } else if n == n.trunc() && n.abs() < 9.007_199_254_740_992e15 {
        // Exact as an i64; `-0` prints as "0" in JavaScript.
        push_int(n as i64, out);
    } else {
        // The browser has JavaScript's own algorithm at hand, for fewer bytes.
        #[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
        crate::jsrt::number_to_string(n, out);
        #[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
        if !write_short_decimal(n, out) {
            write_js_number_slow(n, out);
        }
    }
}

/// Writes `n` if it is a decimal with at most 6 fractional digits and an
/// integer part below 10^9 (bucket positions, prices, weights), and says
/// whether it did. Such numbers are what pages and plans carry; the general
/// shortest-digits algorithm costs a hundred times more.
///
/// Why the result is JavaScript's: `m / 10^k` is computed exactly rounded,
/// so it equals `n` exactly when the decimal `m·10^-k` reads back as `n`.
/// Any decimal with fewer digits differs from it by at least 10^-6, more
/// than the spacing of doubles below 10^9 (about 1.2·10^-7), so it cannot
/// read back as `n`: these are the shortest digits, and in this range
/// JavaScript writes them in fixed notation.
#[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
fn write_short_decimal(n: f64, out: &mut String) -> bool {
    let magnitude = n.abs();
    if !(1e-6..1e9).contains(&magnitude) {
        return false;
    }
    let mut scale = 1u64;
    for digits in 1..=6 {
        scale *= 10;
        let scaled = (magnitude * scale as f64).round();
        if scaled / scale as f64 != magnitude {
            continue;
        }
        let scaled = scaled as u64;
        if n < 0.0 {
            out.push('-');
        }
        push_uint(scaled / scale, out);
        out.push('.');
        let mut buf = [0u8; 20];
        let fraction = decimal_digits(scaled % scale, &mut buf);
        out.extend(std::iter::repeat_n('0', digits - fraction.len()));
        let significant = fraction.iter().rposition(|&b| b != b'0').map_or(0, |i| i + 1);
        out.extend(fraction[..significant].iter().map(|&b| char::from(b)));
        return true;
    }
    false
}

/// `a == b` for the short strings of object keys, compared in place: in
/// wasm, `==` on strings calls `memcmp`, a byte loop behind a call, and
/// finding an attribute compares its key with several others of the same
/// length on every condition.
#[cfg_attr(feature = "fast-decide", inline(always))]
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
pub(crate) fn same_key(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same_key`] on bytes (a key read from the wire, not yet checked to be UTF-8).
#[cfg_attr(feature = "fast-decide", inline(always))]
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Writes an integer in decimal (`{}` without `core::fmt`).
pub fn push_int(n: i64, out: &mut String) {
    if n < 0 {
        out.push('-');
    }
    push_uint(n.unsigned_abs(), out);
}

/// Writes an unsigned integer in decimal.
pub fn push_uint(n: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    out.extend(decimal_digits(n, &mut buf).iter().map(|&b| char::from(b)));
}

/// The decimal ASCII digits of `n`, written at the end of `buf` (20 digits
/// hold any `u64`): no allocation, no `core::fmt`.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
pub(crate) fn decimal_digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    while n > u64::from(u32::MAX) {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    // The rest in 32 bits and two digits at a time: a 64-bit division is
    // several times slower in wasm, and the A/B hash formats a 32-bit number
    // per campaign and visitor (half the dependent divisions).
    let mut n = n as u32;
    while n >= 100 {
        let pair = n % 100;
        n /= 100;
        i -= 2;
        buf[i] = b'0' + (pair / 10) as u8;
        buf[i + 1] = b'0' + (pair % 10) as u8;
    }
    if n >= 10 {
        i -= 2;
        buf[i] = b'0' + (n / 10) as u8;
        buf[i + 1] = b'0' + (n % 10) as u8;
    } else {
        i -= 1;
        buf[i] = b'0' + n as u8;
    }
    &buf[i..]
}

/// Writes an integer zero-padded to `width` characters, sign included
/// (`{:0width$}`).
pub fn push_padded(n: i64, width: usize, out: &mut String) {
    let mut digits = String::new();
    push_uint(n.unsigned_abs(), &mut digits);
    let mut width = width;
    if n < 0 {
        out.push('-');
        width = width.saturating_sub(1);
    }
    out.extend(std::iter::repeat_n('0', width.saturating_sub(digits.len())));
    out.push_str(&digits);
}

/// Writes `x` with four decimals as `{:.4}` does (the exact value rounded
/// half to even), for reasons shown to people (A/B buckets).
pub fn push_fixed4(x: f64, out: &mut String) {
    if x.is_nan() {
        return out.push_str("NaN");
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    let x = x.abs();
    if x.is_infinite() {
        return out.push_str("inf");
    }
    if x >= 1e15 {
        // Not a bucket; no exact path for huge numbers without core::fmt's.
        #[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
        return write_js_number(x, out);
        #[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
        {
            use std::fmt::Write as _;
            let _ = write!(out, "{x:.4}");
            return;
        }
    }
    // x = mant * 2^exp exactly; scaled = x * 10^4 rounded half to even.
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1 << 52) - 1);
    let (mant, exp) = if biased == 0 { (frac, -1074) } else { (frac | 1 << 52, biased - 1075) };
    let v = u128::from(mant) * 10_000;
    let scaled = if exp >= 0 {
        v << exp
    } else if -exp >= 68 {
        // v < 2^67: below one half.
        0
    } else {
        let s = -exp as u32;
        let (q, r, half) = (v >> s, v & ((1u128 << s) - 1), 1u128 << (s - 1));
        if r > half || (r == half && q & 1 == 1) {
            q + 1
        } else {
            q
        }
    };
    // x < 1e15, so the scaled value fits a u64.
    let scaled = scaled as u64;
    push_uint(scaled / 10_000, out);
    out.push('.');
    let f = (scaled % 10_000) as i64;
    push_padded(f, 4, out);
}

/// What [`float_syntax`] found.
#[cfg_attr(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))), allow(dead_code))]
pub(crate) enum FloatSyntax {
    Infinity { negative: bool },
    Nan,
    Decimal,
}

/// Whether `text` is in the grammar of Rust's `f64::from_str`: an optional
/// sign, then `inf`, `infinity` or `nan` in any case, or digits with an
/// optional fraction (at least one digit in all) and an optional exponent.
#[cfg_attr(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))), allow(dead_code))]
pub(crate) fn float_syntax(text: &str) -> Option<FloatSyntax> {
    let b = text.as_bytes();
    let (negative, rest) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(FloatSyntax::Infinity { negative });
    }
    if rest.eq_ignore_ascii_case(b"nan") {
        return Some(FloatSyntax::Nan);
    }
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while rest.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if rest.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return None;
    }
    if matches!(rest.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(rest.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    (i == rest.len()).then_some(FloatSyntax::Decimal)
}

/// `text.parse::<f64>().ok()` (the lean browser build converts with JavaScript).
pub fn parse_f64(text: &str) -> Option<f64> {
    // Integers of up to 15 digits (ages, scores, counts: most numbers in
    // attributes) are exact in an f64 and need no general conversion.
    let (negative, digits) = match text.strip_prefix("-") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if !digits.is_empty() && digits.len() <= 15 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n = digits.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0')) as f64;
        return Some(if negative { -n } else { n });
    }
    #[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
    return crate::jsrt::parse_f64(text);
    #[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
    text.parse().ok()
}

/// `text.parse::<f32>().ok()` (see [`parse_f64`]).
pub fn parse_f32(text: &str) -> Option<f32> {
    #[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
    return crate::jsrt::parse_f32(text);
    #[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
    text.parse().ok()
}

/// The general case of [`write_js_number`] (ECMAScript Number::toString):
/// Rust's `{:e}` gives the same shortest digits, placed by JS's rules here.
#[cfg_attr(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")), allow(dead_code))]
fn write_js_number_slow(n: f64, out: &mut String) {
    use std::fmt::Write as _;
    let mut sci = String::new();
    let _ = write!(sci, "{:e}", n.abs());
    // Several strings of the shortest length may round-trip; JS takes the one
    // closest to `n` (ties to even), i.e. `n` exactly rounded to that many
    // digits, where Rust's shortest mode may round a tie up.
    let digits = sci.find('e').map_or(1, |i| i.saturating_sub(1).max(1));
    sci.clear();
    let _ = write!(sci, "{:.*e}", digits - 1, n.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    // The decimal point sits after `point` digits.
    let point = exp.parse::<i32>().unwrap_or(0) + 1;
    if n < 0.0 {
        out.push('-');
    }
    if k <= point && point <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - k) as usize));
    } else if 0 < point && point <= 21 {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else {
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let e = point - 1;
        let _ = write!(out, "e{}{}", if e < 0 { '-' } else { '+' }, e.abs());
    }
}

/// JSON written straight to text, for output made once and sent at once
/// (the browser engine's answer, the page state, the plan): the text
/// [`Value::to_json`] writes for the same members in the same order,
/// without building the tree first (building it took the browser engine
/// more code than writing the text). A separator goes before a member or
/// an item unless it is the first, which the text itself says: it then
/// follows the `{` or `[` that opened its object or array.
pub mod json_text {
    use super::{write_js_number, write_json_string};

    /// Starts an item of the array being written.
    pub fn item(out: &mut String) {
        if !matches!(out.as_bytes().last(), Some(b'{' | b'[')) {
            out.push(',');
        }
    }

    /// Starts member `key` of the object being written (its value follows).
    pub fn key(out: &mut String, key: &str) {
        item(out);
        write_json_string(key, out);
        out.push(':');
    }

    /// A string, or `null` for `None`.
    pub fn string(out: &mut String, s: Option<&str>) {
        match s {
            Some(s) => write_json_string(s, out),
            None => out.push_str("null"),
        }
    }

    /// A number as `JSON.stringify` writes it (not finite: `null`).
    pub fn number(out: &mut String, n: f64) {
        if n.is_finite() {
            write_js_number(n, out);
        } else {
            out.push_str("null");
        }
    }

    pub fn boolean(out: &mut String, b: bool) {
        out.push_str(if b { "true" } else { "false" });
    }

    /// An array of strings.
    pub fn strings(out: &mut String, items: &[String]) {
        out.push('[');
        for s in items {
            item(out);
            write_json_string(s, out);
        }
        out.push(']');
    }
}

/// Writes `s` as a JSON string literal. `<`, `>` and `&` are escaped as
/// `\u003c`-style sequences so the output can sit inside an HTML `<script>`
/// element without ending it early (and U+2028 and U+2029, which ended a
/// line in JavaScript before ES2019). The browser engines leave them as
/// they are: their JSON goes to the loader's `JSON.parse` only, never into
/// a page, and `JSON.parse` reads either form as the same string (94 B gzip).
pub fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    // Runs of characters that need no escape are copied whole: most text
    // has none, and a push per character is the slow part of writing JSON.
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '<' if !crate::LEAN => "\\u003c",
            '>' if !crate::LEAN => "\\u003e",
            '&' if !crate::LEAN => "\\u0026",
            '\u{2028}' if !crate::LEAN => "\\u2028",
            '\u{2029}' if !crate::LEAN => "\\u2029",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        run = i + c.len_utf8();
        if escape.is_empty() {
            out.push_str("\\u00");
            for d in [c as u32 >> 4, c as u32 & 0xf] {
                out.push(char::from_digit(d, 16).unwrap_or('0'));
            }
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `v` through `json_text` as the engines write their output.
    fn text_of(v: &Value, out: &mut String) {
        match v {
            Value::Object(entries) => {
                out.push('{');
                for (k, v) in entries {
                    json_text::key(out, k);
                    text_of(v, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for v in items {
                    json_text::item(out);
                    text_of(v, out);
                }
                out.push(']');
            }
            Value::String(s) => json_text::string(out, Some(s)),
            Value::Number(n) => json_text::number(out, *n),
            Value::Bool(b) => json_text::boolean(out, *b),
            Value::Null => json_text::string(out, None),
        }
    }

    #[test]
    fn json_text_writes_what_to_json_writes() {
        let s = |t: &str| Value::String(t.into());
        let empty_obj = Value::Object(Vec::new());
        let v = Value::Object(vec![
            ("a".into(), Value::Array(vec![Value::Null, Value::Bool(true), Value::Number(0.1), Value::Number(f64::NAN), Value::Number(-0.0)])),
            ("".into(), empty_obj.clone()),
            ("q\"<>&\u{2028}".into(), s("x\n\u{1}é")),
            ("nested".into(), Value::Array(vec![Value::Array(Vec::new()), empty_obj, Value::Object(vec![("k".into(), s("v")), ("k".into(), Value::Number(1e21))])])),
        ]);
        let mut out = String::new();
        text_of(&v, &mut out);
        assert_eq!(out, v.to_json());
        let mut strings = String::new();
        json_text::strings(&mut strings, &["a".to_string(), "<b>".to_string()]);
        assert_eq!(strings, Value::Array(vec![s("a"), s("<b>")]).to_json());
    }

    #[test]
    fn decimal_digits_on_both_sides_of_32_bits() {
        let mut buf = [0u8; 20];
        for n in [0, 7, 9, 10, 11, 99, 100, 101, 999, 1000, 65_535, 4_294_967_294, 4_294_967_295, 4_294_967_296, 10_000_000_000, 18_446_744_073_709_551_615u64] {
            assert_eq!(decimal_digits(n, &mut buf), n.to_string().as_bytes(), "{n}");
        }
    }

    #[test]
    fn js_string_of_numbers_matches_javascript() {
        assert_eq!(Value::Number(1.0).to_js_string(), "1");
        assert_eq!(Value::Number(-0.0).to_js_string(), "0");
        assert_eq!(Value::Number(1.5).to_js_string(), "1.5");
        assert_eq!(Value::Number(0.1).to_js_string(), "0.1");
        assert_eq!(Value::Number(1e21).to_js_string(), "1e+21");
        assert_eq!(Value::Number(1e20).to_js_string(), "100000000000000000000");
        assert_eq!(Value::Number(-1.5e-7).to_js_string(), "-1.5e-7");
        assert_eq!(Value::Number(1e-6).to_js_string(), "0.000001");
        assert_eq!(Value::Number(123.456).to_js_string(), "123.456");
        assert_eq!(Value::Number(2f64.powi(60)).to_js_string(), "1152921504606847000");
        assert_eq!(Value::Number(123e-20).to_js_string(), "1.23e-18");
        assert_eq!(Value::Number(1.2345e25).to_js_string(), "1.2345e+25");
        assert_eq!(Value::Number(1250555799951427.0 + 0.25).to_js_string(), "1250555799951427.2");
        assert_eq!(Value::Number(-861623616094189.0 - 0.25).to_js_string(), "-861623616094189.2");
        assert_eq!(Value::Number(5e-324).to_js_string(), "5e-324");
    }

    // The lean browser engine has no fast path: JavaScript writes its numbers.
    #[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
    #[test]
    fn short_decimals_take_the_fast_path_and_match_the_general_one() {
        let mut values = vec![0.6844, -0.6844, 1e-6, 0.000123, 19.99, 0.1 + 0.2, 1.0 / 3.0, 999_999_999.5, 123_456.000_001, 2.5e-7];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // A decimal written out and read back, and any double.
            let digits = 1 + (state % 6) as usize;
            let integer = (state >> 8) % [1, 10, 1_000, 1_000_000_000][(state >> 4) as usize % 4];
            let fraction = (state >> 40) % 10u64.pow(digits as u32);
            values.push(format!("{integer}.{fraction:0digits$}").parse().unwrap_or(0.5));
            values.push(f64::from_bits(state >> 2));
        }
        let mut fast_hits = 0;
        for x in values.into_iter().filter(|x| x.is_finite()) {
            let (mut fast, mut general) = (String::new(), String::new());
            write_js_number_slow(x, &mut general);
            if x != x.trunc() && write_short_decimal(x, &mut fast) {
                fast_hits += 1;
                assert_eq!(fast, general, "{x:e}");
            }
        }
        assert!(fast_hits > 100_000, "only {fast_hits} values took the fast path");
    }

    #[test]
    fn integer_and_fixed_formatting_match_core_fmt() {
        let mut values = vec![0.0, -0.0, 0.5, 0.03125, 0.00005, 0.00015, 0.99995, 0.12345, 1.0, 2.5, 1e-300, 5e-324, 123456.78905, 9.99e14, 1.7e19];
        for k in 0..10_000u32 {
            values.push(f64::from(k) / 10_000.0);
            values.push(f64::from(k) / 1024.0);
        }
        for x in values {
            let mut got = String::new();
            push_fixed4(x, &mut got);
            assert_eq!(got, format!("{x:.4}"), "{x:e}");
        }
        for (n, w) in [(0i64, 2usize), (5, 2), (12, 2), (2026, 4), (-5, 4), (12345, 4), (i64::MIN, 1)] {
            let mut got = String::new();
            push_padded(n, w, &mut got);
            assert_eq!(got, format!("{n:0w$}"));
            got.clear();
            push_int(n, &mut got);
            assert_eq!(got, n.to_string());
        }
        let mut got = String::new();
        write_json_string("\u{1}\u{1f}", &mut got);
        assert_eq!(got, "\"\\u0001\\u001f\"");
    }

    #[test]
    fn float_syntax_is_rusts() {
        let alphabet = ['0', '1', '9', '.', 'e', 'E', '+', '-', 'i', 'n', 'f', 'a', 'I', 'N', 'y', 't', ' ', '_', 'x'];
        let mut texts: Vec<String> = vec!["".into(), "infinity".into(), "-Infinity".into(), "+nan".into(), "NaN".into(), "infinit".into()];
        // Every string of up to 4 characters over the alphabet, and some longer ones.
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            let mut next = Vec::new();
            for s in &frontier {
                for c in alphabet {
                    let mut t = s.clone();
                    t.push(c);
                    next.push(t);
                }
            }
            texts.extend(next.iter().cloned());
            frontier = next;
        }
        for t in ["1.5e+10", "-.5e-3", "12.", "1.2.3", "1e5e5", "+-1", "00012.500", "1e", ".e1", "1.e1"] {
            texts.push(t.into());
        }
        for t in texts {
            assert_eq!(float_syntax(&t).is_some(), t.parse::<f64>().is_ok(), "{t:?}");
            assert_eq!(float_syntax(&t).is_some(), t.parse::<f32>().is_ok(), "{t:?}");
        }
    }

    #[test]
    fn parse_f64_agrees_with_rust_on_integers_and_the_rest() {
        for t in ["0", "-0", "7", "007", "-12", "999999999999999", "1000000000000000", "-9007199254740993", "12345678901234567890", "1.5", "-", "", "1e3", "--1", "+1"] {
            let ours = parse_f64(t).map(f64::to_bits);
            assert_eq!(ours, t.parse::<f64>().ok().map(f64::to_bits), "{t:?}");
        }
    }

    #[test]
    fn json_strings_escape_exactly_what_they_must() {
        // The reference: one character at a time.
        fn reference(s: &str) -> String {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '<' => out.push_str("\\u003c"),
                    '>' => out.push_str("\\u003e"),
                    '&' => out.push_str("\\u0026"),
                    '\u{2028}' => out.push_str("\\u2028"),
                    '\u{2029}' => out.push_str("\\u2029"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        for s in ["", "plain", "a\"b\\c", "<script>&</script>", "\u{1}\u{1f}x\n\r\t", "Köln \u{2028}\u{2029} 😀", "é\u{0}"] {
            let mut out = String::new();
            write_json_string(s, &mut out);
            assert_eq!(out, reference(s), "{s:?}");
        }
    }

    #[test]
    fn json_escapes_script_breakouts() {
        let v = Value::String("</script><b>".into());
        assert_eq!(v.to_json(), r#""\u003c/script\u003e\u003cb\u003e""#);
    }

    #[test]
    fn path_follows_nested_objects() {
        let mut v = Value::Null;
        v.entry("cookie").insert("tier", "gold".into());
        assert_eq!(v.path("cookie.tier"), Some(&Value::from("gold")));
        assert_eq!(v.path("cookie.nope"), None);
        assert_eq!(v.path("cookie.tier.x"), None);
    }
}
