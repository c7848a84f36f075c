//! The compiled ruleset: what the engine decides with.
//!
//! Everything here is already validated and resolved by the compiler: segment
//! names are indices, times are epoch seconds, weights are normalized, selectors
//! parse. The engine (edge, browser) never sees rule source; it decodes this
//! structure from the compact binary form in [`crate::codec`] and trusts it.

use crate::condition::{Condition, SavedGroups};
use crate::glob::Glob;
use crate::template::Template;

/// Everything the engine needs for one site.
#[derive(Debug, Clone)]
pub struct Ruleset {
    pub site: Site,
    pub segments: Vec<Segment>,
    /// GrowthBook saved groups (`$inGroup`), compiled.
    pub saved_groups: SavedGroups,
    /// In source order; the decision walks them by descending priority,
    /// source order breaking ties.
    pub campaigns: Vec<Campaign>,
}

#[derive(Debug, Clone)]
pub struct Site {
    /// IANA name; schedules (`hours`, `days`) are evaluated in this zone.
    pub timezone: String,
    /// The cookie holding the visitor id used for A/B bucketing.
    pub visitor_cookie: String,
    /// Hosts that `redirect` may point to besides the page's own.
    pub redirect_hosts: Vec<String>,
    /// Attribute names set by the page through `tailor.setAttributes`, declared
    /// so that rules using them still get checked for typos.
    pub custom_attributes: Vec<String>,
    /// Identifiers need consent: until the visitor's consent cookie says so
    /// (and never with `Sec-GPC: 1`), no visitor id is read or stored and A/B
    /// tests show their control.
    pub consent: Option<Consent>,
    /// Who may preview variants with `?tailor=…` (see [`crate::preview`]).
    pub preview: crate::preview::PreviewMode,
}

/// `[site] consent = { cookie = "NAME", value = "VALUE" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub cookie: String,
    pub value: String,
}

/// A named audience, referenced by campaigns.
#[derive(Debug, Clone)]
pub struct Segment {
    pub name: String,
    /// Compiled: the binary ruleset stores the compiled tree, so the
    /// engines decode it ready to evaluate (see [`crate::codec`]).
    pub condition: Condition,
}

#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: String,
    /// Path globs the campaign runs on; empty means every page.
    pub pages: Vec<Glob>,
    pub exclude_pages: Vec<Glob>,
    /// Indices into [`Ruleset::segments`]; all must match.
    pub audience: Vec<u32>,
    /// An inline condition that must match too.
    pub when: Option<Condition>,
    pub priority: i32,
    /// At most one campaign of a group is given to a visitor: the first
    /// eligible one by priority.
    pub group: Option<String>,
    pub schedule: Schedule,
    /// Share of the eligible audience that enters an A/B test (GrowthBook's
    /// `coverage`).
    pub coverage: f64,
    /// Hash seed, GrowthBook's `seed` (defaults to the campaign id).
    pub seed: Seed,
    /// Whether the variants are an A/B test (bucketed by visitor id) rather
    /// than plain personalization (one variant for the whole audience).
    pub kind: CampaignKind,
    pub variants: Vec<Variant>,
}

/// A campaign's hash seed and the FNV-1a state after hashing it: every A/B
/// decision hashes `seed + visitor id`, and the seed's part is the same for
/// every visitor, so it is hashed once, when the ruleset is built or loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    text: String,
    state: u32,
}

impl Seed {
    pub fn new(text: String) -> Seed {
        let state = crate::bucket::fnv32a(&text);
        Seed { text, state }
    }

    /// The FNV-1a state after the seed (see [`crate::bucket::hash_after`]).
    pub fn state(&self) -> u32 {
        self.state
    }
}

impl std::ops::Deref for Seed {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignKind {
    /// Everyone in the audience gets variant 0.
    Personalization,
    /// Visitors are bucketed into variants by weight.
    Experiment,
}

/// When a campaign may run. Absolute bounds are instants; `hours` and `days`
/// are read on the site's wall clock.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schedule {
    /// Epoch seconds, inclusive.
    pub start: Option<i64>,
    /// Epoch seconds, inclusive.
    pub end: Option<i64>,
    /// Minutes after midnight `[from, to)`; `from > to` wraps midnight.
    pub hours: Option<(u16, u16)>,
    /// Bit 0 = Monday ... bit 6 = Sunday; 0 means every day.
    pub days: u8,
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub id: String,
    /// Normalized so the weights of a campaign sum to 1.
    pub weight: f64,
    pub changes: Vec<Change>,
    /// A page-level redirect (a template: it may use `{{path}}` and friends).
    pub redirect: Option<Template>,
}

/// One action on the elements a CSS selector matches.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub selector: String,
    pub action: Action<Template>,
}

/// What a change does. Text and attribute values are templates expanded
/// with the visitor's context and escaped on output; HTML comes from the
/// rule file and is trusted.
///
/// Generic over the text type: rules hold [`Template`]s, a [`crate::Plan`]
/// holds them rendered for one visitor.
#[derive(Debug, Clone, PartialEq)]
pub enum Action<T = Template> {
    /// Replace the element's content with escaped text.
    Text(T),
    /// Replace the element's content with markup.
    Html(String),
    /// Set attributes (values escaped).
    SetAttr(Vec<(String, T)>),
    RemoveAttr(Vec<String>),
    AddClass(Vec<String>),
    RemoveClass(Vec<String>),
    Before(String),
    After(String),
    Prepend(String),
    Append(String),
    /// Replace the whole element with markup.
    Replace(String),
    /// Remove the element and its content.
    Remove,
}

impl<T> Action<T> {
    /// The name used in rule files, decision reports and the browser plan.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Text(_) => "text",
            Action::Html(_) => "html",
            Action::SetAttr(_) => "attr",
            Action::RemoveAttr(_) => "remove_attr",
            Action::AddClass(_) => "add_class",
            Action::RemoveClass(_) => "remove_class",
            Action::Before(_) => "before",
            Action::After(_) => "after",
            Action::Prepend(_) => "prepend",
            Action::Append(_) => "append",
            Action::Replace(_) => "replace",
            Action::Remove => "remove",
        }
    }
}

impl Ruleset {
    pub fn campaign(&self, id: &str) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.id == id)
    }
}

impl Campaign {
    pub fn variant_index(&self, id: &str) -> Option<usize> {
        self.variants.iter().position(|v| v.id == id)
    }
}
