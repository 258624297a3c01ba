//! Caught panics: running user code so that its panic cannot escape, and the text of
//! a caught panic, bounded.
//!
//! A panic payload is a user value too: its `Drop` may panic in turn. Every payload
//! memtrack catches is therefore dropped here, under `catch_unwind`, and a payload
//! whose drop panicked is leaked rather than dropped again (its drop may panic
//! again; a leak of one box is the lesser harm).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::bounded_text::truncate;

/// A caught panic's payload.
pub(crate) type Payload = Box<dyn Any + Send>;

/// Runs `f`; `None` when it panicked (the panic is caught and its payload dropped
/// safely).
pub(crate) fn quietly<R>(f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(payload) => {
            discard(payload);
            None
        }
    }
}

/// Runs `f`; on a panic, the panic's text cut to `max_chars` characters (see
/// [`text_of`]).
pub(crate) fn caught<R>(f: impl FnOnce() -> R, max_chars: usize) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| text_of(payload, max_chars))
}

/// Drops a payload; a panic of its `Drop` is caught and that second payload leaked.
pub(crate) fn discard(payload: Payload) {
    if let Err(second) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(second);
    }
}

/// The text of a panic payload (`&str` or `String`, else a generic text), cut to
/// `max_chars` characters like metadata; the payload is then dropped with
/// [`discard`]. Only the kept part is copied, whatever the message's size.
pub(crate) fn text_of(payload: Payload, max_chars: usize) -> String {
    let text = if let Some(s) = payload.downcast_ref::<&str>() {
        truncate(s, max_chars)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        truncate(s, max_chars)
    } else {
        truncate("a panic without a message", max_chars)
    };
    discard(payload);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload whose drop panics.
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("the payload's drop panicked");
        }
    }

    #[test]
    fn panic_payloads_become_text() {
        assert_eq!(text_of(Box::new("static"), 100), "static");
        assert_eq!(text_of(Box::new(String::from("owned")), 100), "owned");
        assert_eq!(text_of(Box::new(7_u8), 100), "a panic without a message");
    }

    #[test]
    fn long_messages_are_cut_like_metadata() {
        let huge = "é".repeat(1 << 20);
        assert_eq!(text_of(Box::new(huge), 3), "ééé…");
    }

    #[test]
    fn a_payload_whose_drop_panics_does_not_escape() {
        assert_eq!(text_of(Box::new(Bomb), 100), "a panic without a message");
        assert_eq!(quietly(|| std::panic::panic_any(Bomb)), None::<()>);
        assert_eq!(
            caught(|| std::panic::panic_any(Bomb), 10),
            Err::<(), _>("a panic wi…".to_owned())
        );
    }

    #[test]
    fn values_pass_through() {
        assert_eq!(quietly(|| 5), Some(5));
        assert_eq!(caught(|| "x", 1), Ok("x"));
    }
}
