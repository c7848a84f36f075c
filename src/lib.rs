//! tailor: personalization rules compiled for the edge and the browser.
//!
//! The pipeline is
//! `rules source -> compile -> Ruleset (compact binary) -> decide(ruleset, context)
//! -> Decision -> plan -> apply`.
//! Everything up to the plan is pure Rust with no platform dependency; the
//! platforms (native CLI, Cloudflare Worker, browser) only build a [`Context`]
//! and apply a [`Plan`].

// The browser engine is built for size (`opt-level = "z"`), which also keeps
// small functions from being inlined into their callers: deciding ran 1.9
// times slower than at `opt-level = 3`, which would cost 15 KB gzip more.
// Built with nightly (as the Makefile builds it) and the `fast-decide`
// feature, the functions deciding runs through are optimized for speed
// instead (`optimize(speed)`) and the hottest inlined, the rest stays small.
// Helpers only unusual conditions reach (saved groups, JSON equality, string
// comparisons in UTF-16 order, numbers parsed from text, versions too long
// or not ASCII for the fast path) stay small too: marked, they cost 520 B
// gzip and `evaluate` nothing measurable. The lean engine without
// `evaluate` has no `fast-decide`: a page view decides once, a few
// microseconds at most, and the speed cost every visitor 640 B gzip.
#![cfg_attr(all(tailor_nightly, feature = "fast-decide"), feature(optimize_attribute))]

pub mod bucket;
pub mod codec;
pub mod condition;
pub mod context;
pub mod decide;
pub mod glob;
pub mod html;
pub mod json;
pub(crate) mod search;
pub mod model;
pub mod plan;
pub mod preview;
pub mod state;
pub mod template;
pub mod time;
pub mod useragent;
pub(crate) mod utf8;
pub mod value;
pub mod wire;

#[cfg(feature = "compiler")]
pub mod compile;
#[cfg(feature = "rewrite")]
pub mod rewrite;
#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "edge")]
mod edge;
#[cfg(any(feature = "edge", feature = "browser"))]
mod intl;
#[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
mod jsrt;
#[cfg(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")))]
mod lean_alloc;

/// The browser engines (the lean one and the QA one: `browser` without
/// `regex`, on wasm), which run regexes and some text on JavaScript and
/// leave out what only the compiler, the CLI and the edge show (lint
/// paths, what exactly is wrong in a ruleset that is not the compiler's).
pub(crate) const LEAN: bool = cfg!(all(target_arch = "wasm32", feature = "browser", not(feature = "regex")));

/// Whether this build can show QA previews (forced variants, the off
/// switch): all but the lean browser engine, whose visitors get the QA
/// engine instead when they ask for a preview.
pub(crate) const PREVIEWS: bool = !LEAN || cfg!(feature = "qa");

/// Whether this build evaluates every condition operator (feature
/// `all-operators`); without it, the ruleset decoder refuses the rare ones
/// (see [`codec::fits_common_engine`]) and their evaluation is left out.
pub(crate) const ALL_OPERATORS: bool = cfg!(feature = "all-operators");

pub use context::Context;
pub use decide::{decide, Decision};
pub use model::Ruleset;
pub use plan::Plan;
pub use value::Value;
