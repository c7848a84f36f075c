//! Size probe: the same exported surface with and without a lol_html rewrite
//! that uses what tailor's `src/rewrite.rs` uses (runtime-parsed selectors,
//! every element action, end-tag handlers, a document end handler, a
//! charset label through encoding_rs, memory limits, graceful bail-out).
//! Without the feature, `rewrite` copies the input; both variants share the
//! allocator, `format!` and the other std code any engine has anyway.

use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut v = Vec::<u8>::with_capacity(len);
    let p = v.as_mut_ptr();
    std::mem::forget(v);
    p
}

#[no_mangle]
pub extern "C" fn out_ptr() -> *const u8 {
    OUT.with(|o| o.borrow().as_ptr())
}

#[no_mangle]
pub extern "C" fn out_len() -> usize {
    OUT.with(|o| o.borrow().len())
}

fn arg(ptr: *const u8, len: usize) -> String {
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) };
    String::from_utf8_lossy(bytes).into_owned()
}

/// `spec` is lines of `selector\taction\tvalue`; `page` is the HTML.
#[no_mangle]
pub extern "C" fn rewrite(spec: *const u8, spec_len: usize, page: *const u8, page_len: usize, charset: *const u8, charset_len: usize) -> i32 {
    let spec = arg(spec, spec_len);
    let charset = arg(charset, charset_len);
    let page = unsafe { std::slice::from_raw_parts(page, page_len) };
    let out: Rc<RefCell<Vec<u8>>> = Rc::new(RefCell::new(Vec::new()));
    let status = run(&spec, page, &charset, out.clone());
    let summary = format!("{} lines, {} bytes in, {} out, status {status:?}", spec.lines().count(), page.len(), out.borrow().len());
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        *o = std::mem::take(&mut *out.borrow_mut());
        o.extend_from_slice(summary.as_bytes());
    });
    match status {
        Ok(()) => 0,
        Err(e) => e.len() as i32,
    }
}

#[cfg(not(feature = "lol_html"))]
fn run(spec: &str, page: &[u8], charset: &str, out: Rc<RefCell<Vec<u8>>>) -> Result<(), String> {
    if spec.is_empty() && charset.is_empty() {
        return Err(format!("nothing to do for {} bytes", page.len()));
    }
    out.borrow_mut().extend_from_slice(page);
    Ok(())
}

#[cfg(feature = "lol_html")]
fn run(spec: &str, page: &[u8], charset: &str, out: Rc<RefCell<Vec<u8>>>) -> Result<(), String> {
    use lol_html::html_content::{ContentType, Element};
    use lol_html::{element, end, AsciiCompatibleEncoding, ElementContentHandlers, HtmlRewriter, MemorySettings, Settings};
    use std::cell::Cell;

    let encoding = if charset.is_empty() {
        AsciiCompatibleEncoding::utf_8()
    } else {
        encoding_rs::Encoding::for_label(charset.as_bytes())
            .and_then(AsciiCompatibleEncoding::new)
            .ok_or_else(|| format!("charset {charset}"))?
    };
    let mut settings = Settings::new()
        .with_encoding(encoding)
        .with_adjust_charset_on_meta_tag(charset.is_empty())
        .with_graceful_bail_out_on_content_handler_error(true)
        .with_memory_settings(
            MemorySettings::new()
                .with_max_allowed_memory_usage(8 << 20)
                .with_graceful_bail_out_on_memory_limit_exceeded(true),
        );
    for line in spec.lines() {
        let mut parts = line.splitn(3, '\t');
        let (sel, action, value) = (parts.next().unwrap_or(""), parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
        let selector: lol_html::Selector = sel.parse().map_err(|e: lol_html::errors::SelectorError| e.to_string())?;
        settings = settings.append_element_content_handler((
            std::borrow::Cow::Owned(selector),
            ElementContentHandlers::default().element(move |el: &mut Element| {
                match action.as_str() {
                    "text" => el.set_inner_content(&value, ContentType::Text),
                    "html" => el.set_inner_content(&value, ContentType::Html),
                    "attr" => {
                        let _ = el.set_attribute("data-x", &value.replace('&', "&amp;"));
                    }
                    "remove_attr" => el.remove_attribute(&value),
                    "class" => {
                        let current = el.get_attribute("class").unwrap_or_default();
                        let mut classes: Vec<&str> = current.split_ascii_whitespace().filter(|c| *c != value).collect();
                        classes.push(&value);
                        let _ = el.set_attribute("class", &classes.join(" "));
                    }
                    "before" => el.before(&value, ContentType::Html),
                    "after" => el.after(&value, ContentType::Html),
                    "prepend" => el.prepend(&value, ContentType::Html),
                    "append" => el.append(&value, ContentType::Html),
                    "replace" => el.replace(&value, ContentType::Html),
                    _ => el.remove(),
                }
                Ok(())
            }),
        ));
    }
    let script = Rc::new(String::from("<script type=\"application/json\" id=\"state\">{}</script>"));
    let inserted = Rc::new(Cell::new(false));
    let (head_script, head_inserted) = (script.clone(), inserted.clone());
    settings = settings.append_element_content_handler(element!("head", move |el| {
        if head_inserted.replace(true) {
            return Ok(());
        }
        let s = head_script.clone();
        match el.end_tag_handlers() {
            Some(handlers) => {
                let h: lol_html::EndTagHandler<'static> = Box::new(move |end| {
                    end.before(&s, ContentType::Html);
                    Ok(())
                });
                handlers.push(h);
            }
            None => el.prepend(&head_script, ContentType::Html),
        }
        Ok(())
    }));
    settings = settings.append_document_content_handler(end!(move |end| {
        if !inserted.get() {
            end.append(&script, ContentType::Html);
        }
        Ok(())
    }));
    let sink_out = out.clone();
    let mut rewriter = HtmlRewriter::new(settings, move |b: &[u8]| sink_out.borrow_mut().extend_from_slice(b));
    // 4 KiB: the chunk size workerd hands a worker from an origin body.
    for chunk in page.chunks(4 * 1024) {
        if let Err(e) = rewriter.write(chunk) {
            return Err(e.to_string());
        }
    }
    rewriter.end().map_err(|e| e.to_string())
}
