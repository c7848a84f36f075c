//! QA previews: force variants, simulate a context, see why.
//!
//! `?tailor=CAMPAIGN:VARIANT,…` forces variants (`off` disables
//! personalization, `reset` ends the preview), `?tailor_ctx=country:DE,…`
//! simulates a context, `?tailor_debug=1` asks for the reasons. With
//! `[site] preview = "signed"` these only count with `tailor_exp` and a valid
//! `tailor_sig`: an HMAC-SHA256 over the canonical parameters and the expiry,
//! keyed with the worker secret `TAILOR_PREVIEW_KEY` (see the README's threat
//! model). Only variants the rule file declares can ever be forced.

use crate::context::{Context, RequestFacts};
use crate::decide::Overrides;
use crate::model::Ruleset;
use crate::value::Value;

/// The query parameters (and the session cookie, which stores the same
/// parameters so QA can click through the site).
pub const PARAM_FORCE: &str = "tailor";
pub const PARAM_CONTEXT: &str = "tailor_ctx";
pub const PARAM_DEBUG: &str = "tailor_debug";
pub const PARAM_EXPIRES: &str = "tailor_exp";
pub const PARAM_SIGNATURE: &str = "tailor_sig";
/// The Ed25519 signature over the same message, for the script tag on sites
/// without the worker (it checks it with the public key; see the README).
pub const PARAM_PUBLIC_SIGNATURE: &str = "tailor_psig";
/// The wasm custom section of the browser engine that holds the 32-byte
/// Ed25519 public key for [`PARAM_PUBLIC_SIGNATURE`].
pub const PUBLIC_KEY_SECTION: &str = "tailor.preview_key";
pub const COOKIE: &str = "tailor_preview";

/// Preview parameters as they arrived, before any checking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviewParams {
    pub force: Option<String>,
    pub context: Option<String>,
    pub debug: bool,
    pub expires: Option<i64>,
    pub signature: Option<String>,
    pub public_signature: Option<String>,
}

impl PreviewParams {
    /// From a query string (`a=1&tailor=hero:b`); other parameters are ignored.
    pub fn from_query(query: &str) -> PreviewParams {
        let mut p = PreviewParams::default();
        for (name, value) in crate::context::parse_query(query).take(64) {
            match name.as_str() {
                PARAM_FORCE => p.force = Some(value),
                PARAM_CONTEXT => p.context = Some(value),
                PARAM_DEBUG => p.debug = matches!(value.as_str(), "1" | "true" | "yes"),
                PARAM_EXPIRES => p.expires = value.parse().ok(),
                PARAM_SIGNATURE => p.signature = Some(value),
                PARAM_PUBLIC_SIGNATURE => p.public_signature = Some(value),
                _ => {}
            }
        }
        p
    }

    pub fn is_empty(&self) -> bool {
        self.force.is_none() && self.context.is_none() && !self.debug
    }

    pub fn is_reset(&self) -> bool {
        self.force.as_deref() == Some("reset")
    }

    /// The parameters as a query string (for links and the session cookie).
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(f) = &self.force {
            parts.push(format!("{PARAM_FORCE}={}", encode(f)));
        }
        if let Some(c) = &self.context {
            parts.push(format!("{PARAM_CONTEXT}={}", encode(c)));
        }
        if self.debug {
            parts.push(format!("{PARAM_DEBUG}=1"));
        }
        if let Some(e) = self.expires {
            parts.push(format!("{PARAM_EXPIRES}={e}"));
        }
        if let Some(s) = &self.signature {
            parts.push(format!("{PARAM_SIGNATURE}={}", encode(s)));
        }
        if let Some(s) = &self.public_signature {
            parts.push(format!("{PARAM_PUBLIC_SIGNATURE}={}", encode(s)));
        }
        parts.join("&")
    }

    /// What the signature covers: every parameter that changes what the
    /// visitor sees, and the expiry, in a fixed order.
    pub fn signed_message(&self) -> String {
        format!(
            "tailor-preview-v1\n{}\n{}\n{}\n{}",
            self.force.as_deref().unwrap_or(""),
            self.context.as_deref().unwrap_or(""),
            u8::from(self.debug),
            self.expires.unwrap_or(0)
        )
    }
}

/// Percent-encodes what a query value must not contain literally.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b',' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// How `[site] preview` protects overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PreviewMode {
    /// Anyone may preview (local development, staging).
    #[default]
    Open,
    /// Only links signed with the site's preview key count.
    Signed,
}

/// A checked preview, ready to apply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preview {
    /// Whether the view is a preview (badge shown, no sticky assignment, no
    /// counted exposure).
    pub active: bool,
    pub overrides: Overrides,
    /// `(attribute, value)` pairs to simulate.
    pub simulate: Vec<(String, String)>,
    pub debug: bool,
    /// What was ignored and why (unknown ids, bad signature...), for debug output.
    pub notes: Vec<String>,
}

/// Checks preview parameters against the rules, the mode and the key.
/// Never fails: whatever does not check out is ignored and noted.
pub fn resolve(rules: &Ruleset, params: &PreviewParams, mode: PreviewMode, key: Option<&[u8]>, now: i64) -> Preview {
    let mut preview = Preview::default();
    if params.is_empty() || params.is_reset() {
        return preview;
    }
    if mode == PreviewMode::Signed {
        if let Err(why) = check_signature(params, key, now) {
            preview.notes.push(format!("preview ignored: {why}"));
            return preview;
        }
    }
    preview.active = true;
    preview.debug = params.debug;
    match params.force.as_deref() {
        Some("off") => preview.overrides.off = true,
        Some(list) => {
            for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()).take(64) {
                let Some((campaign_id, variant_id)) = pair.split_once(':') else {
                    preview.notes.push(format!("`{pair}` is not CAMPAIGN:VARIANT"));
                    continue;
                };
                let Some(c) = rules.campaigns.iter().position(|c| c.id == campaign_id) else {
                    preview.notes.push(format!("unknown campaign `{campaign_id}`"));
                    continue;
                };
                match rules.campaigns[c].variant_index(variant_id) {
                    Some(v) => preview.overrides.forced.push((c, v)),
                    None => preview.notes.push(format!("campaign `{campaign_id}` has no variant `{variant_id}`")),
                }
            }
        }
        None => {}
    }
    if let Some(list) = &params.context {
        for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()).take(64) {
            match pair.split_once(':') {
                Some((name, value)) if !name.trim().is_empty() => {
                    preview.simulate.push((name.trim().to_string(), value.trim().to_string()))
                }
                _ => preview.notes.push(format!("`{pair}` is not ATTRIBUTE:VALUE")),
            }
        }
    }
    preview
}

#[cfg(feature = "preview-keys")]
fn mac(key: &[u8], message: &str) -> hmac::Hmac<sha2::Sha256> {
    use hmac::Mac;
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message.as_bytes());
    mac
}

/// The hex signature for `params` (with `expires` set) under `key`.
#[cfg(feature = "preview-keys")]
pub fn sign(params: &PreviewParams, key: &[u8]) -> String {
    use hmac::Mac;
    mac(key, &params.signed_message()).finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The Ed25519 key pair of a preview secret: its seed is
/// `HMAC-SHA256(secret, "tailor-preview-ed25519")`, so one secret serves the
/// worker (HMAC) and the browser (the public half), and the public key
/// reveals nothing about the secret.
#[cfg(feature = "preview-signing")]
fn signing_key(secret: &[u8]) -> ed25519_dalek::SigningKey {
    use hmac::Mac;
    let seed: [u8; 32] = mac(secret, "tailor-preview-ed25519").finalize().into_bytes().into();
    ed25519_dalek::SigningKey::from_bytes(&seed)
}

/// The public key the browser checks [`PARAM_PUBLIC_SIGNATURE`] with.
#[cfg(feature = "preview-signing")]
pub fn public_key(secret: &[u8]) -> [u8; 32] {
    signing_key(secret).verifying_key().to_bytes()
}

/// The Ed25519 signature (hex) of the parameters' [`PreviewParams::signed_message`].
#[cfg(feature = "preview-signing")]
pub fn sign_public(params: &PreviewParams, secret: &[u8]) -> String {
    use ed25519_dalek::Signer;
    signing_key(secret).sign(params.signed_message().as_bytes()).to_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks [`PARAM_PUBLIC_SIGNATURE`] as the browser does (there with
/// WebCrypto): for tests and tools.
#[cfg(feature = "preview-signing")]
pub fn verify_public(params: &PreviewParams, public_key: &[u8; 32], now: i64) -> bool {
    let Some(hex) = params.public_signature.as_deref() else { return false };
    let Some(bytes) = decode_hex(hex, 128) else { return false };
    let Ok(signature) = <[u8; 64]>::try_from(bytes.as_slice()) else { return false };
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(public_key) else { return false };
    params.expires.is_some_and(|e| e > now)
        && key.verify_strict(params.signed_message().as_bytes(), &ed25519_dalek::Signature::from_bytes(&signature)).is_ok()
}

#[cfg(feature = "preview-keys")]
fn check_signature(params: &PreviewParams, key: Option<&[u8]>, now: i64) -> Result<(), &'static str> {
    use hmac::Mac;
    let key = key.filter(|k| !k.is_empty()).ok_or("no preview key is configured (TAILOR_PREVIEW_KEY)")?;
    let expires = params.expires.ok_or("the link is not signed")?;
    let signature = params.signature.as_deref().ok_or("the link is not signed")?;
    let bytes = decode_hex(signature, 64).ok_or("the signature is not valid")?;
    mac(key, &params.signed_message()).verify_slice(&bytes).map_err(|_| "the signature is not valid")?;
    if now > expires {
        return Err("the link has expired");
    }
    Ok(())
}

/// Without the key machinery (the browser build), signed previews cannot be
/// checked here; the browser relies on the worker's verdict instead.
#[cfg(not(feature = "preview-keys"))]
fn check_signature(_: &PreviewParams, _: Option<&[u8]>, _: i64) -> Result<(), &'static str> {
    Err("signed previews are checked by the worker")
}

/// `len` hex digits as bytes, or `None`.
#[cfg(feature = "preview-keys")]
fn decode_hex(text: &str, len: usize) -> Option<Vec<u8>> {
    if text.len() != len || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

/// Applies the simulated values that shape the context before it is built
/// (geo, the visitor's time zone, the clock, cookies).
pub fn simulate_facts(facts: &mut RequestFacts, simulate: &[(String, String)]) -> Vec<String> {
    let mut notes = Vec::new();
    for (name, value) in simulate {
        match name.as_str() {
            "country" => facts.geo.country = Some(value.clone()),
            "region" => facts.geo.region = Some(value.clone()),
            "city" => facts.geo.city = Some(value.clone()),
            "continent" => facts.geo.continent = Some(value.clone()),
            "timezone" => facts.geo.timezone = Some(value.clone()),
            "time" => match crate::time::parse_rfc3339(value) {
                Ok((epoch, offset)) => {
                    facts.now = epoch;
                    if !simulate.iter().any(|(n, _)| n == "timezone") && offset % 3600 == 0 {
                        let hours = offset / 3600;
                        facts.geo.timezone =
                            Some(if hours == 0 { "UTC".to_string() } else { format!("Etc/GMT{}{}", if hours > 0 { "-" } else { "+" }, hours.abs()) });
                    }
                }
                Err(e) => notes.push(e.to_string()),
            },
            name if name.starts_with("cookie.") => {
                let cookie = &name["cookie.".len()..];
                let jar = facts.cookies.take().unwrap_or_default();
                facts.cookies = Some(if jar.is_empty() { format!("{cookie}={value}") } else { format!("{jar}; {cookie}={value}") });
            }
            _ => {}
        }
    }
    notes
}

/// Applies the simulated values read directly as attributes (`device`,
/// `language`, `query.x`, custom attributes...), after the context is built.
pub fn simulate_context(ctx: &mut Context, simulate: &[(String, String)]) {
    for (name, value) in simulate {
        if matches!(name.as_str(), "country" | "region" | "city" | "continent" | "timezone" | "time") || name.starts_with("cookie.") {
            continue;
        }
        let typed = match value.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            v => crate::value::parse_f64(v).filter(|n| n.is_finite() && matches!(name.as_str(), "local_hour")).map_or_else(|| Value::from(v), Value::Number),
        };
        match name.split_once('.') {
            Some((family, key)) => ctx.attributes.entry(family).insert(key, typed),
            None => ctx.attributes.insert(name, typed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_round_trip() {
        let p = PreviewParams::from_query("x=1&tailor=hero%3Agerman,vip:gold&tailor_ctx=country:DE,time:2026-12-24T18:30:00%2B01:00&tailor_debug=1&tailor_exp=99");
        assert_eq!(p.force.as_deref(), Some("hero:german,vip:gold"));
        assert_eq!(p.context.as_deref(), Some("country:DE,time:2026-12-24T18:30:00+01:00"));
        assert!(p.debug);
        assert_eq!(p.expires, Some(99));
        assert_eq!(PreviewParams::from_query(&p.to_query()), p);
        assert!(PreviewParams::from_query("a=b").is_empty());
        assert!(PreviewParams::from_query("tailor=reset").is_reset());
    }
}

#[cfg(all(test, feature = "preview-signing"))]
mod public_signature_tests {
    use super::*;

    fn link() -> PreviewParams {
        PreviewParams { force: Some("pro-trial:trial".into()), context: Some("country:DE".into()), debug: true, expires: Some(2_000), ..PreviewParams::default() }
    }

    #[test]
    fn public_signatures_verify_only_unchanged_unexpired_links_of_the_same_secret() {
        let secret = b"worker-secret";
        let key = public_key(secret);
        let mut p = link();
        p.public_signature = Some(sign_public(&p, secret));
        assert!(verify_public(&p, &key, 1_000));
        assert_eq!(PreviewParams::from_query(&p.to_query()), p, "the signature survives the session cookie");
        assert!(!verify_public(&p, &key, 2_000), "expired");
        assert!(!verify_public(&p, &public_key(b"another secret"), 1_000), "another key");
        for tampered in [
            PreviewParams { force: Some("pro-trial:control".into()), ..p.clone() },
            PreviewParams { context: None, ..p.clone() },
            PreviewParams { debug: false, ..p.clone() },
            PreviewParams { expires: Some(9_999), ..p.clone() },
        ] {
            assert!(!verify_public(&tampered, &key, 1_000), "{tampered:?}");
        }
        // The public key is not the HMAC key and differs per secret.
        assert_ne!(key, public_key(b"worker-secreT"));
    }
}
