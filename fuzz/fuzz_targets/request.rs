//! The request parsers and the context builder on arbitrary header values.
//!
//! Properties:
//! - `ParsedUrl::parse`, `parse_query`, `parse_cookies`, `primary_language`,
//!   `parse_rfc3339` and `Context::build`/`for_site` never panic on anything;
//! - query strings round-trip: any list of name/value pairs, percent-encoded
//!   (spaces as `+` or `%20`) and joined with `&` behind a URL's `?`, comes back
//!   from `ParsedUrl::parse` + `parse_query` exactly, and the context's `query`
//!   attribute holds the first value of each name (of the first 100 pairs);
//! - `Cookie` headers round-trip: any list of RFC 6265 pairs (token names,
//!   cookie-octet values, quoted or not) comes back from `parse_cookies`
//!   exactly, and the context's `cookie` attribute holds the first value of
//!   each name; on arbitrary headers cookie names come out trimmed and non-empty;
//! - the primary language is 1-8 lowercase ASCII letters;
//! - RFC 3339: any valid date-time written from fields parses, with its offset,
//!   and `LocalTime::at_offset` gives the written wall-clock fields back, the
//!   weekday agreeing with an independent formula (Sakamoto's); an impossible
//!   day of the month is refused;
//! - the context: the visitor id is the cookie's when valid, else the fresh
//!   one when valid, else none, and never invalid; consent and GPC withhold
//!   it (`for_site`); the page's custom attributes never overwrite measured
//!   ones (`url`, `path`, `device`, `cookie`...); top-level names are unique;
//!   the site's wall clock is a valid time; and the attributes serialize to
//!   JSON that the engines' own JSON reader parses back to the same JSON.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tailor::compile::zone::ChronoClock;
use tailor::context::{is_valid_visitor_id, parse_cookies, parse_query, primary_language, Context, FixedOffsetClock, Geo, ParsedUrl, RequestFacts};
use tailor::model::{Consent, Site};
use tailor::preview::PreviewMode;
use tailor::time::{days_in_month, parse_rfc3339, LocalTime};
use tailor::useragent::{classify, ClientHints};
use tailor::value::Value;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    url: &'a str,
    user_agent: Option<&'a str>,
    ch_mobile: Option<&'a str>,
    ch_platform: Option<&'a str>,
    ch_brands: Option<&'a str>,
    cookies: Option<&'a str>,
    accept_language: Option<&'a str>,
    referrer: Option<&'a str>,
    headers: Vec<(&'a str, &'a str)>,
    country: Option<&'a str>,
    region: Option<&'a str>,
    city: Option<&'a str>,
    continent: Option<&'a str>,
    eu: Option<bool>,
    timezone: Option<&'a str>,
    /// An RFC 3339 time (as `x-tailor-time` and `--time` give it); the fallback
    /// is a bounded epoch, as real clocks give.
    time: &'a str,
    epoch: u32,
    offset: i32,
    fresh_visitor_id: Option<&'a str>,
    custom: Vec<(&'a str, Option<&'a str>)>,
    gpc: bool,
    visitor_cookie: &'a str,
    site_timezone: &'a str,
    consent: Option<(&'a str, &'a str)>,
    chrono_clock: bool,
    /// Structured inputs for the round trips.
    query_pairs: Vec<(&'a str, &'a str)>,
    plus_for_space: bool,
    cookie_pairs: Vec<(&'a str, &'a str, bool)>,
    /// year, month, day, hour, minute, second, offset minutes, fraction digits.
    time_fields: (u16, u8, u8, u8, u8, u8, i16, u8),
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 16 * 1024 {
        return;
    }
    let Ok(input) = Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)) else { return };

    // The parsers on arbitrary text.
    let url = ParsedUrl::parse(input.url);
    assert!(!url.path.is_empty());
    assert!(!url.query.contains('#'));
    let pieces = url.query.split('&').filter(|p| !p.is_empty()).count();
    assert_eq!(parse_query(url.query).count(), pieces, "one pair per non-empty piece of {:?}", url.query);
    for (name, _value) in parse_cookies(input.cookies.unwrap_or("")) {
        assert!(!name.is_empty() && name.trim() == name, "cookie name {name:?}");
    }
    if let Some(lang) = primary_language(input.accept_language.unwrap_or("")) {
        assert!((1..=8).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase()), "language {lang:?}");
    }
    let now = match parse_rfc3339(input.time) {
        Ok((epoch, offset)) => {
            assert!((-86_400..=86_400).contains(&offset));
            epoch
        }
        Err(_) => input.epoch as i64,
    };

    check_rfc3339(input.time_fields);
    let (round_trip_url, expected_query) = query_round_trip(&input.query_pairs, input.plus_for_space);
    let (cookie_header, expected_cookies) = cookie_round_trip(&input.cookie_pairs);

    let facts = RequestFacts {
        url: input.url.to_string(),
        user_agent: input.user_agent.map(str::to_string),
        ch_mobile: input.ch_mobile.map(str::to_string),
        ch_platform: input.ch_platform.map(str::to_string),
        ch_brands: input.ch_brands.map(str::to_string),
        cookies: input.cookies.map(str::to_string),
        accept_language: input.accept_language.map(str::to_string),
        referrer: input.referrer.map(str::to_string),
        headers: input.headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        geo: Geo {
            country: input.country.map(str::to_string),
            region: input.region.map(str::to_string),
            city: input.city.map(str::to_string),
            continent: input.continent.map(str::to_string),
            eu: input.eu,
            timezone: input.timezone.map(str::to_string),
        },
        now,
        fresh_visitor_id: input.fresh_visitor_id.map(str::to_string),
        custom: input.custom.iter().map(|(n, v)| (n.to_string(), v.map_or(Value::Null, Value::from))).collect(),
        gpc: input.gpc,
    };
    let site = Site {
        timezone: input.site_timezone.to_string(),
        visitor_cookie: input.visitor_cookie.to_string(),
        consent: input.consent.map(|(cookie, value)| Consent { cookie: cookie.to_string(), value: value.to_string() }),
        redirect_hosts: Vec::new(),
        custom_attributes: Vec::new(),
        preview: PreviewMode::Open,
    };
    // Real time zones (chrono-tz) or a fixed offset of up to a day either way.
    let fixed = FixedOffsetClock((input.offset % 86_400) as i64);
    let clock: &dyn tailor::time::ZoneClock = if input.chrono_clock { &ChronoClock } else { &fixed };

    let ctx = Context::build(&facts, input.visitor_cookie, input.site_timezone, clock);
    check(&ctx, &facts, &site, false);
    let ctx = Context::for_site(&facts, &site, clock);
    check(&ctx, &facts, &site, true);

    // The same request with the round-trip URL and Cookie header.
    let facts = RequestFacts { url: round_trip_url, cookies: Some(cookie_header), ..facts };
    let ctx = Context::for_site(&facts, &site, clock);
    check(&ctx, &facts, &site, true);
    let query = ctx.attributes.get("query").expect("query attribute");
    for (name, value) in &expected_query {
        assert_eq!(query.get(name).and_then(Value::as_str), Some(value.as_str()), "query.{name} in {query:?}");
    }
    let cookies = ctx.attributes.get("cookie").expect("cookie attribute");
    for (name, value) in &expected_cookies {
        assert_eq!(cookies.get(name).and_then(Value::as_str), Some(value.as_str()), "cookie.{name} in {cookies:?}");
    }
});

/// The first value of each name among the first 100 pairs (the context's cap).
fn first_values(pairs: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in pairs.take(100) {
        if !out.iter().any(|(n, _)| *n == name) {
            out.push((name, value));
        }
    }
    out
}

fn percent_encode(s: &str, plus_for_space: bool, out: &mut String) {
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            b' ' if plus_for_space => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// Builds a URL carrying the pairs, checks the parsers read them back, and
/// returns the URL and what the `query` attribute must hold.
fn query_round_trip(pairs: &[(&str, &str)], plus_for_space: bool) -> (String, Vec<(String, String)>) {
    let mut query = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            query.push('&');
        }
        percent_encode(name, plus_for_space, &mut query);
        query.push('=');
        percent_encode(value, plus_for_space, &mut query);
    }
    let url = format!("https://user@Shop.Example:8443/a%20b/c?{query}#frag?x=1");
    let parsed = ParsedUrl::parse(&url);
    assert_eq!(parsed.host, "Shop.Example");
    assert_eq!(parsed.path, "/a b/c");
    assert_eq!(parsed.query, query);
    let back: Vec<(String, String)> = parse_query(parsed.query).collect();
    let expected: Vec<(String, String)> = pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    assert_eq!(back, expected, "query {query:?}");
    (url, first_values(expected.into_iter()))
}

fn is_token(b: u8) -> bool {
    (0x21..0x7f).contains(&b) && !b"()<>@,;:\\\"/[]?={}".contains(&b)
}

fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// Builds a `Cookie` header from the RFC 6265 pairs among `pairs`, checks
/// `parse_cookies` reads them back, and returns the header and what the
/// `cookie` attribute must hold.
fn cookie_round_trip(pairs: &[(&str, &str, bool)]) -> (String, Vec<(String, String)>) {
    let valid: Vec<_> = pairs
        .iter()
        .filter(|(n, v, _)| !n.is_empty() && n.bytes().all(is_token) && v.bytes().all(is_cookie_octet))
        .collect();
    let header = valid
        .iter()
        .map(|(n, v, quoted)| if *quoted { format!("{n}=\"{v}\"") } else { format!("{n}={v}") })
        .collect::<Vec<_>>()
        .join("; ");
    let back: Vec<(&str, &str)> = parse_cookies(&header).collect();
    let expected: Vec<(&str, &str)> = valid.iter().map(|(n, v, _)| (*n, *v)).collect();
    assert_eq!(back, expected, "cookie header {header:?}");
    (header.clone(), first_values(expected.iter().map(|(n, v)| (n.to_string(), v.to_string()))))
}

/// ISO weekday (0 = Monday) by Sakamoto's method, independent of `src/time.rs`.
fn weekday(year: i64, month: i64, day: i64) -> u8 {
    const T: [i64; 12] = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
    let y = if month < 3 { year - 1 } else { year };
    let sunday0 = (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400) + T[month as usize - 1] + day).rem_euclid(7);
    ((sunday0 + 6) % 7) as u8
}

fn check_rfc3339((year, month, day, hour, minute, second, offset, fraction): (u16, u8, u8, u8, u8, u8, i16, u8)) {
    let (year, month, day) = ((year % 10_000) as i32, month % 12 + 1, day % 31 + 1);
    let (hour, minute, second) = (hour % 24, minute % 60, second % 61);
    let offset_minutes = offset as i64 % (24 * 60);
    let mut text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    if fraction % 4 != 0 {
        text.push('.');
        text.extend(std::iter::repeat_n('7', fraction as usize % 10 + 1));
    }
    if offset_minutes == 0 && fraction % 2 == 0 {
        text.push('Z');
    } else {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        text.push_str(&format!("{sign}{:02}:{:02}", offset_minutes.abs() / 60, offset_minutes.abs() % 60));
    }
    let parsed = parse_rfc3339(&text);
    if day > days_in_month(year, month) {
        assert!(parsed.is_err(), "{text} accepted");
        return;
    }
    let (epoch, off) = parsed.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(off, offset_minutes * 60, "{text}");
    let t = LocalTime::at_offset(epoch, off);
    assert_eq!((t.year, t.month, t.day, t.hour, t.minute), (year, month, day, hour, minute), "{text}");
    assert_eq!(t.weekday, weekday(year.into(), month.into(), day.into()), "{text}");
    assert_eq!(t.date_string(), text[..10], "{text}");
    if second < 60 {
        assert_eq!((epoch + off).rem_euclid(60), second as i64, "{text}");
    }
}

fn check(ctx: &Context, facts: &RequestFacts, site: &Site, for_site: bool) {
    let a = &ctx.attributes;
    let Value::Object(entries) = a else { panic!("attributes are not an object") };
    for (i, (name, _)) in entries.iter().enumerate() {
        assert!(!entries[..i].iter().any(|(n, _)| n == name), "attribute {name:?} twice");
    }

    // Measured attributes win over the page's custom ones.
    assert_eq!(a.get("url"), Some(&Value::String(facts.url.clone())));
    assert_eq!(a.get("path"), Some(&Value::String(ctx.path.clone())));
    assert_eq!(ctx.path, ParsedUrl::parse(&facts.url).path);
    let hints = ClientHints {
        mobile: facts.ch_mobile.as_deref(),
        platform: facts.ch_platform.as_deref(),
        brands: facts.ch_brands.as_deref(),
        model: None,
    };
    let device = classify(facts.user_agent.as_deref().unwrap_or(""), &hints).device;
    assert_eq!(ctx.device(), device.as_str());
    for name in ["cookie", "query", "header"] {
        assert!(matches!(a.get(name), Some(Value::Object(_))), "{name} is {:?}", a.get(name));
    }

    // The visitor id.
    let header = facts.cookies.as_deref().unwrap_or("");
    let cookie_id = parse_cookies(header).take(100).find(|(n, _)| *n == site.visitor_cookie).map(|(_, v)| v);
    let valid_cookie_id = cookie_id.filter(|id| is_valid_visitor_id(id));
    let (mut id, mut is_new) = match (valid_cookie_id, facts.fresh_visitor_id.as_deref().filter(|id| is_valid_visitor_id(id))) {
        (Some(id), _) => (Some(id), false),
        (None, Some(fresh)) => (Some(fresh), true),
        (None, None) => (None, false),
    };
    let withheld = for_site
        && match &site.consent {
            Some(c) => facts.gpc || a.get("cookie").and_then(|k| k.get(&c.cookie)).and_then(Value::as_str) != Some(c.value.as_str()),
            None => facts.gpc,
        };
    if withheld {
        (id, is_new) = (None, false);
        assert!(!ctx.identifiers_allowed);
        assert_eq!(a.get("new_visitor"), None);
    } else {
        assert!(ctx.identifiers_allowed);
        assert_eq!(a.get("new_visitor"), Some(&Value::Bool(valid_cookie_id.is_none())));
    }
    assert_eq!(ctx.visitor_id.as_deref(), id, "visitor id");
    assert_eq!(ctx.visitor_id_is_new, is_new);
    if id.is_some() || withheld {
        // Without an id (and not withheld) the page may set its own `id`.
        assert_eq!(a.get("id").and_then(Value::as_str), id);
    }

    if let Some(t) = ctx.site_time {
        assert!((1..=12).contains(&t.month) && (1..=31).contains(&t.day) && t.hour < 24 && t.minute < 60 && t.weekday < 7);
    }
    let json = a.to_json();
    let back = tailor::json::parse(&json).unwrap_or_else(|e| panic!("attributes JSON does not parse: {e}: {json}"));
    assert_eq!(back.to_json(), json);
}
