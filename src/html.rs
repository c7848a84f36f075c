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
    // Browsers ignore leading whitespace/control characters and embedded
    // tabs/newlines in the scheme, so strip them before comparing.
    let scheme: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .take_while(|c| *c != ':')
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    let has_colon = url.contains(':');
    has_colon && matches!(scheme.as_str(), "javascript" | "data" | "vbscript")
}

/// Attributes whose value is a URL that a browser may navigate to or load.
pub fn is_url_attribute(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "href" | "src" | "action" | "formaction" | "srcset" | "poster" | "xlink:href" | "data"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escaped(r#"<b a="x">'&'</b>"#), "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
        assert_eq!(escaped("Grüße"), "Grüße");
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
