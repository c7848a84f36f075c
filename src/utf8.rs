//! UTF-8 validation, as `std::str::from_utf8` does it, in less code.
//!
//! std's validator reads ASCII a word at a time and classifies bytes with
//! tables: 660 B of the browser engine before wasm-opt, where every string
//! it checks (a ruleset's, an attribute's, a URL's once percent-decoded) is
//! short. This one walks the bytes against the table of well-formed
//! sequences of the Unicode standard (chapter 3, table 3-7), which is what
//! std implements: the same strings are accepted, and an error says the
//! same `valid_up_to` and `error_len` (the tests compare both with std's on
//! every sequence of up to three bytes and on the boundaries of four).

/// Why bytes are not UTF-8, as [`std::str::Utf8Error`] says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Utf8Error {
    valid_up_to: usize,
    error_len: Option<u8>,
}

impl Utf8Error {
    /// The length of the valid prefix.
    pub(crate) fn valid_up_to(&self) -> usize {
        self.valid_up_to
    }

    /// The length of the invalid sequence after it (the maximal subpart of
    /// a sequence), or `None` when the input ends inside a sequence.
    pub(crate) fn error_len(&self) -> Option<usize> {
        self.error_len.map(usize::from)
    }
}

/// `std::str::from_utf8`.
pub(crate) fn from_utf8(bytes: &[u8]) -> Result<&str, Utf8Error> {
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        // The sequence's length and the range of its second byte; later
        // bytes are 80..=BF.
        let (len, low, high) = match b {
            0xC2..=0xDF => (2, 0x80, 0xBF),
            0xE0 => (3, 0xA0, 0xBF),
            0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
            0xED => (3, 0x80, 0x9F),
            0xF0 => (4, 0x90, 0xBF),
            0xF1..=0xF3 => (4, 0x80, 0xBF),
            0xF4 => (4, 0x80, 0x8F),
            _ => return Err(Utf8Error { valid_up_to: i, error_len: Some(1) }),
        };
        let mut k = 1;
        while k < len {
            let (low, high) = if k == 1 { (low, high) } else { (0x80, 0xBF) };
            match bytes.get(i + k) {
                None => return Err(Utf8Error { valid_up_to: i, error_len: None }),
                Some(&c) if c >= low && c <= high => k += 1,
                Some(_) => return Err(Utf8Error { valid_up_to: i, error_len: Some(k as u8) }),
            }
        }
        i += len;
    }
    // SAFETY: every byte was checked above to be part of a well-formed
    // sequence (Unicode table 3-7), which is what `str` requires; the tests
    // below hold this to `std::str::from_utf8`.
    Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
}

/// `String::from_utf8`, without the bytes back on failure (for `jsrt`).
#[cfg(any(test, all(target_arch = "wasm32", feature = "browser", not(feature = "regex"))))]
pub(crate) fn string_from_utf8(bytes: Vec<u8>) -> Option<String> {
    from_utf8(&bytes).ok()?;
    // SAFETY: checked just above.
    Some(unsafe { String::from_utf8_unchecked(bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_std(bytes: &[u8]) {
        let ours = from_utf8(bytes).map_err(|e| (e.valid_up_to(), e.error_len()));
        let std = std::str::from_utf8(bytes).map_err(|e| (e.valid_up_to(), e.error_len()));
        assert_eq!(ours, std, "{bytes:02x?}");
    }

    #[test]
    fn every_sequence_of_up_to_three_bytes_is_judged_as_std_judges_it() {
        same_as_std(&[]);
        for a in 0..=255u8 {
            same_as_std(&[a]);
            for b in 0..=255u8 {
                same_as_std(&[a, b]);
                if a >= 0x80 {
                    for c in 0..=255u8 {
                        same_as_std(&[a, b, c]);
                    }
                }
            }
        }
    }

    #[test]
    fn four_byte_sequences_at_every_boundary_and_in_context() {
        // Each class boundary of table 3-7, and bytes either side of it.
        let edges: Vec<u8> = [0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF].to_vec();
        for &a in &edges {
            for &b in &edges {
                for &c in &edges {
                    for &d in &edges {
                        same_as_std(&[a, b, c, d]);
                        same_as_std(&[b'x', a, b, c, d, b'y']);
                        same_as_std(&[0xC3, 0xA4, a, b, c, d, 0xE2, 0x82, 0xAC]);
                    }
                }
            }
        }
        // Every value of each byte of a valid four-byte sequence.
        for base in [[0xF0, 0x90, 0x80, 0x80], [0xF1, 0x80, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF]] {
            for i in 0..4 {
                for v in 0..=255u8 {
                    let mut s = base;
                    s[i] = v;
                    same_as_std(&s);
                    same_as_std(&s[..3]);
                }
            }
        }
        assert_eq!(string_from_utf8(vec![0xE2, 0x82, 0xAC]).as_deref(), Some("€"));
        assert_eq!(string_from_utf8(vec![0xE2, 0x82]), None);
    }
}
