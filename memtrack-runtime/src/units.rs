//! Byte and megabyte conversions shared by every event.

/// Bytes in one megabyte (2^20).
pub(crate) const MB: f64 = 1024.0 * 1024.0;

/// Bytes as megabytes, rounded to two decimals (enough to keep small operations
/// visible without noise).
#[allow(clippy::cast_precision_loss)]
pub(crate) fn mb(bytes: u64) -> f64 {
    round2(bytes as f64 / MB)
}

/// A signed byte difference as megabytes, rounded to two decimals.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn mb_signed(bytes: i64) -> f64 {
    round2(bytes as f64 / MB)
}

/// Megabytes (a threshold) as bytes, saturating; negative or NaN give zero.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn mb_to_bytes(mb: f64) -> u64 {
    if mb.is_nan() || mb <= 0.0 {
        0
    } else {
        (mb * MB).min(u64::MAX as f64) as u64
    }
}

/// The signed difference `end - start`, saturating at the `i64` range.
#[allow(clippy::cast_possible_wrap)]
pub(crate) fn delta(start: u64, end: u64) -> i64 {
    if end >= start {
        i64::try_from(end - start).unwrap_or(i64::MAX)
    } else {
        i64::try_from(start - end).map_or(i64::MIN, |d| -d)
    }
}

/// Rounded to two decimals, as every figure in events is.
pub(crate) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A duration in milliseconds with microsecond precision (three decimals).
pub(crate) fn millis(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn megabytes_round_to_two_decimals() {
        assert!((mb(5 * 1024 * 1024) - 5.0).abs() < f64::EPSILON);
        assert!((mb(1_572_864) - 1.5).abs() < f64::EPSILON);
        assert!((mb_signed(-3 * 1024 * 1024) + 3.0).abs() < f64::EPSILON);
        assert!((mb(10_000) - 0.01).abs() < f64::EPSILON);
    }

    #[test]
    fn thresholds_convert_and_saturate() {
        assert_eq!(mb_to_bytes(5.0), 5 * 1024 * 1024);
        assert_eq!(mb_to_bytes(-1.0), 0);
        assert_eq!(mb_to_bytes(f64::NAN), 0);
        assert_eq!(mb_to_bytes(f64::INFINITY), u64::MAX);
    }

    #[test]
    fn deltas_are_signed_and_saturate() {
        assert_eq!(delta(10, 15), 5);
        assert_eq!(delta(15, 10), -5);
        assert_eq!(delta(0, u64::MAX), i64::MAX);
        assert_eq!(delta(u64::MAX, 0), i64::MIN);
    }

    #[test]
    fn millis_keep_microseconds() {
        assert!((millis(std::time::Duration::from_micros(1500)) - 1.5).abs() < 1e-9);
    }
}
