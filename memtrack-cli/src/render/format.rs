//! Numbers, sizes, durations and times as the summary prints them.

use crate::parse::timestamp::{day_of, format_clock, format_date};

const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A byte count in B, KB, MB or GB (powers of 1024, as the log's MB are).
///
/// ```
/// use memtrack_cli::render::format::bytes;
///
/// assert_eq!(bytes(512.0), "512 B");
/// assert_eq!(bytes(26_214_400.0), "25.0 MB");
/// assert_eq!(bytes(-3.5 * 1024.0), "-3.5 KB");
/// ```
#[must_use]
pub fn bytes(v: f64) -> String {
    let a = v.abs();
    if a >= GIB {
        format!("{} GB", fixed(v / GIB, 2))
    } else if a >= MIB {
        format!("{:.1} MB", v / MIB)
    } else if a >= KIB {
        format!("{:.1} KB", v / KIB)
    } else {
        format!("{v:.0} B")
    }
}

/// [`bytes`] with a sign for growth (`+25.0 MB`).
///
/// ```
/// use memtrack_cli::render::format::signed_bytes;
///
/// assert_eq!(signed_bytes(26_214_400.0), "+25.0 MB");
/// assert_eq!(signed_bytes(0.0), "0 B");
/// ```
#[must_use]
pub fn signed_bytes(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", bytes(v))
    } else {
        bytes(v)
    }
}

/// A figure in the log's MB (`52.1 MB`).
///
/// ```
/// use memtrack_cli::render::format::mb;
///
/// assert_eq!(mb(52.125), "52.1 MB");
/// assert_eq!(mb(1536.0), "1.50 GB");
/// ```
#[must_use]
pub fn mb(v: f64) -> String {
    if v.abs() >= 1024.0 {
        format!("{} GB", fixed(v / 1024.0, 2))
    } else {
        format!("{v:.1} MB")
    }
}

/// [`mb`] with a sign.
///
/// ```
/// use memtrack_cli::render::format::signed_mb;
///
/// assert_eq!(signed_mb(2.0), "+2.0 MB");
/// assert_eq!(signed_mb(-2048.0), "-2.00 GB");
/// ```
#[must_use]
pub fn signed_mb(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", mb(v))
    } else {
        mb(v)
    }
}

/// A duration given in milliseconds.
///
/// ```
/// use memtrack_cli::render::format::millis;
///
/// assert_eq!(millis(850.0), "850 ms");
/// assert_eq!(millis(1_500.0), "1.50 s");
/// assert_eq!(millis(5_000.0), "5 s");
/// assert_eq!(millis(125_000.0), "2m 05s");
/// assert_eq!(millis(3_725_000.0), "1h 02m");
/// // Past a century no service ran that long: the figure is shown as it is.
/// assert_eq!(millis(1.2e29), "1.20e29 ms");
/// ```
#[must_use]
pub fn millis(ms: f64) -> String {
    /// About a hundred years, in milliseconds.
    const CENTURY_MS: f64 = 3.2e12;
    if !ms.is_finite() || ms >= CENTURY_MS {
        format!("{ms:.2e} ms")
    } else if ms < 1_000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 && ms % 1_000.0 == 0.0 {
        format!("{:.0} s", ms / 1_000.0)
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1_000.0)
    } else {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let s = (ms / 1_000.0).round() as u64;
        if s < 3_600 {
            format!("{}m {:02}s", s / 60, s % 60)
        } else if s < 86_400 {
            format!("{}h {:02}m", s / 3_600, s / 60 % 60)
        } else {
            format!("{}d {:02}h", s / 86_400, s / 3_600 % 24)
        }
    }
}

/// An integer with thousands separators.
///
/// ```
/// use memtrack_cli::render::format::count;
///
/// assert_eq!(count(1_234_567), "1,234,567");
/// assert_eq!(count(12), "12");
/// ```
#[must_use]
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A plain number: integers without decimals, others with one.
///
/// ```
/// use memtrack_cli::render::format::number;
///
/// assert_eq!(number(13.0), "13");
/// assert_eq!(number(2.25), "2.2");
/// ```
#[must_use]
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        fixed(v, 1)
    }
}

/// `v` with `decimals` decimals, or in scientific notation from 10^15 on (a
/// figure no log should hold, written short rather than in hundreds of digits).
///
/// ```
/// use memtrack_cli::render::format::{fixed, mb};
///
/// assert_eq!(fixed(2.345, 2), "2.35");
/// assert_eq!(fixed(-1.7976931348623157e308, 1), "-1.80e308");
/// assert_eq!(mb(1e300), "9.77e296 GB");
/// ```
#[must_use]
pub fn fixed(v: f64, decimals: usize) -> String {
    if v.abs() < 1e15 || !v.is_finite() {
        format!("{v:.decimals$}")
    } else {
        format!("{v:.2e}")
    }
}

/// Text from the log on one line: control characters (which a terminal would act
/// on and XML does not allow) become spaces, and so do the invisible characters
/// that reorder or hide text (bidirectional overrides and isolates, zero-width
/// characters), so that a name shows as what it is.
///
/// ```
/// use memtrack_cli::render::format::one_line;
///
/// assert_eq!(one_line("a\u{1}b\nc"), "a b c");
/// assert_eq!(one_line("\u{202e}live"), " live");
/// ```
#[must_use]
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_invisible_format(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Characters that change how the text around them is shown without showing
/// themselves.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

/// [`one_line`], cut to `max_chars` characters with `…` at the cut.
///
/// ```
/// use memtrack_cli::render::format::short;
///
/// assert_eq!(short("article\nfetch", 20), "article fetch");
/// assert_eq!(short("article-fetch", 8), "article…");
/// ```
#[must_use]
pub fn short(text: &str, max_chars: usize) -> String {
    let line = one_line(text);
    if line.chars().count() <= max_chars {
        return line;
    }
    let mut out: String = line.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// How times are written: the clock alone when the whole log is within one UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Whether to include the date.
    pub with_date: bool,
}

impl Clock {
    /// The clock for a log spanning `start..=end` (ms).
    #[must_use]
    pub fn for_span(start: i64, end: i64) -> Self {
        Clock {
            with_date: day_of(start) != day_of(end),
        }
    }

    /// `HH:MM:SS.mmm`, or `YYYY-MM-DD HH:MM:SS.mmm`.
    ///
    /// ```
    /// use memtrack_cli::render::format::Clock;
    ///
    /// let t = 1_795_766_462_345;
    /// assert_eq!(Clock { with_date: false }.time(t), "08:01:02.345");
    /// assert_eq!(Clock { with_date: true }.time(t), "2026-11-27 08:01:02.345");
    /// ```
    #[must_use]
    pub fn time(self, ms: i64) -> String {
        if self.with_date {
            format!("{} {}", format_date(ms), format_clock(ms))
        } else {
            format_clock(ms)
        }
    }
}
