//! Time zones through the JavaScript runtime's `Intl` (Workers and browsers),
//! so the wasm modules carry no time zone database.

use crate::time::{LocalTime, ZoneClock};
use wasm_bindgen::prelude::*;

// The wall clock comes back as one number, its fields in mixed radix
// (year, month 1-12, day 1-31, hour 0-23, minute 0-59, weekday 0-6 from
// Monday), or NaN: an array made wasm-bindgen's glue copy it into the
// module through an allocation, code in every visitor's download.
#[wasm_bindgen(inline_js = r#"
const formatters = new Map();
// zone -> [minute, packed]: a wall clock changes once a minute (every zone's
// offset is whole minutes), and formatToParts costs microseconds.
const recent = new Map();
export function tailor_local_time(zone, epochMs) {
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
    const packed = wd < 0 ? NaN : ((((+p.year * 13 + +p.month) * 32 + +p.day) * 24 + p.hour % 24) * 60 + +p.minute) * 7 + wd;
    if (recent.size > 64) recent.clear();
    recent.set(zone, [minute, packed]);
    return packed;
  } catch (e) {
    return NaN;
  }
}
"#)]
extern "C" {
    fn tailor_local_time(zone: &str, epoch_ms: f64) -> f64;
}

/// Wall clocks from `Intl.DateTimeFormat` (formatters cached per zone, and
/// the last minute's wall clock per zone).
pub struct IntlClock;

impl ZoneClock for IntlClock {
    fn local_time(&self, zone: &str, epoch_seconds: i64) -> Option<LocalTime> {
        let packed = tailor_local_time(zone, epoch_seconds as f64 * 1000.0);
        // NaN (an unknown zone) and what no wall clock packs to are `None`.
        if !(0.0..9e15).contains(&packed) || packed.fract() != 0.0 {
            return None;
        }
        let mut rest = packed as u64;
        let mut field = |radix: u64| {
            let value = rest % radix;
            rest /= radix;
            value as u8
        };
        let weekday = field(7);
        let minute = field(60);
        let hour = field(24);
        let day = field(32);
        let month = field(13);
        Some(LocalTime { year: rest as i32, month, day, hour, minute, weekday })
    }
}
