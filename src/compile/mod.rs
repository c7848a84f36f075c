//! The rule compiler: rule source (TOML or JSON) to a validated [`Ruleset`].
//!
//! It reports every problem it can find in one pass, each at the exact
//! `file:line:col` of the offending key or value with a hint how to fix it,
//! because the people writing rules are marketers, not compiler engineers.
//! It only produces a ruleset when there are no errors.

mod conflicts;
pub mod diagnostic;
pub mod source;
mod toml_syntax;
pub mod zone;

use crate::condition::{Condition, ConditionError, ConditionIssue, SavedGroups};
use crate::glob::Glob;
use crate::html;
use crate::model::{Action, Campaign, CampaignKind, Change, Consent, Ruleset, Schedule, Seed, Segment, Site, Variant};
use crate::template::Template;
use crate::time::{parse_clock, parse_rfc3339, DAY_NAMES};
use crate::value::Value;
use diagnostic::{suggest, Diagnostic, Severity};
use source::{Entry, Format, LineIndex, Node, NodeKind, Span};
use std::collections::HashMap;

/// Attributes every platform provides (some may be missing on one of them,
/// see the rule reference).
pub const ATTRIBUTES: &[&str] = &[
    "device", "os", "browser", "country", "region", "city", "continent", "eu", "timezone", "local_hour",
    "local_day", "local_date", "path", "url", "host", "referrer", "language", "new_visitor", "id",
];
/// Attribute families addressed as `prefix.name`.
pub const ATTRIBUTE_PREFIXES: &[&str] = &["cookie", "query", "header"];

const SITE_KEYS: &[&str] = &["timezone", "visitor_cookie", "redirect_hosts", "attributes", "consent", "preview"];
const TOP_KEYS: &[&str] = &["site", "segments", "groups", "campaign"];
const CAMPAIGN_KEYS: &[&str] = &[
    "id", "pages", "exclude_pages", "audience", "when", "priority", "group", "start", "end", "hours", "days",
    "coverage", "seed", "enabled", "variant", "description",
];
const VARIANT_KEYS: &[&str] = &["id", "weight", "changes", "redirect", "description"];
const CHANGE_KEYS: &[&str] = &[
    "select", "text", "html", "attr", "remove_attr", "add_class", "remove_class", "before", "after", "prepend",
    "append", "replace", "remove",
];
const FULL_DAY_NAMES: [&str; 7] = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
/// Deepest nesting of a condition: the condition is level 1, and every `$and`, `$or`, `$nor`,
/// `$not` and `$elemMatch` puts what it holds one level deeper. Deeper conditions are a sign of
/// generated or copied rules gone wrong, and would be unreadable in `tailor explain`.
const MAX_CONDITION_DEPTH: usize = 32;
/// The keys that nest a condition one level deeper.
const NESTING_OPERATORS: &[&str] = &["$and", "$or", "$nor", "$not", "$elemMatch"];
/// Deepest nesting of tables and arrays in a stored condition or saved group: what the ruleset
/// decoder at the edge and in the browser reads (`MAX_DEPTH` in src/codec.rs). A ruleset the
/// compiler accepts must always decode, or the worker would drop every rule; the round-trip test
/// `the_deepest_accepted_condition_decodes` keeps the two in step.
const MAX_VALUE_DEPTH: usize = 64;
/// `priority` is stored as a 32-bit integer.
const PRIORITY_RANGE: &str = "-2147483648 to 2147483647";
/// Campaign ids travel in cookies, preview links and analytics events.
const MAX_ID_LENGTH: usize = 64;

/// The result of compiling: the ruleset if there were no errors, and every
/// diagnostic (errors and warnings) in source order.
#[derive(Debug)]
pub struct Compiled {
    pub ruleset: Option<Ruleset>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles rule source. `file` names it in diagnostics; `now` (epoch seconds)
/// is only used to warn about campaigns that have already ended.
pub fn compile(source: &str, file: &str, format: Format, now: i64) -> Compiled {
    let mut c = Compiler { file, format, lines: LineIndex::new(source), diagnostics: Vec::new(), now };
    let ruleset = match source::parse(source, format) {
        Ok(root) => c.ruleset(&root),
        Err(err) => {
            let message = if err.message.contains("recurs") {
                format!("nesting is too deep: the TOML reader allows at most 80 levels of inline tables and arrays (and a condition at most {MAX_CONDITION_DEPTH} levels of {})", nesting_operators())
            } else {
                err.message
            };
            c.error(err.span, message);
            None
        }
    };
    let mut diagnostics = c.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Compiled { ruleset: if has_errors { None } else { ruleset }, diagnostics }
}

/// Reads and compiles a rule file, choosing the format by extension. Only failing to read the
/// file is an `Err`; what is in it, whatever the bytes, comes back as diagnostics.
pub fn compile_file(path: &str, now: i64) -> Result<Compiled, std::io::Error> {
    let bytes = std::fs::read(path)?;
    Ok(compile_bytes(&bytes, path, Format::from_path(path), now))
}

/// Compiles rule source as read from disk. A file that is not UTF-8 was saved in another
/// encoding by the marketer's editor: that is a mistake in the rule file like any other, so it
/// is reported at the first bad byte, with the usual cause, rather than as an I/O failure.
pub fn compile_bytes(bytes: &[u8], file: &str, format: Format, now: i64) -> Compiled {
    let error = match std::str::from_utf8(bytes) {
        Ok(source) => return compile(source, file, format, now),
        Err(error) => error,
    };
    let at = error.valid_up_to();
    // Everything before the first bad byte is UTF-8, so lines and columns count as usual.
    let before = bytes.get(..at).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default();
    let lines = LineIndex::new(before);
    let span = Span { start: before.len(), end: before.len() };
    let d = Diagnostic::at(Severity::Error, file, &lines, span, not_utf8_message(bytes, at, error.error_len().is_none()));
    Compiled { ruleset: None, diagnostics: vec![d] }
}

/// What a marketer needs to hear about a file that is not UTF-8: which byte, the likely
/// encoding it came from, and to save it as UTF-8.
fn not_utf8_message(bytes: &[u8], at: usize, truncated: bool) -> String {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return "the file is saved as UTF-16: save it as UTF-8".to_string();
    }
    if truncated {
        return "the file is not UTF-8 text: it ends in the middle of a character; save it as UTF-8".to_string();
    }
    let byte = bytes.get(at).copied().unwrap_or_default();
    // Latin-1 and Windows-1252 agree from 0xA0 on; they are what a non-UTF-8 editor writes.
    let what = match byte {
        0xA0 => "a non-breaking space in Latin-1 / Windows-1252".to_string(),
        0xA1..=0xFF => format!("`{}` in Latin-1 / Windows-1252", char::from(byte)),
        0x80 => "`€` in Windows-1252".to_string(),
        _ => "no character".to_string(),
    };
    format!("the file is not UTF-8 text: byte 0x{byte:02X} here is {what}, not UTF-8; save the file as UTF-8")
}

struct Compiler<'a> {
    file: &'a str,
    /// For hints written in the file's own syntax (`[[campaign]]` or a `"campaign"` array).
    format: Format,
    lines: LineIndex,
    diagnostics: Vec<Diagnostic>,
    now: i64,
}

/// A campaign's facts the cross-campaign checks need, with spans.
struct CampaignInfo {
    span: Span,
    selectors: Vec<(String, Span)>,
}

impl Compiler<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        let d = Diagnostic::at(Severity::Error, self.file, &self.lines, span, message);
        self.diagnostics.push(d);
    }

    fn warn(&mut self, span: Span, message: impl Into<String>) {
        let d = Diagnostic::at(Severity::Warning, self.file, &self.lines, span, message);
        self.diagnostics.push(d);
    }

    fn table<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Entry]> {
        match &node.kind {
            NodeKind::Table(entries) => Some(entries),
            _ => {
                self.error(node.span, format!("{what} must be a table, found {}", node.type_name()));
                None
            }
        }
    }

    /// Reports keys outside `allowed`, with a "did you mean" where one is close.
    fn check_keys(&mut self, entries: &[Entry], allowed: &[&str], what: &str) {
        for entry in entries {
            if !allowed.contains(&entry.key.as_str()) {
                let hint = match suggest(&entry.key, allowed.iter().copied()) {
                    Some(s) => format!("; did you mean `{s}`?"),
                    None => format!("; expected one of: {}", allowed.join(", ")),
                };
                self.error(entry.key_span, format!("unknown key `{}` in {what}{hint}", entry.key));
            }
        }
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.kind {
            NodeKind::String(s) => Some(s.clone()),
            _ => {
                self.error(node.span, format!("{what} must be a string, found {}", node.type_name()));
                None
            }
        }
    }

    /// A string or an array of strings, each with its span. Each entry that is not a string is
    /// reported and skipped, so the good entries are still checked and used (an `attributes`
    /// list with one bad entry still declares the others).
    fn strings(&mut self, node: &Node, what: &str) -> Option<Vec<(String, Span)>> {
        match &node.kind {
            NodeKind::String(s) => Some(vec![(s.clone(), node.span)]),
            NodeKind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(text) = self.string(item, &format!("each entry of {what}")) {
                        out.push((text, item.span));
                    }
                }
                Some(out)
            }
            _ => {
                self.error(node.span, format!("{what} must be a string or an array of strings, found {}", node.type_name()));
                None
            }
        }
    }

    fn number(&mut self, node: &Node, what: &str) -> Option<f64> {
        match node.kind {
            NodeKind::Integer(i) => Some(i as f64),
            NodeKind::Float(f) if f.is_finite() => Some(f),
            NodeKind::Float(f) => {
                self.error(node.span, format!("{what} must be a finite number, found {}", show_float(f)));
                None
            }
            _ => {
                self.error(node.span, format!("{what} must be a number, found {}", node.type_name()));
                None
            }
        }
    }

    fn ruleset(&mut self, root: &Node) -> Option<Ruleset> {
        let entries = self.table(root, "the rule file")?;
        self.check_keys(entries, TOP_KEYS, "the rule file");
        let site = self.site(root.get("site"));
        let saved_groups = SavedGroups::from_payload(&self.groups(root.get("groups")));
        let (segments, broken_segments) = self.segments(root.get("segments"), &site);

        let mut campaigns = Vec::new();
        let mut infos = Vec::new();
        // Id → where its first campaign starts; a map, as files may hold thousands of campaigns.
        let mut seen_ids: HashMap<&str, Span> = HashMap::new();
        match root.get("campaign") {
            None => self.no_campaigns(root, entries.is_empty()),
            Some(node) => match &node.kind {
                NodeKind::Array(items) if items.is_empty() => self.no_campaigns(node, false),
                NodeKind::Array(items) => {
                    for item in items {
                        if let Some(NodeKind::String(id)) = item.get("id").map(|n| &n.kind) {
                            if let Some(first) = seen_ids.get(id.as_str()) {
                                let (line, _) = self.lines.line_col(first.start);
                                let span = item.get("id").map_or(item.span, |n| n.span);
                                self.error(span, format!("duplicate campaign id `{id}` (first defined on line {line}); campaign ids must be unique"));
                            } else {
                                seen_ids.insert(id, item.span);
                            }
                        }
                        if let Some((campaign, info)) = self.campaign(item, &site, &segments, &broken_segments) {
                            campaigns.push(campaign);
                            infos.push(info);
                        }
                    }
                }
                _ => self.error(node.span, "`campaign` must be an array of tables: write each campaign under `[[campaign]]`"),
            },
        }
        self.cross_campaign_checks(&campaigns, &infos);
        Some(Ruleset { site, segments: segments.into_iter().map(|(s, _)| s).collect(), saved_groups, campaigns })
    }

    /// A file without campaigns compiles to a ruleset that changes nothing. That is a warning,
    /// not an error: it is a valid way to switch all personalization off, and the worker then
    /// passes every page through. But it is more often a mistake (the wrong file, a failed
    /// export), so it is said plainly.
    fn no_campaigns(&mut self, at: &Node, file_is_empty: bool) {
        let add = match self.format {
            Format::Toml => "add one under `[[campaign]]`",
            Format::Json => "add them in a `\"campaign\"` array",
        };
        let message = if file_is_empty {
            format!("the rule file is empty: with no campaigns, the ruleset changes nothing; {add}")
        } else {
            format!("no campaigns: the ruleset changes nothing; {add}")
        };
        self.warn(at.span, message);
    }

    /// The `[site]` settings. A bad setting is reported and left at its default while every
    /// other setting is kept: dropping the whole section would make the campaigns fail on the
    /// attributes and redirect hosts it declares, errors that are not there.
    fn site(&mut self, node: Option<&Node>) -> Site {
        let mut site = Site {
            timezone: "UTC".to_string(),
            visitor_cookie: "tailor_id".to_string(),
            redirect_hosts: Vec::new(),
            custom_attributes: Vec::new(),
            consent: None,
            preview: crate::preview::PreviewMode::Open,
        };
        let Some(node) = node else { return site };
        let Some(entries) = self.table(node, "[site]") else { return site };
        self.check_keys(entries, SITE_KEYS, "[site]");
        if let Some(tz) = node.get("timezone") {
            match self.string(tz, "`timezone`") {
                Some(name) if zone::is_known_zone(&name) => site.timezone = name,
                Some(name) => {
                    let hint = match suggest(&name, chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "use an IANA name such as `Europe/Berlin` or `UTC`".to_string(),
                    };
                    self.error(tz.span, format!("unknown time zone `{name}`: {hint}"));
                }
                None => {}
            }
        }
        if let Some(cookie) = node.get("visitor_cookie") {
            match self.string(cookie, "`visitor_cookie`") {
                Some(name) if is_cookie_name(&name) => site.visitor_cookie = name,
                Some(name) => {
                    self.error(cookie.span, format!("`{name}` is not a valid cookie name: use letters, digits, `_` and `-`"));
                }
                None => {}
            }
        }
        if let Some(hosts) = node.get("redirect_hosts") {
            for (host, span) in self.strings(hosts, "`redirect_hosts`").unwrap_or_default() {
                if host.is_empty() || host.contains(['/', ':', ' ']) {
                    self.error(span, format!("`{host}` is not a host name: write only the host, like `shop.example.com`"));
                } else {
                    site.redirect_hosts.push(host.to_ascii_lowercase());
                }
            }
        }
        if let Some(attrs) = node.get("attributes") {
            for (name, span) in self.strings(attrs, "`attributes`").unwrap_or_default() {
                if ATTRIBUTES.contains(&name.as_str()) || ATTRIBUTE_PREFIXES.contains(&name.as_str()) {
                    self.error(span, format!("`{name}` is a built-in attribute; custom attributes need other names"));
                } else if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
                    self.error(span, format!("`{name}` is not a valid attribute name: use letters, digits, `_` and `.`"));
                } else {
                    site.custom_attributes.push(name);
                }
            }
        }
        if let Some(preview) = node.get("preview") {
            match self.string(preview, "`preview`").as_deref() {
                Some("open") => site.preview = crate::preview::PreviewMode::Open,
                Some("signed") => site.preview = crate::preview::PreviewMode::Signed,
                Some(other) => {
                    self.error(preview.span, format!("`preview` is `{other}`; use \"signed\" (links from `tailor preview-link`; recommended in production) or \"open\""));
                }
                None => {}
            }
        }
        if let Some(consent) = node.get("consent") {
            site.consent = self.consent(consent);
        }
        site
    }

    fn consent(&mut self, node: &Node) -> Option<Consent> {
        let entries = self.table(node, "`consent`")?;
        self.check_keys(entries, &["cookie", "value"], "`consent`");
        let (Some(cookie), Some(value)) = (node.get("cookie"), node.get("value")) else {
            self.error(node.span, "`consent` needs `cookie` and `value`, like `{ cookie = \"cookie_consent\", value = \"yes\" }`");
            return None;
        };
        let name = self.string(cookie, "`consent.cookie`")?;
        if !is_cookie_name(&name) {
            self.error(cookie.span, format!("`{name}` is not a valid cookie name"));
            return None;
        }
        Some(Consent { cookie: name, value: self.string(value, "`consent.value`")? })
    }

    fn groups(&mut self, node: Option<&Node>) -> Value {
        let mut groups = Vec::new();
        if let Some(node) = node {
            for entry in self.table(node, "[groups]").unwrap_or_default() {
                match &entry.value.kind {
                    // Stored under the object of all groups: one level less for the group itself.
                    NodeKind::Array(_) if deeper_than(&entry.value, MAX_VALUE_DEPTH - 1).is_some() => {
                        let span = deeper_than(&entry.value, MAX_VALUE_DEPTH - 1).unwrap_or(entry.value.span);
                        self.error(span, format!("group `{}` nests arrays and tables more than {MAX_VALUE_DEPTH} deep here, more than the engine reads", entry.key));
                    }
                    NodeKind::Array(items) => groups.push((entry.key.clone(), Value::Array(items.iter().map(to_value).collect()))),
                    _ => self.error(entry.value.span, format!("group `{}` must be an array of ids", entry.key)),
                }
            }
        }
        Value::Object(groups)
    }

    /// The compiled segments, and the names of those that failed (already
    /// reported: campaigns using them must not report them again as unknown).
    fn segments(&mut self, node: Option<&Node>, site: &Site) -> (Vec<(Segment, Span)>, Vec<String>) {
        let (mut segments, mut broken) = (Vec::new(), Vec::new());
        let Some(node) = node else { return (segments, broken) };
        for entry in self.table(node, "[segments]").unwrap_or_default() {
            match self.condition(&entry.value, &format!("segment `{}`", entry.key), site) {
                Some(condition) => segments.push((Segment { name: entry.key.clone(), condition }, entry.key_span)),
                None => broken.push(entry.key.clone()),
            }
        }
        (segments, broken)
    }

    /// Compiles a GrowthBook condition, checking attribute names, operators
    /// and regexes, each at its own position.
    fn condition(&mut self, node: &Node, what: &str, site: &Site) -> Option<Condition> {
        if !matches!(node.kind, NodeKind::Table(_)) {
            self.error(node.span, format!("{what} must be a condition table such as `{{ country = \"DE\" }}`, found {}", node.type_name()));
            return None;
        }
        if let Some(span) = nested_too_deep(node, 1) {
            self.error(span, format!(
                "{what} nests deeper than {MAX_CONDITION_DEPTH} levels here: each {} opens a level; flatten it (an `$and` inside an `$and` can be merged into it)",
                nesting_operators()
            ));
            return None;
        }
        if let Some(span) = deeper_than(node, MAX_VALUE_DEPTH) {
            self.error(span, format!(
                "{what} nests tables and arrays more than {MAX_VALUE_DEPTH} deep here, more than the engine reads (each level of `$and`, `$or` or `$nor` takes two: the array and the condition in it)"
            ));
            return None;
        }
        let source = to_value(node);
        let mut ok = true;
        // `lint` includes the error that makes `parse` fail, at its own position; one report.
        let mut reported = false;
        for issue in Condition::lint(&source) {
            let path = issue.path_segments();
            let span = locate(node, &path).unwrap_or(node.span);
            let message = match &issue {
                ConditionIssue::Invalid(ConditionError::NotAnArray { .. }) => {
                    let operator = path.last().map_or("$and", String::as_str);
                    let found = locate_node(node, &path).map_or("something else", Node::type_name);
                    format!("`{operator}` must be an array of conditions, like `\"{operator}\" = [{{ country = \"DE\" }}, {{ device = \"mobile\" }}]`, found {found}")
                }
                issue => issue.to_string(),
            };
            self.error(span, format!("in {what}: {message}"));
            reported |= matches!(issue, ConditionIssue::Invalid(_));
            ok = false;
        }
        let condition = match Condition::parse(&source) {
            Ok(condition) => condition,
            Err(err) => {
                if !reported {
                    self.error(node.span, format!("in {what}: {err}"));
                }
                return None;
            }
        };
        for path in condition.attribute_paths() {
            if let Some(problem) = attribute_problem(&path, site) {
                let span = find_key(node, &path).unwrap_or(node.span);
                self.error(span, format!("in {what}: {problem}"));
                ok = false;
            }
        }
        ok.then_some(condition)
    }

    fn template(&mut self, node: &Node, what: &str, site: &Site) -> Option<Template> {
        let text = self.string(node, what)?;
        match Template::parse(&text) {
            Ok(t) => {
                let mut ok = true;
                for token in t.tokens() {
                    if let Some(problem) = attribute_problem(token, site) {
                        self.error(node.span, format!("in {what}: `{{{{{token}}}}}`: {problem}"));
                        ok = false;
                    }
                }
                ok.then_some(t)
            }
            Err(err) => {
                self.error(node.span, format!("in {what}: {err}"));
                None
            }
        }
    }

    fn campaign(&mut self, node: &Node, site: &Site, segments: &[(Segment, Span)], broken_segments: &[String]) -> Option<(Campaign, CampaignInfo)> {
        let entries = self.table(node, "a campaign")?;
        self.check_keys(entries, CAMPAIGN_KEYS, "a campaign");
        let id = match node.get("id") {
            Some(n) => {
                let id = self.string(n, "campaign `id`")?;
                if let Some(problem) = id_problem("campaign", &id) {
                    self.error(n.span, problem);
                }
                id
            }
            None => {
                self.error(node.span, "campaign has no `id`: add `id = \"some-name\"`");
                return None;
            }
        };
        let what = format!("campaign `{id}`");
        let mut ok = true;
        if let Some(enabled) = node.get("enabled") {
            match enabled.kind {
                NodeKind::Bool(false) => return None,
                NodeKind::Bool(true) => {}
                _ => self.error(enabled.span, "`enabled` must be true or false"),
            }
        }

        let globs = |c: &mut Self, key: &str| -> Vec<Glob> {
            let Some(n) = node.get(key) else { return Vec::new() };
            c.strings(n, &format!("`{key}`"))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(p, span)| {
                    if p.starts_with('/') || p.starts_with('*') {
                        Some(Glob::new(p))
                    } else {
                        c.error(span, format!("page pattern `{p}` must start with `/` (a path such as `/shop/*`)"));
                        None
                    }
                })
                .collect()
        };
        let pages = globs(self, "pages");
        let exclude_pages = globs(self, "exclude_pages");

        let mut audience = Vec::new();
        if let Some(n) = node.get("audience") {
            for (name, span) in self.strings(n, "`audience`").unwrap_or_default() {
                match segments.iter().position(|(s, _)| s.name == name) {
                    Some(i) => audience.push(i as u32),
                    None if broken_segments.contains(&name) => ok = false,
                    None => {
                        let hint = match suggest(&name, segments.iter().map(|(s, _)| s.name.as_str())) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "define it under `[segments]`".to_string(),
                        };
                        self.error(span, format!("unknown segment `{name}` in {what}: {hint}"));
                        ok = false;
                    }
                }
            }
        }
        let when = node.get("when").and_then(|n| {
            let t = self.condition(n, &format!("`when` of {what}"), site);
            ok &= t.is_some();
            t
        });
        let priority = match node.get("priority") {
            None => 0,
            Some(n) => match n.kind {
                NodeKind::Integer(p) => i32::try_from(p).unwrap_or_else(|_| {
                    self.error(n.span, format!("`priority` is {p}, outside the range of priorities: use a whole number from {PRIORITY_RANGE} (higher wins)"));
                    0
                }),
                NodeKind::Float(f) => {
                    let finite = if f.is_finite() { "" } else { "finite " };
                    self.error(n.span, format!("`priority` is {}: it must be a {finite}whole number from {PRIORITY_RANGE} (higher wins)", show_float(f)));
                    0
                }
                _ => {
                    self.error(n.span, format!("`priority` must be a whole number from {PRIORITY_RANGE} (higher wins), found {}", n.type_name()));
                    0
                }
            },
        };
        let group = node.get("group").and_then(|n| self.string(n, "`group`"));
        let schedule = self.schedule(node, site, &what).unwrap_or_else(|| {
            ok = false;
            Schedule::default()
        });
        let coverage = match node.get("coverage") {
            None => 1.0,
            Some(n) => match self.number(n, "`coverage`") {
                Some(c) if (0.0..=1.0).contains(&c) => c,
                Some(c) => {
                    self.error(n.span, format!("`coverage` is {c}; it is the share of the audience in the test, from 0 to 1"));
                    1.0
                }
                None => 1.0,
            },
        };
        let seed = Seed::new(node.get("seed").and_then(|n| self.string(n, "`seed`")).unwrap_or_else(|| id.clone()));

        let mut selectors = Vec::new();
        let variants = self.variants(node, &what, site, &mut selectors);
        let kind = match &variants {
            Some(v) if v.len() == 1 && node.get("variant").is_some_and(|n| !has_weights(n)) => CampaignKind::Personalization,
            _ => CampaignKind::Experiment,
        };
        if kind == CampaignKind::Personalization && (node.get("coverage").is_some() || node.get("seed").is_some()) {
            let span = node.get("coverage").or_else(|| node.get("seed")).map_or(node.span, |n| n.span);
            self.warn(span, format!("{what} has one variant and no weights, so it is not an A/B test: `coverage` and `seed` have no effect; give the variant a `weight` to make it one"));
        }
        if kind == CampaignKind::Experiment && coverage == 0.0 {
            self.warn(node.get("coverage").map_or(node.span, |n| n.span), format!("{what} has coverage 0: no visitor will ever enter it"));
        }
        if let Some(end) = schedule.end.filter(|&end| end < self.now) {
            self.warn(node.get("end").map_or(node.span, |n| n.span), format!("{what} ended at {}: it can never run", crate::decide::format_epoch(end)));
        }
        if matches!(schedule.hours, Some((from, to)) if from == to) {
            self.warn(node.get("hours").map_or(node.span, |n| n.span), format!("{what} has an empty `hours` window: it can never run"));
        }
        let variants = variants?;
        if !ok {
            return None;
        }
        Some((
            Campaign { id, pages, exclude_pages, audience, when, priority, group, schedule, coverage, seed, kind, variants },
            CampaignInfo { span: node.span, selectors },
        ))
    }

    fn schedule(&mut self, node: &Node, site: &Site, what: &str) -> Option<Schedule> {
        let mut schedule = Schedule::default();
        let mut ok = true;
        let zone = site.timezone.clone();
        let mut instant = |c: &mut Self, key: &str| -> Option<i64> {
            let n = node.get(key)?;
            let text = match &n.kind {
                NodeKind::String(s) | NodeKind::Datetime(s) => s.clone(),
                _ => {
                    c.error(n.span, format!("`{key}` must be a date and time such as 2026-12-01T00:00:00+01:00"));
                    ok = false;
                    return None;
                }
            };
            match parse_rfc3339(&text) {
                Ok((epoch, _)) => Some(epoch),
                // Without an offset the time is read on the site's wall clock.
                Err(_) => match zone::local_to_epoch(&text, &zone) {
                    Some(epoch) => Some(epoch),
                    None => {
                        c.error(n.span, format!("`{key}` = `{text}` is not a date and time: write it like 2026-12-01T00:00:00+01:00 (or without offset, in the site's time zone)"));
                        ok = false;
                        None
                    }
                },
            }
        };
        schedule.start = instant(self, "start");
        schedule.end = instant(self, "end");
        if let (Some(start), Some(end)) = (schedule.start, schedule.end) {
            if end < start {
                let span = node.get("end").map_or(node.span, |n| n.span);
                self.error(span, format!("`end` is before `start` in {what}: swap them or fix the dates"));
                ok = false;
            }
        }
        if let Some(n) = node.get("hours") {
            let text = self.string(n, "`hours`")?;
            match text.split_once('-').and_then(|(a, b)| Some((parse_clock(a)?, parse_clock(b)?))) {
                Some((from, to)) => schedule.hours = Some((from, if to == 1440 { 1440 } else { to })),
                None => {
                    self.error(n.span, "`hours` must look like \"08:00-20:00\" (24-hour clock, site time zone; \"22:00-02:00\" wraps midnight)");
                    ok = false;
                }
            }
        }
        if let Some(n) = node.get("days") {
            if matches!(&n.kind, NodeKind::Array(days) if days.is_empty()) {
                self.error(n.span, format!("`days = []` lists no day, so {what} would never run: list the days it runs, like `[\"mon\", \"fri\"]`, or remove `days` to run every day"));
                ok = false;
            }
            for (day, span) in self.strings(n, "`days`").unwrap_or_default() {
                let day_lower = day.to_ascii_lowercase();
                let bits = match day_lower.as_str() {
                    "weekdays" => 0b0011111,
                    "weekend" => 0b1100000,
                    d => match DAY_NAMES.iter().position(|name| *name == d || FULL_DAY_NAMES.iter().any(|full| full.starts_with(name) && *full == d)) {
                        Some(i) => 1 << i,
                        None => {
                            self.error(span, format!("`{day}` is not a day: use mon, tue, wed, thu, fri, sat, sun, weekdays or weekend"));
                            ok = false;
                            0
                        }
                    },
                };
                schedule.days |= bits;
            }
        }
        ok.then_some(schedule)
    }

    fn variants(&mut self, node: &Node, what: &str, site: &Site, selectors: &mut Vec<(String, Span)>) -> Option<Vec<Variant>> {
        let Some(list) = node.get("variant") else {
            self.error(node.span, format!("{what} has no variants: add at least one `[[campaign.variant]]`"));
            return None;
        };
        let NodeKind::Array(items) = &list.kind else {
            self.error(list.span, "`variant` must be an array of tables: write each under `[[campaign.variant]]`");
            return None;
        };
        if items.is_empty() {
            self.error(list.span, format!("{what} has no variants: add at least one `[[campaign.variant]]`"));
            return None;
        }
        let weighted = has_weights(list);
        let mut variants = Vec::new();
        let mut ok = true;
        for item in items {
            let Some(entries) = self.table(item, "a variant") else {
                ok = false;
                continue;
            };
            self.check_keys(entries, VARIANT_KEYS, "a variant");
            let id = match item.get("id").map(|n| (self.string(n, "variant `id`"), n.span)) {
                Some((Some(id), span)) => {
                    if let Some(problem) = id_problem("variant", &id) {
                        self.error(span, problem);
                        ok = false;
                    } else if variants.iter().any(|v: &Variant| v.id == id) {
                        self.error(span, format!("duplicate variant id `{id}` in {what}"));
                        ok = false;
                    }
                    id
                }
                Some((None, _)) => {
                    ok = false;
                    continue;
                }
                None => {
                    self.error(item.span, format!("a variant of {what} has no `id`: add `id = \"control\"` or similar"));
                    ok = false;
                    continue;
                }
            };
            let weight = match item.get("weight") {
                Some(n) => match self.number(n, "`weight`") {
                    Some(w) if w > 0.0 => w,
                    Some(w) => {
                        self.error(n.span, format!("weight of variant `{id}` is {w}; weights must be positive (drop the variant to give it no traffic)"));
                        ok = false;
                        0.0
                    }
                    None => {
                        ok = false;
                        0.0
                    }
                },
                None if weighted => {
                    self.error(item.span, format!("variant `{id}` has no `weight` while others in {what} do: give every variant a weight"));
                    ok = false;
                    0.0
                }
                None => 1.0,
            };
            let redirect = item.get("redirect").and_then(|n| {
                let t = self.template(n, "`redirect`", site)?;
                if let Some(literal) = t.as_literal() {
                    if let Some(problem) = redirect_problem(&literal, site) {
                        self.error(n.span, problem);
                        return None;
                    }
                }
                Some(t)
            });
            let mut changes = Vec::new();
            if let Some(n) = item.get("changes") {
                match &n.kind {
                    NodeKind::Array(list) => {
                        for change in list {
                            match self.change(change, site) {
                                Some(mut parsed) => {
                                    if let Some(first) = parsed.first() {
                                        let span = change.get("select").map_or(change.span, |s| s.span);
                                        selectors.push((first.selector.clone(), span));
                                    }
                                    changes.append(&mut parsed);
                                }
                                None => ok = false,
                            }
                        }
                    }
                    _ => {
                        self.error(n.span, "`changes` must be an array of tables like `{ select = \"h1\", text = \"Hi\" }`");
                        ok = false;
                    }
                }
            }
            variants.push(Variant { id, weight, changes, redirect });
        }
        if !ok {
            return None;
        }
        let total: f64 = variants.iter().map(|v| v.weight).sum();
        for v in &mut variants {
            v.weight /= total;
        }
        Some(variants)
    }

    /// One change entry: a selector and one or more actions on it.
    fn change(&mut self, node: &Node, site: &Site) -> Option<Vec<Change>> {
        let entries = self.table(node, "a change")?;
        self.check_keys(entries, CHANGE_KEYS, "a change");
        let Some(select) = node.get("select") else {
            self.error(node.span, "change has no `select`: name the element with a CSS selector, e.g. `select = \"#hero h1\"`");
            return None;
        };
        let selector = self.string(select, "`select`")?;
        if let Err(problem) = check_selector(&selector) {
            self.error(select.span, format!("selector `{selector}` cannot be used: {problem}"));
            return None;
        }
        let mut changes = Vec::new();
        let mut ok = true;
        for entry in entries.iter().filter(|e| e.key != "select" && CHANGE_KEYS.contains(&e.key.as_str())) {
            let n = &entry.value;
            let action = match entry.key.as_str() {
                "text" => self.template(n, "`text`", site).map(Action::Text),
                "html" => self.string(n, "`html`").map(Action::Html),
                "before" => self.string(n, "`before`").map(Action::Before),
                "after" => self.string(n, "`after`").map(Action::After),
                "prepend" => self.string(n, "`prepend`").map(Action::Prepend),
                "append" => self.string(n, "`append`").map(Action::Append),
                "replace" => self.string(n, "`replace`").map(Action::Replace),
                "remove" => match n.kind {
                    NodeKind::Bool(true) => Some(Action::Remove),
                    NodeKind::Bool(false) => continue,
                    _ => {
                        self.error(n.span, "`remove` must be `true`");
                        None
                    }
                },
                "remove_attr" => self.names(n, "`remove_attr`", is_attribute_name).map(Action::RemoveAttr),
                "add_class" => self.classes(n, "`add_class`").map(Action::AddClass),
                "remove_class" => self.classes(n, "`remove_class`").map(Action::RemoveClass),
                "attr" => self.attributes(n, site).map(Action::SetAttr),
                _ => continue,
            };
            match action {
                Some(action) => changes.push(Change { selector: selector.clone(), action }),
                None => ok = false,
            }
        }
        if ok && changes.is_empty() {
            self.error(node.span, format!("change of `{selector}` does nothing: add an action such as `text`, `html`, `attr`, `add_class` or `remove = true`"));
            return None;
        }
        ok.then_some(changes)
    }

    fn names(&mut self, node: &Node, what: &str, valid: fn(&str) -> bool) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for (name, span) in self.strings(node, what)? {
            if !valid(&name) {
                self.error(span, format!("`{name}` is not a valid name in {what}"));
                return None;
            }
            out.push(name);
        }
        Some(out)
    }

    fn classes(&mut self, node: &Node, what: &str) -> Option<Vec<String>> {
        let list = self.strings(node, what)?;
        Some(list.iter().flat_map(|(s, _)| s.split_ascii_whitespace().map(str::to_string)).collect())
    }

    fn attributes(&mut self, node: &Node, site: &Site) -> Option<Vec<(String, Template)>> {
        let entries = self.table(node, "`attr`")?;
        let mut pairs = Vec::new();
        let mut ok = true;
        for entry in entries {
            let name = entry.key.to_ascii_lowercase();
            if !is_attribute_name(&name) {
                self.error(entry.key_span, format!("`{}` is not a valid attribute name", entry.key));
                ok = false;
                continue;
            }
            if name == "srcdoc" {
                self.error(entry.key_span, "`srcdoc` would let text become a whole document; use `html` on the element instead");
                ok = false;
                continue;
            }
            if name.starts_with("on") {
                self.error(entry.key_span, format!("`{name}` is an event handler attribute; rules may not add script"));
                ok = false;
                continue;
            }
            let Some(value) = self.template(&entry.value, &format!("`attr.{name}`"), site) else {
                ok = false;
                continue;
            };
            if html::is_url_attribute(&name) {
                if let Some(literal) = value.as_literal() {
                    if html::is_dangerous_url(&literal) {
                        self.error(entry.value.span, format!("`{name}` may not use a `javascript:`, `data:` or `vbscript:` URL"));
                        ok = false;
                        continue;
                    }
                }
            }
            pairs.push((name, value));
        }
        if pairs.is_empty() && ok {
            self.error(node.span, "`attr` sets no attribute");
            return None;
        }
        ok.then_some(pairs)
    }

    /// Warnings that need several campaigns at once (see [`conflicts`]).
    fn cross_campaign_checks(&mut self, campaigns: &[Campaign], infos: &[CampaignInfo]) {
        let mut warnings = conflicts::selector_conflicts(campaigns, infos);
        warnings.extend(conflicts::hidden_by_group(campaigns, infos));
        for (span, message) in warnings {
            self.warn(span, message);
        }
    }
}

fn has_weights(variant_list: &Node) -> bool {
    matches!(&variant_list.kind, NodeKind::Array(items) if items.iter().any(|v| v.get("weight").is_some()))
}

/// Why an attribute path does not exist, or `None` if it does.
fn attribute_problem(path: &str, site: &Site) -> Option<String> {
    if ATTRIBUTE_PREFIXES.contains(&path) {
        // `cookie.tier = "gold"` unquoted in TOML is a nested table: it would
        // compare the whole cookie jar.
        return Some(format!("`{path}` alone is every {path} at once; name one in quotes, like `\"{path}.NAME\" = …`"));
    }
    let root = path.split('.').next().unwrap_or(path);
    if ATTRIBUTES.contains(&path) || ATTRIBUTE_PREFIXES.contains(&root) {
        return None;
    }
    if site.custom_attributes.iter().any(|a| a == path || path.starts_with(&format!("{a}."))) {
        return None;
    }
    let candidates = ATTRIBUTES.iter().copied().chain(site.custom_attributes.iter().map(String::as_str));
    Some(match suggest(path, candidates) {
        Some(s) => format!("unknown attribute `{path}`; did you mean `{s}`?"),
        None => format!(
            "unknown attribute `{path}`; use a built-in one ({}), `cookie.NAME`, `query.NAME`, `header.NAME`, or declare it in `[site] attributes`",
            ATTRIBUTES.join(", ")
        ),
    })
}

fn redirect_problem(target: &str, site: &Site) -> Option<String> {
    if html::is_dangerous_url(target) {
        return Some("`redirect` may not use a `javascript:` or `data:` URL".to_string());
    }
    if target.starts_with("//") {
        return Some("`redirect` must be a path like `/de/` or an absolute https URL, not protocol-relative".to_string());
    }
    if target.starts_with('/') {
        return None;
    }
    let Some(rest) = target.strip_prefix("https://").or_else(|| target.strip_prefix("http://")) else {
        return Some(format!("`redirect` = `{target}` must be a path starting with `/` or an absolute http(s) URL"));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("").rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("").to_ascii_lowercase();
    let allowed = site.redirect_hosts.contains(&host);
    (!allowed).then(|| format!("`redirect` goes to host `{host}`, which is not in `[site] redirect_hosts`; add it there to allow it"))
}

/// Checks a selector with the same parser the edge uses, and rejects what the
/// streaming rewriter cannot match (lol_html supports a subset of CSS).
fn check_selector(selector: &str) -> Result<(), String> {
    if selector.trim().is_empty() {
        return Err("it is empty".to_string());
    }
    selector.parse::<lol_html::Selector>().map(|_| ()).map_err(|e| match e {
        // lol_html says "empty" for a list entry with no element in it, whatever the cause.
        lol_html::errors::SelectorError::EmptySelector => empty_selector_problem(selector),
        e => format!("{e} (supported: type, #id, .class, attribute selectors, descendant and child combinators, :nth-child, :first-child, :nth-of-type, :first-of-type, :not, comma lists)"),
    })
}

/// What is really wrong when lol_html calls a non-blank selector empty: a list entry without
/// an element, because of a stray comma, a combinator with nothing before it, or an empty `#`
/// or `:not()`.
fn empty_selector_problem(selector: &str) -> String {
    let parts = split_selector_list(selector);
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        let part = part.trim();
        if part.is_empty() {
            return match i {
                0 => "it starts with a comma: remove it".to_string(),
                i if i == last => "it ends with a comma: remove it, or add the selector that should follow".to_string(),
                _ => "it has two commas in a row: remove one".to_string(),
            };
        }
        if let Some(combinator) = part.chars().next().filter(|c| matches!(c, '>' | '+' | '~')) {
            let rest = part[1..].trim();
            return if rest.is_empty() {
                format!("`{combinator}` alone selects nothing: it joins two selectors, like `ul {combinator} li`")
            } else {
                format!("it starts with `{combinator}`, which needs an element before it, like `ul {combinator} {rest}`; to match every `{rest}`, write just `{rest}`")
            };
        }
        if part.contains(":not()") {
            return "`:not()` is empty: put a selector inside, like `p:not(.legal)`".to_string();
        }
        if part.split([' ', '>', '+', '~', ',']).any(|compound| compound.ends_with('#')) {
            return "`#` needs an id after it, like `#hero`".to_string();
        }
    }
    "it selects no element: write an element name, #id, .class or [attribute]".to_string()
}

/// The entries of a selector list: split at commas outside brackets, parentheses and quotes.
fn split_selector_list(selector: &str) -> Vec<&str> {
    let (mut parts, mut start, mut depth, mut quote) = (Vec::new(), 0, 0usize, None);
    for (i, c) in selector.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                parts.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&selector[start..]);
    parts
}

/// Why a campaign or variant id (`kind`) cannot be used, or `None`. Both
/// travel in preview links (`?tailor=campaign:variant,...`), cookies and
/// analytics events, so they keep to a small, URL-safe character set.
fn id_problem(kind: &str, id: &str) -> Option<String> {
    let length = id.chars().count();
    let example = if kind == "campaign" { "winter-sale" } else { "control" };
    if id.is_empty() {
        Some(format!("{kind} id is empty: use letters, digits, `-` and `_`, like `{example}`"))
    } else if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Some(format!("{kind} id `{id}` may only use letters, digits, `-` and `_`"))
    } else if length > MAX_ID_LENGTH {
        let start: String = id.chars().take(20).collect();
        Some(format!("{kind} id `{start}…` is {length} characters long; {kind} ids may have at most {MAX_ID_LENGTH}"))
    } else {
        None
    }
}

/// A float as TOML writes it (`nan`, `inf`, `1.5`, `2.0`), so the message shows what the author
/// wrote.
fn show_float(f: f64) -> String {
    if f.is_nan() {
        "nan".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{f:?}")
    }
}

fn is_cookie_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_attribute_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

/// "`$and`, `$or`, `$nor`, `$not` or `$elemMatch`", for messages.
fn nesting_operators() -> String {
    let quoted: Vec<String> = NESTING_OPERATORS.iter().map(|o| format!("`{o}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The key of the first nesting operator that would put a condition deeper than
/// [`MAX_CONDITION_DEPTH`], when `node` is at condition level `level`.
fn nested_too_deep(node: &Node, level: usize) -> Option<Span> {
    match &node.kind {
        NodeKind::Table(entries) => entries.iter().find_map(|e| {
            if !NESTING_OPERATORS.contains(&e.key.as_str()) {
                return nested_too_deep(&e.value, level);
            }
            let nests = match &e.value.kind {
                NodeKind::Array(items) => items.iter().any(|i| matches!(i.kind, NodeKind::Table(_))),
                NodeKind::Table(_) => true,
                _ => false,
            };
            if nests && level >= MAX_CONDITION_DEPTH {
                return Some(e.key_span);
            }
            nested_too_deep(&e.value, level + 1)
        }),
        NodeKind::Array(items) => items.iter().find_map(|i| nested_too_deep(i, level)),
        _ => None,
    }
}

/// Where tables and arrays nest more than `limit` deep (the node itself counting one), if they
/// do: the key (or array element) that goes over.
fn deeper_than(node: &Node, limit: usize) -> Option<Span> {
    fn walk(node: &Node, span: Span, containers_above: usize, limit: usize) -> Option<Span> {
        let children: Vec<(&Node, Span)> = match &node.kind {
            NodeKind::Array(items) => items.iter().map(|i| (i, i.span)).collect(),
            NodeKind::Table(entries) => entries.iter().map(|e| (&e.value, e.key_span)).collect(),
            _ => return None,
        };
        if containers_above + 1 > limit {
            return Some(span);
        }
        children.into_iter().find_map(|(child, span)| walk(child, span, containers_above + 1, limit))
    }
    walk(node, node.span, 0, limit)
}

/// The rule file's value as a JSON value for the condition engine.
pub fn to_value(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Integer(i) => Value::Number(*i as f64),
        NodeKind::Float(f) => Value::Number(*f),
        NodeKind::String(s) | NodeKind::Datetime(s) => Value::String(s.clone()),
        NodeKind::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        NodeKind::Table(entries) => Value::Object(entries.iter().map(|e| (e.key.clone(), to_value(&e.value))).collect()),
    }
}

/// The node at a path of keys and array indices.
fn locate_node<'n>(node: &'n Node, path: &[String]) -> Option<&'n Node> {
    path.iter().try_fold(node, |current, part| match &current.kind {
        NodeKind::Table(_) => current.get(part),
        NodeKind::Array(items) => items.get(part.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Follows a path of keys and array indices into the node tree.
fn locate(node: &Node, path: &[String]) -> Option<Span> {
    let mut current = node;
    let mut span = node.span;
    for part in path {
        match &current.kind {
            NodeKind::Table(_) => {
                let entry = current.entry(part)?;
                span = entry.key_span;
                current = &entry.value;
            }
            NodeKind::Array(items) => {
                current = items.get(part.parse::<usize>().ok()?)?;
                span = current.span;
            }
            _ => return Some(span),
        }
    }
    Some(span)
}

/// The span of the first key named `key` anywhere in the tree.
fn find_key(node: &Node, key: &str) -> Option<Span> {
    match &node.kind {
        NodeKind::Table(entries) => entries.iter().find_map(|e| if e.key == key { Some(e.key_span) } else { find_key(&e.value, key) }),
        NodeKind::Array(items) => items.iter().find_map(|i| find_key(i, key)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The campaigns of a rule source that compile, with the facts the cross-campaign checks use.
    pub(super) fn campaigns(source: &str, format: Format) -> (Vec<Campaign>, Vec<CampaignInfo>) {
        let root = source::parse(source, format).expect("the test source parses");
        let mut c = Compiler { file: "test", format, lines: LineIndex::new(source), diagnostics: Vec::new(), now: 0 };
        let site = c.site(root.get("site"));
        let (segments, broken) = c.segments(root.get("segments"), &site);
        let mut out = (Vec::new(), Vec::new());
        if let Some(NodeKind::Array(items)) = root.get("campaign").map(|n| &n.kind) {
            for item in items {
                if let Some((campaign, info)) = c.campaign(item, &site, &segments, &broken) {
                    out.0.push(campaign);
                    out.1.push(info);
                }
            }
        }
        out
    }

    fn diagnostics(source: &str, format: Format) -> Vec<String> {
        compile(source, "t", format, 0).diagnostics.iter().map(ToString::to_string).collect()
    }

    /// A segment `deep` of `levels` nested `$and`s around `leaf`, used by a campaign, in JSON.
    fn nested_and(levels: usize, leaf: &str) -> String {
        let condition = format!("{}{leaf}{}", "{\"$and\": [".repeat(levels - 1), "]}".repeat(levels - 1));
        format!("{{\"segments\": {{\"deep\": {condition}}}, \"campaign\": [{{\"id\": \"c\", \"audience\": [\"deep\"], \"variant\": [{{\"id\": \"a\", \"changes\": [{{\"select\": \"h1\", \"text\": \"x\"}}]}}]}}]}}")
    }

    #[test]
    fn conditions_nest_32_levels_of_operators_not_of_tables() {
        assert_eq!(diagnostics(&nested_and(32, r#"{"country": "DE"}"#), Format::Json), Vec::<String>::new());
        let d = diagnostics(&nested_and(33, r#"{"country": "DE"}"#), Format::Json);
        assert_eq!(d.len(), 1, "{d:?}");
        // The `$and` of level 32, whose conditions would be level 33: the first `$and` key is at
        // column 24, and each level adds 10 characters.
        assert!(d[0].starts_with("t:1:334: error: segment `deep` nests deeper than 32 levels here"), "{d:?}");
        // `$not` and `$elemMatch` count too; operator objects and plain values do not.
        let nots = format!("{}{{\"country\": \"DE\"}}{}", "{\"$not\": ".repeat(31), "}".repeat(31));
        assert_eq!(diagnostics(&nested_and(1, &nots), Format::Json), Vec::<String>::new());
        let nots = format!("{}{{\"country\": \"DE\"}}{}", "{\"$not\": ".repeat(32), "}".repeat(32));
        assert_eq!(diagnostics(&nested_and(1, &nots), Format::Json).len(), 1);
        let d = diagnostics(&nested_and(1, r#"{"interests": {"$elemMatch": {"$eq": "ski"}}, "user": {"a": {"b": [[1]]}}}"#), Format::Json);
        assert!(d.iter().all(|d| !d.contains("levels")), "{d:?}");
    }

    /// The compiler's limits must keep every ruleset it accepts decodable by src/codec.rs.
    #[test]
    fn the_deepest_accepted_condition_decodes() {
        // 32 levels of `$and` take 63 tables and arrays; an operator object makes 64.
        let deepest = nested_and(32, r#"{"local_hour": {"$gte": 18}}"#);
        let compiled = compile(&deepest, "t.json", Format::Json, 0);
        let ruleset = compiled.ruleset.expect("the deepest condition compiles");
        assert!(crate::codec::decode(&crate::codec::encode(&ruleset)).is_ok(), "and decodes");
        let too_deep = diagnostics(&nested_and(32, r#"{"country": {"$in": ["DE"]}}"#), Format::Json);
        assert_eq!(too_deep.len(), 1, "{too_deep:?}");
        assert!(too_deep[0].contains("nests tables and arrays more than 64 deep here"), "{too_deep:?}");
        // Plain values count the same; saved groups sit one level down.
        let value = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let rules = |segment: &str, group: &str| format!(
            "{{\"segments\": {{\"s\": {{\"x\": {segment}}}}}, \"groups\": {{\"g\": {group}}}, \"site\": {{\"attributes\": [\"x\"]}}, \"campaign\": [{{\"id\": \"c\", \"audience\": [\"s\"], \"variant\": [{{\"id\": \"a\", \"changes\": [{{\"select\": \"h1\", \"text\": \"x\"}}]}}]}}]}}"
        );
        let ruleset = compile(&rules(&value(63), &value(63)), "t.json", Format::Json, 0).ruleset.expect("63 levels compile");
        assert!(crate::codec::decode(&crate::codec::encode(&ruleset)).is_ok());
        assert_eq!(diagnostics(&rules(&value(64), &value(63)), Format::Json).len(), 1);
        assert_eq!(diagnostics(&rules(&value(63), &value(64)), Format::Json).len(), 1);
    }

    #[test]
    fn messages_say_what_is_wrong() {
        let campaign = |extra: &str| format!("[[campaign]]\nid = \"a\"\n{extra}\n[[campaign.variant]]\nid = \"v\"\nchanges = [{{ select = \"h1\", text = \"x\" }}]\n");
        for (line, message) in [
            ("priority = 3000000000", "t:3:12: error: `priority` is 3000000000, outside the range of priorities: use a whole number from -2147483648 to 2147483647 (higher wins)"),
            ("priority = nan", "t:3:12: error: `priority` is nan: it must be a finite whole number from -2147483648 to 2147483647 (higher wins)"),
            ("priority = -inf", "t:3:12: error: `priority` is -inf: it must be a finite whole number from -2147483648 to 2147483647 (higher wins)"),
            ("priority = 2.0", "t:3:12: error: `priority` is 2.0: it must be a whole number from -2147483648 to 2147483647 (higher wins)"),
            ("priority = \"high\"", "t:3:12: error: `priority` must be a whole number from -2147483648 to 2147483647 (higher wins), found string"),
            ("coverage = nan", "t:3:12: error: `coverage` must be a finite number, found nan"),
            ("when = { \"$or\" = { country = \"DE\" } }", "t:3:10: error: in `when` of campaign `a`: `$or` must be an array of conditions, like `\"$or\" = [{ country = \"DE\" }, { device = \"mobile\" }]`, found table"),
        ] {
            let errors: Vec<String> = diagnostics(&campaign(line), Format::Toml).into_iter().filter(|d| d.contains(": error: ")).collect();
            assert_eq!(errors, [message], "{line}");
        }
        let long = "x".repeat(65);
        let d = diagnostics(&campaign("").replace("id = \"a\"", &format!("id = \"{long}\"")), Format::Toml);
        assert_eq!(d, ["t:2:6: error: campaign id `xxxxxxxxxxxxxxxxxxxx…` is 65 characters long; campaign ids may have at most 64"]);
        assert!(diagnostics(&campaign("").replace("id = \"a\"", &format!("id = \"{}\"", "x".repeat(64))), Format::Toml).is_empty());
    }

    #[test]
    fn empty_selectors_say_why() {
        for (selector, problem) in [
            ("> p", "it starts with `>`, which needs an element before it, like `ul > p`; to match every `p`, write just `p`"),
            ("  ~ .note", "it starts with `~`, which needs an element before it, like `ul ~ .note`; to match every `.note`, write just `.note`"),
            (">", "`>` alone selects nothing: it joins two selectors, like `ul > li`"),
            ("p,", "it ends with a comma: remove it, or add the selector that should follow"),
            (", p", "it starts with a comma: remove it"),
            ("h1, , h2", "it has two commas in a row: remove one"),
            ("h1, > p", "it starts with `>`, which needs an element before it, like `ul > p`; to match every `p`, write just `p`"),
            ("p:not()", "`:not()` is empty: put a selector inside, like `p:not(.legal)`"),
            ("#", "`#` needs an id after it, like `#hero`"),
        ] {
            assert_eq!(check_selector(selector), Err(problem.to_string()), "{selector:?}");
        }
        assert_eq!(split_selector_list("a[title=\"x,y\"], b:not(.c, .d)"), ["a[title=\"x,y\"]", " b:not(.c, .d)"]);
        assert!(check_selector("#hero > h1, [data-x=\",\"]").is_ok());
    }

    #[test]
    fn a_file_that_is_not_utf8_is_a_rule_error_at_the_first_bad_byte() {
        let compiled = compile_bytes(b"[site]\ntimezone = \"UTC\"\n# Gr\xfc\xdfe\n", "t.toml", Format::Toml, 0);
        assert!(compiled.ruleset.is_none());
        let d: Vec<String> = compiled.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(d, ["t.toml:3:5: error: the file is not UTF-8 text: byte 0xFC here is `ü` in Latin-1 / Windows-1252, not UTF-8; save the file as UTF-8"]);
        let d = compile_bytes(b"\xef\xbb\xbfa = \"\xe2\x82", "t.toml", Format::Toml, 0).diagnostics;
        assert_eq!((d[0].line, d[0].column), (1, 6));
        assert!(d[0].message.contains("ends in the middle of a character"), "{}", d[0].message);
        let d = compile_bytes(b"\xff\xfe{\0}\0", "t.json", Format::Json, 0).diagnostics;
        assert_eq!((d[0].line, d[0].column, d[0].message.as_str()), (1, 1, "the file is saved as UTF-16: save it as UTF-8"));
        assert_eq!(compile_bytes(b"{}", "t.json", Format::Json, 0).diagnostics, compile("{}", "t.json", Format::Json, 0).diagnostics);
    }
}
