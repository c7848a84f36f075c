//! `decide(ruleset, context)`: which variant of which campaign a visitor gets,
//! and why every other campaign did not apply.
//!
//! The order of checks is the order a person debugging would ask: is this the
//! page, is it time, is the visitor in the audience, did a more important
//! campaign of the same group win, and which A/B bucket is the visitor in.

use crate::bucket;
use crate::condition::Failure;
use crate::context::Context;
use crate::model::{Campaign, CampaignKind, Ruleset, Schedule};
use crate::time::LocalTime;
use std::fmt;

/// The outcome for every campaign of the ruleset, in ruleset order.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub outcomes: Vec<Outcome>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Assigned(Assignment),
    Skipped(Skip),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub variant: usize,
    /// The visitor's hash in `[0, 1)` for A/B tests.
    pub bucket: Option<f64>,
    pub via: Via,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Plain personalization: the whole audience gets the variant.
    Audience,
    /// An A/B test bucket.
    Bucket,
    /// Crawlers always see the control so search engines index the original
    /// (no cloaking, no cookie).
    BotControl,
    /// A QA override.
    Forced,
    /// No consent for identifiers: the control, not counted.
    NoConsent,
}

/// Why a campaign did not apply.
#[derive(Debug, Clone, PartialEq)]
pub enum Skip {
    PageNotMatched,
    PageExcluded { pattern: String },
    NotStarted { start: i64 },
    Ended { end: i64 },
    WrongDay { day: &'static str },
    OutsideHours { minute_of_day: u16 },
    /// `hours`/`days` are set but the site's time zone gave no wall clock.
    NoSiteClock,
    SegmentFailed { segment: u32, failure: Option<Failure> },
    WhenFailed { failure: Option<Failure> },
    GroupTaken { group: String, by: usize },
    /// An A/B test without a visitor id (no cookie and none could be made).
    NoVisitorId,
    /// The visitor's bucket fell outside the test's coverage.
    NotInCoverage { bucket: f64 },
    /// Personalization is off for this view (`?tailor=off`).
    Disabled,
}

/// QA overrides (see the preview feature): forced variants and an off switch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// `(campaign index, variant index)`.
    pub forced: Vec<(usize, usize)>,
    pub off: bool,
}

pub fn decide(rules: &Ruleset, ctx: &Context) -> Decision {
    decide_with(rules, ctx, &Overrides::default())
}

pub fn decide_with(rules: &Ruleset, ctx: &Context, overrides: &Overrides) -> Decision {
    decide_impl::<true>(rules, ctx, overrides)
}

/// [`decide_with`] without the failed condition of skipped campaigns
/// (`failure: None`), which only people reading reasons need: the same
/// outcomes, one condition pass instead of two for every skipped campaign.
pub fn decide_without_reasons(rules: &Ruleset, ctx: &Context, overrides: &Overrides) -> Decision {
    decide_impl::<false>(rules, ctx, overrides)
}


/// Only the variant of every campaign (`None`: not applied), in ruleset
/// order: the same decision as [`decide`] without the reasons, for callers
/// that evaluate many contexts (the browser's `evaluate`).
pub fn variants(rules: &Ruleset, ctx: &Context) -> Vec<Option<usize>> {
    let mut out = vec![None; rules.campaigns.len()];
    for_each_variant(rules, ctx, |campaign, variant| out[campaign] = Some(variant));
    out
}

/// Calls `assigned(campaign index, variant index)` for every campaign that
/// applies: [`variants`] without building anything, so that deciding for one
/// more visitor allocates nothing beyond the context.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
pub fn for_each_variant(rules: &Ruleset, ctx: &Context, mut assigned: impl FnMut(usize, usize)) {
    decide_each::<false>(rules, ctx, &Overrides::default(), &mut |index, outcome| {
        if let Outcome::Assigned(a) = outcome {
            assigned(index, a.variant);
        }
    });
}

/// `EXPLAIN`: whether skipped campaigns get the condition that failed.
/// Finding it evaluates the condition a second time, which only people
/// reading the reasons need; a constant, so engines that never explain (the
/// lean browser engine) carry no code for it.
fn decide_impl<const EXPLAIN: bool>(rules: &Ruleset, ctx: &Context, overrides: &Overrides) -> Decision {
    // `decide_each` records every campaign once; `Disabled` only holds the
    // places until then. (Not `vec![..; n]`, which clones an `Outcome` and
    // so brings `Outcome`'s clone code into the browser engine, nor
    // `Option`s unwrapped afterwards, a second collection, nor `collect`.)
    let mut outcomes = Vec::with_capacity(rules.campaigns.len());
    for _ in &rules.campaigns {
        outcomes.push(Outcome::Skipped(Skip::Disabled));
    }
    decide_each::<EXPLAIN>(rules, ctx, overrides, &mut |index, outcome| outcomes[index] = outcome);
    Decision { outcomes }
}

/// The decision loop: hands `record` the outcome of every campaign, highest
/// priority first (the order groups are settled in). `record` is `dyn`:
/// one copy of this loop in the browser engine, not one per caller.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn decide_each<const EXPLAIN: bool>(rules: &Ruleset, ctx: &Context, overrides: &Overrides, record: &mut dyn FnMut(usize, Outcome)) {
    let campaigns = &rules.campaigns;
    let order = priority_order(campaigns);
    let mut groups_taken: Vec<(&str, usize)> = Vec::new();
    let is_bot = ctx.device() == "bot";

    for position in 0..campaigns.len() {
        let index = order.as_ref().map_or(position, |order| order[position]);
        let campaign = &campaigns[index];
        // Without previews (the lean browser engine) the overrides are
        // always the default: this code is left out (140 B gzip).
        let forced = if crate::PREVIEWS { overrides.forced.iter().find(|(c, _)| *c == index) } else { None };
        let outcome = if let Some(&(_, variant)) = forced {
            // Forcing previews a variant outside its schedule and audience,
            // but only where the campaign runs: a forced redirect of
            // `/pricing` must not redirect every page of the QA session.
            match page_scope(campaign, ctx) {
                Err(skip) => Outcome::Skipped(skip),
                Ok(()) => Outcome::Assigned(Assignment { variant, bucket: None, via: Via::Forced }),
            }
        } else if crate::PREVIEWS && overrides.off {
            Outcome::Skipped(Skip::Disabled)
        } else {
            match eligibility::<EXPLAIN>(rules, campaign, ctx) {
                Err(skip) => Outcome::Skipped(skip),
                Ok(()) => match campaign.group.as_deref().and_then(|g| groups_taken.iter().find(|(name, _)| *name == g)) {
                    Some(&(group, by)) => Outcome::Skipped(Skip::GroupTaken { group: group.to_string(), by }),
                    None => assign(campaign, ctx, is_bot),
                },
            }
        };
        if let (Outcome::Assigned(_), Some(group)) = (&outcome, campaign.group.as_deref()) {
            if !groups_taken.iter().any(|(name, _)| *name == group) {
                groups_taken.push((group, index));
            }
        }
        record(index, outcome);
    }
}

/// The indices of `campaigns`, highest priority first (a stable sort keeps
/// source order among equals): the order groups are settled in, and the
/// order of a plan. `None` when that is their order already: rule files
/// rarely set priorities out of order, so the usual request walks the
/// campaigns as they are, without an index to build and sort.
pub(crate) fn priority_order(campaigns: &[Campaign]) -> Option<Vec<usize>> {
    if campaigns.windows(2).all(|w| w[0].priority >= w[1].priority) {
        return None;
    }
    let mut order: Vec<usize> = (0..campaigns.len()).collect();
    stable_sort_by_key(&mut order, |&i| std::cmp::Reverse(campaigns[i].priority));
    Some(order)
}

/// Whether the campaign runs on this page (`pages`, `exclude_pages`).
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn page_scope(campaign: &Campaign, ctx: &Context) -> Result<(), Skip> {
    if !campaign.pages.is_empty() && !campaign.pages.iter().any(|g| g.matches(&ctx.path)) {
        return Err(Skip::PageNotMatched);
    }
    if let Some(glob) = campaign.exclude_pages.iter().find(|g| g.matches(&ctx.path)) {
        return Err(Skip::PageExcluded { pattern: glob.as_str().to_string() });
    }
    Ok(())
}

/// Inlined into [`decide_each`] by LLVM (see `BROWSER_WASM_OPT` in the Makefile).
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
#[cfg_attr(feature = "fast-decide", inline(always))]
fn eligibility<const EXPLAIN: bool>(rules: &Ruleset, campaign: &Campaign, ctx: &Context) -> Result<(), Skip> {
    page_scope(campaign, ctx)?;
    check_schedule(&campaign.schedule, ctx.now, ctx.site_time)?;
    for &segment in &campaign.audience {
        let Some(seg) = rules.segments.get(segment as usize) else {
            return Err(Skip::SegmentFailed { segment, failure: None });
        };
        if !seg.condition.eval(&ctx.attributes, &rules.saved_groups) {
            let failure = if EXPLAIN { seg.condition.first_failure(&ctx.attributes, &rules.saved_groups) } else { None };
            return Err(Skip::SegmentFailed { segment, failure });
        }
    }
    if let Some(when) = &campaign.when {
        if !when.eval(&ctx.attributes, &rules.saved_groups) {
            let failure = if EXPLAIN { when.first_failure(&ctx.attributes, &rules.saved_groups) } else { None };
            return Err(Skip::WhenFailed { failure });
        }
    }
    Ok(())
}

/// Checks absolute bounds on the instant and `days`/`hours` on the site's
/// wall clock. A window like `22:00-02:00` wraps midnight; its early-morning
/// part belongs to the day it started on, as a shop's "late night" offer would.
#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
pub fn check_schedule(schedule: &Schedule, now: i64, site_time: Option<LocalTime>) -> Result<(), Skip> {
    if let Some(start) = schedule.start.filter(|&start| now < start) {
        return Err(Skip::NotStarted { start });
    }
    if let Some(end) = schedule.end.filter(|&end| now > end) {
        return Err(Skip::Ended { end });
    }
    if schedule.hours.is_none() && schedule.days == 0 {
        return Ok(());
    }
    let Some(local) = site_time else { return Err(Skip::NoSiteClock) };
    let minute = local.minute_of_day();
    let mut weekday = local.weekday;
    if let Some((from, to)) = schedule.hours {
        let inside = if from <= to { minute >= from && minute < to } else { minute >= from || minute < to };
        if !inside {
            return Err(Skip::OutsideHours { minute_of_day: minute });
        }
        if from > to && minute < to {
            weekday = (weekday + 6) % 7;
        }
    }
    if schedule.days != 0 && schedule.days & (1 << weekday) == 0 {
        return Err(Skip::WrongDay { day: crate::time::DAY_NAMES[weekday as usize % 7] });
    }
    Ok(())
}

#[cfg_attr(all(tailor_nightly, feature = "fast-decide"), optimize(speed))]
fn assign(campaign: &Campaign, ctx: &Context, is_bot: bool) -> Outcome {
    match campaign.kind {
        CampaignKind::Personalization => Outcome::Assigned(Assignment { variant: 0, bucket: None, via: Via::Audience }),
        CampaignKind::Experiment if !ctx.identifiers_allowed => {
            Outcome::Assigned(Assignment { variant: 0, bucket: None, via: Via::NoConsent })
        }
        CampaignKind::Experiment if is_bot => {
            Outcome::Assigned(Assignment { variant: 0, bucket: None, via: Via::BotControl })
        }
        CampaignKind::Experiment => {
            let Some(id) = ctx.visitor_id.as_deref() else { return Outcome::Skipped(Skip::NoVisitorId) };
            let n = bucket::hash_after(campaign.seed.state(), id);
            let variants = &campaign.variants;
            match bucket::choose_weighted(n, variants.len(), campaign.coverage, |i| variants[i].weight) {
                Some(variant) => Outcome::Assigned(Assignment { variant, bucket: Some(n), via: Via::Bucket }),
                None => Outcome::Skipped(Skip::NotInCoverage { bucket: n }),
            }
        }
    }
}

impl Decision {
    /// `(campaign index, assignment)` for every assigned campaign.
    pub fn assigned(&self) -> impl Iterator<Item = (usize, &Assignment)> {
        self.outcomes.iter().enumerate().filter_map(|(i, o)| match o {
            Outcome::Assigned(a) => Some((i, a)),
            Outcome::Skipped(_) => None,
        })
    }

    /// Whether some A/B bucket used the visitor id (then it must be stored).
    pub fn used_visitor_id(&self) -> bool {
        self.assigned().any(|(_, a)| a.via == Via::Bucket)
            || self.outcomes.iter().any(|o| matches!(o, Outcome::Skipped(Skip::NotInCoverage { .. })))
    }
}

/// A skip reason with names resolved, for `explain`, debug headers and the
/// QA overlay.
pub struct SkipDisplay<'a> {
    pub skip: &'a Skip,
    pub rules: &'a Ruleset,
}

impl fmt::Display for SkipDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.skip {
            Skip::PageNotMatched => f.write_str("the path matches none of `pages`"),
            Skip::PageExcluded { pattern } => write!(f, "the path matches exclude_pages `{pattern}`"),
            Skip::NotStarted { start } => write!(f, "not started: starts at {}", format_epoch(*start)),
            Skip::Ended { end } => write!(f, "ended at {}", format_epoch(*end)),
            Skip::WrongDay { day } => write!(f, "not scheduled on {day} ({})", self.rules.site.timezone),
            Skip::OutsideHours { minute_of_day } => write!(
                f,
                "outside its hours: it is {:02}:{:02} in {}",
                minute_of_day / 60,
                minute_of_day % 60,
                self.rules.site.timezone
            ),
            Skip::NoSiteClock => write!(f, "no wall clock for time zone {}", self.rules.site.timezone),
            Skip::SegmentFailed { segment, failure } => {
                let name = self.rules.segments.get(*segment as usize).map_or("?", |s| s.name.as_str());
                write!(f, "not in segment `{name}`")?;
                if let Some(failure) = failure {
                    write!(f, ": {failure}")?;
                }
                Ok(())
            }
            Skip::WhenFailed { failure } => {
                f.write_str("`when` condition failed")?;
                if let Some(failure) = failure {
                    write!(f, ": {failure}")?;
                }
                Ok(())
            }
            Skip::GroupTaken { group, by } => {
                let by = self.rules.campaigns.get(*by).map_or("?", |c| c.id.as_str());
                write!(f, "group `{group}` already given to campaign `{by}`")
            }
            Skip::NoVisitorId => f.write_str("A/B test needs a visitor id and there is none"),
            Skip::NotInCoverage { bucket } => {
                let mut text = String::from("bucket ");
                crate::value::push_fixed4(*bucket, &mut text);
                text.push_str(" is outside the test's coverage");
                f.write_str(&text)
            }
            Skip::Disabled => f.write_str("personalization is off for this view"),
        }
    }
}

/// RFC 3339 in UTC, for reasons shown to people.
pub fn format_epoch(epoch: i64) -> String {
    let t = LocalTime::at_offset(epoch, 0);
    let mut out = t.date_string();
    for (sep, n) in [('T', i64::from(t.hour)), (':', i64::from(t.minute)), (':', epoch.rem_euclid(60))] {
        out.push(sep);
        crate::value::push_padded(n, 2, &mut out);
    }
    out.push('Z');
    out
}

/// A stable sort for the short lists of the engine (campaigns, object
/// keys): the same order as `sort_by_key`, without its code size.
pub(crate) fn stable_sort_by_key<T, K: Ord>(items: &mut [T], mut key: impl FnMut(&T) -> K) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && key(&items[j - 1]) > key(&items[j]) {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}
