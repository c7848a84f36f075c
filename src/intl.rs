//! Time zones through the JavaScript runtime's `Intl` (Workers and browsers),
//! so the wasm modules carry no time zone database.

use crate::time::{LocalTime, ZoneClock};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
const formatters = new Map();
// zone -> [minute, parts]: a wall clock changes once a minute (every zone's
// offset is whole minutes), and formatToParts costs microseconds.
const recent = new Map();
export function tailor_local_parts(zone, epochMs) {
  const minute = Math.floor(epochMs / 60000);
  const hit = recent.get(zone);
  if (hit && hit[0] === minute) return hit[1];
  try {
    let f = formatters.get(zone);
    if (!f) {
      f = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric",
        month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", weekday: "short" });
      if (formatters.size > 64) formatters.clear();
      formatters.set(zone, f);
    }
    const p = {};
    for (const part of f.formatToParts(new Date(minute * 60000))) p[part.type] = part.value;
    const wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].indexOf(p.weekday);
    const parts = [Number(p.year), Number(p.month), Number(p.day), Number(p.hour) % 24, Number(p.minute), wd];
    if (recent.size > 64) recent.clear();
    recent.set(zone, [minute, parts]);
    return parts;
  } catch (e) {
    return undefined;
  }
}
"#)]
extern "C" {
    fn tailor_local_parts(zone: &str, epoch_ms: f64) -> Option<Vec<f64>>;
}

/// Wall clocks from `Intl.DateTimeFormat` (formatters cached per zone, and
/// the last minute's wall clock per zone).
pub struct IntlClock;

impl ZoneClock for IntlClock {
    fn local_time(&self, zone: &str, epoch_seconds: i64) -> Option<LocalTime> {
        let p = tailor_local_parts(zone, epoch_seconds as f64 * 1000.0)?;
        if p.len() != 6 || p.iter().any(|v| !v.is_finite()) || p[5] < 0.0 {
            return None;
        }
        Some(LocalTime {
            year: p[0] as i32,
            month: p[1] as u8,
            day: p[2] as u8,
            hour: p[3] as u8,
            minute: p[4] as u8,
            weekday: p[5] as u8,
        })
    }
}
