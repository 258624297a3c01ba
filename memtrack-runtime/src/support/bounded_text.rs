//! A `fmt::Write` that keeps text up to a bound and then refuses more, which stops a
//! well-behaved `Display` or `Debug` at once and a badly behaved one at its next
//! write. Metadata counts its bound in characters (what a reader sees), the JSON
//! formatter in bytes (what a log line costs). And the one rule for cutting a text
//! already in hand: [`truncate`] (on a character boundary, then `…`).

use std::borrow::Cow;
use std::fmt;

/// Appended to text that was cut.
pub(crate) const ELLIPSIS: char = '…';

/// The bound of a [`BoundedWriter`], and the unit it is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    /// At most this many characters.
    Chars(usize),
    /// At most this many bytes, cut on a character boundary.
    Bytes(usize),
}

/// Keeps what is written up to its [`Bound`]; the write that crosses it keeps the
/// part that fits and fails, and so does every later write.
#[derive(Debug)]
pub(crate) struct BoundedWriter {
    text: String,
    unit: fn(&str, usize) -> Fit,
    /// What the bound still allows, in its unit.
    remaining: usize,
    cut: bool,
}

/// How much of one write fits.
enum Fit {
    /// All of it, which takes this much of the bound.
    Whole(usize),
    /// Only the bytes before this index.
    Prefix(usize),
}

fn fit_chars(s: &str, remaining: usize) -> Fit {
    match s.char_indices().nth(remaining) {
        None => Fit::Whole(s.chars().count()),
        Some((i, _)) => Fit::Prefix(i),
    }
}

fn fit_bytes(s: &str, remaining: usize) -> Fit {
    if s.len() <= remaining {
        return Fit::Whole(s.len());
    }
    let mut cut = remaining;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    Fit::Prefix(cut)
}

impl BoundedWriter {
    pub(crate) fn new(bound: Bound) -> Self {
        let (unit, limit): (fn(&str, usize) -> Fit, usize) = match bound {
            Bound::Chars(n) => (fit_chars, n),
            Bound::Bytes(n) => (fit_bytes, n),
        };
        Self {
            text: String::with_capacity(limit.min(128)),
            unit,
            remaining: limit,
            cut: false,
        }
    }

    /// Whether a write crossed the bound (and text was left out).
    pub(crate) fn was_cut(&self) -> bool {
        self.cut
    }

    /// The text kept.
    pub(crate) fn into_string(self) -> String {
        self.text
    }
}

impl fmt::Write for BoundedWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.cut {
            return Err(fmt::Error);
        }
        match (self.unit)(s, self.remaining) {
            Fit::Whole(used) => {
                self.remaining -= used;
                self.text.push_str(s);
                Ok(())
            }
            Fit::Prefix(end) => {
                self.text.push_str(&s[..end]);
                self.remaining = 0;
                self.cut = true;
                Err(fmt::Error)
            }
        }
    }
}

/// Longest name kept, in characters: operation names, cache names and reclaim hook
/// names are cut to it like metadata strings (on a character boundary, then `…`).
///
/// ```
/// let op = memtrack::start("x".repeat(10_000));
/// assert_eq!(op.name().chars().count(), memtrack::metadata::MAX_NAME_LEN + 1);
/// assert!(op.name().ends_with('…'));
/// # op.end();
/// ```
pub const MAX_NAME_LEN: usize = 128;

/// `name` cut to [`MAX_NAME_LEN`] characters; borrowed when it fits.
pub(crate) fn bounded_name(name: &str) -> Cow<'_, str> {
    if name.len() <= MAX_NAME_LEN || name.chars().nth(MAX_NAME_LEN).is_none() {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(truncate(name, MAX_NAME_LEN))
    }
}

/// Cuts `text` to `max_chars` characters on a character boundary, marking the cut.
pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some((i, _)) => {
            let mut s = String::with_capacity(i + ELLIPSIS.len_utf8());
            s.push_str(&text[..i]);
            s.push(ELLIPSIS);
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn bounded_string_cuts_on_char_boundary() {
        let mut text = BoundedWriter::new(Bound::Bytes(5));
        assert!(text.write_str("ab").is_ok());
        assert!(text.write_str("cdé").is_err()); // 'é' is two bytes: only "cd" fits
        assert_eq!(text.into_string(), "abcd");
    }

    #[test]
    fn bounded_string_stops_a_huge_debug() {
        struct Endless;
        impl fmt::Debug for Endless {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                loop {
                    f.write_str("0123456789")?;
                }
            }
        }
        let mut text = BoundedWriter::new(Bound::Bytes(25));
        assert!(write!(text, "{:?}", Endless).is_err());
        assert_eq!(text.into_string(), "0123456789012345678901234");
    }

    #[test]
    fn characters_count_as_one_whatever_their_size() {
        let mut text = BoundedWriter::new(Bound::Chars(3));
        assert!(text.write_str("é🦀").is_ok());
        assert!(!text.was_cut());
        assert!(text.write_str("ab").is_err());
        assert!(text.was_cut());
        assert!(text.write_str("").is_err());
        assert_eq!(text.into_string(), "é🦀a");
    }
}
