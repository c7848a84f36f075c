//! The native command line: `check`, `build`, `explain`, `rewrite`.
//!
//! `explain` and `rewrite` simulate a request with flags and run the very
//! engine the edge runs (same context builder, decision, plan and rewrite),
//! so what QA sees here is what visitors get.

mod args;
mod artifact;

use args::{ArgError, Args};
use std::io::Write;
use tailor::compile::{self, diagnostic::Severity, zone::ChronoClock, Compiled};
use tailor::context::{Context, Geo, RequestFacts};
use tailor::decide::{decide, Outcome, SkipDisplay};
use tailor::plan::Plan;
use tailor::rewrite::rewrite_page;
use tailor::state::{campaign_report, via_name, write_state};
use tailor::value::{json_text, Value};
use tailor::Ruleset;

const USAGE: &str = "\
tailor: personalization rules for the edge and the browser

usage:
  tailor check RULES [--format text|json]
  tailor build RULES --out DIR [--engine DIR] [--evaluate]
      (--evaluate: the browser engine with window.tailor.evaluate, 1.7 KB gzip more)
  tailor explain RULES --url URL [CONTEXT] [--format text|json]
  tailor rewrite RULES --page FILE.html [--url URL] [CONTEXT]
  tailor preview-link RULES --url URL [--force CAMPAIGN:VARIANT]... [--ctx ATTR:VALUE,...] [--debug] [--ttl 24h]
      (signs with the key in $TAILOR_PREVIEW_KEY when [site] preview is signed)

CONTEXT (a simulated request):
  --ua USER-AGENT   --country CC   --region R   --city C   --continent XX
  --time RFC3339 (default now)     --tz IANA (visitor time zone; default: site time zone)
  --cookie NAME=VALUE ...          --header NAME:VALUE ...
  --visitor ID (visitor id; default: none, or the visitor cookie)
  --lang de-DE   --referrer URL

Exit status: 0 ok, 1 rule errors, 2 usage or I/O errors.
";

const CONTEXT_FLAGS: &[&str] =
    &["url", "ua", "country", "region", "city", "continent", "time", "tz", "cookie", "header", "visitor", "lang", "referrer"];

pub fn run(raw: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(command) = raw.first() else {
        let _ = write!(err, "{USAGE}");
        return 2;
    };
    let rest = &raw[1..];
    let result = match command.as_str() {
        "check" => check(rest, out),
        "build" => build(rest, out, err),
        "explain" => explain(rest, out, err),
        "rewrite" => rewrite(rest, out, err),
        "preview-link" => preview_link(rest, out, err),
        "help" | "--help" | "-h" => {
            let _ = write!(out, "{USAGE}");
            Ok(0)
        }
        "version" | "--version" | "-V" => {
            let _ = writeln!(out, "tailor {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            let _ = writeln!(err, "tailor: {message}");
            2
        }
    }
}

fn usage(e: ArgError) -> String {
    format!("{e}\n\n{USAGE}")
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn rules_path(args: &Args) -> Result<&str, String> {
    match args.positional.as_slice() {
        [path] => Ok(path),
        [] => Err(usage(ArgError::Missing("the rule file (RULES)"))),
        more => Err(format!("expected one rule file, got {}", more.len())),
    }
}

fn compile_rules(path: &str) -> Result<Compiled, String> {
    compile::compile_file(path, now()).map_err(|e| format!("cannot read {path}: {e}"))
}

/// Compiles and prints diagnostics to `err`; the ruleset when there were no errors.
fn load(path: &str, err: &mut dyn Write) -> Result<Option<Ruleset>, String> {
    let compiled = compile_rules(path)?;
    for d in &compiled.diagnostics {
        let _ = writeln!(err, "{d}");
    }
    Ok(compiled.ruleset)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn check(raw: &[String], out: &mut dyn Write) -> Result<i32, String> {
    let args = Args::parse(raw, &["format"], &[]).map_err(usage)?;
    let path = rules_path(&args)?;
    let compiled = compile_rules(path)?;
    let errors = compiled.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let warnings = compiled.diagnostics.len() - errors;
    match args.get("format").unwrap_or("text") {
        "json" => {
            let items: Vec<String> = compiled.diagnostics.iter().map(|d| d.to_json()).collect();
            let _ = writeln!(
                out,
                "{{\"file\":{},\"ok\":{},\"errors\":{errors},\"warnings\":{warnings},\"diagnostics\":[{}]}}",
                Value::String(path.to_string()).to_json(),
                errors == 0,
                items.join(",")
            );
        }
        "text" => {
            for d in &compiled.diagnostics {
                let _ = writeln!(out, "{d}");
            }
            if let Some(rules) = &compiled.ruleset {
                let _ = writeln!(
                    out,
                    "{path}: ok: {} campaigns, {} segments, {}",
                    rules.campaigns.len(),
                    rules.segments.len(),
                    plural(warnings, "warning")
                );
            } else {
                let _ = writeln!(out, "{path}: {}, {}", plural(errors, "error"), plural(warnings, "warning"));
            }
        }
        other => return Err(format!("--format must be text or json, not `{other}`")),
    }
    Ok(if errors > 0 { 1 } else { 0 })
}

fn build(raw: &[String], out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let args = Args::parse(raw, &["out", "engine"], &["evaluate"]).map_err(usage)?;
    let path = rules_path(&args)?;
    let out_dir = args.get("out").ok_or_else(|| usage(ArgError::Missing("--out DIR")))?;
    let engine = args
        .get("engine")
        .map(str::to_string)
        .or_else(|| std::env::var("TAILOR_ENGINE").ok())
        .unwrap_or_else(|| "build/engine".to_string());
    let started = std::time::Instant::now();
    let Some(rules) = load(path, err)? else { return Ok(1) };
    // Signed previews in the browser without the worker: the public half of
    // the preview secret goes into the browser wasm (never the secret).
    let secret = std::env::var("TAILOR_PREVIEW_KEY").ok().filter(|k| !k.is_empty());
    let public_key = match (rules.site.preview, secret) {
        (tailor::preview::PreviewMode::Signed, Some(secret)) => Some(tailor::preview::public_key(secret.as_bytes())),
        (tailor::preview::PreviewMode::Signed, None) => {
            let _ = writeln!(
                err,
                "note: [site] preview = \"signed\" without TAILOR_PREVIEW_KEY: only the worker can check preview links \
                 (build with the secret set to let the script tag check them too)"
            );
            None
        }
        _ => None,
    };
    let options = artifact::BrowserOptions { preview_public_key: public_key, evaluate: args.has("evaluate") };
    let report = artifact::write_artifacts(&rules, std::path::Path::new(&engine), std::path::Path::new(out_dir), &options)?;
    let browser = report.browser.map_or(String::new(), |b| {
        let build = if b.all_operators { "with every condition operator" } else { "common operators" };
        let evaluate = if b.evaluate { ", with evaluate" } else { "" };
        format!(", {out_dir}/browser/tailor.wasm ({} B, {build}{evaluate})", b.wasm_bytes)
    });
    let _ = writeln!(
        out,
        "built {out_dir}: ruleset {} B in {} ({} B){browser} in {} ms",
        report.ruleset_bytes,
        report.worker_wasm.display(),
        report.worker_wasm_bytes,
        started.elapsed().as_millis()
    );
    Ok(0)
}

/// The simulated request from CONTEXT flags.
fn facts_from_args(args: &Args, rules: &Ruleset) -> Result<RequestFacts, String> {
    let url = args.get("url").unwrap_or("https://localhost/").to_string();
    if !url.contains("://") {
        return Err(format!("--url must be absolute, like https://shop.example{url}"));
    }
    let (now, time_offset) = match args.get("time") {
        Some(t) => tailor::time::parse_rfc3339(t).map(|(e, o)| (e, Some(o))).map_err(|e| format!("--time: {e}"))?,
        None => (now(), None),
    };
    let timezone = match args.get("tz") {
        Some(tz) if compile::zone::is_known_zone(tz) => tz.to_string(),
        Some(tz) => return Err(format!("--tz: unknown time zone `{tz}`")),
        None => {
            let _ = time_offset;
            rules.site.timezone.clone()
        }
    };
    let mut cookies = Vec::new();
    for c in args.all("cookie") {
        let (name, value) = c.split_once('=').ok_or_else(|| format!("--cookie `{c}` must be NAME=VALUE"))?;
        cookies.push(format!("{}={}", name.trim(), value.trim()));
    }
    if let Some(visitor) = args.get("visitor") {
        cookies.push(format!("{}={visitor}", rules.site.visitor_cookie));
    }
    let mut headers = Vec::new();
    for h in args.all("header") {
        let (name, value) = h.split_once(':').ok_or_else(|| format!("--header `{h}` must be NAME:VALUE"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let header = |name: &str| find_header(&headers, name);
    let user_agent = args.get("ua").map(str::to_string).or_else(|| header("user-agent"));
    let (ch_mobile, ch_platform, ch_brands) = (header("sec-ch-ua-mobile"), header("sec-ch-ua-platform"), header("sec-ch-ua"));
    let accept_language = args.get("lang").map(str::to_string).or_else(|| header("accept-language"));
    let referrer = args.get("referrer").map(str::to_string).or_else(|| header("referer"));
    if let Some(ua) = &user_agent {
        headers.push(("user-agent".into(), ua.clone()));
    }
    if !cookies.is_empty() {
        headers.push(("cookie".into(), cookies.join("; ")));
    }
    let gpc = find_header(&headers, "sec-gpc").is_some_and(|v| v == "1");
    Ok(RequestFacts {
        url,
        user_agent,
        ch_mobile,
        ch_platform,
        ch_brands,
        cookies: (!cookies.is_empty()).then(|| cookies.join("; ")),
        accept_language,
        referrer,
        geo: Geo {
            country: args.get("country").map(str::to_string),
            region: args.get("region").map(str::to_string),
            city: args.get("city").map(str::to_string),
            continent: args.get("continent").map(str::to_string),
            eu: None,
            timezone: Some(timezone),
        },
        headers,
        now,
        fresh_visitor_id: None,
        custom: Vec::new(),
        gpc,
    })
}

fn find_header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

fn explain(raw: &[String], out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let args = Args::parse(raw, &[CONTEXT_FLAGS, &["format"]].concat(), &[]).map_err(usage)?;
    let path = rules_path(&args)?;
    if args.get("url").is_none() {
        return Err(usage(ArgError::Missing("--url URL")));
    }
    let Some(rules) = load(path, err)? else { return Ok(1) };
    let facts = facts_from_args(&args, &rules)?;
    let ctx = Context::for_site(&facts, &rules.site, &ChronoClock);
    let decision = decide(&rules, &ctx);
    let plan = Plan::build(&rules, &decision, &ctx);

    let campaigns = campaign_report(&rules, &decision);

    match args.get("format").unwrap_or("text") {
        "json" => {
            let mut report = String::from("{");
            json_text::key(&mut report, "attributes");
            ctx.attributes.write_json(&mut report);
            if let Some(t) = ctx.site_time {
                json_text::key(&mut report, "site_time");
                let time = format!("{} {} {:02}:{:02} {}", t.date_string(), t.day_name(), t.hour, t.minute, rules.site.timezone);
                json_text::string(&mut report, Some(&time));
            }
            json_text::key(&mut report, "campaigns");
            campaigns.write_json(&mut report);
            json_text::key(&mut report, "plan");
            plan.write_json(&rules, &mut report);
            json_text::key(&mut report, "state");
            write_state(&rules, &decision, &ctx, false, false, &mut report);
            report.push('}');
            let _ = writeln!(out, "{report}");
        }
        "text" => {
            let a = &ctx.attributes;
            let show = |k: &str| a.get(k).map_or("-".to_string(), Value::to_js_string);
            let _ = writeln!(out, "request  {}", facts.url);
            let _ = writeln!(
                out,
                "context  device={} os={} browser={} country={} region={} city={} language={} local={} {}:00 ({})",
                show("device"), show("os"), show("browser"), show("country"), show("region"), show("city"),
                show("language"), show("local_day"), show("local_hour"), show("timezone")
            );
            if let Some(t) = ctx.site_time {
                let _ = writeln!(out, "site     {} {} {:02}:{:02} {}", t.date_string(), t.day_name(), t.hour, t.minute, rules.site.timezone);
            }
            let _ = writeln!(out, "visitor  {}", ctx.visitor_id.as_deref().unwrap_or("(none: A/B tests are skipped; pass --visitor ID)"));
            let _ = writeln!(out);
            for (campaign, outcome) in rules.campaigns.iter().zip(&decision.outcomes) {
                match outcome {
                    Outcome::Assigned(a) => {
                        let bucket = a.bucket.map_or(String::new(), |b| format!(", bucket {b:.4}"));
                        let _ = writeln!(out, "  yes  {} -> {} ({}{bucket})", campaign.id, campaign.variants[a.variant].id, via_name(a.via));
                    }
                    Outcome::Skipped(skip) => {
                        let _ = writeln!(out, "  no   {}: {}", campaign.id, SkipDisplay { skip, rules: &rules });
                    }
                }
            }
            let _ = writeln!(out);
            if let Some((c, url)) = &plan.redirect {
                let _ = writeln!(out, "redirect {url} (campaign {})", rules.campaigns[*c].id);
            }
            if plan.changes.is_empty() {
                let _ = writeln!(out, "changes  none");
            } else {
                let _ = writeln!(out, "changes");
                for change in &plan.changes {
                    let value = plan_value_text(&change.action);
                    let _ = writeln!(out, "  {:<24} {:<12} {value}  [{}]", change.selector, change.action.name(), rules.campaigns[change.campaign].id);
                }
            }
        }
        other => return Err(format!("--format must be text or json, not `{other}`")),
    }
    Ok(0)
}

fn plan_value_text(action: &tailor::model::Action<String>) -> String {
    use tailor::model::Action;
    match action {
        Action::Text(s) | Action::Html(s) | Action::Before(s) | Action::After(s) | Action::Prepend(s) | Action::Append(s) | Action::Replace(s) => {
            format!("{s:?}")
        }
        Action::SetAttr(pairs) => pairs.iter().map(|(k, v)| format!("{k}={v:?}")).collect::<Vec<_>>().join(" "),
        Action::RemoveAttr(v) | Action::AddClass(v) | Action::RemoveClass(v) => v.join(" "),
        Action::Remove => String::new(),
    }
}

fn rewrite(raw: &[String], out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    let args = Args::parse(raw, &[CONTEXT_FLAGS, &["page"]].concat(), &["no-state"]).map_err(usage)?;
    let path = rules_path(&args)?;
    let page_path = args.get("page").ok_or_else(|| usage(ArgError::Missing("--page FILE.html")))?;
    let page = std::fs::read(page_path).map_err(|e| format!("cannot read {page_path}: {e}"))?;
    let Some(rules) = load(path, err)? else { return Ok(1) };
    let facts = facts_from_args(&args, &rules)?;
    let ctx = Context::for_site(&facts, &rules.site, &ChronoClock);
    let decision = decide(&rules, &ctx);
    let plan = Plan::build(&rules, &decision, &ctx);
    if let Some((_, url)) = &plan.redirect {
        let _ = writeln!(err, "tailor: this request is redirected (302) to {url}");
    }
    // The same rule as the edge: a page nobody personalizes is left as it is.
    let rewritten = if decision.assigned().next().is_none() {
        page
    } else {
        let script = (!args.has("no-state")).then(|| {
            let mut script = String::from("<script type=\"application/json\" id=\"tailor-state\">");
            write_state(&rules, &decision, &ctx, true, false, &mut script);
            script.push_str("</script>");
            script
        });
        rewrite_page(&page, &plan, script).map_err(|e| e.to_string())?
    };
    out.write_all(&rewritten).map_err(|e| e.to_string())?;
    Ok(0)
}

/// `--ttl 24h` / `90m` / `3600s` / `7d` in seconds.
fn parse_ttl(text: &str) -> Result<i64, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: i64 = number.parse().map_err(|_| format!("--ttl `{text}`: write it like 24h, 90m or 7d"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("--ttl `{text}`: the unit must be s, m, h or d")),
    };
    Ok(n * scale)
}

fn preview_link(raw: &[String], out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, String> {
    use tailor::preview::{self, PreviewMode, PreviewParams};
    let args = Args::parse(raw, &["url", "force", "ctx", "ttl"], &["debug", "off"]).map_err(usage)?;
    let path = rules_path(&args)?;
    let url = args.get("url").ok_or_else(|| usage(ArgError::Missing("--url URL")))?;
    let Some(rules) = load(path, err)? else { return Ok(1) };
    let forced: Vec<&str> = args.all("force").collect();
    let mut params = PreviewParams {
        force: if args.has("off") { Some("off".to_string()) } else if forced.is_empty() { None } else { Some(forced.join(",")) },
        context: args.get("ctx").map(str::to_string),
        debug: args.has("debug"),
        ..PreviewParams::default()
    };
    // Check the ids now: a link that forces nothing is no use to QA.
    let check = preview::resolve(&rules, &params, PreviewMode::Open, None, 0);
    if !check.notes.is_empty() {
        return Err(check.notes.join("; "));
    }
    if rules.site.preview == PreviewMode::Signed {
        let key = std::env::var("TAILOR_PREVIEW_KEY").ok().filter(|k| !k.is_empty()).ok_or("[site] preview = \"signed\": set TAILOR_PREVIEW_KEY to the worker's secret")?;
        params.expires = Some(now() + parse_ttl(args.get("ttl").unwrap_or("24h"))?);
        params.signature = Some(preview::sign(&params, key.as_bytes()));
        // For the script tag on pages the worker does not serve (its bundle
        // holds the public key when `tailor build` ran with the same secret).
        params.public_signature = Some(preview::sign_public(&params, key.as_bytes()));
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    let _ = writeln!(out, "{url}{separator}{}", params.to_query());
    Ok(0)
}
