//! Writing `Display`/`Debug` output with a hard bound on its size.

use std::fmt::{self, Write as _};

use crate::bookkeeping;
pub use crate::support::bounded_text::MAX_NAME_LEN;
use crate::support::bounded_text::{Bound, BoundedWriter, ELLIPSIS};
pub(crate) use crate::support::bounded_text::{bounded_name, truncate};
use crate::support::panic_text;

/// memtrack's own copy of a user value's text: bookkeeping, charged to no
/// operation.
fn write_bounded(
    max_chars: usize,
    write: impl FnOnce(&mut BoundedWriter) -> fmt::Result,
) -> String {
    bookkeeping::untracked(|| {
        let mut w = BoundedWriter::new(Bound::Chars(max_chars));
        // A `Display` that panics must not take the host down: its partial output
        // is kept and the panic is reported in the text instead. The panic's
        // payload is a user value too, whose drop may panic: `quietly` sees to it.
        let panicked = panic_text::quietly(|| {
            let _ = write(&mut w);
        })
        .is_none();
        let cut = w.was_cut();
        let mut text = w.into_string();
        if cut {
            text.push(ELLIPSIS);
        }
        if panicked {
            text.push_str(PANICKED);
        }
        text
    })
}

/// Appended to the text of a `Display` or `Debug` that panicked.
const PANICKED: &str = "<formatting panicked>";

/// `value`'s `Display` text, at most `max_chars` characters (then `…`). Never panics,
/// never allocates more than the bound, whatever `value` does.
///
/// ```
/// let text = memtrack::metadata::display_bounded(&"x".repeat(1_000_000), 5);
/// assert_eq!(text, "xxxxx…");
/// ```
pub fn display_bounded<T: fmt::Display + ?Sized>(value: &T, max_chars: usize) -> String {
    write_bounded(max_chars, |w| write!(w, "{value}"))
}

/// `value`'s `Debug` text, bounded like [`display_bounded`].
///
/// ```
/// assert_eq!(memtrack::metadata::debug_bounded(&Some("abc"), 8), "Some(\"ab…");
/// ```
pub fn debug_bounded<T: fmt::Debug + ?Sized>(value: &T, max_chars: usize) -> String {
    write_bounded(max_chars, |w| write!(w, "{value:?}"))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    struct Failing;
    impl fmt::Display for Failing {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("partial")?;
            Err(fmt::Error)
        }
    }

    struct Panicking;
    impl fmt::Display for Panicking {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("before ")?;
            panic!("display exploded")
        }
    }

    /// Ignores write errors and keeps writing: must still stay bounded.
    struct Endless;
    impl fmt::Display for Endless {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for _ in 0..1_000_000 {
                let _ = f.write_str("0123456789");
            }
            Ok(())
        }
    }

    #[test]
    fn cuts_on_char_boundaries() {
        assert_eq!(truncate("héllo wörld", 4), "héll…");
        assert_eq!(truncate("日本語テキスト", 3), "日本語…");
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("exact", 5), "exact");
        assert_eq!(display_bounded("🦀🦀🦀", 2), "🦀🦀…");
    }

    #[test]
    fn names_are_cut_past_the_bound() {
        let long = "n".repeat(MAX_NAME_LEN + 1);
        assert!(matches!(bounded_name("short"), Cow::Borrowed("short")));
        let exact = "é".repeat(MAX_NAME_LEN);
        assert_eq!(bounded_name(&exact), exact);
        assert_eq!(
            bounded_name(&long),
            format!("{}…", "n".repeat(MAX_NAME_LEN))
        );
    }

    #[test]
    fn failing_display_keeps_partial_text() {
        assert_eq!(display_bounded(&Failing, 100), "partial");
    }

    #[test]
    fn panicking_display_does_not_panic() {
        assert_eq!(
            display_bounded(&Panicking, 100),
            "before <formatting panicked>"
        );
    }

    /// A `Display` that panics with a payload whose drop panics in turn.
    struct PanickingTwice;
    impl fmt::Display for PanickingTwice {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            struct Bomb;
            impl Drop for Bomb {
                fn drop(&mut self) {
                    panic!("the payload's drop panicked");
                }
            }
            f.write_str("err")?;
            std::panic::panic_any(Bomb)
        }
    }

    #[test]
    fn a_panic_payload_whose_drop_panics_does_not_escape() {
        assert_eq!(
            display_bounded(&PanickingTwice, 100),
            "err<formatting panicked>"
        );
        assert_eq!(
            debug_bounded(&format_args!("{PanickingTwice}"), 100),
            "err<formatting panicked>"
        );
    }

    #[test]
    fn endless_display_is_bounded() {
        let text = display_bounded(&Endless, 25);
        assert_eq!(text, "0123456789012345678901234…");
    }

    #[test]
    fn zero_bound_keeps_only_the_mark() {
        assert_eq!(display_bounded("abc", 0), "…");
        assert_eq!(display_bounded("", 0), "");
    }
}
