#![cfg(not(target_arch = "wasm32"))]
//! Every page of the shared corpus through `tailor rewrite` with a rule that
//! changes one element: the element changes, every other byte stays as it was.

use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A start tag chosen as the rewrite target: byte range and selector.
struct Target {
    start: usize,
    end: usize,
    selector: String,
}

/// Elements whose content the HTML parser does not read as markup: an id
/// inside them is not an element.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "template", "svg", "math"];

fn find_ignore_case(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    (from..haystack.len().saturating_sub(needle.len() - 1)).find(|&i| haystack[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

/// The first start tag with an `id` that occurs once in the page, outside
/// comments and raw-text elements; else the `<body>` start tag.
fn choose_target(page: &[u8]) -> Option<Target> {
    let mut i = 0;
    while let Some(lt) = page[i..].iter().position(|&b| b == b'<').map(|p| p + i) {
        if page[lt..].starts_with(b"<!--") {
            i = find_ignore_case(page, b"-->", lt + 4).map_or(page.len(), |e| e + 3);
            continue;
        }
        let name_end = page[lt + 1..].iter().position(|b| !b.is_ascii_alphanumeric()).map_or(page.len(), |p| p + lt + 1);
        let name = String::from_utf8_lossy(&page[lt + 1..name_end]).to_ascii_lowercase();
        if name.is_empty() {
            i = lt + 1;
            continue;
        }
        let Some(tag_end) = page[name_end..].iter().position(|&b| b == b'>').map(|p| p + name_end + 1) else { break };
        if RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            i = find_ignore_case(page, close.as_bytes(), tag_end).unwrap_or(page.len());
            continue;
        }
        let tag = String::from_utf8_lossy(&page[lt..tag_end]).into_owned();
        if let Some(id) = id_attribute(&tag) {
            let occurrences = [format!("id=\"{id}\""), format!("id='{id}'"), format!("id={id} ")]
                .iter()
                .map(|needle| page.windows(needle.len()).filter(|w| *w == needle.as_bytes()).count())
                .sum::<usize>();
            if occurrences == 1 && !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_:.".contains(c)) {
                return Some(Target { start: lt, end: tag_end, selector: format!("[id=\"{id}\"]") });
            }
        }
        i = tag_end;
    }
    let body = find_ignore_case(page, b"<body", 0)?;
    let end = page[body..].iter().position(|&b| b == b'>')? + body + 1;
    Some(Target { start: body, end, selector: "body".to_string() })
}

fn id_attribute(tag: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("id=").map(|p| p + from) {
        let before = lower.as_bytes().get(pos.wrapping_sub(1)).copied().unwrap_or(b' ');
        if before.is_ascii_whitespace() {
            let rest = &tag[pos + 3..];
            return Some(match rest.chars().next()? {
                q @ ('"' | '\'') => rest[1..].split(q).next()?.to_string(),
                _ => rest.split(|c: char| c.is_ascii_whitespace() || c == '>').next()?.to_string(),
            });
        }
        from = pos + 3;
    }
    None
}

#[test]
fn every_corpus_page_survives_a_rewrite_byte_for_byte_outside_the_target() {
    let pages_dir = Path::new(ROOT).join("../shared/corpus/pages");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&pages_dir)
        .expect("../shared/corpus/pages is present")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    pages.sort();
    assert_eq!(pages.len(), 65, "the shared corpus has 65 pages");

    let tmp = std::env::temp_dir().join(format!("tailor-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut failures = Vec::new();
    for page_path in &pages {
        let name = page_path.file_name().unwrap().to_string_lossy().into_owned();
        let page = std::fs::read(page_path).unwrap();
        let Some(target) = choose_target(&page) else {
            failures.push(format!("{name}: no element to target"));
            continue;
        };
        let rules = tmp.join("rules.toml");
        std::fs::write(
            &rules,
            format!(
                "[[campaign]]\nid = \"corpus\"\n\n  [[campaign.variant]]\n  id = \"changed\"\n  changes = [{{ select = '{}', attr = {{ \"data-tailor\" = \"changed\" }} }}]\n",
                target.selector
            ),
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_tailor"))
            .args(["rewrite", rules.to_str().unwrap(), "--page", page_path.to_str().unwrap(), "--url", "https://example.com/", "--no-state"])
            .output()
            .unwrap();
        if !out.status.success() {
            failures.push(format!("{name}: exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr)));
            continue;
        }
        let rewritten = out.stdout;
        let tail = &page[target.end..];
        let ok_prefix = rewritten.starts_with(&page[..target.start]);
        let ok_suffix = rewritten.ends_with(tail);
        let middle_end = rewritten.len().saturating_sub(tail.len());
        let middle = rewritten.get(target.start..middle_end).unwrap_or_default();
        let changed = String::from_utf8_lossy(middle).contains("data-tailor=\"changed\"");
        if !(ok_prefix && ok_suffix && changed) {
            failures.push(format!(
                "{name} ({}): prefix intact {ok_prefix}, suffix intact {ok_suffix}, target changed {changed}",
                target.selector
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{} of {} pages failed:\n{}", failures.len(), pages.len(), failures.join("\n"));
}
