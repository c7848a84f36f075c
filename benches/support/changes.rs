//! The changes of the rewrite benchmark (benches/rewrite.rs), also the
//! plans of the fast rewriter's differential tests (through tests/support/rewrite.rs).

use tailor::model::Action;

pub fn s(v: &str) -> String {
    v.to_string()
}

/// The changes, in the order the plans take them: the first 1, 5 or 20. Each
/// selector matches in at least one bench page and most corpus pages (the
/// run prints how many elements each plan changed per page set); the mix of
/// actions is what the demo rules use, plus the structural ones.
pub fn changes() -> Vec<(&'static str, Action<String>)> {
    vec![
        ("title", Action::Text(s("Winter sale: 20% off & free <shipping>"))),
        ("h1", Action::Text(s("Willkommen, Berlin!"))),
        ("img", Action::SetAttr(vec![(s("src"), s("/img/hero-de.svg")), (s("alt"), s("Winter in den Alpen & mehr"))])),
        ("body", Action::AddClass(vec![s("tailor-on"), s("tailor-dach")])),
        ("h2", Action::Html(s("<b>Gratis Versand</b> nach Deutschland, Österreich und in die Schweiz"))),
        // the 20-change plan adds:
        ("meta[name=\"description\"]", Action::SetAttr(vec![(s("content"), s("Outdoor gear for every season"))])),
        ("header nav", Action::AddClass(vec![s("tailor-nav")])),
        ("nav ul > li:first-child a", Action::Text(s("Angebote"))),
        ("footer p", Action::Append(s("<span class=\"tailor-note\">Preise inkl. MwSt.</span>"))),
        ("h3", Action::Prepend(s("<i class=\"tailor-icon\"></i>"))),
        ("#menu-toggle", Action::Remove),
        ("div#spec-container > h1", Action::Before(s("<div class=\"tailor-banner\">Neu</div>"))),
        ("table", Action::AddClass(vec![s("tailor-table")])),
        ("a[href^=\"https://twitter.com\"]", Action::RemoveAttr(vec![s("target")])),
        ("form button[type=\"submit\"]", Action::Text(s("Jetzt anmelden"))),
        (".nav-dropdown-header", Action::RemoveClass(vec![s("header-black")])),
        ("section h2", Action::After(s("<p class=\"tailor-sub\">Nur diese Woche</p>"))),
        ("pre", Action::AddClass(vec![s("tailor-code")])),
        ("link[rel=\"canonical\"]", Action::SetAttr(vec![(s("href"), s("https://shop.example/de/"))])),
        ("article p:first-of-type", Action::Replace(s("<p class=\"tailor-lede\">Ausgewählt für Sie</p>"))),
    ]
}
