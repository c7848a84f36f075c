//! Path globs for `pages` and `exclude_pages`.
//!
//! `*` matches any run of characters, `/` included, as in Cloudflare route
//! patterns (`/shop/*` covers `/shop/a/b`); `?` matches one character. A
//! pattern without wildcards must match the whole path. Matching is on the
//! path only: the query string never takes part.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: String,
}

impl Glob {
    pub fn new(pattern: impl Into<String>) -> Self {
        Glob { pattern: pattern.into() }
    }

    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Iterative wildcard matching with single-star backtracking: linear in
    /// practice and never recursive, so a hostile path cannot blow the stack.
    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    pub fn matches(&self, path: &str) -> bool {
        let pattern = self.pattern.as_bytes();
        let text = path.as_bytes();
        let (mut p, mut t) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < pattern.len() && pattern[p] == b'*' {
                star = Some((p, t));
                p += 1;
            } else if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
                // `?` should consume a whole UTF-8 character.
                if pattern[p] == b'?' {
                    t += utf8_len(text[t]);
                } else {
                    t += 1;
                }
                p += 1;
            } else if let Some((star_p, star_t)) = star {
                p = star_p + 1;
                t = star_t + 1;
                star = Some((star_p, star_t + 1));
            } else {
                return false;
            }
        }
        pattern[p.min(pattern.len())..].iter().all(|&b| b == b'*')
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn star_spans_segments() {
        let g = Glob::new("/shop/*");
        assert!(g.matches("/shop/"));
        assert!(g.matches("/shop/shoes/red"));
        assert!(!g.matches("/shop"));
        assert!(!g.matches("/about"));
    }

    #[test]
    fn exact_and_question_mark() {
        assert!(Glob::new("/").matches("/"));
        assert!(!Glob::new("/").matches("/x"));
        assert!(Glob::new("/p?ge").matches("/päge"));
        assert!(Glob::new("*.html").matches("/a/b.html"));
        assert!(Glob::new("/a/*/c").matches("/a/b/x/c"));
        assert!(!Glob::new("/a/*/c").matches("/a/b/x/d"));
    }

    #[test]
    fn pathological_pattern_terminates() {
        let g = Glob::new("*a*a*a*a*a*a*b");
        assert!(!g.matches(&"a".repeat(10_000)));
    }
}
