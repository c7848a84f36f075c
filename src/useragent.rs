//! Device, OS and browser classification from the User-Agent and client hints.
//!
//! Rules target coarse audiences ("mobile visitors", "Safari on iOS", "not a
//! crawler"), so three small answers are enough; a full UA database would cost
//! more wasm than the rest of the engine. There is no regex crate (size) and no
//! device table: each answer is a short list of ASCII case-insensitive
//! substring checks whose *order* encodes the knowledge (every Chromium
//! derivative also says `Chrome/`, every iOS UA also says `Mac OS X`, every
//! Android UA also says `Linux`).
//!
//! The input is attacker-controlled and may be 64 KB of anything, so all
//! matching works on bytes with `eq_ignore_ascii_case`: ASCII needles can never
//! match inside a multi-byte UTF-8 sequence, nothing is sliced at a byte offset
//! that could split a character, and nothing is allocated.

use crate::search;

/// The form factor a rule can target. `Bot` is a device class rather than a
/// flag because crawlers must not be counted in experiments or shown
/// visitor-specific variants, and a single attribute keeps rules simple.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Mobile,
    Tablet,
    Desktop,
    Bot,
}

impl Device {
    /// The spelling used by rule conditions (`device == "mobile"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Device::Mobile => "mobile",
            Device::Tablet => "tablet",
            Device::Desktop => "desktop",
            Device::Bot => "bot",
        }
    }
}

/// Raw User-Agent Client Hints header values, exactly as received (quotes
/// included). Chromium freezes and reduces its UA string, so these are the
/// only reliable source for the platform and for the real Chromium brand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientHints<'a> {
    /// `Sec-CH-UA-Mobile`: `?1` or `?0`.
    pub mobile: Option<&'a str>,
    /// `Sec-CH-UA-Platform`, e.g. `"Android"` (quoted).
    pub platform: Option<&'a str>,
    /// `Sec-CH-UA`, e.g. `"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"`.
    pub brands: Option<&'a str>,
    /// `Sec-CH-UA-Model`, e.g. `"Pixel 8"` (a high-entropy hint, rarely sent).
    pub model: Option<&'a str>,
}

/// The result of [`classify`]. `os` and `browser` are `None` rather than a
/// guess, so a rule like `browser == "safari"` never matches a look-alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classified {
    pub device: Device,
    /// One of `ios`, `android`, `windows`, `macos`, `linux`, `chromeos`.
    pub os: Option<&'static str>,
    /// One of `chrome`, `safari`, `firefox`, `edge`, `opera`, `samsung`, `ie`;
    /// always `None` for bots, whose claimed browser is a disguise.
    pub browser: Option<&'static str>,
}

/// Classifies a request. Client hints win over the UA string because the UA
/// string of Chromium is frozen (`Android 10; K`) while the hints are not.
///
/// For bots the OS is still reported as the UA claims it (Googlebot smartphone
/// says Android): rules that must treat crawlers like real visitors, to avoid
/// cloaking, can then match on `os` while the device stays `Bot`.
pub fn classify(user_agent: &str, hints: &ClientHints) -> Classified {
    // Every token below is lower case: lower-case the UA once and search it
    // with `str::contains` rather than comparing case-insensitively per token.
    let lower = user_agent.to_ascii_lowercase();
    let ua = lower.as_str();
    let ua_os = os_from_ua(ua);
    let os = hints.platform.and_then(os_from_platform_hint).or(ua_os);

    // New headless Chrome announces itself only in the brands list.
    let headless_brand =
        hints.brands.is_some_and(|list| Brands::new(list).any(|b| b.eq_ignore_ascii_case("HeadlessChrome")));
    if is_lower_bot(ua) || headless_brand {
        return Classified { device: Device::Bot, os, browser: None };
    }

    let mut device = device_from_ua(ua);
    match hints.mobile.map(unquote) {
        Some("?1") => device = Device::Mobile,
        // "?0" means the browser does not want a mobile experience; a phone
        // UA that disagrees is most likely a tablet build of the browser.
        Some("?0") if device == Device::Mobile => {
            device = if matches!(os, Some("android" | "ios")) { Device::Tablet } else { Device::Desktop };
        }
        _ => {}
    }
    // The model only breaks ties: an explicit "?1" still means a phone layout.
    if (device != Device::Mobile || hints.mobile.is_none()) && hints.model.is_some_and(model_is_tablet) {
        device = Device::Tablet;
    }

    let ua_browser = browser_from_ua(ua, ua_os);
    let browser = match hints.brands.and_then(browser_from_brands) {
        // A Chromium derivative that does not brand itself in the hints (yet)
        // still names itself in the UA; that is more specific than "Chromium".
        Some("chrome") if matches!(ua_browser, Some("edge" | "opera" | "samsung")) => ua_browser,
        Some(hinted) => Some(hinted),
        None => ua_browser,
    };
    Classified { device, os, browser }
}

/// Substrings that only automated clients put in their UA. Names ending in
/// "bot" (Googlebot, bingbot, GPTBot, ...) are caught by [`has_bot_word`] and
/// need not be listed.
const BOT_TOKENS: &[&str] = &[
    "spider", // Baiduspider, Bytespider, Sogou web spider
    "crawl",  // crawler, Crawl
    "slurp",  // Yahoo! Slurp
    "facebookexternalhit",
    "meta-external", // meta-externalagent / meta-externalfetcher
    "bingpreview",
    "mediapartners-google",
    "google-inspectiontool",
    "chatgpt-user",
    "claude-user",
    "anthropic-ai",
    "perplexity-user",
    "headlesschrome",
    "lighthouse", // Chrome-Lighthouse, PageSpeed Insights
    "phantomjs",
    "curl/",
    "wget",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "go-http-client",
    "libwww-perl",
    "apache-httpclient",
    "java-http-client",
    "okhttp/",
    "axios/",
    "node-fetch",
    "scrapy",
];

/// True for crawlers, headless browsers and HTTP libraries. An empty UA is not
/// a bot: some privacy tools strip the header from real visitors.
pub fn is_bot(user_agent: &str) -> bool {
    is_lower_bot(&user_agent.to_ascii_lowercase())
}

/// Whether the (lower-cased) User-Agent contains any of `tokens`.
fn has_any(ua: &str, tokens: &[&str]) -> bool {
    tokens.iter().any(|t| search::contains(ua, t))
}

fn is_lower_bot(ua: &str) -> bool {
    has_any(ua, BOT_TOKENS) || has_bot_word(ua.as_bytes())
}

/// Looks for a word ending in "bot" (`Googlebot/2.1`, `AhrefsBot;`, `bot.html`)
/// instead of any "bot" substring, so words like "Roboto" do not match. The
/// phone brand Cubot is the one common word that ends in "bot" in real UAs.
fn has_bot_word(ua: &[u8]) -> bool {
    let mut from = 0;
    while let Some(at) = find_ignore_ascii_case(ua, b"bot", from) {
        let ends_word = ua.get(at + 3).is_none_or(|c| !c.is_ascii_alphanumeric());
        let cubot = at >= 2 && ua.get(at - 2..at).is_some_and(|p| p.eq_ignore_ascii_case(b"cu"));
        if ends_word && !cubot {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Device from the UA alone. Tablet markers come first because iPad and Kindle
/// UAs also contain "Mobile"; explicit phone markers come before the Android
/// rule because Opera Mini on Android omits "Mobile".
fn device_from_ua(ua: &str) -> Device {
    if has_any(ua, &["ipad", "tablet", "kindle", "silk/", "playbook"]) {
        Device::Tablet
    } else if has_any(ua, &["iphone", "ipod", "mobi", "windows phone", "opera mini", "blackberry", "bb10"]) {
        Device::Mobile
    } else if has_any(ua, &["android tv", "googletv", "smart-tv", "smarttv", "crkey", "bravia"]) {
        // Android TVs lack "Mobile" like tablets do, but are big screens.
        Device::Desktop
    } else if search::contains(ua, "android") {
        // Android phones say "Mobile"; Android without it is a tablet build.
        Device::Tablet
    } else {
        Device::Desktop
    }
}

/// OS from the UA. Windows Phone says "Android" and "iPhone" for compatibility,
/// iOS says "Mac OS X", Android and ChromeOS say "Linux": hence the order.
fn os_from_ua(ua: &str) -> Option<&'static str> {
    if search::contains(ua, "windows phone") {
        Some("windows")
    } else if has_any(ua, &["iphone", "ipad", "ipod"]) {
        Some("ios")
    } else if search::contains(ua, "android") {
        Some("android")
    } else if search::contains(ua, " cros ") {
        // Spaces matter: "Microsoft" contains "cros".
        Some("chromeos")
    } else if search::contains(ua, "windows") {
        Some("windows")
    } else if has_any(ua, &["macintosh", "mac os x"]) {
        Some("macos")
    } else if search::contains(ua, "linux") {
        Some("linux")
    } else {
        None
    }
}

/// Browser from the UA. Edge, Opera and Samsung Internet all carry `Chrome/`
/// and every WebKit browser carries `Safari/`, so derivatives are checked
/// before their base.
fn browser_from_ua(ua: &str, os: Option<&str>) -> Option<&'static str> {
    if has_any(ua, &["edg/", "edga/", "edgios/", "edge/"]) {
        Some("edge")
    } else if has_any(ua, &["opr/", "opera", "opios/"]) {
        Some("opera")
    } else if search::contains(ua, "samsungbrowser") {
        Some("samsung")
    } else if search::contains(ua, "crios/") {
        Some("chrome")
    } else if has_any(ua, &["fxios/", "firefox/"]) {
        Some("firefox")
    } else if has_any(ua, &["chrome/", "chromium/"]) {
        Some("chrome")
    } else if has_any(ua, &["msie ", "trident/"]) {
        Some("ie")
    } else if search::contains(ua, "safari/") && matches!(os, Some("ios" | "macos")) {
        // Old Android browsers, BlackBerry and GNOME Web also claim Safari;
        // only Apple platforms actually ship it.
        Some("safari")
    } else {
        None
    }
}

/// `Sec-CH-UA-Platform` to an OS name; unknown values (`"Unknown"`, `"Fuchsia"`)
/// return `None` so the UA can still answer.
fn os_from_platform_hint(platform: &str) -> Option<&'static str> {
    let platform = unquote(platform);
    [
        ("Android", "android"),
        ("iOS", "ios"),
        ("Windows", "windows"),
        ("macOS", "macos"),
        ("Linux", "linux"),
        ("Chrome OS", "chromeos"),
        ("ChromeOS", "chromeos"),
    ]
    .into_iter()
    .find(|(hint, _)| platform.eq_ignore_ascii_case(hint))
    .map(|(_, os)| os)
}

/// A hint's value without its quotes and surrounding ASCII whitespace
/// (`"Android"`, `?1`). On bytes: both are ASCII, so the slice falls on
/// character boundaries.
fn unquote(value: &str) -> &str {
    let keep = |b: &u8| *b != b'"' && !b.is_ascii_whitespace();
    let bytes = value.as_bytes();
    let start = bytes.iter().position(keep).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(keep).map_or(start, |last| last + 1);
    &value[start..end]
}

/// Browser from `Sec-CH-UA`. Only real brand names are matched, so GREASE
/// entries (`"Not A(Brand"`, `"Not;A=Brand"`) are ignored without a rule for
/// them. Derivatives list "Chromium" too, so they win over it.
fn browser_from_brands(list: &str) -> Option<&'static str> {
    let mut chrome = false;
    for brand in Brands::new(list) {
        if brand.eq_ignore_ascii_case("Microsoft Edge") {
            return Some("edge");
        } else if brand.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("Opera")) {
            return Some("opera"); // "Opera", "Opera GX"
        } else if brand.eq_ignore_ascii_case("Samsung Internet") {
            return Some("samsung");
        } else if brand.eq_ignore_ascii_case("Google Chrome") || brand.eq_ignore_ascii_case("Chromium") {
            chrome = true;
        }
    }
    chrome.then_some("chrome")
}

/// `Sec-CH-UA-Model` names the hardware, which is the one place a tablet can be
/// recognised when its browser asks for the desktop site.
fn model_is_tablet(model: &str) -> bool {
    let model = model.as_bytes();
    if contains_any(model, &["tablet", "ipad", "kindle", "playbook"]) {
        return true;
    }
    // "Galaxy Tab S9", "Lenovo Tab M10"; "MatePad", "Redmi Pad".
    let word_end = |at: usize| model.get(at).is_none_or(|c| !c.is_ascii_alphabetic());
    let mut from = 0;
    while let Some(at) = find_ignore_ascii_case(model, b"tab", from) {
        let word_start = at == 0 || model.get(at - 1).is_some_and(|c| !c.is_ascii_alphabetic());
        if word_start && word_end(at + 3) {
            return true;
        }
        from = at + 1;
    }
    let mut from = 0;
    while let Some(at) = find_ignore_ascii_case(model, b"pad", from) {
        if word_end(at + 3) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Iterates the brand names of a structured-field list such as
/// `"Chromium";v="124", "Not;A=Brand";v="8"`. A split on `,` or `;` would cut
/// GREASE brands, which deliberately contain separators inside the quotes.
/// Malformed input ends the iteration early instead of failing.
struct Brands<'a> {
    rest: &'a str,
}

impl<'a> Brands<'a> {
    fn new(list: &'a str) -> Self {
        Brands { rest: list }
    }
}

impl<'a> Iterator for Brands<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let rest = self.rest.as_bytes();
            let skip = rest.iter().position(|&c| c != b',' && !c.is_ascii_whitespace()).unwrap_or(rest.len());
            let item = &self.rest[skip..];
            let bytes = item.as_bytes();
            let first = *bytes.first()?;
            // Every index below points at an ASCII byte or the end, so the
            // `get` slices fall on character boundaries.
            let (name, mut at) = if first == b'"' {
                let close = closing_quote(bytes, 1);
                (item.get(1..close).unwrap_or(""), close + 1)
            } else {
                let end = bytes.iter().position(|&c| c == b';' || c == b',').unwrap_or(bytes.len());
                (search::trim(item.get(..end).unwrap_or(""), search::is_whitespace), end)
            };
            // Skip parameters (`;v="124"`) up to the next top-level comma.
            while at < bytes.len() {
                match bytes[at] {
                    b',' => break,
                    b'"' => at = closing_quote(bytes, at + 1) + 1,
                    _ => at += 1,
                }
            }
            self.rest = item.get(at.min(bytes.len())..).unwrap_or("");
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
}

/// Index of the quote closing a string whose content starts at `from`
/// (backslash escapes skipped), or `bytes.len()` when it is unterminated.
fn closing_quote(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Position of the first ASCII case-insensitive occurrence of `needle` in
/// `haystack` at or after `from`. Works on bytes, so it never splits a
/// character and never allocates a lowercased copy of a 64 KB header.
pub(crate) fn find_ignore_ascii_case(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let rest = haystack.get(from..)?;
    let Some((&first, tail)) = needle.split_first() else { return Some(from) };
    if rest.len() < needle.len() {
        return None;
    }
    // A plain loop over the first byte in both cases: this runs for some
    // forty tokens over every User-Agent, and the iterator version compiles
    // to a call per byte at opt-level "z" (it was a third of a page view's
    // decision in the browser engine).
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut i = 0;
    while i + needle.len() <= rest.len() {
        let b = rest[i];
        if (b == lower || b == upper) && rest[i + 1..i + needle.len()].eq_ignore_ascii_case(tail) {
            return Some(i + from);
        }
        i += 1;
    }
    None
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    find_ignore_ascii_case(haystack, needle.as_bytes(), 0).is_some()
}

fn contains_any(haystack: &[u8], needles: &[&str]) -> bool {
    needles.iter().any(|needle| contains(haystack, needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_HINTS: ClientHints<'static> = ClientHints { mobile: None, platform: None, brands: None, model: None };

    /// (user agent, device, os, browser)
    const CASES: &[(&str, &str, Option<&str>, Option<&str>)] = &[
        // Chrome
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "desktop", Some("windows"), Some("chrome")),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "desktop", Some("macos"), Some("chrome")),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "desktop", Some("linux"), Some("chrome")),
        ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "desktop", Some("chromeos"), Some("chrome")),
        ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", "mobile", Some("android"), Some("chrome")),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", "mobile", Some("android"), Some("chrome")),
        ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "tablet", Some("android"), Some("chrome")),
        ("Mozilla/5.0 (Linux; Android 13; SM-X906C) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "tablet", Some("android"), Some("chrome")),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "mobile", Some("ios"), Some("chrome")),
        ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1", "tablet", Some("ios"), Some("chrome")),
        ("Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230805.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36", "mobile", Some("android"), Some("chrome")),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36", "desktop", Some("windows"), Some("chrome")),
        ("Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", "mobile", Some("android"), Some("chrome")),
        ("Mozilla/5.0 (Linux; Android 12; BRAVIA 4K VH2 Build/STT1.211025.001.Z4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Safari/537.36", "desktop", Some("android"), Some("chrome")),
        // Safari
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", "desktop", Some("macos"), Some("safari")),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", "mobile", Some("ios"), Some("safari")),
        ("Mozilla/5.0 (iPad; CPU OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1", "tablet", Some("ios"), Some("safari")),
        ("Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1", "mobile", Some("ios"), Some("safari")),
        // iPadOS 13+ Safari asks for the desktop site with a Mac UA: indistinguishable.
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15", "desktop", Some("macos"), Some("safari")),
        // In-app WKWebView (Facebook): no Safari token, so no browser.
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/460.0.0.38.109;FBBV/596183823]", "mobile", Some("ios"), None),
        // Firefox
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "desktop", Some("windows"), Some("firefox")),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.4; rv:125.0) Gecko/20100101 Firefox/125.0", "desktop", Some("macos"), Some("firefox")),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", "desktop", Some("linux"), Some("firefox")),
        ("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", "mobile", Some("android"), Some("firefox")),
        ("Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0", "tablet", Some("android"), Some("firefox")),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15", "mobile", Some("ios"), Some("firefox")),
        // Edge
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80", "desktop", Some("windows"), Some("edge")),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80", "desktop", Some("macos"), Some("edge")),
        ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 EdgA/124.0.2478.64", "mobile", Some("android"), Some("edge")),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/124.2478.71 Mobile/15E148 Safari/605.1.15", "mobile", Some("ios"), Some("edge")),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045", "desktop", Some("windows"), Some("edge")),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0", "desktop", Some("windows"), Some("edge")),
        ("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063", "mobile", Some("windows"), Some("edge")),
        // Opera
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0", "desktop", Some("windows"), Some("opera")),
        ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36 OPR/81.1.4292.78446", "mobile", Some("android"), Some("opera")),
        ("Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16", "mobile", Some("android"), Some("opera")),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) OPiOS/16.0.15.124050 Mobile/15E148 Safari/9537.53", "mobile", Some("ios"), Some("opera")),
        // Samsung Internet
        ("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", "mobile", Some("android"), Some("samsung")),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Safari/537.36", "tablet", Some("android"), Some("samsung")),
        ("Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36", "desktop", Some("linux"), Some("samsung")),
        // Internet Explorer
        ("Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko", "desktop", Some("windows"), Some("ie")),
        ("Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)", "desktop", Some("windows"), Some("ie")),
        ("Mozilla/5.0 (compatible; MSIE 9.0; Windows Phone OS 7.5; Trident/5.0; IEMobile/9.0)", "mobile", Some("windows"), Some("ie")),
        // Tablets and others
        ("Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/124.2.1 like Chrome/124.0.6367.179 Safari/537.36", "tablet", Some("android"), Some("chrome")),
        ("Mozilla/5.0 (X11; U; Linux armv7l like Android; en-us) AppleWebKit/531.2+ (KHTML, like Gecko) Version/5.0 Safari/533.2+ Kindle/3.0+", "tablet", Some("android"), None),
        ("Mozilla/5.0 (PlayBook; U; RIM Tablet OS 2.1.0; en-US) AppleWebKit/536.2+ (KHTML, like Gecko) Version/7.2.1.0 Safari/536.2+", "tablet", None, None),
        ("Mozilla/5.0 (BB10; Touch) AppleWebKit/537.10+ (KHTML, like Gecko) Version/10.0.9.2372 Mobile Safari/537.10+", "mobile", None, None),
        ("Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30", "mobile", Some("android"), None),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15", "desktop", Some("linux"), None),
        ("", "desktop", None, None),
        ("   ", "desktop", None, None),
        // Bots keep the OS they claim but never a browser.
        ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot", Some("android"), None),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/124.0.6367.201 Safari/537.36", "bot", None, None),
        ("Googlebot/2.1 (+http://www.google.com/bot.html)", "bot", None, None),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36", "bot", None, None),
        ("Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)", "bot", None, None),
        ("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", "bot", None, None),
        ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "bot", None, None),
        ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "bot", None, None),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "bot", None, None),
        ("Twitterbot/1.0", "bot", None, None),
        ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "bot", None, None),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)", "bot", Some("macos"), None),
        ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "bot", None, None),
        ("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)", "bot", None, None),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)", "bot", None, None),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)", "bot", None, None),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36", "bot", Some("linux"), None),
        ("Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse", "bot", Some("android"), None),
        ("Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)", "bot", Some("android"), None),
        ("curl/8.5.0", "bot", None, None),
        ("Wget/1.21.4", "bot", None, None),
        ("python-requests/2.31.0", "bot", None, None),
        ("Go-http-client/2.0", "bot", None, None),
        ("Mozilla/5.0 (compatible; MyCustomCrawler/1.0)", "bot", None, None),
        ("Mozilla/5.0 (compatible; Bot)", "bot", None, None),
    ];

    #[test]
    fn bot_tokens_are_lower_case_for_the_lower_cased_search() {
        for token in BOT_TOKENS {
            assert_eq!(token.to_ascii_lowercase(), *token);
            assert!(is_bot(&format!("Mozilla/5.0 (compatible; {})", token.to_ascii_uppercase())), "{token}");
        }
    }

    #[test]
    fn real_world_user_agents() {
        assert!(CASES.len() >= 40);
        let mut failures = Vec::new();
        for &(ua, device, os, browser) in CASES {
            let got = classify(ua, &NO_HINTS);
            if got.device.as_str() != device || got.os != os || got.browser != browser {
                failures.push(format!(
                    "{ua}\n  want {device} {os:?} {browser:?}\n  got  {} {:?} {:?}",
                    got.device.as_str(),
                    got.os,
                    got.browser
                ));
            }
            assert_eq!(is_bot(ua), device == "bot", "is_bot({ua:?})");
        }
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    }

    const CHROME_ANDROID_REDUCED: &str = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
    const CHROME_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    const CHROME_WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

    fn hinted(
        ua: &str,
        mobile: Option<&str>,
        platform: Option<&str>,
        brands: Option<&str>,
        model: Option<&str>,
    ) -> Classified {
        classify(ua, &ClientHints { mobile, platform, brands, model })
    }

    #[test]
    fn client_hints() {
        let chrome_brands = r#""Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99""#;
        let got = hinted(CHROME_ANDROID_REDUCED, Some("?1"), Some(r#""Android""#), Some(chrome_brands), None);
        assert_eq!(got, Classified { device: Device::Mobile, os: Some("android"), browser: Some("chrome") });

        // DevTools device emulation on a desktop: the hint wins.
        assert_eq!(hinted(CHROME_WINDOWS, Some("?1"), None, None, None).device, Device::Mobile);
        // "?0" leaves desktops and tablets alone and demotes a phone UA.
        assert_eq!(hinted(CHROME_WINDOWS, Some("?0"), None, None, None).device, Device::Desktop);
        assert_eq!(hinted(CHROME_ANDROID_REDUCED, Some("?0"), None, None, None).device, Device::Tablet);
        assert_eq!(hinted(CHROME_LINUX, Some(" ?0 "), None, None, None).device, Device::Desktop);
        // Nonsense values are ignored.
        assert_eq!(hinted(CHROME_WINDOWS, Some("yes"), None, None, None).device, Device::Desktop);

        // Platform.
        for (platform, os) in [
            (r#""Android""#, "android"),
            (r#""iOS""#, "ios"),
            (r#""Windows""#, "windows"),
            (r#""macOS""#, "macos"),
            (r#""Linux""#, "linux"),
            (r#""Chrome OS""#, "chromeos"),
            (r#""ChromeOS""#, "chromeos"),
            ("macOS", "macos"),
            (r#" "windows" "#, "windows"),
        ] {
            assert_eq!(hinted(CHROME_LINUX, None, Some(platform), None, None).os, Some(os), "{platform}");
        }
        assert_eq!(hinted(CHROME_LINUX, None, Some(r#""Unknown""#), None, None).os, Some("linux"));
        assert_eq!(hinted(CHROME_LINUX, None, Some(""), None, None).os, Some("linux"));

        // Brands.
        let edge = r#""Microsoft Edge";v="124", "Chromium";v="124", "Not-A.Brand";v="99""#;
        let opera = r#""Opera";v="109", "Not:A-Brand";v="8", "Chromium";v="123""#;
        let samsung = r#""Samsung Internet";v="24.0", "Chromium";v="117", "Not;A=Brand";v="8""#;
        assert_eq!(hinted(CHROME_WINDOWS, None, None, Some(edge), None).browser, Some("edge"));
        assert_eq!(hinted(CHROME_WINDOWS, None, None, Some(opera), None).browser, Some("opera"));
        assert_eq!(hinted(CHROME_WINDOWS, None, None, Some(samsung), None).browser, Some("samsung"));
        assert_eq!(
            hinted(CHROME_WINDOWS, None, None, Some(r#""Opera GX";v="109", "Chromium";v="123""#), None).browser,
            Some("opera")
        );
        // GREASE brands with separators inside the quotes do not break parsing.
        assert_eq!(
            hinted(CHROME_WINDOWS, None, None, Some(r#""Not,A Brand";v="99", "Microsoft Edge";v="124""#), None).browser,
            Some("edge")
        );
        assert_eq!(
            hinted(CHROME_WINDOWS, None, None, Some(r#""Not;A=Brand";v="8", "Chromium";v="124""#), None).browser,
            Some("chrome")
        );
        // Only GREASE: fall back to the UA.
        let edge_ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80";
        assert_eq!(hinted(edge_ua, None, None, Some(r#""Not A(Brand";v="99""#), None).browser, Some("edge"));
        // Bare "Chromium" does not hide a derivative named in the UA ...
        let opera_ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 OPR/109.0.0.0";
        assert_eq!(hinted(opera_ua, None, None, Some(r#""Chromium";v="123""#), None).browser, Some("opera"));
        // ... but a brand does override a plain UA.
        assert_eq!(hinted("", None, None, Some(chrome_brands), None).browser, Some("chrome"));

        // Bots stay bots whatever the hints say.
        let googlebot = "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.201 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        let got = hinted(googlebot, Some("?1"), Some(r#""Android""#), Some(chrome_brands), None);
        assert_eq!(got, Classified { device: Device::Bot, os: Some("android"), browser: None });
        // New headless Chrome hides in the brands only.
        let got = hinted(
            CHROME_LINUX,
            Some("?0"),
            Some(r#""Linux""#),
            Some(r#""Chromium";v="124", "HeadlessChrome";v="124", "Not-A.Brand";v="99""#),
            None,
        );
        assert_eq!(got.device, Device::Bot);
        assert_eq!(got.browser, None);

        // Model.
        assert_eq!(
            hinted(CHROME_LINUX, Some("?0"), Some(r#""Android""#), None, Some(r#""Pixel Tablet""#)).device,
            Device::Tablet
        );
        assert_eq!(hinted(CHROME_LINUX, Some("?0"), None, None, Some(r#""Galaxy Tab S9""#)).device, Device::Tablet);
        assert_eq!(hinted(CHROME_LINUX, Some("?0"), None, None, Some(r#""Redmi Pad SE""#)).device, Device::Tablet);
        assert_eq!(hinted(CHROME_ANDROID_REDUCED, Some("?1"), None, None, Some(r#""Pixel 8""#)).device, Device::Mobile);
        assert_eq!(
            hinted(CHROME_ANDROID_REDUCED, Some("?1"), None, None, Some(r#""Pixel Tablet""#)).device,
            Device::Mobile
        );
        assert_eq!(hinted(CHROME_LINUX, Some("?0"), None, None, Some(r#""Table Lamp""#)).device, Device::Desktop);
        assert_eq!(hinted(CHROME_LINUX, Some("?0"), None, None, Some("")).device, Device::Desktop);
    }

    #[test]
    fn brand_list_parsing() {
        fn names(list: &str) -> Vec<&str> {
            Brands::new(list).collect()
        }
        assert_eq!(names(r#""A";v="1", "B";v="2""#), ["A", "B"]);
        assert_eq!(names(r#""Not,A;Brand";v="9,9", "C""#), ["Not,A;Brand", "C"]);
        assert_eq!(names(r#"Bare;v=1, "Q\"x";v="2""#), ["Bare", r#"Q\"x"#]);
        assert_eq!(names(r#"  ,, ;; , "unterminated"#), ["unterminated"]);
        assert!(names("").is_empty());
        assert!(names(r#"""#).is_empty());
        assert!(names(r#""\"#).len() <= 1);
        assert_eq!(names(r#""é日本";v="1""#), ["é日本"]);
    }

    #[test]
    fn case_insensitive_search() {
        assert_eq!(find_ignore_ascii_case(b"Hello World", b"WORLD", 0), Some(6));
        assert_eq!(find_ignore_ascii_case(b"Hello World", b"world", 7), None);
        assert_eq!(find_ignore_ascii_case(b"abc", b"", 1), Some(1));
        assert_eq!(find_ignore_ascii_case(b"abc", b"", 9), None);
        assert_eq!(find_ignore_ascii_case(b"ab", b"abc", 0), None);
        assert_eq!(find_ignore_ascii_case(b"", b"a", 0), None);
        assert!(contains("Ünïcode GoogleBot".as_bytes(), "googlebot"));
        // Non-ASCII bytes are never folded: 'İ' (U+0130) is not 'i'.
        assert!(!contains("İphone".as_bytes(), "iphone"));
        assert!(!contains(b"Microsoft", " cros "));
    }

    /// xorshift64*: deterministic, so a failure reproduces.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const FRAGMENTS: &[&str] = &[
        "Mozilla/5.0 ",
        "(",
        ")",
        ";",
        " ",
        ",",
        "\"",
        "\\",
        "?1",
        "?0",
        "=",
        "v=\"1\"",
        "iPhone",
        "iPad",
        "Android",
        "Mobile",
        "Mobi",
        "Tablet",
        "Chrome/",
        "Safari/",
        "Edg/",
        "OPR/",
        "CriOS/",
        "FxiOS/",
        "Firefox/",
        "CrOS ",
        "SamsungBrowser/",
        "Windows Phone",
        "Macintosh",
        "Linux",
        "bot",
        "Bot",
        "cu",
        "spider",
        "Opera Mini",
        "Not A(Brand",
        "Chromium",
        "Microsoft Edge",
        "Tab",
        "Pad",
        "é",
        "日本語",
        "🦀",
        "\u{0}",
        "\u{FEFF}",
        "\u{10FFFF}",
        "İ",
        "ß",
        "\r\n",
        "\t",
    ];

    fn random_string(rng: &mut Rng, max_parts: usize) -> String {
        let mut s = String::new();
        for _ in 0..rng.below(max_parts + 1) {
            if rng.below(3) == 0 {
                // Any scalar value, surrogates excluded by from_u32.
                if let Some(c) = char::from_u32((rng.next() % 0x11_0000) as u32) {
                    s.push(c);
                }
            } else {
                s.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            }
        }
        s
    }

    fn check(ua: &str, hints: &ClientHints) {
        let got = classify(ua, hints);
        assert!(["mobile", "tablet", "desktop", "bot"].contains(&got.device.as_str()));
        if let Some(os) = got.os {
            assert!(["ios", "android", "windows", "macos", "linux", "chromeos"].contains(&os), "{os}");
        }
        if let Some(browser) = got.browser {
            assert!(["chrome", "safari", "firefox", "edge", "opera", "samsung", "ie"].contains(&browser), "{browser}");
        }
        if is_bot(ua) {
            assert_eq!(got.device, Device::Bot);
        }
        if got.device == Device::Bot {
            assert_eq!(got.browser, None);
        }
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3000 {
            let ua = random_string(&mut rng, 24);
            let mobile = random_string(&mut rng, 2);
            let platform = random_string(&mut rng, 3);
            let brands = random_string(&mut rng, 16);
            let model = random_string(&mut rng, 3);
            fn pick(s: &str, on: bool) -> Option<&str> {
                on.then_some(s)
            }
            let bits = rng.next();
            let hints = ClientHints {
                mobile: pick(&mobile, bits & 1 != 0),
                platform: pick(&platform, bits & 2 != 0),
                brands: pick(&brands, bits & 4 != 0),
                model: pick(&model, bits & 8 != 0),
            };
            check(&ua, &hints);
        }
    }

    #[test]
    fn huge_headers() {
        const KB64: usize = 64 * 1024;
        let mut rng = Rng(42);
        let mut random = String::new();
        while random.len() < KB64 {
            random.push_str(&random_string(&mut rng, 32));
        }
        let inputs = [
            "a".repeat(KB64),
            "é".repeat(KB64 / 2),
            "🦀".repeat(KB64 / 4),
            "\"".repeat(KB64),
            "\\".repeat(KB64),
            "\"\\".repeat(KB64 / 2),
            ",".repeat(KB64),
            "bo".repeat(KB64 / 2),
            "cubot ".repeat(KB64 / 6),
            "Mozilla/5.0 (iPhone".repeat(KB64 / 19),
            random,
        ];
        for input in &inputs {
            let hints =
                ClientHints { mobile: Some(input), platform: Some(input), brands: Some(input), model: Some(input) };
            check(input, &hints);
            check(input, &NO_HINTS);
        }
        // A token at the very end of a 64 KB header is still found.
        let padded = format!("{}Googlebot/2.1", "x".repeat(KB64));
        assert_eq!(classify(&padded, &NO_HINTS).device, Device::Bot);
        let padded = format!("{}\"Microsoft Edge\";v=\"1\"", "\"x\", ".repeat(KB64 / 5));
        assert_eq!(classify("", &ClientHints { brands: Some(&padded), ..NO_HINTS }).browser, Some("edge"));
    }
}
