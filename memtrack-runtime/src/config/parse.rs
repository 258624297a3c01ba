//! Parsing and validating setting values, from text (environment) or typed (builder).

use std::time::Duration;

/// The kinds of value a setting takes; each knows its expected form.
pub(crate) trait SettingValue: Sized + Copy {
    /// The form, as written in error messages.
    const EXPECTED: &'static str;
    /// Parses environment text.
    fn parse(text: &str) -> Option<Self>;
    /// Validates a typed value (from the builder).
    fn is_valid(self) -> bool {
        true
    }
    /// The value as written in an error message.
    fn show(self) -> String;
}

/// Megabytes: finite and not negative.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Megabytes(pub(crate) f64);

impl SettingValue for Megabytes {
    const EXPECTED: &'static str = "a non-negative number of megabytes (e.g. 5 or 2.5)";
    fn parse(text: &str) -> Option<Self> {
        let v = Megabytes(text.trim().parse::<f64>().ok()?);
        v.is_valid().then_some(v)
    }
    fn is_valid(self) -> bool {
        self.0.is_finite() && self.0 >= 0.0
    }
    fn show(self) -> String {
        self.0.to_string()
    }
}

/// A whole number (bytes or a count).
impl SettingValue for u64 {
    const EXPECTED: &'static str = "a whole number (e.g. 500000)";
    fn parse(text: &str) -> Option<Self> {
        text.trim().replace('_', "").parse().ok()
    }
    fn show(self) -> String {
        self.to_string()
    }
}

/// A positive count.
impl SettingValue for usize {
    const EXPECTED: &'static str = "a whole number greater than 0 (e.g. 100)";
    fn parse(text: &str) -> Option<Self> {
        let v: usize = text.trim().replace('_', "").parse().ok()?;
        v.is_valid().then_some(v)
    }
    fn is_valid(self) -> bool {
        self > 0
    }
    fn show(self) -> String {
        self.to_string()
    }
}

/// The mean distance between sampled small blocks: 0 (sampling off) or a number of
/// bytes in the range the allocator accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SampleBytes(pub(crate) u64);

impl SettingValue for SampleBytes {
    const EXPECTED: &'static str =
        "0 (sampling off) or a whole number of bytes from 65536 to 1099511627776 (e.g. 262144)";
    fn parse(text: &str) -> Option<Self> {
        let v = SampleBytes(u64::parse(text)?);
        v.is_valid().then_some(v)
    }
    fn is_valid(self) -> bool {
        self.0 == 0 || crate::alloc::SAMPLE_INTERVALS.contains(&self.0)
    }
    fn show(self) -> String {
        self.0.to_string()
    }
}

/// How many monitor intervals a leak must grow through: the monitor keeps that many
/// growths per operation name, so the count is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LeakIntervals(pub(crate) usize);

/// The most intervals a leak may be asked to grow through (at the default interval
/// of a minute, most of a day).
pub(crate) const MAX_LEAK_INTERVALS: usize = 1000;

impl SettingValue for LeakIntervals {
    const EXPECTED: &'static str = "a whole number of intervals from 1 to 1000 (e.g. 3)";
    fn parse(text: &str) -> Option<Self> {
        let v = LeakIntervals(text.trim().replace('_', "").parse().ok()?);
        v.is_valid().then_some(v)
    }
    fn is_valid(self) -> bool {
        (1..=MAX_LEAK_INTERVALS).contains(&self.0)
    }
    fn show(self) -> String {
        self.0.to_string()
    }
}

/// A switch.
impl SettingValue for bool {
    const EXPECTED: &'static str = "true or false (also 1/0, yes/no, on/off)";
    fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Some(true),
            "false" | "0" | "no" | "off" => Some(false),
            _ => None,
        }
    }
    fn show(self) -> String {
        self.to_string()
    }
}

/// A duration in whole milliseconds; zero is allowed (a threshold of 0 logs everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Millis(pub(crate) Duration);

impl SettingValue for Millis {
    const EXPECTED: &'static str = "a whole number of milliseconds (e.g. 1000)";
    fn parse(text: &str) -> Option<Self> {
        let ms: u64 = text.trim().replace('_', "").parse().ok()?;
        Some(Millis(Duration::from_millis(ms)))
    }
    fn show(self) -> String {
        format!("{}ms", self.0.as_millis())
    }
}

/// A period in whole milliseconds, greater than zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period(pub(crate) Duration);

impl SettingValue for Period {
    const EXPECTED: &'static str = "a whole number of milliseconds greater than 0 (e.g. 30000)";
    fn parse(text: &str) -> Option<Self> {
        let v = Period(Millis::parse(text)?.0);
        v.is_valid().then_some(v)
    }
    fn is_valid(self) -> bool {
        !self.0.is_zero()
    }
    fn show(self) -> String {
        format!("{}ms", self.0.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn megabytes_reject_negative_nan_and_text() {
        assert_eq!(Megabytes::parse(" 2.5 "), Some(Megabytes(2.5)));
        assert_eq!(Megabytes::parse("-1"), None);
        assert_eq!(Megabytes::parse("NaN"), None);
        assert_eq!(Megabytes::parse("inf"), None);
        assert_eq!(Megabytes::parse("5MB"), None);
        assert_eq!(LeakIntervals::parse(" 3 "), Some(LeakIntervals(3)));
        assert_eq!(LeakIntervals::parse("1_000"), Some(LeakIntervals(1000)));
        assert_eq!(LeakIntervals::parse("1001"), None);
        assert_eq!(LeakIntervals::parse("0"), None);
        assert_eq!(LeakIntervals::parse("1000000000"), None);
        assert_eq!(SampleBytes::parse("0"), Some(SampleBytes(0)));
        assert_eq!(SampleBytes::parse("65_536"), Some(SampleBytes(65536)));
        assert_eq!(SampleBytes::parse("65535"), None);
        assert_eq!(SampleBytes::parse("1"), None);
        assert_eq!(SampleBytes::parse("1099511627777"), None);
    }

    #[test]
    fn whole_numbers_accept_underscores() {
        assert_eq!(u64::parse("500_000"), Some(500_000));
        assert_eq!(u64::parse("-5"), None);
        assert_eq!(usize::parse("0"), None);
        assert_eq!(usize::parse("100"), Some(100));
    }

    #[test]
    fn switches_accept_common_spellings() {
        for t in ["true", "1", "YES", "on"] {
            assert_eq!(bool::parse(t), Some(true), "{t}");
        }
        for f in ["false", "0", "no", "Off"] {
            assert_eq!(bool::parse(f), Some(false), "{f}");
        }
        assert_eq!(bool::parse("maybe"), None);
    }

    #[test]
    fn periods_must_be_positive() {
        assert_eq!(Period::parse("0"), None);
        assert_eq!(
            Period::parse("250"),
            Some(Period(Duration::from_millis(250)))
        );
        assert_eq!(Millis::parse("0"), Some(Millis(Duration::ZERO)));
    }
}
