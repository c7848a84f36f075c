//! The lean browser engine's borrowings from the JavaScript runtime.
//!
//! Compiled only for `wasm32` with the `browser` feature and without
//! `regex` (the script-tag build). A few things the core needs are large in
//! Rust and already in every browser, with exactly the semantics GrowthBook's
//! JS SDK relies on:
//!
//! - `$regex`/`$regexi`: `new RegExp(source, flags).test(value)`, which is
//!   what GrowthBook itself runs (regex-lite and its translation would be
//!   most of the module). Patterns are still checked by the core's
//!   translation first, so whatever the native engines refuse
//!   (backreferences, look-around, lone surrogates) never matches here either.
//! - `Number.prototype.toString` for numbers that are not integers (Rust's
//!   shortest float formatting is the other large piece).
//! - `Number(text)` for decimal text already validated against Rust's `f64`
//!   grammar, so the same strings parse, to the same (correctly rounded) value.
//! - `String.prototype.toLowerCase` for non-ASCII text (`$ini`, `$alli`),
//!   GrowthBook's `caseFold`; Rust's case tables stay out of the module.

/// The imports, from src/js/runtime.js. The engines import them raw from
/// the loader's `tailor` module (pkg-template/src/engine.js), which reads
/// text from and writes it into their memory: wasm-bindgen's glue would be
/// code in every visitor's download. The wasm tests bind the same functions
/// through wasm-bindgen (feature `bindgen-runtime`), since wasm-bindgen-test
/// instantiates the module itself.
#[cfg(not(feature = "bindgen-runtime"))]
mod js {
    #[link(wasm_import_module = "tailor")]
    extern "C" {
        #[link_name = "reOk"]
        fn re_ok_raw(source: *const u8, source_len: usize, flags: *const u8, flags_len: usize) -> bool;
        #[link_name = "reTest"]
        fn re_test_raw(source: *const u8, source_len: usize, flags: *const u8, flags_len: usize, value: *const u8, value_len: usize) -> bool;
        #[link_name = "numStr"]
        fn num_str_raw(n: f64, out: *mut u8, out_len: usize) -> i32;
        #[link_name = "strNum"]
        fn str_num_raw(s: *const u8, s_len: usize) -> f64;
        #[link_name = "lower"]
        fn lower_raw(s: *const u8, s_len: usize, out: *mut u8, out_len: usize) -> i32;
    }

    // SAFETY (all): the imports read the text passed as pointer and length,
    // and write only into `out`, at most `out_len` bytes of it.
    pub fn re_ok(source: &str, flags: &str) -> bool {
        unsafe { re_ok_raw(source.as_ptr(), source.len(), flags.as_ptr(), flags.len()) }
    }
    pub fn re_test(source: &str, flags: &str, value: &str) -> bool {
        unsafe { re_test_raw(source.as_ptr(), source.len(), flags.as_ptr(), flags.len(), value.as_ptr(), value.len()) }
    }
    pub fn num_str(n: f64, out: &mut [u8]) -> i32 {
        unsafe { num_str_raw(n, out.as_mut_ptr(), out.len()) }
    }
    pub fn str_num(s: &str) -> f64 {
        unsafe { str_num_raw(s.as_ptr(), s.len()) }
    }
    pub fn lower(s: &str, out: &mut [u8]) -> i32 {
        unsafe { lower_raw(s.as_ptr(), s.len(), out.as_mut_ptr(), out.len()) }
    }
}

#[cfg(feature = "bindgen-runtime")]
mod js {
    use wasm_bindgen::prelude::*;
    #[wasm_bindgen(module = "/src/js/runtime.js")]
    extern "C" {
        #[wasm_bindgen(js_name = reOk)]
        pub fn re_ok(source: &str, flags: &str) -> bool;
        #[wasm_bindgen(js_name = reTest)]
        pub fn re_test(source: &str, flags: &str, value: &str) -> bool;
        #[wasm_bindgen(js_name = numStr)]
        pub fn num_str(n: f64, out: &mut [u8]) -> i32;
        #[wasm_bindgen(js_name = strNum)]
        pub fn str_num(s: &str) -> f64;
        pub fn lower(s: &str, out: &mut [u8]) -> i32;
    }
}

/// A JavaScript regex (its source and flags), compiled and cached on the JS side.
#[derive(Debug, Clone)]
pub struct Regex {
    source: Box<str>,
    flags: &'static str,
}

impl Regex {
    /// `None` when `new RegExp(source, flags)` throws.
    pub fn new(source: &str, case_insensitive: bool) -> Option<Regex> {
        let flags = if case_insensitive { "i" } else { "" };
        js::re_ok(source, flags).then(|| Regex { source: source.into(), flags })
    }

    pub fn is_match(&self, value: &str) -> bool {
        js::re_test(&self.source, self.flags, value)
    }
}

/// `String(n)`: at most 25 ASCII characters (`-0.000001234567890123456`),
/// so it always fits the buffer.
pub fn number_to_string(n: f64, out: &mut String) {
    let mut buf = [0u8; 32];
    let len = usize::try_from(js::num_str(n, &mut buf)).unwrap_or(0);
    out.push_str(crate::utf8::from_utf8(buf.get(..len).unwrap_or(&[])).unwrap_or(""));
}

/// `text.parse::<f64>()`: Rust's grammar (checked here), JavaScript's
/// correctly rounded conversion.
pub fn parse_f64(text: &str) -> Option<f64> {
    use crate::value::FloatSyntax;
    Some(match crate::value::float_syntax(text)? {
        FloatSyntax::Infinity { negative } => {
            if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        FloatSyntax::Nan => f64::NAN,
        // `Number("-0")` is -0 and `Number("1.")` is 1, as in Rust.
        FloatSyntax::Decimal => js::str_num(text),
    })
}

/// `text.parse::<f32>()` (Accept-Language q-values). The `f64` is correctly
/// rounded, so narrowing it gives the correctly rounded `f32` unless the
/// `f64` lands exactly on a midpoint between two `f32`s while the text is
/// not that midpoint, which takes a text more than 8 fractional digits long
/// within 2^-53 of the midpoint (never a q-value, which has at most 3).
pub fn parse_f32(text: &str) -> Option<f32> {
    let d = parse_f64(text)?;
    Some(d as f32)
}

/// `s.to_lowercase()` as JavaScript's `toLowerCase` (ASCII in Rust).
pub fn to_lowercase(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        // Lower-casing lengthens UTF-8 by half at most (`İ` to `i̇`, `Ⱥ` to
        // `ⱥ`); should Unicode ever change that, a larger buffer.
        let mut capacity = s.len() * 2;
        loop {
            let mut lower = vec![0u8; capacity];
            if let Ok(len) = usize::try_from(js::lower(s, &mut lower)) {
                lower.truncate(len);
                // `encodeInto` writes whole characters: valid UTF-8.
                return crate::utf8::string_from_utf8(lower).unwrap_or_default();
            }
            capacity *= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    #[wasm_bindgen_test]
    fn numbers_parse_as_rust_parses_them() {
        for text in ["0", "-0", "1.", ".5", "-.5", "+1", "1e5", "1E+5", "2.5e-3", "1e400", "-1e400", "1e-400", "0.1", "123456789012345678901234567890", "9007199254740993", "2.2250738585072011e-308"] {
            assert_eq!(parse_f64(text).map(f64::to_bits), text.parse::<f64>().ok().map(f64::to_bits), "{text}");
        }
        for text in ["", ".", "e5", "1e", "1e+", " 1", "1 ", "0x10", "1_0", "--1"] {
            assert_eq!(parse_f64(text), None, "{text}");
        }
        for text in ["inf", "-INF", "+Infinity", "infinity"] {
            assert_eq!(parse_f64(text), text.parse::<f64>().ok(), "{text}");
        }
        assert!(parse_f64("NaN").unwrap().is_nan());
        for text in ["0.9", "1", "0.001", "0.333", "1e-50", "3.4028236e38"] {
            assert_eq!(parse_f32(text), text.parse::<f32>().ok(), "{text}");
        }
    }

    #[wasm_bindgen_test]
    fn numbers_print_as_javascript() {
        let s = |n: f64| crate::value::Value::Number(n).to_js_string();
        assert_eq!(s(0.1), "0.1");
        assert_eq!(s(1e21), "1e+21");
        assert_eq!(s(-1.5e-7), "-1.5e-7");
        assert_eq!(s(1e-6), "0.000001");
        assert_eq!(s(2f64.powi(60)), "1152921504606847000");
        assert_eq!(s(1250555799951427.0 + 0.25), "1250555799951427.2");
        assert_eq!(s(5e-324), "5e-324");
        assert_eq!(s(f64::NAN), "NaN");
    }

    #[wasm_bindgen_test]
    fn regexes_and_case_folding_are_the_browsers() {
        let re = |p: &str, fold: bool| crate::condition::js_regex(p, fold);
        assert!(re("^a.c$", false).unwrap().is_match("abc"));
        assert!(!re("^a.c$", false).unwrap().is_match("a\nc"));
        assert!(re("ÄPFEL", true).unwrap().is_match("äpfel"));
        assert!(re("a{", false).unwrap().is_match("a{"));
        // Backreferences and look-around run as in JavaScript here: the
        // compiler refuses them (regex-lite at the edge cannot), so no
        // ruleset brings them (see `condition::js_regex`).
        assert!(re(r"(a)\1", false).unwrap().is_match("aa"));
        assert!(!re(r"(a)\1", false).unwrap().is_match("ab"));
        assert!(re("x(?=a)", false).unwrap().is_match("xa"));
        assert!(re("(", false).is_err());
        assert!(re("[z-a]", false).is_err());
        // What the ruleset reader compiles through.
        assert!(crate::condition::regex("^a.c$", false).is_some_and(|r| r.is_match("abc")));
        assert!(crate::condition::regex("ÄPFEL", true).is_some_and(|r| r.is_match("äpfel")));
        assert!(crate::condition::regex("(", false).is_none());
        assert_eq!(to_lowercase("ÄPFEL ΣΑΣ"), "äpfel σας");
    }
}
