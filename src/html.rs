//! HTML escaping shared by every platform, so a text change renders the same
//! bytes at the edge, in the CLI and in the browser.

/// Escapes text for element content: `&`, `<`, `>` (and quotes, so the same
/// output is safe if a template author pastes it into an attribute).
pub fn escape_text(text: &str, out: &mut String) {
    escape_into(text, out);
}

/// Escapes an attribute value meant to sit inside double quotes.
pub fn escape_attr(value: &str, out: &mut String) {
    escape_into(value, out);
}

/// One escaper for both contexts: escaping quotes in text is harmless, and a
/// single table keeps the browser's and the edge's output byte-identical.
fn escape_into(text: &str, out: &mut String) {
    let mut last = 0;
    for (i, byte) in text.bytes().enumerate() {
        let replacement = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[last..i]);
        out.push_str(replacement);
        last = i + 1;
    }
    out.push_str(&text[last..]);
}

/// Convenience: the escaped form of `text` as a new string.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

/// URL schemes that would run script or smuggle markup when put into `href`
/// or `src`. Checked at compile time for literal values and at render time for
/// values that come from a template.
pub fn is_dangerous_url(url: &str) -> bool {
    const DANGEROUS_SCHEMES: [&[u8]; 3] = [b"javascript", b"data", b"vbscript"];
    // Browsers ignore leading whitespace/control characters and embedded
    // tabs/newlines in the scheme, so skip them before comparing. On bytes,
    // without building the scheme: every character that counts is ASCII
    // (C1 controls are `C2 80` to `C2 9F`), and anything else before the
    // colon, or more than ten characters, is no dangerous scheme.
    let bytes = url.as_bytes();
    // As long as the longest of the dangerous schemes.
    let mut scheme = [0u8; 10];
    let mut len = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b':' => return DANGEROUS_SCHEMES.iter().any(|name| *name == &scheme[..len]),
            _ if b.is_ascii_whitespace() || b.is_ascii_control() => {}
            0xC2 if matches!(bytes.get(i), Some(0x80..=0x9F)) => i += 1,
            _ if b.is_ascii() && len < scheme.len() => {
                scheme[len] = b.to_ascii_lowercase();
                len += 1;
            }
            _ => return false,
        }
    }
    false
}

/// Attributes whose value is a URL that a browser may navigate to or load.
pub fn is_url_attribute(name: &str) -> bool {
    ["href", "src", "action", "formaction", "srcset", "poster", "xlink:href", "data"]
        .iter()
        .any(|attribute| name.eq_ignore_ascii_case(attribute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escaped(r#"<b a="x">'&'</b>"#), "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
        assert_eq!(escaped("Grüße"), "Grüße");
    }

    /// The scheme check as it was written first, on chars.
    fn dangerous_by_chars(url: &str) -> bool {
        let scheme: String = url
            .chars()
            .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
            .take_while(|c| *c != ':')
            .take(16)
            .collect::<String>()
            .to_ascii_lowercase();
        url.contains(':') && matches!(scheme.as_str(), "javascript" | "data" | "vbscript")
    }

    #[test]
    fn dangerous_urls_on_bytes_as_on_chars() {
        let pieces = ["java", "script", "JAVA", "data", "vb", ":", " ", "\t", "\u{1}", "\u{7f}", "\u{85}", "\u{9f}", "\u{a0}", "é", "x", "S", "/"];
        let mut state = 7u32;
        for _ in 0..50_000 {
            let mut url = String::new();
            for _ in 0..(state >> 28) {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                url.push_str(pieces[(state >> 16) as usize % pieces.len()]);
            }
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            assert_eq!(is_dangerous_url(&url), dangerous_by_chars(&url), "{url:?}");
        }
        for url in ["javascript:", "\u{85}javascript:x", "java\u{9f}script:", "JavaScript\u{a0}:", "javascriptx:", " data :"] {
            assert_eq!(is_dangerous_url(url), dangerous_by_chars(url), "{url:?}");
        }
    }

    #[test]
    fn dangerous_urls() {
        assert!(is_dangerous_url("javascript:alert(1)"));
        assert!(is_dangerous_url("  JaVa\tScRiPt:alert(1)"));
        assert!(is_dangerous_url("data:text/html,<script>"));
        assert!(!is_dangerous_url("/img/de.jpg"));
        assert!(!is_dangerous_url("https://example.com/javascript:"));
    }
}
