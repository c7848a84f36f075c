//! Civil time without a time zone database.
//!
//! The wasm engines ask the runtime's `Intl` for wall-clock fields (no tz data
//! in the module); the native CLI asks `chrono-tz`. Both hand the core a
//! [`LocalTime`], and the core only does calendar arithmetic, which lives here.

use std::fmt;

/// Wall-clock fields of an instant in some time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    /// 0 = Monday ... 6 = Sunday (ISO order).
    pub weekday: u8,
}

/// Day names as rule files and the `local_day` attribute spell them.
pub const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl LocalTime {
    pub fn minute_of_day(&self) -> u16 {
        self.hour as u16 * 60 + self.minute as u16
    }

    pub fn day_name(&self) -> &'static str {
        DAY_NAMES[(self.weekday % 7) as usize]
    }

    /// `YYYY-MM-DD`, the `local_date` attribute (compares as a string).
    pub fn date_string(&self) -> String {
        let mut out = String::with_capacity(10);
        crate::value::push_padded(self.year.into(), 4, &mut out);
        out.push('-');
        crate::value::push_padded(self.month.into(), 2, &mut out);
        out.push('-');
        crate::value::push_padded(self.day.into(), 2, &mut out);
        out
    }

    /// Wall-clock fields at a fixed UTC offset (seconds east of UTC).
    pub fn at_offset(epoch_seconds: i64, offset_seconds: i64) -> LocalTime {
        let local = epoch_seconds + offset_seconds;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        LocalTime {
            year,
            month,
            day,
            hour: (secs / 3600) as u8,
            minute: ((secs % 3600) / 60) as u8,
            weekday: weekday_from_days(days),
        }
    }
}

/// Something that knows time zones: `chrono-tz` natively, `Intl` in wasm.
pub trait ZoneClock {
    /// Wall-clock fields of `epoch_seconds` in the IANA zone `zone`, or
    /// `None` when the zone is unknown.
    fn local_time(&self, zone: &str, epoch_seconds: i64) -> Option<LocalTime>;
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm: exact for every date, no tables).
pub fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = year as i64 - if month <= 2 { 1 } else { 0 };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    ((y + if m <= 2 { 1 } else { 0 }) as i32, m, d)
}

/// 0 = Monday for days since the epoch (1970-01-01 was a Thursday).
pub fn weekday_from_days(days: i64) -> u8 {
    (days + 3).rem_euclid(7) as u8
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeParseError {
    pub input: String,
}

impl fmt::Display for TimeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not an RFC 3339 time such as 2026-12-24T18:30:00+01:00", self.input)
    }
}

/// An RFC 3339 timestamp as epoch seconds and the offset it was written
/// with. Fractions of a second are accepted and dropped.
pub fn parse_rfc3339(input: &str) -> Result<(i64, i64), TimeParseError> {
    let err = || TimeParseError { input: input.chars().take(64).collect() };
    let s = input.trim().as_bytes();
    if s.len() < 19 || !s.is_ascii() {
        return Err(err());
    }
    let num = |range: std::ops::Range<usize>| -> Result<i64, TimeParseError> {
        let digits = s.get(range).ok_or_else(err)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(err());
        }
        Ok(digits.iter().fold(0i64, |acc, d| acc * 10 + (d - b'0') as i64))
    };
    let sep = |i: usize, allowed: &[u8]| s.get(i).is_some_and(|c| allowed.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return Err(err());
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year as i32, month as u8) as i64 {
        return Err(err());
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(err());
    }
    let mut i = 19;
    if s.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(err());
        }
    }
    let offset = match s.get(i) {
        Some(b'Z') | Some(b'z') if i + 1 == s.len() => 0,
        Some(sign @ (b'+' | b'-')) if s.len() == i + 6 && s[i + 3] == b':' => {
            let (oh, om) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if oh > 23 || om > 59 {
                return Err(err());
            }
            let offset = oh * 3600 + om * 60;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return Err(err()),
    };
    let days = days_from_civil(year as i32, month as u8, day as u8);
    let local = days * 86_400 + hour * 3600 + minute * 60 + second.min(59);
    Ok((local - offset, offset))
}

pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses `HH:MM` into minutes after midnight; `24:00` is allowed as the end
/// of a day.
pub fn parse_clock(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for days in [-719_468i64, -1, 0, 1, 10_957, 20_819, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(weekday_from_days(0), 3); // Thursday
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok((0, 0)));
        assert_eq!(parse_rfc3339("2026-12-24T18:30:00+01:00"), Ok((1_798_133_400, 3600)));
        assert_eq!(parse_rfc3339("2026-12-24T18:30:00.123-05:30").map(|r| r.1), Ok(-19_800));
        for bad in ["", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-12-24 18:30", "2026-12-24T18:30:00", "2026-12-24T18:30:00+1:00", "２０２６-12-24T18:30:00Z"] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_time_at_offset() {
        let (epoch, offset) = parse_rfc3339("2026-12-24T18:30:00+01:00").unwrap();
        let t = LocalTime::at_offset(epoch, offset);
        assert_eq!((t.year, t.month, t.day, t.hour, t.minute), (2026, 12, 24, 18, 30));
        assert_eq!(t.day_name(), "thu");
        assert_eq!(t.date_string(), "2026-12-24");
    }

    #[test]
    fn clocks() {
        assert_eq!(parse_clock("08:00"), Some(480));
        assert_eq!(parse_clock("24:00"), Some(1440));
        assert_eq!(parse_clock("8:5"), None);
        assert_eq!(parse_clock("25:00"), None);
    }
}
