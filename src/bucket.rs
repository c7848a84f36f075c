//! Deterministic bucketing, bit-for-bit compatible with GrowthBook's JS SDK.
//!
//! A visitor must land in the same variation whether the decision is made by
//! this engine (edge, browser) or by a GrowthBook SDK elsewhere, so every
//! function here reproduces the SDK's arithmetic exactly, including its
//! quirks (coverage clamping, falling back to equal weights, `parseInt`).

/// FNV-1a (32 bit) over the UTF-16 code units of `s`.
///
/// GrowthBook hashes with `str.charCodeAt(i)`, i.e. over UTF-16 code units,
/// not over UTF-8 bytes. Hashing bytes would agree for ASCII ids only and put
/// any visitor whose id or seed contains a non-ASCII character (or an emoji,
/// which is two surrogate code units in JS) into a different bucket than the
/// other GrowthBook SDKs. The JS loop's `hval += (hval << 1) + ... + (hval << 24)`
/// is a multiplication by the FNV prime `0x01000193` modulo 2^32.
pub fn fnv32a(s: &str) -> u32 {
    fnv32a_continue(FNV_OFFSET, s)
}

const FNV_OFFSET: u32 = 0x811c_9dc5;

/// FNV-1a continued over `s` from state `h`: hashing `a` then `b` this way
/// equals hashing `a + b`, without building the concatenation.
#[cfg_attr(feature = "fast-decide", inline(always))]
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn fnv32a_continue(h: u32, s: &str) -> u32 {
    // ASCII (nearly every id and seed) is one UTF-16 unit per byte.
    if s.is_ascii() {
        return fnv32a_bytes(h, s.as_bytes());
    }
    let mut h = h;
    for unit in s.encode_utf16() {
        h ^= u32::from(unit);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// FNV-1a over bytes. An index loop rather than an iterator: the browser
/// engine is built for size, where an iterator's `next` stays a call per byte.
#[cfg_attr(feature = "fast-decide", inline(always))]
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn fnv32a_bytes(mut h: u32, bytes: &[u8]) -> u32 {
    let mut i = 0;
    while i < bytes.len() {
        h = (h ^ u32::from(bytes[i])).wrapping_mul(0x0100_0193);
        i += 1;
    }
    h
}

/// GrowthBook's `hash(seed, value, version)`: a number in `[0, 1)`, or `None`
/// for an unknown hashing version.
///
/// Version 1 (`(fnv(value + seed) % 1000) / 1000`) is the original, biased
/// algorithm kept for old experiments; version 2 hashes the decimal string of
/// the first hash again, which removes the bias, and has 4 decimals. Nothing
/// is allocated: this runs for every A/B test on every request.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
pub fn hash(seed: &str, value: &str, version: u32) -> Option<f64> {
    match version {
        1 => Some(f64::from(fnv32a_continue(fnv32a_continue(FNV_OFFSET, value), seed) % 1000) / 1000.0),
        2 => Some(hash_after(fnv32a(seed), value)),
        _ => None,
    }
}

/// `hash(seed, value, 2)` from `seed_state = fnv32a(seed)`
/// ([`crate::model::Seed`] keeps it): the seed is not hashed again for
/// every visitor.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
pub fn hash_after(seed_state: u32, value: &str) -> f64 {
    let first = fnv32a_continue(seed_state, value);
    f64::from(fnv32a_decimal(first) % 10000) / 10000.0
}

/// FNV-1a of the decimal digits of `n` (`String(n)` in JS).
#[cfg_attr(feature = "fast-decide", inline(always))]
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn fnv32a_decimal(n: u32) -> u32 {
    let mut buf = [0u8; 20];
    fnv32a_bytes(FNV_OFFSET, crate::value::decimal_digits(n.into(), &mut buf))
}

/// [`choose_variation`] over [`bucket_ranges`] for `count` variations with
/// weights `weight(i)`, without allocating either.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
pub fn choose_weighted(n: f64, count: usize, coverage: f64, weight: impl Fn(usize) -> f64) -> Option<usize> {
    ranges(count, coverage, weight).position(|(start, end)| n >= start && n < end)
}

/// `n` equal weights of `1 / n`; empty for `n <= 0` (GrowthBook's `getEqualWeights`).
pub fn equal_weights(n: i64) -> Vec<f64> {
    if n <= 0 {
        return Vec::new();
    }
    let w = 1.0 / n as f64;
    vec![w; n as usize]
}

/// GrowthBook's `getBucketRanges`: one `[start, end)` range per variation.
///
/// Coverage outside `[0, 1]` is clamped. Weights are replaced by equal
/// weights when missing, when their count differs from `num_variations`, or
/// when they do not sum to 1 within 0.01: a misconfigured experiment then
/// still splits traffic evenly instead of leaving gaps or overlaps.
pub fn bucket_ranges(num_variations: usize, coverage: f64, weights: Option<&[f64]>) -> Vec<(f64, f64)> {
    match weights {
        Some(w) if w.len() == num_variations => ranges(num_variations, coverage, |i| w[i]).collect(),
        _ => ranges(num_variations, coverage, |_| 1.0 / num_variations as f64).collect(),
    }
}

/// The ranges of [`bucket_ranges`] one at a time, for `count` weights
/// `weight(i)` (equal weights when they do not sum to 1 within 0.01).
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn ranges(count: usize, coverage: f64, weight: impl Fn(usize) -> f64) -> impl Iterator<Item = (f64, f64)> {
    // `NaN` passes through `clamp` as it passes through the SDK's comparisons.
    let coverage = coverage.clamp(0.0, 1.0);
    let total = (0..count).fold(0.0, |sum, i| sum + weight(i));
    let equal = !(0.99..=1.01).contains(&total);
    let mut cumulative = 0.0;
    (0..count).map(move |i| {
        let x = if equal { 1.0 / count as f64 } else { weight(i) };
        let start = cumulative;
        cumulative += x;
        (start, start + coverage * x)
    })
}

/// The index of the range that contains `n` (`start <= n < end`), or `None`
/// (GrowthBook's `-1`) when `n` falls outside the covered ranges.
pub fn choose_variation(n: f64, ranges: &[(f64, f64)]) -> Option<usize> {
    ranges.iter().position(|&(start, end)| n >= start && n < end)
}

/// Whether the unit `hash_value` falls into the namespace slice
/// `(name, start, end)`; namespaces hash with version 1 and a `__` prefix.
pub fn in_namespace(hash_value: &str, namespace: (&str, f64, f64)) -> bool {
    let mut seed = String::with_capacity(namespace.0.len() + 2);
    seed.push_str("__");
    seed.push_str(namespace.0);
    match hash(&seed, hash_value, 1) {
        Some(n) => n >= namespace.1 && n < namespace.2,
        None => false,
    }
}

/// GrowthBook's `getQueryStringOverride`: `?<id>=<n>` in `url` forces
/// variation `n` when `0 <= n < num_variations`.
///
/// Reproduces the SDK literally: only the text between the first and second
/// `?` is the query, the anchor is cut, the first pair whose key equals `id`
/// (no URL decoding) wins, and its value goes through `parseInt` (so `1abc`
/// is 1 and `2.5` is 2).
pub fn query_string_override(id: &str, url: &str, num_variations: usize) -> Option<usize> {
    let search = url.split('?').nth(1)?;
    if search.is_empty() {
        return None;
    }
    // `.replace(/#.*/, "")`: `.` stops at line terminators.
    let search: std::borrow::Cow<str> = match search.find('#') {
        Some(i) => {
            let rest = &search[i..];
            let end = rest.find(['\n', '\r', '\u{2028}', '\u{2029}']).map_or(search.len(), |e| i + e);
            let mut s = String::with_capacity(search.len());
            s.push_str(&search[..i]);
            s.push_str(&search[end..]);
            s.into()
        }
        None => search.into(),
    };
    let pair = search.split('&').find(|kv| kv.split('=').next() == Some(id))?;
    let n = parse_int(pair.split('=').nth(1)?)?;
    if n >= 0.0 && n < num_variations as f64 {
        Some(n as usize)
    } else {
        None
    }
}

/// JavaScript's `parseInt(s)` (radix 10, or 16 with a `0x` prefix); `None` for `NaN`.
fn parse_int(s: &str) -> Option<f64> {
    let s = s.trim_start_matches(crate::condition::is_js_space);
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, s) = match s.get(..2) {
        Some("0x" | "0X") => (16, &s[2..]),
        _ => (10, s),
    };
    let mut value = 0.0f64;
    let mut any = false;
    for c in s.chars() {
        let Some(d) = c.to_digit(radix) else { break };
        value = value * f64::from(radix) + f64::from(d);
        any = true;
    }
    any.then_some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_utf16_code_units() {
        // "é" is one UTF-16 unit (0xE9) but two UTF-8 bytes.
        let mut h: u32 = 0x811c_9dc5;
        h ^= 0xE9;
        h = h.wrapping_mul(0x0100_0193);
        assert_eq!(fnv32a("é"), h);
        // An emoji is a surrogate pair: two units.
        let mut h: u32 = 0x811c_9dc5;
        for unit in [0xD83Du32, 0xDE00] {
            h ^= unit;
            h = h.wrapping_mul(0x0100_0193);
        }
        assert_eq!(fnv32a("😀"), h);
        assert_eq!(fnv32a(""), 0x811c_9dc5);
        assert_eq!(fnv32a("a"), 0xe40c_292c);
    }

    #[test]
    fn decimal_digits_hash_as_their_string() {
        let mut values = vec![0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65_535, 99_999_999, 100_000_000, 999_999_999, 1_000_000_000, u32::MAX - 1, u32::MAX];
        values.extend((0..10_000u32).map(|i| i.wrapping_mul(2_654_435_761)));
        for n in values {
            assert_eq!(fnv32a_decimal(n), fnv32a(&n.to_string()), "{n}");
        }
    }

    #[test]
    fn bad_weights_fall_back_to_equal() {
        assert_eq!(bucket_ranges(2, 1.0, Some(&[0.9, 0.9])), vec![(0.0, 0.5), (0.5, 1.0)]);
        assert_eq!(bucket_ranges(3, 1.0, Some(&[0.5, 0.5])).len(), 3);
        assert_eq!(bucket_ranges(2, 1.0, Some(&[0.3, 0.7])), vec![(0.0, 0.3), (0.3, 1.0)]);
    }

    #[test]
    fn coverage_is_clamped() {
        assert_eq!(bucket_ranges(2, -1.0, None), vec![(0.0, 0.0), (0.5, 0.5)]);
        assert_eq!(bucket_ranges(2, 7.0, None), vec![(0.0, 0.5), (0.5, 1.0)]);
    }

    #[test]
    fn query_string_uses_parse_int() {
        assert_eq!(query_string_override("t", "http://x/?t=1abc", 2), Some(1));
        assert_eq!(query_string_override("t", "http://x/?t= 0x1", 2), Some(1));
        assert_eq!(query_string_override("t", "http://x/?t=-0", 2), Some(0));
        assert_eq!(query_string_override("t", "http://x/?t", 2), None);
        assert_eq!(query_string_override("t", "http://x/?a=1#x&t=1", 2), None);
    }
}
