//! The compact binary form of a [`Ruleset`].
//!
//! This is what ships inside the wasm module (a custom section), so it is
//! small (varints, no field names), versioned, and checksummed: a truncated or
//! corrupted ruleset is detected and refused with an error, and the platforms
//! then pass pages through untouched instead of acting on garbage. The decoder
//! never panics and never trusts a length it cannot back with bytes.

use crate::condition::{Condition, SavedGroups};
use crate::glob::Glob;
use crate::preview::PreviewMode;
use crate::model::{Action, Campaign, CampaignKind, Change, Consent, Ruleset, Schedule, Seed, Segment, Site, Targeting, Variant};
use crate::template::{Part, Template};
use crate::value::Value;
use std::fmt;

/// `TLRS`: tailor ruleset.
pub const MAGIC: &[u8; 4] = b"TLRS";
pub const FORMAT_VERSION: u8 = 1;
/// The name of the wasm custom section that carries the ruleset.
pub const SECTION_NAME: &str = "tailor.rules";
const HEADER_LEN: usize = 4 + 1 + 4 + 4;
/// Nesting limit for condition values; rule files are checked against a
/// lower one, so only a forged section can reach it.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    TooShort,
    BadMagic,
    UnsupportedVersion(u8),
    LengthMismatch { declared: usize, actual: usize },
    ChecksumMismatch,
    /// The body ended inside a field.
    Truncated { offset: usize },
    /// A tag, index or value that the format does not allow.
    Invalid { offset: usize, what: &'static str },
}

impl DecodeError {
    /// The message, built without `core::fmt`: the browser engine returns it
    /// from `load`, and formatting machinery would cost every visitor's
    /// download about a kilobyte.
    pub fn message(&self) -> String {
        let number = |text: &str, n: usize, rest: &str| {
            let mut out = String::from(text);
            crate::value::push_uint(n as u64, &mut out);
            out.push_str(rest);
            out
        };
        match self {
            DecodeError::TooShort => "ruleset is shorter than its header".into(),
            DecodeError::BadMagic => "not a tailor ruleset (bad magic)".into(),
            DecodeError::UnsupportedVersion(v) => number("ruleset format version ", *v as usize, " is not supported by this engine"),
            DecodeError::LengthMismatch { declared, actual } => {
                number(&number("ruleset body is ", *actual, " bytes, header says "), *declared, "")
            }
            DecodeError::ChecksumMismatch => "ruleset checksum mismatch (corrupted)".into(),
            DecodeError::Truncated { offset } => number("ruleset truncated at byte ", *offset, ""),
            DecodeError::Invalid { offset, what } => {
                // Not `[": ", what].concat()`: the only `concat` in the
                // browser engine, whose generic code weighs more than this.
                let mut out = number("invalid ruleset at byte ", *offset, ": ");
                out.push_str(what);
                out
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for DecodeError {}

/// FNV-1a over bytes: enough to catch corruption; integrity against forgery
/// is the deploy pipeline's job, not this checksum's.
fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}

pub fn encode(rules: &Ruleset) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(1024));
    w.site(&rules.site);
    w.value(&rules.groups_source);
    w.uint(rules.segments.len() as u64);
    for segment in &rules.segments {
        w.str(&segment.name);
        w.value(&segment.targeting.source);
    }
    w.uint(rules.campaigns.len() as u64);
    for campaign in &rules.campaigns {
        w.campaign(campaign);
    }
    let body = w.0;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

pub fn decode(bytes: &[u8]) -> Result<Ruleset, DecodeError> {
    if bytes.len() < HEADER_LEN {
        return Err(DecodeError::TooShort);
    }
    if &bytes[..4] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if bytes[4] != FORMAT_VERSION {
        return Err(DecodeError::UnsupportedVersion(bytes[4]));
    }
    let declared = u32::from_le_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]) as usize;
    let sum = u32::from_le_bytes([bytes[9], bytes[10], bytes[11], bytes[12]]);
    let body = &bytes[HEADER_LEN..];
    if body.len() != declared {
        return Err(DecodeError::LengthMismatch { declared, actual: body.len() });
    }
    if checksum(body) != sum {
        return Err(DecodeError::ChecksumMismatch);
    }
    let mut r = Reader { bytes: body, pos: 0, error: None };
    r.ruleset().ok_or_else(|| r.error.take().unwrap_or(DecodeError::Truncated { offset: r.pos }))
}

struct Writer(Vec<u8>);

impl Writer {
    fn uint(&mut self, mut n: u64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }
    fn int(&mut self, n: i64) {
        self.uint(((n << 1) ^ (n >> 63)) as u64);
    }
    fn f64(&mut self, n: f64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn strs(&mut self, items: impl ExactSizeIterator<Item = impl AsRef<str>>) {
        self.uint(items.len() as u64);
        for item in items {
            self.str(item.as_ref());
        }
    }
    fn opt_int(&mut self, n: Option<i64>) {
        match n {
            None => self.0.push(0),
            Some(n) => {
                self.0.push(1);
                self.int(n);
            }
        }
    }
    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.0.push(0),
            Value::Bool(false) => self.0.push(1),
            Value::Bool(true) => self.0.push(2),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 && !(*n == 0.0 && n.is_sign_negative()) => {
                self.0.push(7);
                self.int(*n as i64);
            }
            Value::Number(n) => {
                self.0.push(3);
                self.f64(*n);
            }
            Value::String(s) => {
                self.0.push(4);
                self.str(s);
            }
            Value::Array(items) => {
                self.0.push(5);
                self.uint(items.len() as u64);
                items.iter().for_each(|i| self.value(i));
            }
            Value::Object(entries) => {
                self.0.push(6);
                self.uint(entries.len() as u64);
                for (k, v) in entries {
                    self.str(k);
                    self.value(v);
                }
            }
        }
    }
    fn template(&mut self, t: &Template) {
        self.uint(t.parts().len() as u64);
        for part in t.parts() {
            match part {
                Part::Literal(text) => {
                    self.0.push(0);
                    self.str(text);
                }
                Part::Token { path, fallback } => {
                    self.0.push(1);
                    self.str(path);
                    self.str(fallback);
                }
            }
        }
    }
    fn site(&mut self, site: &Site) {
        self.str(&site.timezone);
        self.str(&site.visitor_cookie);
        self.strs(site.redirect_hosts.iter());
        self.strs(site.custom_attributes.iter());
        match &site.consent {
            None => self.0.push(0),
            Some(c) => {
                self.0.push(1);
                self.str(&c.cookie);
                self.str(&c.value);
            }
        }
        self.0.push(match site.preview {
            PreviewMode::Open => 0,
            PreviewMode::Signed => 1,
        });
    }
    fn campaign(&mut self, c: &Campaign) {
        self.str(&c.id);
        self.strs(c.pages.iter().map(Glob::as_str));
        self.strs(c.exclude_pages.iter().map(Glob::as_str));
        self.uint(c.audience.len() as u64);
        c.audience.iter().for_each(|&s| self.uint(s as u64));
        match &c.when {
            None => self.0.push(0),
            Some(t) => {
                self.0.push(1);
                self.value(&t.source);
            }
        }
        self.int(c.priority as i64);
        match &c.group {
            None => self.0.push(0),
            Some(g) => {
                self.0.push(1);
                self.str(g);
            }
        }
        self.opt_int(c.schedule.start);
        self.opt_int(c.schedule.end);
        match c.schedule.hours {
            None => self.0.push(0),
            Some((from, to)) => {
                self.0.push(1);
                self.uint(from as u64);
                self.uint(to as u64);
            }
        }
        self.0.push(c.schedule.days);
        self.f64(c.coverage);
        self.str(&c.seed);
        self.0.push(match c.kind {
            CampaignKind::Personalization => 0,
            CampaignKind::Experiment => 1,
        });
        self.uint(c.variants.len() as u64);
        for v in &c.variants {
            self.str(&v.id);
            self.f64(v.weight);
            match &v.redirect {
                None => self.0.push(0),
                Some(t) => {
                    self.0.push(1);
                    self.template(t);
                }
            }
            self.uint(v.changes.len() as u64);
            for change in &v.changes {
                self.str(&change.selector);
                self.action(&change.action);
            }
        }
    }
    fn action(&mut self, a: &Action) {
        match a {
            Action::Text(t) => {
                self.0.push(0);
                self.template(t);
            }
            Action::Html(h) => self.tagged_str(1, h),
            Action::SetAttr(pairs) => {
                self.0.push(2);
                self.uint(pairs.len() as u64);
                for (name, value) in pairs {
                    self.str(name);
                    self.template(value);
                }
            }
            Action::RemoveAttr(v) => self.tagged_strs(3, v),
            Action::AddClass(v) => self.tagged_strs(4, v),
            Action::RemoveClass(v) => self.tagged_strs(5, v),
            Action::Before(h) => self.tagged_str(6, h),
            Action::After(h) => self.tagged_str(7, h),
            Action::Prepend(h) => self.tagged_str(8, h),
            Action::Append(h) => self.tagged_str(9, h),
            Action::Replace(h) => self.tagged_str(10, h),
            Action::Remove => self.0.push(11),
        }
    }
    fn tagged_str(&mut self, tag: u8, s: &str) {
        self.0.push(tag);
        self.str(s);
    }
    fn tagged_strs(&mut self, tag: u8, v: &[String]) {
        self.0.push(tag);
        self.strs(v.iter());
    }
}

/// Reads the binary form. Its methods return `None` on malformed input and
/// leave the error in `error` (none: truncated): one `Option` per field
/// instead of a `Result` carrying the error through every `?`, which made
/// the decoder a tenth larger in every visitor's download.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    error: Option<DecodeError>,
}

impl Reader<'_> {
    /// Records what is wrong at the current offset; `None` for `?`.
    #[cold]
    fn fail<T>(&mut self, what: &'static str) -> Option<T> {
        self.error = Some(DecodeError::Invalid { offset: self.pos, what });
        None
    }
    fn ruleset(&mut self) -> Option<Ruleset> {
        let site = self.site()?;
        let groups_source = self.value(0)?;
        let segment_count = self.len()?;
        let mut segments = Vec::with_capacity(segment_count);
        for _ in 0..segment_count {
            let name = self.string()?;
            let targeting = self.targeting()?;
            segments.push(Segment { name, targeting });
        }
        let campaign_count = self.len()?;
        let mut campaigns = Vec::with_capacity(campaign_count);
        for _ in 0..campaign_count {
            campaigns.push(self.campaign(segment_count)?);
        }
        if self.pos != self.bytes.len() {
            return self.fail("trailing bytes");
        }
        let saved_groups = SavedGroups::from_payload(&groups_source);
        Some(Ruleset { site, segments, saved_groups, groups_source, campaigns })
    }
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    fn uint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        self.fail("varint too long")
    }
    fn int(&mut self) -> Option<i64> {
        let n = self.uint()?;
        Some((n >> 1) as i64 ^ -((n & 1) as i64))
    }
    /// A count of items, each at least one byte long: more than the bytes
    /// left means corruption, and refusing it keeps allocations bounded.
    fn len(&mut self) -> Option<usize> {
        let n = self.uint()?;
        if n > (self.bytes.len() - self.pos) as u64 {
            return None;
        }
        Some(n as usize)
    }
    fn f64(&mut self) -> Option<f64> {
        let end = self.pos.checked_add(8).filter(|&e| e <= self.bytes.len())?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(&self.bytes[self.pos..end]);
        self.pos = end;
        Some(f64::from_le_bytes(raw))
    }
    fn string(&mut self) -> Option<String> {
        let n = self.len()?;
        let raw = &self.bytes[self.pos..self.pos + n];
        let Ok(s) = std::str::from_utf8(raw) else { return self.fail("string is not UTF-8") };
        self.pos += n;
        Some(s.to_string())
    }
    fn strings(&mut self) -> Option<Vec<String>> {
        let n = self.len()?;
        (0..n).map(|_| self.string()).collect()
    }
    fn flag(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => self.fail("option tag"),
        }
    }
    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return self.fail("value nested too deep");
        }
        Some(match self.byte()? {
            0 => Value::Null,
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => Value::Number(self.f64()?),
            7 => Value::Number(self.int()? as f64),
            4 => Value::String(self.string()?),
            5 => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            6 => {
                let n = self.len()?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = self.string()?;
                    entries.push((key, self.value(depth + 1)?));
                }
                Value::Object(entries)
            }
            _ => return self.fail("value tag"),
        })
    }
    fn targeting(&mut self) -> Option<Targeting> {
        let source = self.value(0)?;
        let Ok(condition) = Condition::parse(&source) else { return self.fail("condition") };
        Some(Targeting { source, condition })
    }
    fn template(&mut self) -> Option<Template> {
        let n = self.len()?;
        let mut parts = Vec::with_capacity(n);
        for _ in 0..n {
            parts.push(match self.byte()? {
                0 => Part::Literal(self.string()?),
                1 => Part::Token { path: self.string()?, fallback: self.string()? },
                _ => return self.fail("template part tag"),
            });
        }
        Some(Template::from_parts(parts))
    }
    fn site(&mut self) -> Option<Site> {
        Some(Site {
            timezone: self.string()?,
            visitor_cookie: self.string()?,
            redirect_hosts: self.strings()?,
            custom_attributes: self.strings()?,
            consent: if self.flag()? { Some(Consent { cookie: self.string()?, value: self.string()? }) } else { None },
            preview: if self.flag()? { PreviewMode::Signed } else { PreviewMode::Open },
        })
    }
    fn campaign(&mut self, segment_count: usize) -> Option<Campaign> {
        let id = self.string()?;
        let pages = self.strings()?.into_iter().map(Glob::new).collect();
        let exclude_pages = self.strings()?.into_iter().map(Glob::new).collect();
        let n = self.len()?;
        let mut audience = Vec::with_capacity(n);
        for _ in 0..n {
            let s = self.uint()?;
            if s >= segment_count as u64 {
                return self.fail("segment index");
            }
            audience.push(s as u32);
        }
        let when = if self.flag()? { Some(self.targeting()?) } else { None };
        let Ok(priority) = i32::try_from(self.int()?) else { return self.fail("priority") };
        let group = if self.flag()? { Some(self.string()?) } else { None };
        let start = if self.flag()? { Some(self.int()?) } else { None };
        let end = if self.flag()? { Some(self.int()?) } else { None };
        let hours = if self.flag()? {
            match (u16::try_from(self.uint()?), u16::try_from(self.uint()?)) {
                (Ok(from), Ok(to)) => Some((from, to)),
                _ => return self.fail("hours"),
            }
        } else {
            None
        };
        let days = self.byte()?;
        let coverage = self.f64()?;
        let seed = Seed::new(self.string()?);
        let kind = match self.byte()? {
            0 => CampaignKind::Personalization,
            1 => CampaignKind::Experiment,
            _ => return self.fail("campaign kind"),
        };
        let n = self.len()?;
        let mut variants = Vec::with_capacity(n);
        for _ in 0..n {
            let id = self.string()?;
            let weight = self.f64()?;
            let redirect = if self.flag()? { Some(self.template()?) } else { None };
            let m = self.len()?;
            let mut changes = Vec::with_capacity(m);
            for _ in 0..m {
                let selector = self.string()?;
                changes.push(Change { selector, action: self.action()? });
            }
            variants.push(Variant { id, weight, changes, redirect });
        }
        if variants.is_empty() {
            return self.fail("campaign without variants");
        }
        Some(Campaign {
            id,
            pages,
            exclude_pages,
            audience,
            when,
            priority,
            group,
            schedule: Schedule { start, end, hours, days },
            coverage,
            seed,
            kind,
            variants,
        })
    }
    fn action(&mut self) -> Option<Action> {
        Some(match self.byte()? {
            0 => Action::Text(self.template()?),
            1 => Action::Html(self.string()?),
            2 => {
                let n = self.len()?;
                let mut pairs = Vec::with_capacity(n);
                for _ in 0..n {
                    let name = self.string()?;
                    pairs.push((name, self.template()?));
                }
                Action::SetAttr(pairs)
            }
            3 => Action::RemoveAttr(self.strings()?),
            4 => Action::AddClass(self.strings()?),
            5 => Action::RemoveClass(self.strings()?),
            6 => Action::Before(self.string()?),
            7 => Action::After(self.string()?),
            8 => Action::Prepend(self.string()?),
            9 => Action::Append(self.string()?),
            10 => Action::Replace(self.string()?),
            11 => Action::Remove,
            _ => return self.fail("action tag"),
        })
    }
}
