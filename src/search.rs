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
#[cfg_attr(tailor_nightly, optimize(speed))]
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
}
