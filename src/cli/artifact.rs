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
}

/// `preview_public_key`: the Ed25519 public key for signed previews in the
/// browser (see `tailor::preview::public_key`), stored in the browser wasm.
pub fn write_artifacts(rules: &Ruleset, engine: &Path, out: &Path, preview_public_key: Option<[u8; 32]>) -> Result<Report, String> {
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
    let browser = write_browser(rules, &ruleset, &engine.join("browser"), &out.join("browser"), preview_public_key)?;
    Ok(Report { ruleset_bytes: ruleset.len(), worker_wasm, worker_wasm_bytes: wasm.len(), browser })
}

/// `DIR/browser/`: the npm package of the script tag (built from
/// pkg-template/ with the engine), its wasm with the rules inside, and the
/// anti-flicker snippet for this ruleset.
fn write_browser(rules: &Ruleset, ruleset: &[u8], engine: &Path, out: &Path, preview_public_key: Option<[u8; 32]>) -> Result<Option<BrowserEngine>, String> {
    // The lean engine never explains a decision: its ruleset goes without
    // the conditions' sources (the QA engine below gets them).
    let lean = codec::encode_lean(rules);
    // Every visitor downloads it: the common build when the rules fit it
    // (smaller by the operators few rule files use), else the one with
    // every operator.
    let common = engine.join("engine-common.wasm");
    let (engine_wasm, all_operators) = if codec::fits_common_engine(&lean) && common.is_file() {
        (common, false)
    } else {
        (engine.join("engine-all-operators.wasm"), true)
    };
    let Ok(wasm) = fs::read(&engine_wasm) else {
        // An engine built without the browser part: the worker alone is fine.
        return Ok(None);
    };
    let wasm = with_custom_section(&wasm, codec::SECTION_NAME, &lean)?;
    // The QA engine (previews, the debug panel), which the loader fetches
    // instead of the lean one only when a preview is asked for; it alone
    // checks browser-signed preview links, so the public key goes there.
    let qa_wasm = match fs::read(engine.join("engine-qa.wasm")) {
        Ok(qa) => {
            let mut qa = with_custom_section(&qa, codec::SECTION_NAME, ruleset)?;
            if let Some(key) = preview_public_key {
                qa = with_custom_section(&qa, tailor::preview::PUBLIC_KEY_SECTION, &key)?;
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
    Ok(Some(BrowserEngine { wasm_bytes: wasm.len(), all_operators }))
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
    if module.len() < 8 || &module[..4] != b"\0asm" {
        return Err("the engine file is not a WebAssembly module".to_string());
    }
    let mut out = Vec::with_capacity(module.len() + payload.len() + 32);
    out.extend_from_slice(&module[..8]);
    let mut pos = 8;
    while pos < module.len() {
        let start = pos;
        let id = module[pos];
        pos += 1;
        let (size, used) = read_leb(&module[pos..]).ok_or("malformed section size in the engine module")?;
        pos += used;
        let end = pos.checked_add(size as usize).filter(|&e| e <= module.len()).ok_or("truncated section in the engine module")?;
        let drop = id == 0 && {
            let body = &module[pos..end];
            matches!(read_leb(body), Some((len, used)) if body.get(used..used + len as usize) == Some(name.as_bytes()))
        };
        if !drop {
            out.extend_from_slice(&module[start..end]);
        }
        pos = end;
    }
    let mut body = Vec::with_capacity(payload.len() + name.len() + 5);
    write_leb(&mut body, name.len() as u32);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    out.push(0);
    write_leb(&mut out, body.len() as u32);
    out.extend_from_slice(&body);
    Ok(out)
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
}
