//! Tag names as the fast rewriter compares them: a name's first eight bytes,
//! lowercased, as one `u64` (its *key*), and what lol_html's tokenizer and
//! tree-builder simulation treat specially, looked up once per start tag.
//!
//! Why: a start tag used to be compared with a dozen names one after the
//! other (is it void, does it switch the tokenizer to text, is it `<svg>`,
//! `<select>`, `<meta>`, the first `<head>`?), each a length check and a
//! `memcmp` call. One multiply and one load into [`KNOWN`] answer them all:
//! a small page's rewrite built at opt-level 3 took 3 % less time.

/// A start tag's name is one of these (see [`known`]).
pub(super) const VOID: u16 = 1;
/// `textarea`, `title`, `style`... switch the tokenizer to raw text.
pub(super) const RAW_TEXT: u16 = 1 << 1;
pub(super) const SCRIPT: u16 = 1 << 2;
pub(super) const PLAINTEXT: u16 = 1 << 3;
pub(super) const SVG: u16 = 1 << 4;
pub(super) const MATH: u16 = 1 << 5;
pub(super) const SELECT: u16 = 1 << 6;
pub(super) const FRAMESET: u16 = 1 << 7;
pub(super) const META: u16 = 1 << 8;
pub(super) const HEAD: u16 = 1 << 9;

/// The elements that have no end tag (lol_html does not push them).
const VOID_NAMES: [&[u8]; 17] = [
    b"area", b"base", b"basefont", b"bgsound", b"br", b"col", b"embed", b"hr", b"img", b"input", b"keygen", b"link", b"meta", b"param", b"source",
    b"track", b"wbr",
];
const RAW_TEXT_NAMES: [&[u8]; 8] = [b"textarea", b"title", b"style", b"iframe", b"xmp", b"noembed", b"noframes", b"noscript"];
const OTHER_NAMES: [(&[u8], u16); 6] = [(b"script", SCRIPT), (b"svg", SVG), (b"math", MATH), (b"select", SELECT), (b"frameset", FRAMESET), (b"head", HEAD)];

/// The start tags that switch lol_html's tokenizer out of the data state.
pub(super) const SWITCHES_TEXT: u16 = RAW_TEXT | SCRIPT | PLAINTEXT;

/// The flags of a lowercased name (`key` is its [`name_key`]): 0 for any
/// name not listed above.
#[inline(always)]
fn known(key: u64, name: &[u8]) -> u16 {
    if name.len() > 8 {
        // Only one listed name is longer than eight bytes.
        return if name == b"plaintext" { PLAINTEXT } else { 0 };
    }
    let entry = &KNOWN[slot(key)];
    // The length too: a name with a NUL byte has the key of a shorter one.
    if entry.key == key && entry.length as usize == name.len() {
        entry.flags
    } else {
        0
    }
}

/// Makes the keys of the listed names land in different slots of
/// [`KNOWN`] (found by trying random odd numbers; building the table fails
/// to compile if two collide).
const MULTIPLIER: u64 = 0x587d_62b0_ea1b_73d9;
const SLOT_BITS: u32 = 6;

const fn slot(key: u64) -> usize {
    (key.wrapping_mul(MULTIPLIER) >> (64 - SLOT_BITS)) as usize
}

#[derive(Clone, Copy)]
struct Known {
    key: u64,
    length: u8,
    flags: u16,
}

type Table = [Known; 1 << SLOT_BITS];

static KNOWN: Table = {
    let mut table = [Known { key: 0, length: 0, flags: 0 }; 1 << SLOT_BITS];
    table = with_each(table, &VOID_NAMES, VOID);
    table = with_each(table, &RAW_TEXT_NAMES, RAW_TEXT);
    let mut i = 0;
    while i < OTHER_NAMES.len() {
        table = with(table, OTHER_NAMES[i].0, OTHER_NAMES[i].1);
        i += 1;
    }
    // `meta` is also void.
    with(table, b"meta", META)
};

const fn with_each(mut table: Table, names: &[&[u8]], flags: u16) -> Table {
    let mut i = 0;
    while i < names.len() {
        table = with(table, names[i], flags);
        i += 1;
    }
    table
}

/// `table` with `flags` added to `name`'s (a name listed twice, like
/// `meta`, gets both).
const fn with(mut table: Table, name: &[u8], flags: u16) -> Table {
    assert!(name.len() <= 8);
    let mut key = 0u64;
    let mut i = name.len();
    while i > 0 {
        i -= 1;
        key = key << 8 | name[i] as u64;
    }
    let entry = table[slot(key)];
    let same_name = entry.key == key && entry.length as usize == name.len();
    assert!(entry.length == 0 || same_name, "two known tag names share a slot: choose another MULTIPLIER");
    table[slot(key)] = Known { key, length: name.len() as u8, flags: entry.flags | flags };
    table
}

/// The current tag's name, lowercased, as the rewriter compares it: its
/// first eight bytes are its key ([`name_key`]), and only a longer name is
/// also copied whole. Copying every name into a buffer was a loop of
/// varying length on every tag: without it, a small page's rewrite built at
/// opt-level 3 takes 4 % less time (at "z", the same within the noise).
#[derive(Default)]
pub(super) struct TagName {
    first: [u8; 8],
    length: usize,
    long: Vec<u8>,
}

impl TagName {
    /// The name at `input[name.0..name.1]`.
    pub(super) fn set(&mut self, input: &[u8], name: (usize, usize)) {
        self.first = name_key(input, name).to_le_bytes();
        self.length = name.1 - name.0;
        if self.length > 8 {
            self.long.clear();
            self.long.extend(input[name.0..name.1].iter().map(u8::to_ascii_lowercase));
        }
    }

    // Forced: at opt-level "z" these were calls, several per tag (10 % of
    // a rewrite in the bench's own build).
    #[inline(always)]
    pub(super) fn key(&self) -> u64 {
        u64::from_le_bytes(self.first)
    }

    #[inline(always)]
    pub(super) fn as_slice(&self) -> &[u8] {
        match self.first.get(..self.length) {
            Some(short) => short,
            None => &self.long,
        }
    }

    /// Its flags (see [`known`]).
    #[inline(always)]
    pub(super) fn known(&self) -> u16 {
        known(self.key(), self.as_slice())
    }
}

/// The first eight bytes of the tag name at `input[name.0..name.1]`,
/// lowercased, as a number (zeros after a shorter name): open elements keep
/// it, and an end tag finds its element by it and the name's length without
/// a call to `memcmp` (only longer names compare the rest); copying each
/// name and comparing it with `memcmp` cost a library call per tag.
pub(super) fn name_key(input: &[u8], name: (usize, usize)) -> u64 {
    const LOW_SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let length = name.1 - name.0;
    let Some(eight) = input.get(name.0..name.0 + 8) else {
        // Near the end of the input: byte by byte.
        return input[name.0..name.1].iter().take(8).rev().fold(0, |key, &b| key << 8 | u64::from(b.to_ascii_lowercase()));
    };
    let mut bytes = [0; 8];
    bytes.copy_from_slice(eight);
    let x = u64::from_le_bytes(bytes);
    // ASCII `A`..=`Z` (bytes whose low seven bits are 0x41..=0x5a and whose
    // high bit is clear) get 0x20 added; no lane carries into the next.
    let low = x & LOW_SEVEN;
    let upper = (low + 0x3f3f_3f3f_3f3f_3f3f) & !(low + 0x2525_2525_2525_2525) & !x & HIGH;
    let lowercase = x | upper >> 2;
    if length >= 8 { lowercase } else { lowercase & (u64::MAX >> (8 * (8 - length))) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_of(name: &[u8]) -> u16 {
        known(name_key(name, (0, name.len())), name)
    }

    fn switches_text(name: &[u8]) -> bool {
        flags_of(name) & SWITCHES_TEXT != 0
    }

    #[test]
    fn name_keys_are_the_lowercased_first_eight_bytes() {
        let reference = |name: &[u8]| name.iter().take(8).enumerate().fold(0u64, |key, (i, b)| key | u64::from(b.to_ascii_lowercase()) << (8 * i));
        let names: [&[u8]; 9] = [b"a", b"H1", b"tBody", b"section", b"NOSCRIPT", b"blockquote", b"x-\xc3\x84b\xff@[`{Z", b"A\x7f\x80\xc1\xdaZ", b"figcaptioN"];
        for name in names {
            for (before, after) in [(0, 0), (1, 1), (3, 9)] {
                let mut input = vec![b'<'; before];
                input.extend_from_slice(name);
                input.extend(std::iter::repeat_n(b'>', after));
                assert_eq!(name_key(&input, (before, before + name.len())), reference(name), "{:?} in {:?}", String::from_utf8_lossy(name), String::from_utf8_lossy(&input));
            }
        }
    }

    #[test]
    fn a_tag_name_reads_back_lowercased_whatever_its_length() {
        let mut name = TagName::default();
        for written in [&b"a"[..], b"DIV", b"NoScript", b"BLOCKQUOTE", b"foreignObject", b"x\0Y", b"annotation-XML"] {
            // With the rest of a tag after it, and at the end of the input.
            for input in [[written, &b" id=\"X\">"[..]].concat(), written.to_vec()] {
                name.set(&input, (0, written.len()));
                assert_eq!(name.as_slice(), written.to_ascii_lowercase(), "{:?}", String::from_utf8_lossy(&input));
                assert_eq!(name.key(), name_key(&input, (0, written.len())));
            }
        }
    }

    #[test]
    fn every_listed_name_has_its_flags_and_no_other_name_has_any() {
        for name in VOID_NAMES {
            assert_eq!(flags_of(name) & VOID, VOID, "{}", String::from_utf8_lossy(name));
        }
        for name in RAW_TEXT_NAMES {
            assert_eq!(flags_of(name), RAW_TEXT, "{}", String::from_utf8_lossy(name));
            assert!(switches_text(name));
        }
        for (name, flags) in OTHER_NAMES {
            assert_eq!(flags_of(name), flags, "{}", String::from_utf8_lossy(name));
        }
        assert_eq!(flags_of(b"meta"), VOID | META);
        assert_eq!(flags_of(b"plaintext"), PLAINTEXT);
        assert!(switches_text(b"plaintext") && switches_text(b"script") && !switches_text(b"svg"));
        // Names near the listed ones: prefixes, extensions, a NUL where a shorter name's key has zeros.
        for name in [&b"div"[..], b"a", b"p", b"span", b"li", b"img2", b"im", b"metas", b"met", b"head\0", b"heads", b"header", b"titles", b"plaintex", b"plaintexts", b"scripts", b"textareas", b"frameset2", b"h1", b"", b"br\0\0"] {
            assert_eq!(flags_of(name), 0, "{:?}", String::from_utf8_lossy(name));
        }
    }
}
