//! The compact binary form of a [`Ruleset`].
//!
//! This is what ships inside the wasm module (a custom section), so it is
//! small (varints, no field names), versioned, and checksummed: a truncated or
//! corrupted ruleset is detected and refused with an error, and the platforms
//! then pass pages through untouched instead of acting on garbage. The decoder
//! never panics and never trusts a length it cannot back with bytes.
//!
//! Conditions and saved groups are stored compiled (see [`condition`]): the
//! engines decode them ready to evaluate instead of compiling their JSON
//! at load time, which keeps the condition compiler out of every
//! visitor's download. The JSON a clause came from, which only
//! explanations of a decision show, is included by [`encode`] (the edge's
//! and the QA engine's ruleset) and left out by [`encode_lean`] (the lean
//! browser engine's, which never explains).

mod condition;

use crate::glob::Glob;
use crate::preview::PreviewMode;
use crate::model::{Action, Campaign, CampaignKind, Change, Consent, Ruleset, Schedule, Seed, Segment, Site, Variant};
use crate::template::{Part, Template};
use crate::value::Value;
use std::fmt;

/// `TLRS`: tailor ruleset.
pub const MAGIC: &[u8; 4] = b"TLRS";
/// 2: conditions and saved groups stored compiled (1 stored their JSON).
pub const FORMAT_VERSION: u8 = 2;
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
    /// A tag, index or value that the format does not allow. `what` is
    /// empty in the browser engines: a ruleset there comes from the CLI,
    /// which writes none of these (the version and checksum catch a
    /// mismatched or damaged one first), so they carry only the offset
    /// instead of a name for each check (see [`DecodeError::message`]).
    Invalid { offset: usize, what: &'static str },
}

impl DecodeError {
    /// The message, built without `core::fmt`: the browser engine returns it
    /// from `load`, and formatting machinery would cost every visitor's
    /// download about a kilobyte.
    ///
    /// The browser engines say only where: `invalid ruleset header at byte
    /// N` for the header field at fault (the magic at 0, the version at 4,
    /// the body's length at 5, its checksum at 9), `invalid ruleset at byte
    /// N` for the body. Their ruleset comes from the CLI in the same file,
    /// so these are a damaged download, and a sentence for each cost every
    /// visitor 270 B gzip.
    pub fn message(&self) -> String {
        let number = |text: &str, n: usize, rest: &str| {
            let mut out = String::from(text);
            crate::value::push_uint(n as u64, &mut out);
            out.push_str(rest);
            out
        };
        if crate::LEAN {
            let (text, offset) = match self {
                DecodeError::TooShort | DecodeError::BadMagic => ("invalid ruleset header at byte ", 0),
                DecodeError::UnsupportedVersion(_) => ("invalid ruleset header at byte ", 4),
                DecodeError::LengthMismatch { .. } => ("invalid ruleset header at byte ", 5),
                DecodeError::ChecksumMismatch => ("invalid ruleset header at byte ", 9),
                DecodeError::Truncated { offset } | DecodeError::Invalid { offset, .. } => ("invalid ruleset at byte ", *offset),
            };
            return number(text, offset, "");
        }
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
                let mut out = number("invalid ruleset at byte ", *offset, "");
                if !what.is_empty() {
                    out.push_str(": ");
                    out.push_str(what);
                }
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

/// The binary form, with the sources of conditions that have them (see
/// [`encode_lean`]). `decode(encode(r))` decides and explains as `r` does,
/// and encodes to the same bytes.
pub fn encode(rules: &Ruleset) -> Vec<u8> {
    encode_with(rules, true)
}

/// The binary form without the sources of conditions: the same decisions,
/// but [`crate::condition::Condition::first_failure`] cannot show what a
/// failed clause expected. For the lean browser engine, which decides
/// without reasons (the QA engine, which explains, gets [`encode`]'s).
pub fn encode_lean(rules: &Ruleset) -> Vec<u8> {
    encode_with(rules, false)
}

fn encode_with(rules: &Ruleset, sources: bool) -> Vec<u8> {
    let mut w = Writer { out: Vec::with_capacity(1024), sources };
    w.site(&rules.site);
    w.saved_groups(&rules.saved_groups);
    w.uint(rules.segments.len() as u64);
    for segment in &rules.segments {
        w.str(&segment.name);
        w.condition(&segment.condition);
    }
    w.uint(rules.campaigns.len() as u64);
    for campaign in &rules.campaigns {
        w.campaign(campaign);
    }
    let body = w.out;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// The ruleset in `bytes`, checked (see [`DecodeError`]). A build
/// without the `all-operators` feature (the common browser engine) also
/// refuses the operators it leaves out, as [`fits_common_engine`] does.
pub fn decode(bytes: &[u8]) -> Result<Ruleset, DecodeError> {
    decode_as::<{ crate::ALL_OPERATORS }>(bytes)
}

/// Whether the common browser engine (built without `all-operators`) can
/// run this ruleset: `tailor build` gives it to every visitor when it can,
/// and the lean engine with every operator, larger by about 2 KB gzip,
/// when the rules use one the common engine leaves out. Decided by the
/// same decoder that engine runs, so the two cannot disagree.
pub fn fits_common_engine(bytes: &[u8]) -> bool {
    decode_as::<false>(bytes).is_ok()
}

/// `ALL`: whether the operators of the `all-operators` feature are read;
/// without them, a clause that uses one is an error.
fn decode_as<const ALL: bool>(bytes: &[u8]) -> Result<Ruleset, DecodeError> {
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
    let mut r = Reader::<ALL> { bytes: body, pos: 0, error: None };
    let ruleset = r.ruleset();
    match r.error {
        Some(error) => Err(error),
        None => Ok(ruleset),
    }
}

struct Writer {
    out: Vec<u8>,
    /// Whether clauses' sources are written (see [`encode_lean`]).
    sources: bool,
}

impl Writer {
    fn uint(&mut self, mut n: u64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }
    fn int(&mut self, n: i64) {
        self.uint(((n << 1) ^ (n >> 63)) as u64);
    }
    fn f64(&mut self, n: f64) {
        self.out.extend_from_slice(&n.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.out.extend_from_slice(s.as_bytes());
    }
    fn strs(&mut self, items: impl ExactSizeIterator<Item = impl AsRef<str>>) {
        self.uint(items.len() as u64);
        for item in items {
            self.str(item.as_ref());
        }
    }
    fn opt_int(&mut self, n: Option<i64>) {
        match n {
            None => self.out.push(0),
            Some(n) => {
                self.out.push(1);
                self.int(n);
            }
        }
    }
    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.out.push(0),
            Value::Bool(false) => self.out.push(1),
            Value::Bool(true) => self.out.push(2),
            Value::Number(n) => self.number(*n),
            Value::String(s) => {
                self.out.push(4);
                self.str(s);
            }
            Value::Array(items) => {
                self.out.push(5);
                self.uint(items.len() as u64);
                items.iter().for_each(|i| self.value(i));
            }
            Value::Object(entries) => {
                self.out.push(6);
                self.uint(entries.len() as u64);
                for (k, v) in entries {
                    self.str(k);
                    self.value(v);
                }
            }
        }
    }
    /// A number as [`Writer::value`] writes it: small integers as varints.
    fn number(&mut self, n: f64) {
        if n.fract() == 0.0 && n.abs() < 1e15 && !(n == 0.0 && n.is_sign_negative()) {
            self.out.push(7);
            self.int(n as i64);
        } else {
            self.out.push(3);
            self.f64(n);
        }
    }
    fn template(&mut self, t: &Template) {
        self.uint(t.parts().len() as u64);
        for part in t.parts() {
            match part {
                Part::Literal(text) => {
                    self.out.push(0);
                    self.str(text);
                }
                Part::Token { path, fallback } => {
                    self.out.push(1);
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
            None => self.out.push(0),
            Some(c) => {
                self.out.push(1);
                self.str(&c.cookie);
                self.str(&c.value);
            }
        }
        self.out.push(match site.preview {
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
            None => self.out.push(0),
            Some(condition) => {
                self.out.push(1);
                self.condition(condition);
            }
        }
        self.int(c.priority as i64);
        match &c.group {
            None => self.out.push(0),
            Some(g) => {
                self.out.push(1);
                self.str(g);
            }
        }
        self.opt_int(c.schedule.start);
        self.opt_int(c.schedule.end);
        match c.schedule.hours {
            None => self.out.push(0),
            Some((from, to)) => {
                self.out.push(1);
                self.uint(from as u64);
                self.uint(to as u64);
            }
        }
        self.out.push(c.schedule.days);
        self.number(c.coverage);
        // The seed is the campaign id unless the rules set one.
        if *c.seed == *c.id {
            self.out.push(0);
        } else {
            self.out.push(1);
            self.str(&c.seed);
        }
        self.out.push(match c.kind {
            CampaignKind::Personalization => 0,
            CampaignKind::Experiment => 1,
        });
        self.uint(c.variants.len() as u64);
        for v in &c.variants {
            self.str(&v.id);
            self.number(v.weight);
            match &v.redirect {
                None => self.out.push(0),
                Some(t) => {
                    self.out.push(1);
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
                self.out.push(0);
                self.template(t);
            }
            Action::Html(h) => self.tagged_str(1, h),
            Action::SetAttr(pairs) => {
                self.out.push(2);
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
            Action::Remove => self.out.push(11),
        }
    }
    fn tagged_str(&mut self, tag: u8, s: &str) {
        self.out.push(tag);
        self.str(s);
    }
    fn tagged_strs(&mut self, tag: u8, v: &[String]) {
        self.out.push(tag);
        self.strs(v.iter());
    }
}

/// Reads the binary form. Its methods never fail: on malformed input the
/// first error is kept in `error` and every read after it returns a
/// default (0, an empty string or list) without moving on, so the rest of
/// the ruleset is built from defaults in time bounded by the input and then
/// dropped. No `?` after every field: each one had to drop what the
/// fields before it had built, which cost every visitor's download 1.5 KB
/// gzip (and 1 KB more when the error was carried through every field in
/// a `Result`). Struct literals list their fields in the order of the
/// format: Rust evaluates them as written. `ALL`: see [`decode_as`].
struct Reader<'a, const ALL: bool> {
    bytes: &'a [u8],
    pos: usize,
    error: Option<DecodeError>,
}

impl<const ALL: bool> Reader<'_, ALL> {
    /// Records what is wrong at the current offset, unless something was
    /// already. Inlined so that the browser engines, which say only where
    /// (see [`DecodeError::Invalid`]), do not carry the names.
    #[inline(always)]
    fn fail(&mut self, what: &'static str) {
        self.fail_at(if crate::LEAN { "" } else { what });
    }
    #[cold]
    fn fail_at(&mut self, what: &'static str) {
        if self.error.is_none() {
            self.error = Some(DecodeError::Invalid { offset: self.pos, what });
        }
    }
    /// Records that the bytes end inside a field (unless something was wrong before).
    #[cold]
    fn truncated(&mut self) {
        if self.error.is_none() {
            self.error = Some(DecodeError::Truncated { offset: self.pos });
        }
    }
    fn ruleset(&mut self) -> Ruleset {
        let site = self.site();
        let saved_groups = self.saved_groups();
        let segments = self.list(|r| Segment { name: r.string(), condition: r.condition() });
        let segment_count = segments.len();
        let campaigns = self.list(|r| r.campaign(segment_count));
        if self.pos != self.bytes.len() {
            self.fail("trailing bytes");
        }
        Ruleset { site, segments, saved_groups, campaigns }
    }
    /// The next byte; 0 once something is wrong.
    fn byte(&mut self) -> u8 {
        match self.bytes.get(self.pos) {
            Some(&b) if self.error.is_none() => {
                self.pos += 1;
                b
            }
            _ => {
                self.truncated();
                0
            }
        }
    }
    fn uint(&mut self) -> u64 {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte();
            n |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return n;
            }
        }
        self.fail("varint too long");
        0
    }
    fn int(&mut self) -> i64 {
        let n = self.uint();
        (n >> 1) as i64 ^ -((n & 1) as i64)
    }
    /// A count of items, each at least one byte long: more than the bytes
    /// left means corruption, and refusing it keeps allocations bounded.
    fn len(&mut self) -> usize {
        let n = self.uint();
        if n > (self.bytes.len() - self.pos) as u64 {
            self.truncated();
            return 0;
        }
        n as usize
    }
    /// `len()` items read by `item`.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let n = self.len();
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(item(self));
        }
        items
    }
    fn f64(&mut self) -> f64 {
        let end = self.pos + 8;
        match self.bytes.get(self.pos..end) {
            Some(raw) if self.error.is_none() => {
                let mut le = [0u8; 8];
                le.copy_from_slice(raw);
                self.pos = end;
                f64::from_le_bytes(le)
            }
            _ => {
                self.truncated();
                0.0
            }
        }
    }
    /// A number as [`Reader::value`] reads one.
    fn number(&mut self) -> f64 {
        match self.byte() {
            3 => self.f64(),
            7 => self.int() as f64,
            _ => {
                self.fail("number");
                0.0
            }
        }
    }
    fn string(&mut self) -> String {
        let n = self.len();
        let raw = &self.bytes[self.pos..self.pos + n];
        let Ok(s) = crate::utf8::from_utf8(raw) else {
            self.fail("string is not UTF-8");
            return String::new();
        };
        self.pos += n;
        s.to_string()
    }
    fn strings(&mut self) -> Vec<String> {
        self.list(Self::string)
    }
    fn flag(&mut self) -> bool {
        match self.byte() {
            0 => false,
            1 => true,
            _ => {
                self.fail("option tag");
                false
            }
        }
    }
    fn value(&mut self, depth: usize) -> Value {
        if depth > MAX_DEPTH {
            self.fail("value nested too deep");
            return Value::Null;
        }
        match self.byte() {
            0 => Value::Null,
            1 => Value::Bool(false),
            2 => Value::Bool(true),
            3 => Value::Number(self.f64()),
            7 => Value::Number(self.int() as f64),
            4 => Value::String(self.string()),
            5 => Value::Array(self.values(depth + 1)),
            6 => Value::Object(self.list(|r| (r.string(), r.value(depth + 1)))),
            _ => {
                self.fail("value tag");
                Value::Null
            }
        }
    }
    /// A list of values at `depth`: one instance of [`Reader::list`] for
    /// every list of values (arrays, `$in` lists, saved groups).
    fn values(&mut self, depth: usize) -> Vec<Value> {
        self.list(|r| r.value(depth))
    }
    fn template(&mut self) -> Template {
        Template::from_parts(self.list(|r| match r.byte() {
            0 => Part::Literal(r.string()),
            1 => Part::Token { path: r.string(), fallback: r.string() },
            _ => {
                r.fail("template part tag");
                Part::Literal(String::new())
            }
        }))
    }
    fn site(&mut self) -> Site {
        Site {
            timezone: self.string(),
            visitor_cookie: self.string(),
            redirect_hosts: self.strings(),
            custom_attributes: self.strings(),
            consent: if self.flag() { Some(Consent { cookie: self.string(), value: self.string() }) } else { None },
            preview: if self.flag() { PreviewMode::Signed } else { PreviewMode::Open },
        }
    }
    fn campaign(&mut self, segment_count: usize) -> Campaign {
        let id = self.string();
        let pages = self.list(|r| Glob::new(r.string()));
        let exclude_pages = self.list(|r| Glob::new(r.string()));
        let audience = self.list(|r| {
            let s = r.uint();
            if s >= segment_count as u64 {
                r.fail("segment index");
            }
            s as u32
        });
        let when = if self.flag() { Some(self.condition()) } else { None };
        let priority = i32::try_from(self.int()).unwrap_or_else(|_| {
            self.fail("priority");
            0
        });
        let group = if self.flag() { Some(self.string()) } else { None };
        let start = if self.flag() { Some(self.int()) } else { None };
        let end = if self.flag() { Some(self.int()) } else { None };
        let hours = if self.flag() {
            match (u16::try_from(self.uint()), u16::try_from(self.uint())) {
                (Ok(from), Ok(to)) => Some((from, to)),
                _ => {
                    self.fail("hours");
                    None
                }
            }
        } else {
            None
        };
        let days = self.byte();
        let coverage = self.number();
        let seed = Seed::new(if self.flag() { self.string() } else { id.clone() });
        let kind = match self.byte() {
            0 => CampaignKind::Personalization,
            1 => CampaignKind::Experiment,
            _ => {
                self.fail("campaign kind");
                CampaignKind::Personalization
            }
        };
        let variants = self.list(|r| Variant {
            id: r.string(),
            weight: r.number(),
            redirect: if r.flag() { Some(r.template()) } else { None },
            changes: r.list(|r| Change { selector: r.string(), action: r.action() }),
        });
        if variants.is_empty() {
            self.fail("campaign without variants");
        }
        Campaign {
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
        }
    }
    fn action(&mut self) -> Action {
        match self.byte() {
            0 => Action::Text(self.template()),
            1 => Action::Html(self.string()),
            2 => Action::SetAttr(self.list(|r| (r.string(), r.template()))),
            3 => Action::RemoveAttr(self.strings()),
            4 => Action::AddClass(self.strings()),
            5 => Action::RemoveClass(self.strings()),
            6 => Action::Before(self.string()),
            7 => Action::After(self.string()),
            8 => Action::Prepend(self.string()),
            9 => Action::Append(self.string()),
            10 => Action::Replace(self.string()),
            11 => Action::Remove,
            _ => {
                self.fail("action tag");
                Action::Remove
            }
        }
    }
}
