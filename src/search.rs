//! Substring search without `core::str::pattern`'s Two-Way searcher.
//!
//! `str::contains(&str)`, `find(&str)` and `split_once(&str)` bring the
//! Two-Way algorithm, about 1.2 KB of wasm in every visitor's download, to
//! search User-Agent strings of a couple of hundred bytes for short tokens,
//! where a plain scan for the first byte is as fast.
//!
//! For the same reason the engines test prefixes and suffixes with string
//! patterns (`starts_with("$")`, `strip_prefix("v")`), not chars: a char
//! pattern makes `starts_with`, `ends_with`, `strip_prefix` and
//! `strip_suffix` each encode the char to UTF-8 first, generic code that
//! cost the browser engine 130 B gzip, where a one-byte string is a slice
//! comparison.
//!
//! Char patterns have the same problem at a larger scale: `split(',')`,
//! `split_once('=')`, `find('/')` and `trim()` each instantiate
//! `core::str::pattern`'s char searchers (with `memchr`) or a char
//! predicate searcher, generic code per pattern type that cost the browser
//! engine 800 B gzip. The engines split on ASCII separators,
//! which a byte scan finds as well (an ASCII byte never occurs inside a
//! multi-byte UTF-8 sequence, so the pieces are valid `str`s), and trim
//! through [`trim`], one instance of `trim_matches` for every predicate.

/// The byte offset of the first `needle` in `haystack`: [`scan`] in the
/// lean browser engine, `str::find` elsewhere (natively it is vectorized and
/// twice as fast on a User-Agent; the worker has no size pressure).
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    #[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
    return scan(haystack, needle);
    #[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
    return haystack.find(needle);
}

/// A plain loop, not an iterator with a closure: the browser engine is built
/// for size, where the closure stays a call per byte (a User-Agent is
/// searched for some forty tokens per page view).
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
#[cfg_attr(not(any(test, all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))), allow(dead_code))]
fn scan(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = n.split_first() else { return Some(0) };
    let last_start = h.len().checked_sub(n.len())?;
    let mut i = 0;
    while i <= last_start {
        if h[i] == first && &h[i + 1..i + n.len()] == rest {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Whether `needle` occurs in `haystack` (natively `str::contains`, which
/// has a SIMD path for short needles that `str::find` lacks).
pub fn contains(haystack: &str, needle: &str) -> bool {
    #[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
    return scan(haystack, needle).is_some();
    #[cfg(not(all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
    return haystack.contains(needle);
}

/// `s.split_once(separator)` for an ASCII `separator`, by a byte scan.
pub fn split_once(s: &str, separator: u8) -> Option<(&str, &str)> {
    debug_assert!(separator.is_ascii());
    let at = find_any(s, &[separator])?;
    Some((&s[..at], &s[at + 1..]))
}

/// The offset of the first byte of `s` that is one of `separators`. Plain
/// loops, not `position` with a closure, which is a function of its own
/// for every closure in a size-optimized build.
fn find_any(s: &str, separators: &[u8]) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let mut i = 0;
        while i < separators.len() {
            if bytes[at] == separators[i] {
                return Some(at);
            }
            i += 1;
        }
        at += 1;
    }
    None
}

/// `s.split(separators)` for ASCII separators (`b"&"`, `b"-."`), by a byte
/// scan: the pieces between any two of them, as `str::split` with a char or
/// an array of chars yields them.
pub fn split<'a>(s: &'a str, separators: &'static [u8]) -> Split<'a> {
    debug_assert!(separators.is_ascii());
    Split { rest: Some(s), separators }
}

/// The iterator of [`split`].
pub struct Split<'a> {
    /// What is left to split; `None` once the last piece was returned.
    rest: Option<&'a str>,
    separators: &'static [u8],
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match find_any(rest, self.separators) {
            Some(at) => {
                self.rest = Some(&rest[at + 1..]);
                Some(&rest[..at])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// `s.trim_matches(is_space)` ([`is_whitespace`] for `str::trim`,
/// JavaScript's whitespace for its conversions): one function for every
/// predicate, where each closure or function passed to `trim_matches`
/// brought its own searcher, and without `trim_matches`'s double-ended
/// `CharIndices` (500 B of the browser engine with it): the last character
/// starts at the last byte that is not a continuation byte.
pub fn trim(s: &str, is_space: fn(char) -> bool) -> &str {
    let mut start = 0;
    while let Some(c) = s[start..].chars().next() {
        if !is_space(c) {
            break;
        }
        start += c.len_utf8();
    }
    let mut end = s.len();
    while end > start {
        let b = s.as_bytes();
        let mut at = end - 1;
        while b[at] & 0xC0 == 0x80 {
            at -= 1;
        }
        match s[at..end].chars().next() {
            Some(c) if is_space(c) => end = at,
            _ => break,
        }
    }
    &s[start..end]
}

/// `char::is_whitespace`: Unicode's `White_Space` property (stable since
/// Unicode 4.1), listed here instead of core's lookup table.
pub fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r' | ' ' | '\u{85}' | '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_str_find() {
        let hay = ["", "a", "aaab", "mozilla/5.0 (iphone; cpu iphone os 17_0 like mac os x)", "ééé{{x}}ü", "abcabcabd"];
        let needles = ["", "a", "b", "ab", "abd", "iphone", "mac os x", "{{", "}}", "ü", "x)", "zzz", "abcabcabdx"];
        for h in hay {
            for n in needles {
                assert_eq!(scan(h, n), h.find(n), "{h:?} {n:?}");
                assert_eq!(find(h, n), h.find(n), "{h:?} {n:?}");
                assert_eq!(contains(h, n), h.contains(n));
            }
        }
    }

    #[test]
    fn splits_as_str_splits_on_chars() {
        let texts = ["", "a", "&", "&&", "a&b", "&a&", "a=b=c", "é&ü=x&&😀", "1.2-3..4-", "de-AT_x"];
        for s in texts {
            assert_eq!(split(s, b"&").collect::<Vec<_>>(), s.split('&').collect::<Vec<_>>(), "{s:?}");
            assert_eq!(split(s, b"-.").collect::<Vec<_>>(), s.split(['-', '.']).collect::<Vec<_>>(), "{s:?}");
            assert_eq!(split_once(s, b'='), s.split_once('='), "{s:?}");
        }
        for s in ["", " ", " a b\t", "\u{3000}x\u{a0}", "\u{feff}1\u{feff}", "é", " é ", "\u{2000}😀\u{85}é\u{3000}", "😀", " \u{10ffff}"] {
            assert_eq!(trim(s, is_whitespace), s.trim(), "{s:?}");
            assert_eq!(trim(s, char::is_whitespace), s.trim(), "{s:?}");
            assert_eq!(trim(s, crate::condition::is_js_space), s.trim_matches(crate::condition::is_js_space), "{s:?}");
        }
    }

    #[test]
    fn trims_as_str_trims_every_mix_of_spaces_and_wide_characters() {
        let pieces = [" ", "\u{85}", "a", "é", "😀", "\u{3000}", "\t", "\u{feff}"];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts.iter().flat_map(|t| pieces.iter().map(move |p| format!("{t}{p}"))).collect();
            texts.extend(longer);
        }
        texts.sort();
        texts.dedup();
        for s in &texts {
            assert_eq!(trim(s, is_whitespace), s.trim(), "{s:?}");
            assert_eq!(trim(s, crate::condition::is_js_space), s.trim_matches(crate::condition::is_js_space), "{s:?}");
        }
    }

    #[test]
    fn is_whitespace_is_cores() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(is_whitespace(c), c.is_whitespace(), "{c:?}");
        }
    }
}
