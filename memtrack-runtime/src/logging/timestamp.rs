//! RFC 3339 timestamps in UTC with millisecond precision (`2026-11-27T08:01:02.345Z`).
//!
//! The conversion from a count of days to a civil (proleptic Gregorian) date is done
//! here rather than through a date crate: it is a few lines of integer arithmetic.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

const MILLIS_PER_DAY: i64 = 86_400_000;
/// Days in one 400-year Gregorian cycle.
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 to 1970-01-01.
const EPOCH_SHIFT_DAYS: i64 = 719_468;

/// Milliseconds since the Unix epoch now (negative before 1970, should the clock say so).
pub(crate) fn now_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

/// Civil date `(year, month 1..=12, day 1..=31)` of the day `days` after 1970-01-01.
///
/// Days are counted from 0000-03-01 so that the leap day is the last day of a
/// "year"; a 400-year era then always holds 146 097 days and the month of a
/// March-based day of year follows from `(5 * doy + 2) / 153`.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + EPOCH_SHIFT_DAYS;
    let era = shifted.div_euclid(DAYS_PER_ERA);
    let day_of_era = shifted.rem_euclid(DAYS_PER_ERA); // 0..=146_096
    // Year of era: remove the leap days that precede `day_of_era` (one every 4 years,
    // none every 100, one again at the end of the era), then divide by 365.
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153; // 0 = March ... 11 = February
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    };
    let year = era * 400 + year_of_era + i64::from(month <= 2);
    // Both are in range by construction (1..=12 and 1..=31).
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

/// Appends `millis` (since the Unix epoch) as `YYYY-MM-DDTHH:MM:SS.mmmZ` to `out`.
pub(crate) fn write_rfc3339_millis(out: &mut Vec<u8>, millis: i64) {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let in_day = millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let hour = in_day / 3_600_000;
    let minute = in_day / 60_000 % 60;
    let second = in_day / 1_000 % 60;
    let milli = in_day % 1_000;
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}Z"
    );
}

/// The current time as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn now_rfc3339() -> String {
    let mut out = Vec::with_capacity(24);
    write_rfc3339_millis(&mut out, now_millis());
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(millis: i64) -> String {
        let mut out = Vec::new();
        write_rfc3339_millis(&mut out, millis);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn known_instants() {
        assert_eq!(format(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format(1), "1970-01-01T00:00:00.001Z");
        assert_eq!(format(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format(1_795_766_462_345), "2026-11-27T08:01:02.345Z");
        assert_eq!(format(946_684_799_999), "1999-12-31T23:59:59.999Z");
        assert_eq!(format(946_684_800_000), "2000-01-01T00:00:00.000Z");
        assert_eq!(format(253_402_300_799_999), "9999-12-31T23:59:59.999Z");
        assert_eq!(format(-62_135_596_800_000), "0001-01-01T00:00:00.000Z");
    }

    #[test]
    fn leap_years() {
        // 2000 is a leap year (divisible by 400).
        assert_eq!(format(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(format(951_868_800_000), "2000-03-01T00:00:00.000Z");
        // 2024 is a leap year.
        assert_eq!(format(1_709_164_800_000), "2024-02-29T00:00:00.000Z");
        assert_eq!(format(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        // 2023 is not.
        assert_eq!(format(1_677_628_799_999), "2023-02-28T23:59:59.999Z");
        assert_eq!(format(1_677_628_800_000), "2023-03-01T00:00:00.000Z");
        // 1900 and 2100 are not (divisible by 100, not by 400).
        assert_eq!(format(-2_203_977_600_000), "1900-02-28T00:00:00.000Z");
        assert_eq!(format(-2_203_891_200_000), "1900-03-01T00:00:00.000Z");
        assert_eq!(format(4_107_456_000_000), "2100-02-28T00:00:00.000Z");
        assert_eq!(format(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
        // End of a leap year: day 366.
        assert_eq!(format(1_735_603_200_000), "2024-12-31T00:00:00.000Z");
    }

    fn is_leap(year: i64) -> bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    fn month_len(year: i64, month: u32) -> u32 {
        match month {
            2 if is_leap(year) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// Walks day by day from 1970-01-01 forwards and backwards over ~550 years each
    /// way and compares every day with the closed-form conversion.
    #[test]
    fn matches_a_day_by_day_calendar() {
        let (mut year, mut month, mut day) = (1970_i64, 1_u32, 1_u32);
        for days in 0..200_000_i64 {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            day += 1;
            if day > month_len(year, month) {
                day = 1;
                month += 1;
                if month > 12 {
                    month = 1;
                    year += 1;
                }
            }
        }
        let (mut year, mut month, mut day) = (1970_i64, 1_u32, 1_u32);
        for days in (-200_000_i64..=0).rev() {
            assert_eq!(civil_from_days(days), (year, month, day), "day {days}");
            day -= 1;
            if day == 0 {
                month -= 1;
                if month == 0 {
                    month = 12;
                    year -= 1;
                }
                day = month_len(year, month);
            }
        }
    }

    #[test]
    fn extreme_values_do_not_panic() {
        assert!(!format(i64::MAX).is_empty());
        assert!(!format(i64::MIN).is_empty());
    }

    #[test]
    fn now_is_after_2024() {
        assert!(now_millis() > 1_704_067_200_000);
    }
}
