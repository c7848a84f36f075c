#![cfg(not(target_arch = "wasm32"))]
//! Regression tests for what the fuzz targets (`fuzz/`, see `fuzz/README.md`)
//! found. Each reproducer is kept, minimized, under
//! `tests/fuzz-regressions/TARGET/` and replayed here through the property
//! that failed, so the bug cannot come back unnoticed by plain `cargo test`.

use std::path::Path;
use tailor::value::Value;

fn reproducers(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no reproducers in {}", dir.display());
    files.into_iter().map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())).collect()
}

/// `JSON.stringify(s)` for a JavaScript string given as UTF-16 code units
/// (ES2019: lone surrogates are written as `\uXXXX` escapes), as in
/// `fuzz/fuzz_targets/condition.rs`.
fn js_stringify(units: &[u16]) -> String {
    let mut out = String::from("\"");
    let mut i = 0;
    while i < units.len() {
        let u = units[i];
        if (0xD800..0xDC00).contains(&u) && units.get(i + 1).is_some_and(|l| (0xDC00..0xE000).contains(l)) {
            out.push(char::decode_utf16([u, units[i + 1]]).next().unwrap().unwrap());
            i += 2;
            continue;
        }
        match u {
            0x22 => out.push_str("\\\""),
            0x5C => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0C => out.push_str("\\f"),
            0x0A => out.push_str("\\n"),
            0x0D => out.push_str("\\r"),
            0x09 => out.push_str("\\t"),
            0..0x20 | 0xD800..0xE000 => out.push_str(&format!("\\u{u:04x}")),
            _ => out.push(char::from_u32(u.into()).unwrap()),
        }
        i += 1;
    }
    out.push('"');
    out
}

/// Found by the `condition` target: the engines' JSON reader (the browser
/// engine reads its facts, `JSON.stringify`'d, through it) paired a lone high
/// surrogate escape with whatever `\u` escape followed it, so `"\ud800\u0000"`
/// read as U+10000 and the next character was lost. A lone surrogate must
/// read as U+FFFD and the escape after it as itself.
#[test]
fn condition_json_reads_what_json_stringify_writes() {
    for (name, bytes) in reproducers("condition") {
        let units: Vec<u16> = bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
        let text = js_stringify(&units);
        let read = tailor::json::parse(&text).unwrap_or_else(|e| panic!("{name}: {text:?}: {e}"));
        assert_eq!(read, Value::String(String::from_utf16_lossy(&units)), "{name}: {text:?}");
    }
}

#[test]
fn json_lone_surrogates() {
    for (text, expected) in [
        (r#""\ud800\u0000""#, "\u{fffd}\u{0}"),
        (r#""\ud800\u0041""#, "\u{fffd}A"),
        (r#""\ud800\ud800\udc00""#, "\u{fffd}\u{10000}"),
        (r#""\ud83d\ude00""#, "😀"),
        (r#""\ud83d""#, "\u{fffd}"),
        (r#""\ude00\ud83d""#, "\u{fffd}\u{fffd}"),
        (r#""\ud83dx""#, "\u{fffd}x"),
        (r#""\ud83d\n""#, "\u{fffd}\n"),
    ] {
        assert_eq!(tailor::json::parse(text), Ok(Value::String(expected.into())), "{text}");
    }
}
