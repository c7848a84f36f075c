//! The User-Agent classifier on arbitrary UA strings and client hints.
//!
//! Properties: `classify` never panics; answers come from the documented
//! sets; bots have no browser; the device is `bot` exactly when `is_bot` flags
//! the UA or the brands hint names HeadlessChrome (and, without hints, exactly
//! when `is_bot` does); client hints win over the
//! UA as documented (a known `Sec-CH-UA-Platform` gives the OS, `?1` makes a
//! non-bot mobile and `?0` makes it not mobile); and matching is ASCII
//! case-insensitive (flipping the case of the UA and of the platform, brands
//! and model hints changes nothing).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tailor::useragent::{classify, is_bot, ClientHints, Device};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    user_agent: &'a str,
    mobile: Option<&'a str>,
    platform: Option<&'a str>,
    brands: Option<&'a str>,
    model: Option<&'a str>,
}

const OSES: &[&str] = &["ios", "android", "windows", "macos", "linux", "chromeos"];
const BROWSERS: &[&str] = &["chrome", "safari", "firefox", "edge", "opera", "samsung", "ie"];

fn flip_case(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 16 * 1024 {
        return;
    }
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)) else { return };
    let hints = ClientHints { mobile: input.mobile, platform: input.platform, brands: input.brands, model: input.model };
    let c = classify(input.user_agent, &hints);
    if let Some(os) = c.os {
        assert!(OSES.contains(&os), "os {os}");
    }
    if let Some(browser) = c.browser {
        assert!(BROWSERS.contains(&browser), "browser {browser}");
    }
    if c.device == Device::Bot {
        assert!(c.browser.is_none(), "a bot with a browser");
    }
    if is_bot(input.user_agent) {
        assert_eq!(c.device, Device::Bot);
    } else if c.device == Device::Bot {
        let headless = input.brands.is_some_and(|b| b.to_ascii_lowercase().contains("headlesschrome"));
        assert!(headless, "a bot neither by UA nor by the brands hint");
    }
    let bare = classify(input.user_agent, &ClientHints::default());
    assert_eq!(bare.device == Device::Bot, is_bot(input.user_agent), "bot without hints");

    // Client hints win over the UA string.
    let platform = input.platform.map(|p| p.trim_matches(|c: char| c == '"' || c.is_ascii_whitespace()).to_ascii_lowercase());
    let hinted_os = match platform.as_deref() {
        Some("android") => Some("android"),
        Some("ios") => Some("ios"),
        Some("windows") => Some("windows"),
        Some("macos") => Some("macos"),
        Some("linux") => Some("linux"),
        Some("chrome os" | "chromeos") => Some("chromeos"),
        _ => None,
    };
    if hinted_os.is_some() {
        assert_eq!(c.os, hinted_os, "platform hint {:?}", input.platform);
    } else {
        assert_eq!(c.os, bare.os, "an unknown platform hint changed the OS");
    }
    if c.device != Device::Bot {
        match input.mobile.map(|m| m.trim_matches(|c: char| c == '"' || c.is_ascii_whitespace())) {
            Some("?1") => assert_eq!(c.device, Device::Mobile, "?1"),
            Some("?0") => assert_ne!(c.device, Device::Mobile, "?0"),
            _ => {}
        }
    }

    let (ua, platform, brands, model) = (
        flip_case(input.user_agent),
        input.platform.map(flip_case),
        input.brands.map(flip_case),
        input.model.map(flip_case),
    );
    let flipped = ClientHints { mobile: input.mobile, platform: platform.as_deref(), brands: brands.as_deref(), model: model.as_deref() };
    assert_eq!(classify(&ua, &flipped), c, "case matters for {input:?}");
    assert_eq!(is_bot(&ua), is_bot(input.user_agent));
});
