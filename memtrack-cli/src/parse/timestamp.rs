//! RFC 3339 timestamps as milliseconds since the Unix epoch, both ways.
//!
//! memtrack writes `2026-11-27T08:01:02.345Z`; other writers may give fewer or more
//! fractional digits or an offset (`+02:00`), all of which are read. The civil
//! calendar conversion is the proleptic Gregorian one, done with integer arithmetic.

const MILLIS_PER_DAY: i64 = 86_400_000;
/// Days in one 400-year Gregorian cycle.
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 to 1970-01-01.
const EPOCH_SHIFT_DAYS: i64 = 719_468;

/// Days since 1970-01-01 of the civil date `year-month-day`.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let march_month = (month + 9) % 12; // 0 = March ... 11 = February
    let day_of_year = (153 * march_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT_DAYS
}

/// Civil date `(year, month, day)` of the day `days` after 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + EPOCH_SHIFT_DAYS;
    let era = shifted.div_euclid(DAYS_PER_ERA);
    let day_of_era = shifted.rem_euclid(DAYS_PER_ERA);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    };
    (era * 400 + year_of_era + i64::from(month <= 2), month, day)
}

/// Reads `digits` ASCII digits at `at`.
fn number(bytes: &[u8], at: usize, digits: usize) -> Option<i64> {
    let slice = bytes.get(at..at + digits)?;
    slice.iter().try_fold(0_i64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

fn expect(bytes: &[u8], at: usize, what: &[u8]) -> Option<()> {
    bytes
        .get(at..at + what.len())
        .filter(|s| s.eq_ignore_ascii_case(what))
        .map(|_| ())
}

/// Days in `month` (1 to 12) of `year`, in the proleptic Gregorian calendar.
fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Milliseconds since the Unix epoch of an RFC 3339 date-time
/// (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`); `None` when `text` is not one.
///
/// ```
/// use memtrack_cli::parse::timestamp::parse_rfc3339;
///
/// assert_eq!(parse_rfc3339("1970-01-01T00:00:01.5Z"), Some(1_500));
/// assert_eq!(parse_rfc3339("2026-11-27T10:01:02.345+02:00"), Some(1_795_766_462_345));
/// assert_eq!(parse_rfc3339("yesterday"), None);
/// // Days that are not in their month, and offsets past a day, are not times.
/// assert_eq!(parse_rfc3339("2026-02-29T00:00:00Z"), None);
/// assert!(parse_rfc3339("2028-02-29T00:00:00Z").is_some());
/// assert_eq!(parse_rfc3339("2026-04-31T00:00:00Z"), None);
/// assert_eq!(parse_rfc3339("2026-11-27T10:01:02+99:99"), None);
/// ```
#[must_use]
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let year = number(b, 0, 4)?;
    expect(b, 4, b"-")?;
    let month = number(b, 5, 2)?;
    expect(b, 7, b"-")?;
    let day = number(b, 8, 2)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = number(b, 11, 2)?;
    expect(b, 13, b":")?;
    let minute = number(b, 14, 2)?;
    expect(b, 16, b":")?;
    let second = number(b, 17, 2)?;
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut millis = 0_i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 3 {
                millis = millis * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        for _ in (at - start)..3 {
            millis *= 10;
        }
    }
    let offset_minutes = match b.get(at) {
        Some(b'Z' | b'z') if at + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if at + 6 == b.len() => {
            let hours = number(b, at + 1, 2)?;
            expect(b, at + 3, b":")?;
            let minutes = number(b, at + 4, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let total = hours * 60 + minutes;
            if sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1_000 + millis)
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for `millis` since the Unix epoch.
///
/// ```
/// use memtrack_cli::parse::timestamp::format_rfc3339;
///
/// assert_eq!(format_rfc3339(1_795_766_462_345), "2026-11-27T08:01:02.345Z");
/// ```
#[must_use]
pub fn format_rfc3339(millis: i64) -> String {
    let (date, time) = split(millis);
    format!("{date}T{time}Z")
}

/// `HH:MM:SS.mmm` (UTC) of `millis`.
///
/// ```
/// use memtrack_cli::parse::timestamp::format_clock;
///
/// assert_eq!(format_clock(1_795_766_462_345), "08:01:02.345");
/// ```
#[must_use]
pub fn format_clock(millis: i64) -> String {
    split(millis).1
}

/// `YYYY-MM-DD` (UTC) of `millis`.
///
/// ```
/// use memtrack_cli::parse::timestamp::format_date;
///
/// assert_eq!(format_date(1_795_766_462_345), "2026-11-27");
/// ```
#[must_use]
pub fn format_date(millis: i64) -> String {
    split(millis).0
}

/// The UTC day number of `millis` (days since 1970-01-01).
#[must_use]
pub fn day_of(millis: i64) -> i64 {
    millis.div_euclid(MILLIS_PER_DAY)
}

fn split(millis: i64) -> (String, String) {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let in_day = millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let date = format!("{year:04}-{month:02}-{day:02}");
    let time = format!(
        "{:02}:{:02}:{:02}.{:03}",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1_000 % 60,
        in_day % 1_000
    );
    (date, time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memtrack_timestamps_round_trip() {
        for millis in [
            0,
            1,
            -1,
            951_782_400_000,
            1_709_164_800_000,
            1_795_766_462_345,
            253_402_300_799_999,
        ] {
            let text = format_rfc3339(millis);
            assert_eq!(parse_rfc3339(&text), Some(millis), "{text}");
        }
    }

    #[test]
    fn day_numbers_match_both_ways() {
        for days in -800_000..800_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn fractions_offsets_and_separators() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.1Z"), Some(100));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.12Z"), Some(120));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.123456789Z"), Some(123));
        assert_eq!(parse_rfc3339("1970-01-01 00:00:01z"), Some(1_000));
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00-00:30"), Some(1_800_000));
    }

    #[test]
    fn rejects_what_is_not_a_date_time() {
        for text in [
            "",
            "2026",
            "2026-11-27",
            "2026-11-27T08:01",
            "2026-11-27T08:01:02",
            "2026-11-27T08:01:02.Z",
            "2026-13-27T08:01:02Z",
            "2026-11-27T24:01:02Z",
            "2026-11-27T08:01:02Zjunk",
            "2026-11-27T08:01:02+0100",
            "２026-11-27T08:01:02Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?}");
        }
    }

    #[test]
    fn clock_and_date() {
        assert_eq!(format_clock(-1), "23:59:59.999");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_of(86_400_000), 1);
    }
}
