//! Time zones for the native side (compiler, CLI), from `chrono-tz`. The wasm
//! engines use the runtime's `Intl` instead, so this table never ships there.

use crate::time::{LocalTime, ZoneClock};
use chrono::{Datelike, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

pub struct ChronoClock;

impl ZoneClock for ChronoClock {
    fn local_time(&self, zone: &str, epoch_seconds: i64) -> Option<LocalTime> {
        let tz: Tz = zone.parse().ok()?;
        let utc = chrono::DateTime::from_timestamp(epoch_seconds, 0)?;
        let local = utc.with_timezone(&tz);
        Some(LocalTime {
            year: local.year(),
            month: local.month() as u8,
            day: local.day() as u8,
            hour: local.hour() as u8,
            minute: local.minute() as u8,
            weekday: local.weekday().num_days_from_monday() as u8,
        })
    }
}

pub fn is_known_zone(zone: &str) -> bool {
    zone.parse::<Tz>().is_ok()
}

/// Epoch seconds of a wall-clock time (`2026-12-01T00:00:00`) in `zone`. In a
/// daylight-saving gap or overlap the earliest valid instant is taken.
pub fn local_to_epoch(text: &str, zone: &str) -> Option<i64> {
    let tz: Tz = zone.parse().ok()?;
    let text = text.trim().replace(' ', "T");
    let naive = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f"))
        .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M"))
        .ok()?;
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => Some(t.timestamp()),
        chrono::LocalResult::Ambiguous(a, _) => Some(a.timestamp()),
        chrono::LocalResult::None => {
            // A spring-forward gap: shift by the zone's offset an hour later.
            let later = naive + chrono::Duration::hours(1);
            tz.from_local_datetime(&later).earliest().map(|t| t.timestamp() - 3600)
        }
    }
}

/// The UTC offset of `zone` at `epoch_seconds`.
pub fn offset_seconds(zone: &str, epoch_seconds: i64) -> Option<i64> {
    let tz: Tz = zone.parse().ok()?;
    let utc = chrono::DateTime::from_timestamp(epoch_seconds, 0)?;
    Some(tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_wall_clock() {
        let t = ChronoClock.local_time("Europe/Berlin", 1_798_133_400).unwrap();
        assert_eq!((t.hour, t.minute, t.weekday), (18, 30, 3));
        assert_eq!(local_to_epoch("2026-12-24T18:30:00", "Europe/Berlin"), Some(1_798_133_400));
        assert!(is_known_zone("America/New_York"));
        assert!(!is_known_zone("Europe/Berlim"));
        assert_eq!(offset_seconds("Europe/Berlin", 1_798_133_400), Some(3600));
    }
}
