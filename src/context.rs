//! The visitor's context: the attributes conditions read, plus the clock.
//!
//! Every platform gathers raw [`RequestFacts`] its own way (the worker from the
//! request and `request.cf`, the browser from `navigator` and `document`, the
//! CLI from flags) and hands them to [`Context::build`], so the attribute names
//! and their derivation are one piece of code on all three.

use crate::time::{LocalTime, ZoneClock};
use crate::model::Site;
use crate::search;
use crate::useragent::{self, ClientHints};
use crate::value::Value;

/// Geo facts; at the edge from `request.cf`, elsewhere when known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Geo {
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub continent: Option<String>,
    pub eu: Option<bool>,
    /// The visitor's IANA time zone.
    pub timezone: Option<String>,
}

/// What a platform knows about one request, unprocessed.
#[derive(Debug, Clone, Default)]
pub struct RequestFacts {
    /// Absolute URL of the page.
    pub url: String,
    pub user_agent: Option<String>,
    pub ch_mobile: Option<String>,
    pub ch_platform: Option<String>,
    pub ch_brands: Option<String>,
    /// A `Cookie` header, or `document.cookie` (same syntax).
    pub cookies: Option<String>,
    /// An `Accept-Language` header, or `navigator.languages` joined by commas.
    pub accept_language: Option<String>,
    pub referrer: Option<String>,
    /// Request headers (edge and CLI only), any case; exposed as `header.<lowercase name>`.
    pub headers: Vec<(String, String)>,
    pub geo: Geo,
    /// Now, in epoch seconds.
    pub now: i64,
    /// An id to use when the visitor has none (or an invalid one); the
    /// platform makes it from a random source.
    pub fresh_visitor_id: Option<String>,
    /// Attributes the page set itself (`tailor.setAttributes`).
    pub custom: Vec<(String, Value)>,
    /// Global Privacy Control (`Sec-GPC: 1`, `navigator.globalPrivacyControl`).
    pub gpc: bool,
}

/// The evaluated context one decision is made in.
#[derive(Debug, Clone)]
pub struct Context {
    /// A GrowthBook attributes object (`cookie.tier` is `{"cookie":{"tier":..}}`).
    pub attributes: Value,
    pub now: i64,
    /// The site's wall clock (schedules), `None` if the zone is unknown.
    pub site_time: Option<LocalTime>,
    /// The id A/B tests bucket by.
    pub visitor_id: Option<String>,
    /// True when `visitor_id` was made for this request: the platform should
    /// store it in the visitor cookie.
    pub visitor_id_is_new: bool,
    pub path: String,
    /// Whether a visitor identifier may be read and stored (consent).
    pub identifiers_allowed: bool,
}

/// Longest visitor id accepted from a cookie; longer values are treated as
/// tampering and replaced.
pub const MAX_VISITOR_ID_LEN: usize = 64;
/// Cookies and query parameters beyond these counts are ignored: they only
/// feed conditions, and a hostile request should not cost unbounded work.
const MAX_PAIRS: usize = 100;

impl Context {
    pub fn build(facts: &RequestFacts, visitor_cookie: &str, site_timezone: &str, clock: &dyn ZoneClock) -> Context {
        let mut attrs = Value::Object(Vec::with_capacity(24));
        let url = ParsedUrl::parse(&facts.url);

        let ua = facts.user_agent.as_deref().unwrap_or("");
        let hints = ClientHints {
            mobile: facts.ch_mobile.as_deref(),
            platform: facts.ch_platform.as_deref(),
            brands: facts.ch_brands.as_deref(),
            model: None,
        };
        let classified = useragent::classify(ua, &hints);
        attrs.insert("device", classified.device.as_str().into());
        if let Some(os) = classified.os {
            attrs.insert("os", os.into());
        }
        if let Some(browser) = classified.browser {
            attrs.insert("browser", browser.into());
        }

        let geo = &facts.geo;
        // (name, value, whether it is a code written in upper case). Borrowed
        // values, copied only when present: an array of `Option<String>`
        // brought drop code for what the loop had not taken.
        for (name, value, upper) in [
            ("country", &geo.country, true),
            ("region", &geo.region, false),
            ("city", &geo.city, false),
            ("continent", &geo.continent, true),
            ("timezone", &geo.timezone, false),
        ] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                attrs.insert(name, Value::String(if upper { value.to_ascii_uppercase() } else { value.to_string() }));
            }
        }
        if let Some(eu) = geo.eu {
            attrs.insert("eu", Value::Bool(eu));
        }
        if let Some(local) = geo.timezone.as_deref().and_then(|tz| clock.local_time(tz, facts.now)) {
            attrs.insert("local_hour", Value::Number(local.hour as f64));
            attrs.insert("local_day", local.day_name().into());
            attrs.insert("local_date", Value::String(local.date_string()));
        }

        attrs.insert("path", Value::String(url.path.clone()));
        attrs.insert("url", Value::String(facts.url.clone()));
        if !url.host.is_empty() {
            attrs.insert("host", Value::String(url.host.to_ascii_lowercase()));
        }
        let mut query = Value::Object(Vec::new());
        for (name, value) in parse_query(url.query).take(MAX_PAIRS) {
            if query.get(&name).is_none() {
                query.insert(&name, Value::String(value));
            }
        }
        attrs.insert("query", query);
        if let Some(referrer) = facts.referrer.as_deref().filter(|r| !r.is_empty()) {
            attrs.insert("referrer", referrer.into());
        }
        if let Some(language) = facts.accept_language.as_deref().and_then(primary_language) {
            attrs.insert("language", Value::String(language));
        }

        let mut cookies = Value::Object(Vec::new());
        let mut cookie_visitor_id = None;
        for (name, value) in parse_cookies(facts.cookies.as_deref().unwrap_or("")).take(MAX_PAIRS) {
            if name == visitor_cookie && cookie_visitor_id.is_none() {
                cookie_visitor_id = Some(value.to_string());
            }
            if cookies.get(name).is_none() {
                cookies.insert(name, value.into());
            }
        }
        attrs.insert("cookie", cookies);

        let mut headers = Value::Object(Vec::new());
        // The browser engines' facts carry no request headers (the page
        // cannot read them): the loop is left out of them (70 B gzip).
        if !crate::LEAN {
            for (name, value) in facts.headers.iter().take(MAX_PAIRS) {
                let name = name.to_ascii_lowercase();
                if headers.get(&name).is_none() {
                    headers.insert(&name, Value::String(value.clone()));
                }
            }
        }
        attrs.insert("header", headers);

        let valid_cookie_id = cookie_visitor_id.filter(|id| is_valid_visitor_id(id));
        let new_visitor = valid_cookie_id.is_none();
        attrs.insert("new_visitor", Value::Bool(new_visitor));
        let (visitor_id, visitor_id_is_new) = match valid_cookie_id {
            Some(id) => (Some(id), false),
            None => match facts.fresh_visitor_id.clone().filter(|id| is_valid_visitor_id(id)) {
                Some(id) => (Some(id), true),
                None => (None, false),
            },
        };
        if let Some(id) = &visitor_id {
            attrs.insert("id", Value::String(id.clone()));
        }
        // Custom attributes come from the page: they may add names, never
        // overwrite what the platform measured (device, geo, cookies...).
        for (name, value) in facts.custom.iter().take(MAX_PAIRS) {
            if attrs.get(name).is_none() {
                attrs.insert(name, value.clone());
            }
        }

        Context {
            attributes: attrs,
            now: facts.now,
            site_time: clock.local_time(site_timezone, facts.now),
            visitor_id,
            visitor_id_is_new,
            path: url.path,
            identifiers_allowed: true,
        }
    }

    /// The context for a site's rules: [`Context::build`] plus the site's
    /// consent rule. Every platform builds its context through here.
    pub fn for_site(facts: &RequestFacts, site: &Site, clock: &dyn ZoneClock) -> Context {
        let mut ctx = Context::build(facts, &site.visitor_cookie, &site.timezone, clock);
        if let Some(consent) = &site.consent {
            let given = !facts.gpc && ctx.attributes.path("cookie").and_then(|c| c.get(&consent.cookie)).and_then(Value::as_str) == Some(consent.value.as_str());
            if !given {
                ctx.withhold_identifiers();
            }
        } else if facts.gpc {
            // Without a consent rule, GPC still opts the visitor out of
            // identifiers (CCPA's "do not sell or share").
            ctx.withhold_identifiers();
        }
        ctx
    }

    /// No visitor id: not read, not made, not stored; A/B tests show their
    /// control. Contextual attributes stay.
    fn withhold_identifiers(&mut self) {
        self.identifiers_allowed = false;
        self.visitor_id = None;
        self.visitor_id_is_new = false;
        if let Value::Object(entries) = &mut self.attributes {
            entries.retain(|(k, _)| k != "id" && k != "new_visitor");
        }
    }

    #[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
    pub fn device(&self) -> &str {
        self.attributes.get("device").and_then(Value::as_str).unwrap_or("desktop")
    }
}

/// Visitor ids are opaque tokens we mint ourselves; anything else in the
/// cookie (too long, odd characters) is treated as absent and replaced.
pub fn is_valid_visitor_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_VISITOR_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The parts of an absolute URL the context needs, without a URL crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUrl<'a> {
    pub host: String,
    pub path: String,
    pub query: &'a str,
}

impl<'a> ParsedUrl<'a> {
    pub fn parse(url: &'a str) -> ParsedUrl<'a> {
        let without_fragment = search::split_once(url, b'#').map_or(url, |(before, _)| before);
        let (before_query, query) = match search::split_once(without_fragment, b'?') {
            Some((before, query)) => (before, query),
            None => (without_fragment, ""),
        };
        let (host, path) = match search::find(before_query, "://").map(|i| (&before_query[..i], &before_query[i + 3..])) {
            Some((_, rest)) => match rest.bytes().position(|b| b == b'/') {
                Some(slash) => (&rest[..slash], &rest[slash..]),
                None => (rest, "/"),
            },
            None => ("", before_query),
        };
        // Strip credentials and port: `host` is the hostname, as `location.hostname`.
        // (Byte searches: `rsplit`/`rfind` with a char bring a reverse
        // char searcher into the browser engine for one ASCII byte.)
        let last = |byte: u8, s: &str| s.as_bytes().iter().rposition(|&b| b == byte);
        let host = match last(b'@', host) {
            Some(at) => &host[at + 1..],
            None => host,
        };
        let host = match last(b':', host) {
            Some(colon) if !host.ends_with("]") => &host[..colon],
            _ => host,
        };
        let path = if path.is_empty() { "/".to_string() } else { percent_decode(path, false) };
        ParsedUrl { host: host.to_string(), path, query }
    }
}

/// `name=value` pairs of a query string, percent-decoded, `+` as space.
pub fn parse_query(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    search::split(query, b"&").filter(|pair| !pair.is_empty()).map(|pair| {
        let (name, value) = search::split_once(pair, b'=').unwrap_or((pair, ""));
        (percent_decode(name, true), percent_decode(value, true))
    })
}

/// `name=value` pairs of a `Cookie` header. Malformed pieces are skipped;
/// values in double quotes lose them (RFC 6265 allows quoting).
pub fn parse_cookies(header: &str) -> impl Iterator<Item = (&str, &str)> {
    search::split(header, b";").filter_map(|piece| {
        let (name, value) = search::split_once(piece, b'=')?;
        let name = search::trim(name, search::is_whitespace);
        if name.is_empty() {
            return None;
        }
        let value = search::trim(value, search::is_whitespace);
        let value = value.strip_prefix("\"").and_then(|v| v.strip_suffix("\"")).unwrap_or(value);
        Some((name, value))
    })
}

/// The visitor's preferred language as a lowercase primary subtag (`de` for
/// `de-AT,de;q=0.9,en;q=0.5`): the highest-q tag, first on ties.
pub fn primary_language(accept_language: &str) -> Option<String> {
    let mut best: Option<(&str, f32)> = None;
    for item in search::split(accept_language, b",").take(32) {
        let mut parts = search::split(item, b";");
        let tag = search::trim(parts.next().unwrap_or(""), search::is_whitespace);
        if tag.is_empty() || tag == "*" {
            continue;
        }
        let q = parts
            .find_map(|p| search::trim(p, search::is_whitespace).strip_prefix("q="))
            .and_then(|q| crate::value::parse_f32(search::trim(q, search::is_whitespace)))
            .unwrap_or(1.0);
        if best.is_none_or(|(_, best_q)| q > best_q) {
            best = Some((tag, q));
        }
    }
    let tag = best?.0;
    let primary = search::split(tag, b"-_").next().unwrap_or(tag);
    if primary.is_empty() || primary.len() > 8 || !primary.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    Some(primary.to_ascii_lowercase())
}

fn percent_decode(input: &str, plus_as_space: bool) -> String {
    if !input.bytes().any(|b| b == b'%' || b == b'+') {
        return input.to_string();
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_as_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    lossy_utf8(&out)
}

/// `String::from_utf8_lossy`, through [`crate::utf8::from_utf8`] (which
/// the engine has anyway) rather than `Utf8Chunks`, whose code the browser
/// engine would carry for this one use: every invalid sequence becomes one
/// U+FFFD, the same maximal subparts.
fn lossy_utf8(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match crate::utf8::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                if let Ok(s) = crate::utf8::from_utf8(valid) {
                    out.push_str(s);
                }
                out.push(char::REPLACEMENT_CHARACTER);
                match e.error_len() {
                    Some(n) => bytes = &rest[n..],
                    None => return out,
                }
            }
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A clock for tests and for callers that only know a fixed UTC offset.
pub struct FixedOffsetClock(pub i64);

impl ZoneClock for FixedOffsetClock {
    fn local_time(&self, _zone: &str, epoch_seconds: i64) -> Option<LocalTime> {
        Some(LocalTime::at_offset(epoch_seconds, self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lossy_utf8_is_from_utf8_lossy() {
        let mut state = 3u32;
        let mut byte = || {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            // Mostly bytes that start or continue multi-byte sequences.
            [0x41, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xff, 0x9f, 0xa0, 0x90][(state >> 16) as usize % 12]
        };
        for len in 0..12 {
            for _ in 0..2000 {
                let bytes: Vec<u8> = (0..len).map(|_| byte()).collect();
                assert_eq!(lossy_utf8(&bytes), String::from_utf8_lossy(&bytes), "{bytes:02x?}");
            }
        }
        assert_eq!(lossy_utf8("ü€😀".as_bytes()), "ü€😀");
    }

    #[test]
    fn url_parts() {
        let u = ParsedUrl::parse("https://user@Shop.example:8443/shop/sch%C3%BChe?a=1&b=x+y#top");
        assert_eq!(u.host, "Shop.example");
        assert_eq!(u.path, "/shop/schühe");
        assert_eq!(u.query, "a=1&b=x+y");
        assert_eq!(ParsedUrl::parse("http://h").path, "/");
        let q: Vec<_> = parse_query("a=1&b=x+y&c&d=%ZZ&e=%e2%82%ac").collect();
        assert_eq!(q[1], ("b".into(), "x y".into()));
        assert_eq!(q[2], ("c".into(), "".into()));
        assert_eq!(q[3], ("d".into(), "%ZZ".into()));
        assert_eq!(q[4], ("e".into(), "€".into()));
        assert_eq!(parse_query("x=%").next(), Some(("x".into(), "%".into())));
        assert_eq!(parse_query("x=%4").next(), Some(("x".into(), "%4".into())));
    }

    #[test]
    fn cookies_and_languages() {
        let c: Vec<_> = parse_cookies("a=1; tier=\"gold\"; =x; junk; b = 2 ").collect();
        assert_eq!(c, vec![("a", "1"), ("tier", "gold"), ("b", "2")]);
        assert_eq!(primary_language("de-AT,de;q=0.9,en;q=0.5").as_deref(), Some("de"));
        assert_eq!(primary_language("en;q=0.5, fr-CH").as_deref(), Some("fr"));
        assert_eq!(primary_language("*"), None);
        assert_eq!(primary_language(""), None);
    }

    #[test]
    fn builds_attributes() {
        let facts = RequestFacts {
            url: "https://shop.example/shop/x?utm_source=news".into(),
            user_agent: Some("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1".into()),
            cookies: Some("tier=gold; tailor_id=abc123".into()),
            geo: Geo { country: Some("de".into()), city: Some("Berlin".into()), timezone: Some("Europe/Berlin".into()), ..Geo::default() },
            now: 1_798_133_400,
            headers: vec![("X-Test".into(), "1".into())],
            ..RequestFacts::default()
        };
        let ctx = Context::build(&facts, "tailor_id", "Europe/Berlin", &FixedOffsetClock(3600));
        let a = &ctx.attributes;
        assert_eq!(a.get("device"), Some(&Value::from("mobile")));
        assert_eq!(a.get("country"), Some(&Value::from("DE")));
        assert_eq!(a.path("cookie.tier"), Some(&Value::from("gold")));
        assert_eq!(a.path("query.utm_source"), Some(&Value::from("news")));
        assert_eq!(a.path("header.x-test"), Some(&Value::from("1")));
        assert_eq!(a.get("local_hour"), Some(&Value::Number(18.0)));
        assert_eq!(a.get("new_visitor"), Some(&Value::Bool(false)));
        assert_eq!(ctx.visitor_id.as_deref(), Some("abc123"));
        assert_eq!(ctx.path, "/shop/x");
    }

    #[test]
    fn tampered_visitor_id_is_replaced() {
        let facts = RequestFacts {
            url: "https://x/".into(),
            cookies: Some(format!("tailor_id={}", "<script>")),
            fresh_visitor_id: Some("fresh1".into()),
            ..RequestFacts::default()
        };
        let ctx = Context::build(&facts, "tailor_id", "UTC", &FixedOffsetClock(0));
        assert_eq!(ctx.visitor_id.as_deref(), Some("fresh1"));
        assert!(ctx.visitor_id_is_new);
        assert_eq!(ctx.attributes.get("new_visitor"), Some(&Value::Bool(true)));
    }
}
