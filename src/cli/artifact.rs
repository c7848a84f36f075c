//! `tailor build`: the deployable artifacts, without invoking cargo.
//!
//! The engine (the worker's wasm module and its JS glue) is built once by
//! cargo; a rule change only re-encodes the ruleset and puts it into a copy of
//! that module as a custom section. Workers refuse to compile wasm bytes at
//! run time, so the rules must travel inside the uploaded module; a custom
//! section is ignored by the wasm engine and read back from JS with
//! `WebAssembly.Module.customSections`.

use std::fs;
use std::path::{Path, PathBuf};
use tailor::codec;
use tailor::Ruleset;

const WORKER_ENTRY: &str = include_str!("../js/worker-entry.mjs");

pub struct Report {
    pub ruleset_bytes: usize,
    pub worker_wasm: PathBuf,
    pub worker_wasm_bytes: usize,
    /// The browser wasm, when the engine has a browser part.
    pub browser: Option<BrowserEngine>,
}

pub struct BrowserEngine {
    pub wasm_bytes: usize,
    /// Whether the rules needed the engine with every condition operator
    /// (see `tailor::codec::fits_common_engine`).
    pub all_operators: bool,
    /// Whether the engine has `evaluate` ([`BrowserOptions::evaluate`]).
    pub evaluate: bool,
}

/// What the browser part of a build has besides the rules.
pub struct BrowserOptions {
    /// The Ed25519 public key for signed previews in the browser (see
    /// `tailor::preview::public_key`), stored in the QA wasm.
    pub preview_public_key: Option<[u8; 32]>,
    /// `window.tailor.evaluate` (`tailor build --evaluate`): the lean engine
    /// built with the `evaluate` export. Without it, the QA engine, which
    /// has it, goes out with the export removed, so that a page gets the
    /// same API with a preview as without.
    pub evaluate: bool,
}

/// The exports only the engines built with `evaluate` have (src/browser/evaluate.rs).
const EVALUATE_EXPORTS: [&str; 2] = ["evaluate", "campaigns_json"];

pub fn write_artifacts(rules: &Ruleset, engine: &Path, out: &Path, options: &BrowserOptions) -> Result<Report, String> {
    let ruleset = codec::encode(rules);
    let engine_worker = engine.join("worker");
    let engine_wasm = engine_worker.join("index_bg.wasm");
    let wasm = fs::read(&engine_wasm).map_err(|e| {
        format!("cannot read the prebuilt engine {}: {e} (build it once with `make engine`, or pass --engine DIR)", engine_wasm.display())
    })?;
    let wasm = with_custom_section(&wasm, codec::SECTION_NAME, &ruleset)?;

    let worker_out = out.join("worker");
    fs::create_dir_all(&worker_out).map_err(|e| format!("cannot create {}: {e}", worker_out.display()))?;
    for entry in fs::read_dir(&engine_worker).map_err(|e| format!("cannot list {}: {e}", engine_worker.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name();
        let is_js = Path::new(&name).extension().is_some_and(|e| e == "js" || e == "mjs");
        if is_js && entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            write_if_changed(&worker_out.join(&name), &fs::read(entry.path()).map_err(|e| e.to_string())?)?;
        }
    }
    let worker_wasm = worker_out.join("index_bg.wasm");
    write_if_changed(&worker_wasm, &wasm)?;
    write_if_changed(&worker_out.join("worker.mjs"), WORKER_ENTRY.as_bytes())?;
    write_if_changed(&out.join("rules.bin"), &ruleset)?;
    let browser = write_browser(rules, &ruleset, &engine.join("browser"), &out.join("browser"), options)?;
    Ok(Report { ruleset_bytes: ruleset.len(), worker_wasm, worker_wasm_bytes: wasm.len(), browser })
}

/// `DIR/browser/`: the npm package of the script tag (built from
/// pkg-template/ with the engine), its wasm with the rules inside, and the
/// anti-flicker snippet for this ruleset.
fn write_browser(rules: &Ruleset, ruleset: &[u8], engine: &Path, out: &Path, options: &BrowserOptions) -> Result<Option<BrowserEngine>, String> {
    // The lean engine never explains a decision: its ruleset goes without
    // the conditions' sources (the QA engine below gets them).
    let lean = codec::encode_lean(rules);
    // Every visitor downloads it: the common build when the rules fit it
    // (smaller by the operators few rule files use), else the one with
    // every operator; with `evaluate` only when asked for.
    let suffix = if options.evaluate { "-evaluate" } else { "" };
    let common = engine.join(format!("engine-common{suffix}.wasm"));
    let (engine_wasm, all_operators) = if codec::fits_common_engine(&lean) && common.is_file() {
        (common, false)
    } else {
        (engine.join(format!("engine-all-operators{suffix}.wasm")), true)
    };
    let wasm = match fs::read(&engine_wasm) {
        Ok(wasm) => wasm,
        Err(e) if options.evaluate => {
            return Err(format!("cannot read {}: {e} (--evaluate needs the engines `make engine` builds)", engine_wasm.display()))
        }
        // An engine built without the browser part: the worker alone is fine.
        Err(_) => return Ok(None),
    };
    let wasm = with_custom_section(&wasm, codec::SECTION_NAME, &lean)?;
    // The QA engine (previews, the debug panel), which the loader fetches
    // instead of the lean one only when a preview is asked for; it alone
    // checks browser-signed preview links, so the public key goes there.
    let qa_wasm = match fs::read(engine.join("engine-qa.wasm")) {
        Ok(qa) => {
            let mut qa = with_custom_section(&qa, codec::SECTION_NAME, ruleset)?;
            if let Some(key) = options.preview_public_key {
                qa = with_custom_section(&qa, tailor::preview::PUBLIC_KEY_SECTION, &key)?;
            }
            if !options.evaluate {
                qa = without_exports(&qa, &EVALUATE_EXPORTS)?;
            }
            Some(qa)
        }
        Err(_) => None,
    };
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    for entry in fs::read_dir(engine).map_err(|e| format!("cannot list {}: {e}", engine.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        // The engines without rules are only the build's (tailor.wasm and
        // tailor-qa.wasm are them with the rules).
        if name_str.starts_with("engine-") || !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
            continue;
        }
        write_if_changed(&out.join(&name), &fs::read(entry.path()).map_err(|e| e.to_string())?)?;
    }
    write_if_changed(&out.join("tailor.wasm"), &wasm)?;
    if let Some(qa) = qa_wasm {
        write_if_changed(&out.join("tailor-qa.wasm"), &qa)?;
    }
    write_if_changed(&out.join("snippet.html"), anti_flicker_snippet(rules, 800).as_bytes())?;
    Ok(Some(BrowserEngine { wasm_bytes: wasm.len(), all_operators, evaluate: options.evaluate }))
}

/// The optional snippet for the page's `<head>`: hides only the elements
/// some campaign may change until the script has applied its changes (it
/// removes `#tailor-hide`), and never longer than `timeout_ms`.
pub fn anti_flicker_snippet(rules: &Ruleset, timeout_ms: u32) -> String {
    let mut selectors: Vec<&str> = Vec::new();
    for change in rules.campaigns.iter().flat_map(|c| &c.variants).flat_map(|v| &v.changes) {
        if !selectors.contains(&change.selector.as_str()) {
            selectors.push(&change.selector);
        }
    }
    let style = if selectors.is_empty() {
        String::new()
    } else {
        format!("<style id=\"tailor-hide\">{}{{visibility:hidden!important}}</style>\n", selectors.join(",").replace('<', "\\3c "))
    };
    format!(
        "{style}<script>setTimeout(function(){{var s=document.getElementById(\"tailor-hide\");s&&s.remove()}},{timeout_ms})</script>\n<script src=\"/tailor/tailor.js\" data-timeout=\"{timeout_ms}\" async></script>\n"
    )
}

/// Skipping identical writes keeps `wrangler dev`'s file watcher from
/// reloading for nothing.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if fs::read(path).ok().as_deref() == Some(bytes) {
        return Ok(());
    }
    fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Returns `module` with every custom section called `name` replaced by one
/// holding `payload` (appended at the end, where custom sections may stand).
pub fn with_custom_section(module: &[u8], name: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
    let sections = sections(module)?;
    let mut out = Vec::with_capacity(module.len() + payload.len() + 32);
    out.extend_from_slice(&module[..8]);
    for section in sections {
        let body = &module[section.body.clone()];
        let named = matches!(read_leb(body), Some((len, used)) if body.get(used..used + len as usize) == Some(name.as_bytes()));
        if !(section.id == 0 && named) {
            out.extend_from_slice(&module[section.whole]);
        }
    }
    let mut body = Vec::with_capacity(payload.len() + name.len() + 5);
    write_leb(&mut body, name.len() as u32);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    push_section(&mut out, 0, &body);
    Ok(out)
}

/// Returns `module` with the exports called one of `names` removed from its
/// export section (the functions stay, unexported: the loader sees the
/// same exports as in an engine built without them).
pub fn without_exports(module: &[u8], names: &[&str]) -> Result<Vec<u8>, String> {
    const EXPORT_SECTION: u8 = 7;
    const MALFORMED: &str = "malformed export section in the engine module";
    let sections = sections(module)?;
    let mut out = Vec::with_capacity(module.len());
    out.extend_from_slice(&module[..8]);
    for section in sections {
        if section.id != EXPORT_SECTION {
            out.extend_from_slice(&module[section.whole]);
            continue;
        }
        // A count, then per export its name (length and UTF-8), its kind
        // (one byte) and its index.
        let body = &module[section.body];
        let (count, mut at) = read_leb(body).ok_or(MALFORMED)?;
        let mut kept = Vec::with_capacity(body.len());
        let mut kept_count = 0u32;
        for _ in 0..count {
            let entry = at;
            let (name_length, used) = body.get(at..).and_then(read_leb).ok_or(MALFORMED)?;
            let name = body.get(at + used..at + used + name_length as usize).ok_or(MALFORMED)?;
            at += used + name_length as usize + 1;
            let (_, used) = body.get(at..).and_then(read_leb).ok_or(MALFORMED)?;
            at += used;
            if !names.iter().any(|n| n.as_bytes() == name) {
                kept.extend_from_slice(&body[entry..at]);
                kept_count += 1;
            }
        }
        if at != body.len() {
            return Err(MALFORMED.to_string());
        }
        let mut new_body = Vec::with_capacity(kept.len() + 5);
        write_leb(&mut new_body, kept_count);
        new_body.extend_from_slice(&kept);
        push_section(&mut out, EXPORT_SECTION, &new_body);
    }
    Ok(out)
}

/// A section of a wasm module: its id, where it is (id and size included)
/// and where its body is.
struct Section {
    id: u8,
    whole: std::ops::Range<usize>,
    body: std::ops::Range<usize>,
}

/// The sections of `module`, checked to lie inside it.
fn sections(module: &[u8]) -> Result<Vec<Section>, String> {
    if module.len() < 8 || &module[..4] != b"\0asm" {
        return Err("the engine file is not a WebAssembly module".to_string());
    }
    let mut found = Vec::new();
    let mut pos = 8;
    while pos < module.len() {
        let start = pos;
        let id = module[pos];
        pos += 1;
        let (size, used) = read_leb(&module[pos..]).ok_or("malformed section size in the engine module")?;
        pos += used;
        let end = pos.checked_add(size as usize).filter(|&e| e <= module.len()).ok_or("truncated section in the engine module")?;
        found.push(Section { id, whole: start..end, body: pos..end });
        pos = end;
    }
    Ok(found)
}

fn push_section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
    out.push(id);
    write_leb(out, body.len() as u32);
    out.extend_from_slice(body);
}

fn read_leb(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value = 0u32;
    for (i, &b) in bytes.iter().take(5).enumerate() {
        value |= ((b & 0x7f) as u32) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn write_leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_section_instead_of_stacking() {
        let empty_module = b"\0asm\x01\0\0\0".to_vec();
        let once = with_custom_section(&empty_module, "tailor.rules", b"one").unwrap();
        let twice = with_custom_section(&once, "tailor.rules", b"two").unwrap();
        assert_eq!(twice.len(), once.len());
        assert!(twice.ends_with(b"tailor.rulestwo"));
        assert!(with_custom_section(b"nope", "x", b"").is_err());
    }

    /// A module of an export section with `names` (functions 0, 1, ...)
    /// and a custom section after it.
    fn module_exporting(names: &[&str]) -> Vec<u8> {
        let mut body = Vec::new();
        write_leb(&mut body, names.len() as u32);
        for (index, name) in names.iter().enumerate() {
            write_leb(&mut body, name.len() as u32);
            body.extend_from_slice(name.as_bytes());
            body.push(0);
            write_leb(&mut body, index as u32);
        }
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        push_section(&mut module, 7, &body);
        with_custom_section(&module, "tailor.rules", b"rules").unwrap()
    }

    #[test]
    fn removes_only_the_exports_named() {
        let module = module_exporting(&["evaluate", "decide", "campaigns_json", "load"]);
        let stripped = without_exports(&module, &EVALUATE_EXPORTS).unwrap();
        let mut expected = module_exporting(&["decide", "load"]);
        // The kept exports keep their function indices (1 and 3).
        let at = expected.windows(6).position(|w| w == b"decide").unwrap();
        expected[at + 7] = 1;
        let at = expected.windows(4).position(|w| w == b"load").unwrap();
        expected[at + 5] = 3;
        assert_eq!(stripped, expected);
        assert_eq!(without_exports(&stripped, &EVALUATE_EXPORTS).unwrap(), stripped, "nothing left to remove");
    }

    #[test]
    fn refuses_a_damaged_export_section() {
        let module = module_exporting(&["evaluate", "decide"]);
        let count = 8 + 2;
        let mut more = module.clone();
        more[count] = 3;
        assert!(without_exports(&more, &EVALUATE_EXPORTS).is_err(), "more exports than the section holds");
        let mut fewer = module.clone();
        fewer[count] = 1;
        assert!(without_exports(&fewer, &EVALUATE_EXPORTS).is_err(), "bytes left after the last export");
        assert!(without_exports(b"nope", &EVALUATE_EXPORTS).is_err());
    }
}
