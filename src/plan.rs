//! From a decision to a plan: the concrete changes for one page view.
//!
//! Templates are rendered with the visitor's attributes here, once, so the
//! platform adapters only match selectors and perform actions. Conflicts are
//! settled here too: when campaigns change the same selector, the one with the
//! higher priority keeps it (source order breaks ties), so the rewrite never
//! has to arbitrate between handlers.

use crate::context::Context;
use crate::decide::{Decision, Outcome};
use crate::html;
use crate::model::{Action, Ruleset};
use crate::value::json_text;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// A page-level redirect and the campaign that asked for it.
    pub redirect: Option<(usize, String)>,
    pub changes: Vec<PlannedChange>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    /// Index of the campaign in the ruleset.
    pub campaign: usize,
    pub selector: String,
    pub action: Action<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.redirect.is_none() && self.changes.is_empty()
    }

    pub fn build(rules: &Ruleset, decision: &Decision, ctx: &Context) -> Plan {
        let mut plan = Plan::default();
        // Selector -> campaign that owns it.
        let mut owners: Vec<(&str, usize)> = Vec::new();
        // The assigned campaigns, highest priority first: the decision's
        // order, rather than the assignments collected into a list to sort
        // (290 B gzip of generic code in the browser engine).
        let order = crate::decide::priority_order(&rules.campaigns);
        for position in 0..rules.campaigns.len() {
            let campaign_index = order.as_ref().map_or(position, |order| order[position]);
            let Some(Outcome::Assigned(assignment)) = decision.outcomes.get(campaign_index) else { continue };
            let Some(variant) = rules.campaigns[campaign_index].variants.get(assignment.variant) else { continue };
            if plan.redirect.is_none() {
                if let Some(target) = &variant.redirect {
                    plan.redirect = Some((campaign_index, target.render(&ctx.attributes)));
                }
            }
            for change in &variant.changes {
                match owners.iter().find(|(selector, _)| *selector == change.selector) {
                    Some(&(_, owner)) if owner != campaign_index => continue,
                    Some(_) => {}
                    None => owners.push((&change.selector, campaign_index)),
                }
                let Some(action) = render(&change.action, ctx) else { continue };
                plan.changes.push(PlannedChange { campaign: campaign_index, selector: change.selector.clone(), action });
            }
        }
        plan
    }
}

/// Renders templates; returns `None` when nothing of the action survives
/// (an attribute change whose only value rendered to a script URL).
fn render(action: &Action, ctx: &Context) -> Option<Action<String>> {
    let attrs = &ctx.attributes;
    Some(match action {
        Action::Text(t) => Action::Text(t.render(attrs)),
        Action::SetAttr(pairs) => {
            // A loop rather than `map`, `filter` and `collect`: the iterator
            // chain's generic code cost the browser engine 190 B gzip.
            let mut rendered = Vec::with_capacity(pairs.len());
            for (name, value) in pairs {
                let value = value.render(attrs);
                // Literal values were checked at compile time; values built
                // from visitor input are checked here.
                if !(html::is_url_attribute(name) && html::is_dangerous_url(&value)) {
                    rendered.push((name.clone(), value));
                }
            }
            if rendered.is_empty() {
                return None;
            }
            Action::SetAttr(rendered)
        }
        Action::Html(h) => Action::Html(h.clone()),
        Action::RemoveAttr(v) => Action::RemoveAttr(v.clone()),
        Action::AddClass(v) => Action::AddClass(v.clone()),
        Action::RemoveClass(v) => Action::RemoveClass(v.clone()),
        Action::Before(h) => Action::Before(h.clone()),
        Action::After(h) => Action::After(h.clone()),
        Action::Prepend(h) => Action::Prepend(h.clone()),
        Action::Append(h) => Action::Append(h.clone()),
        Action::Replace(h) => Action::Replace(h.clone()),
        Action::Remove => Action::Remove,
    })
}

impl Plan {
    /// The plan as JSON: `{"redirect": url|null, "changes": [{"campaign",
    /// "select", "action", "value"}]}`, for `tailor explain --format json`
    /// and the edge's and the browser's appliers.
    pub fn write_json(&self, rules: &Ruleset, out: &mut String) {
        out.push('{');
        json_text::key(out, "redirect");
        json_text::string(out, self.redirect.as_ref().map(|(_, url)| url.as_str()));
        json_text::key(out, "changes");
        out.push('[');
        for change in &self.changes {
            json_text::item(out);
            out.push('{');
            json_text::key(out, "campaign");
            json_text::string(out, Some(rules.campaigns.get(change.campaign).map_or("", |c| &c.id)));
            json_text::key(out, "select");
            json_text::string(out, Some(&change.selector));
            json_text::key(out, "action");
            json_text::string(out, Some(change.action.name()));
            json_text::key(out, "value");
            write_action_value(&change.action, out);
            out.push('}');
        }
        out.push_str("]}");
    }
}

fn write_action_value(action: &Action<String>, out: &mut String) {
    match action {
        Action::Text(s) | Action::Html(s) | Action::Before(s) | Action::After(s) | Action::Prepend(s) | Action::Append(s) | Action::Replace(s) => {
            json_text::string(out, Some(s))
        }
        Action::SetAttr(pairs) => {
            out.push('{');
            for (name, value) in pairs {
                json_text::key(out, name);
                json_text::string(out, Some(value));
            }
            out.push('}');
        }
        Action::RemoveAttr(v) | Action::AddClass(v) | Action::RemoveClass(v) => json_text::strings(out, v),
        Action::Remove => json_text::boolean(out, true),
    }
}

/// Applies class changes to a `class` attribute value, keeping the original
/// order and spacing of classes that stay (shared by the rewriter and tests).
pub fn edit_classes(current: &str, add: &[String], remove: &[String]) -> String {
    let mut classes: Vec<&str> = current.split_ascii_whitespace().filter(|c| !remove.iter().any(|r| r == c)).collect();
    for class in add {
        if !classes.contains(&class.as_str()) {
            classes.push(class);
        }
    }
    classes.join(" ")
}

#[cfg(test)]
mod tests {
    use super::edit_classes;

    #[test]
    fn class_edits() {
        let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(edit_classes("a b  c", &s(&["d", "a"]), &s(&["b"])), "a c d");
        assert_eq!(edit_classes("", &s(&["x"]), &[]), "x");
    }
}
