//! Checks across campaigns: equal-priority campaigns that change the same selector on
//! overlapping pages, and campaigns that a group's always-on campaign hides for good.
//!
//! Rule files generated from a catalogue hold thousands of campaigns, so these checks never
//! compare every pair (3,000 campaigns are 4.5 million pairs): campaigns are indexed by what a
//! warning needs them to share (priority and selector, then group, then pages), and each
//! campaign looks up only the earlier campaigns it really conflicts with. The work is
//! proportional to the campaigns, their selectors and pages, and the warnings printed.
//!
//! The results are exactly those of the plain pairwise definition, kept as
//! `tests::pairwise` and compared on random rule sets.

use super::CampaignInfo;
use super::Span;
use crate::glob::Glob;
use crate::model::{Campaign, CampaignKind, Schedule};
use std::collections::{BTreeMap, HashMap};

/// A warning: where it goes and what it says.
pub(super) type Warning = (Span, String);

/// For every later campaign `b` and earlier campaign `a` with the same priority, not in one
/// group, whose pages may overlap and which share a selector: one warning, on the first of
/// `b`'s selectors that `a` changes too. Warnings on the same selector come in file order of `a`.
pub(super) fn selector_conflicts(campaigns: &[Campaign], infos: &[CampaignInfo]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    // (priority, selector) → group → the earlier campaigns there, indexed by their pages.
    let mut buckets: HashMap<(i32, &str), HashMap<Option<&str>, PageIndex<'_>>> = HashMap::new();
    // `warned[a] == b + 1` once the pair (a, b) is settled, so a pair warns once.
    let mut warned = vec![0usize; campaigns.len()];
    let mut found = Vec::new();
    for (b, (campaign, info)) in campaigns.iter().zip(infos).enumerate() {
        let group = campaign.group.as_deref();
        for (selector, span) in &info.selectors {
            let Some(by_group) = buckets.get(&(campaign.priority, selector.as_str())) else { continue };
            found.clear();
            for (other_group, index) in by_group {
                // Campaigns of one group never apply together.
                if group.is_none() || *other_group != group {
                    index.overlapping(&campaign.pages, &mut found);
                }
            }
            found.sort_unstable();
            found.dedup();
            for &a in &found {
                if warned[a] != b + 1 {
                    warned[a] = b + 1;
                    warnings.push((*span, message(&campaigns[a], campaign, selector)));
                }
            }
        }
        for (selector, _) in &info.selectors {
            buckets
                .entry((campaign.priority, selector.as_str()))
                .or_default()
                .entry(group)
                .or_default()
                .insert(b, &campaign.pages);
        }
    }
    warnings
}

fn message(a: &Campaign, b: &Campaign, selector: &str) -> String {
    format!(
        "campaigns `{}` and `{}` both change `{selector}` on the same pages with priority {}: the first in the file wins; set `priority` to make it explicit",
        a.id, b.id, a.priority
    )
}

fn is_wildcard(glob: &Glob) -> bool {
    glob.as_str().contains(['*', '?'])
}

/// The text a wildcard pattern's matches all start with: everything before its first `*` or `?`
/// (the glob matches byte by byte up to there).
fn literal_prefix(glob: &Glob) -> &str {
    let pattern = glob.as_str();
    &pattern[..pattern.find(['*', '?']).unwrap_or(pattern.len())]
}

/// Earlier campaigns by their `pages`, answering "which of them may run on a page of this one".
///
/// Two campaigns may share a page when either has no `pages`, when a literal path is in both,
/// when a pattern of one matches a literal path of the other, or when both have a wildcard
/// pattern (two patterns are assumed to overlap: a warning too many beats one too few).
#[derive(Default)]
struct PageIndex<'c> {
    all: Vec<usize>,
    /// Campaigns without `pages`: they run on every page.
    everywhere: Vec<usize>,
    /// Campaigns with at least one wildcard pattern.
    wild: Vec<usize>,
    /// Literal paths, sorted so a pattern finds the paths starting with its prefix.
    literal: BTreeMap<&'c str, Vec<usize>>,
    /// Wildcard patterns by their literal prefix, so a path finds the patterns that may match it.
    patterns: HashMap<&'c str, Vec<(usize, &'c Glob)>>,
}

impl<'c> PageIndex<'c> {
    fn insert(&mut self, campaign: usize, pages: &'c [Glob]) {
        self.all.push(campaign);
        if pages.is_empty() {
            self.everywhere.push(campaign);
        }
        if pages.iter().any(is_wildcard) {
            self.wild.push(campaign);
        }
        for glob in pages {
            if is_wildcard(glob) {
                self.patterns.entry(literal_prefix(glob)).or_default().push((campaign, glob));
            } else {
                self.literal.entry(glob.as_str()).or_default().push(campaign);
            }
        }
    }

    /// Adds the campaigns whose pages may overlap `pages` to `out` (possibly more than once).
    fn overlapping(&self, pages: &[Glob], out: &mut Vec<usize>) {
        if pages.is_empty() {
            out.extend_from_slice(&self.all);
            return;
        }
        out.extend_from_slice(&self.everywhere);
        let has_wildcard = pages.iter().any(is_wildcard);
        if has_wildcard {
            out.extend_from_slice(&self.wild);
        }
        for glob in pages {
            if is_wildcard(glob) {
                let prefix = literal_prefix(glob);
                for (path, campaigns) in self.literal.range(prefix..).take_while(|(path, _)| path.starts_with(prefix)) {
                    if glob.matches(path) {
                        out.extend_from_slice(campaigns);
                    }
                }
            } else {
                let path = glob.as_str();
                if let Some(campaigns) = self.literal.get(path) {
                    out.extend_from_slice(campaigns);
                }
                // With a wildcard of our own, every wildcard campaign is in already.
                if !has_wildcard {
                    for end in 0..=path.len() {
                        let Some(prefix) = path.get(..end) else { continue };
                        for (campaign, pattern) in self.patterns.get(prefix).into_iter().flatten() {
                            if pattern.matches(path) {
                                out.push(*campaign);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// For every campaign of a group: a warning when an always-on campaign of the same group comes
/// before it (higher priority, or equal priority and earlier in the file), naming the first such
/// campaign in the file.
pub(super) fn hidden_by_group(campaigns: &[Campaign], infos: &[CampaignInfo]) -> Vec<Warning> {
    // group → for each priority of its always-on campaigns, the first of them in the file.
    let mut always_on: HashMap<&str, BTreeMap<i32, usize>> = HashMap::new();
    for (i, campaign) in campaigns.iter().enumerate() {
        if let (Some(group), true) = (campaign.group.as_deref(), always_applies(campaign)) {
            always_on.entry(group).or_default().entry(campaign.priority).or_insert(i);
        }
    }
    // Highest priority first, each with the first campaign at that priority or above.
    let winners: HashMap<&str, Vec<(i32, usize, usize)>> = always_on
        .into_iter()
        .map(|(group, by_priority)| {
            let mut first_so_far = usize::MAX;
            let levels = by_priority
                .into_iter()
                .rev()
                .map(|(priority, first)| {
                    first_so_far = first_so_far.min(first);
                    (priority, first, first_so_far)
                })
                .collect();
            (group, levels)
        })
        .collect();
    let mut warnings = Vec::new();
    for (i, campaign) in campaigns.iter().enumerate() {
        let Some(group) = campaign.group.as_deref() else { continue };
        let Some(levels) = winners.get(group) else { continue };
        let above = levels.partition_point(|(priority, _, _)| *priority > campaign.priority);
        let higher = above.checked_sub(1).map(|k| levels[k].2);
        let equal_earlier = levels.get(above).filter(|(priority, first, _)| *priority == campaign.priority && *first < i).map(|l| l.1);
        let winner = match (higher, equal_earlier) {
            (Some(h), Some(e)) => h.min(e),
            (Some(w), None) | (None, Some(w)) => w,
            (None, None) => continue,
        };
        warnings.push((
            infos[i].span,
            format!(
                "campaign `{}` can never run: campaign `{}` of group `{group}` comes first and applies to every visitor on every page",
                campaign.id, campaigns[winner].id
            ),
        ));
    }
    warnings
}

fn always_applies(c: &Campaign) -> bool {
    c.kind == CampaignKind::Personalization
        && c.pages.is_empty()
        && c.exclude_pages.is_empty()
        && c.audience.is_empty()
        && c.when.is_none()
        && c.schedule == Schedule::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::source::Format;

    /// The definition, one pair at a time, as the compiler did it before the index.
    fn pairwise(campaigns: &[Campaign], infos: &[CampaignInfo]) -> Vec<Warning> {
        let mut out = Vec::new();
        for (i, a) in campaigns.iter().enumerate() {
            for (j, b) in campaigns.iter().enumerate().skip(i + 1) {
                let same_group = a.group.is_some() && a.group == b.group;
                if a.priority != b.priority || same_group || !pages_overlap(a, b) {
                    continue;
                }
                for (selector, span) in &infos[j].selectors {
                    if infos[i].selectors.iter().any(|(s, _)| s == selector) {
                        out.push((*span, message(a, b, selector)));
                        break;
                    }
                }
            }
            if let Some(group) = &a.group {
                if let Some(winner) = campaigns.iter().enumerate().find(|(j, w)| {
                    *j != i && w.group.as_ref() == Some(group) && (w.priority > a.priority || (w.priority == a.priority && *j < i)) && always_applies(w)
                }) {
                    out.push((infos[i].span, format!(
                        "campaign `{}` can never run: campaign `{}` of group `{group}` comes first and applies to every visitor on every page",
                        a.id, winner.1.id
                    )));
                }
            }
        }
        out
    }

    fn pages_overlap(a: &Campaign, b: &Campaign) -> bool {
        if a.pages.is_empty() || b.pages.is_empty() {
            return true;
        }
        a.pages.iter().any(|pa| {
            b.pages.iter().any(|pb| match (!is_wildcard(pa), !is_wildcard(pb)) {
                (true, true) => pa == pb,
                (true, false) => pb.matches(pa.as_str()),
                (false, true) => pa.matches(pb.as_str()),
                (false, false) => true,
            })
        })
    }

    /// Sorted by position, stably, as `compile` presents diagnostics.
    fn by_position(mut warnings: Vec<Warning>) -> Vec<Warning> {
        warnings.sort_by_key(|(span, _)| span.start);
        warnings
    }

    #[test]
    fn the_index_reports_exactly_what_the_pairwise_definition_does() {
        const PAGES: &[&str] = &["/", "/a", "/a/*", "/a/b", "*.pdf", "/a/b.pdf", "/?", "/x", "/a?", "/ü", "/?*"];
        const SELECTORS: &[&str] = &["h1", "h2", ".x", "#y"];
        let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut compared = 0;
        for round in 0..300 {
            let mut source = String::new();
            for c in 0..(2 + next(25)) {
                source.push_str(&format!("[[campaign]]\nid = \"c{c}\"\npriority = {}\n", next(2)));
                if next(3) > 0 {
                    source.push_str(&format!("group = \"g{}\"\n", next(2)));
                }
                if next(3) > 0 {
                    let pages: Vec<String> = (0..next(3)).map(|_| format!("\"{}\"", PAGES[next(PAGES.len())])).collect();
                    source.push_str(&format!("pages = [{}]\n", pages.join(", ")));
                }
                source.push_str("[[campaign.variant]]\nid = \"v\"\nchanges = [");
                for _ in 0..(1 + next(3)) {
                    source.push_str(&format!("{{ select = \"{}\", text = \"t\" }}, ", SELECTORS[next(SELECTORS.len())]));
                }
                source.push_str("]\n");
            }
            let (campaigns, infos) = super::super::tests::campaigns(&source, Format::Toml);
            let expected = by_position(pairwise(&campaigns, &infos));
            let mut actual = selector_conflicts(&campaigns, &infos);
            actual.extend(hidden_by_group(&campaigns, &infos));
            assert_eq!(by_position(actual), expected, "round {round}:\n{source}");
            compared += expected.len();
        }
        assert!(compared > 1000, "the random rule sets must produce warnings to compare ({compared})");
    }

    #[test]
    fn literal_prefixes() {
        assert_eq!(literal_prefix(&Glob::new("/shop/*")), "/shop/");
        assert_eq!(literal_prefix(&Glob::new("*.pdf")), "");
        assert_eq!(literal_prefix(&Glob::new("/p?ge/*")), "/p");
    }
}
