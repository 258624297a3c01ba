//! How an operation ended.

use std::fmt;

pub use crate::ended_by::EndedBy;

/// The result an operation ends with: success, or an error whose text is captured
/// (through a bounded writer, truncated like all metadata).
///
/// ```
/// let op = memtrack::start("outcome-doc");
/// let err = std::io::Error::other("disk on fire");
/// op.end_with(memtrack::Outcome::Err(&err));
/// ```
#[derive(Clone, Copy)]
pub enum Outcome<'a> {
    /// Success.
    Ok,
    /// Failure, described by the error's `Display` text.
    Err(&'a dyn fmt::Display),
    /// Failure, described by the error's `Debug` text (errors without `Display`).
    ErrDebug(&'a dyn fmt::Debug),
}

impl fmt::Debug for Outcome<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Ok => "Ok",
            Outcome::Err(_) | Outcome::ErrDebug(_) => "Err(..)",
        })
    }
}

impl<'a, T, E: fmt::Display> From<&'a Result<T, E>> for Outcome<'a> {
    fn from(result: &'a Result<T, E>) -> Self {
        match result {
            Ok(_) => Outcome::Ok,
            Err(e) => Outcome::Err(e),
        }
    }
}

/// Wraps a returned value so that method resolution picks the most specific outcome:
/// `Result<_, E: Display>`, then `Result<_, E: Debug>`, then anything (success). The
/// generated code calls `(&&Probe(&value)).__memtrack_outcome()` with all three
/// traits in scope; it works through type aliases of `Result` too.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

/// `Result` whose error has `Display`.
pub trait OutcomeDisplay {
    /// The outcome.
    fn __memtrack_outcome(&self) -> Outcome<'_>;
}

/// `Result` whose error has only `Debug`.
pub trait OutcomeDebug {
    /// The outcome.
    fn __memtrack_outcome(&self) -> Outcome<'_>;
}

/// Any other value: success.
pub trait OutcomePlain {
    /// The outcome.
    fn __memtrack_outcome(&self) -> Outcome<'_>;
}

impl<T, E: fmt::Display> OutcomeDisplay for &Probe<'_, Result<T, E>> {
    fn __memtrack_outcome(&self) -> Outcome<'_> {
        match self.0 {
            Ok(_) => Outcome::Ok,
            Err(e) => Outcome::Err(e),
        }
    }
}

impl<T, E: fmt::Debug> OutcomeDebug for &&Probe<'_, Result<T, E>> {
    fn __memtrack_outcome(&self) -> Outcome<'_> {
        match self.0 {
            Ok(_) => Outcome::Ok,
            Err(e) => Outcome::ErrDebug(e),
        }
    }
}

impl<T: ?Sized> OutcomePlain for Probe<'_, T> {
    fn __memtrack_outcome(&self) -> Outcome<'_> {
        Outcome::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct DebugOnly;

    fn describe(o: Outcome<'_>) -> String {
        match o {
            Outcome::Ok => "ok".into(),
            Outcome::Err(e) => format!("display:{e}"),
            Outcome::ErrDebug(e) => format!("debug:{e:?}"),
        }
    }

    #[test]
    #[allow(clippy::needless_borrow)]
    fn probe_picks_the_most_specific_outcome() {
        let display: Result<u8, String> = Err("boom".into());
        let debug: Result<u8, DebugOnly> = Err(DebugOnly);
        let ok: std::io::Result<u8> = Ok(1);
        let plain = 5_u32;
        assert_eq!(
            describe((&&Probe(&display)).__memtrack_outcome()),
            "display:boom"
        );
        assert_eq!(
            describe((&&Probe(&debug)).__memtrack_outcome()),
            "debug:DebugOnly"
        );
        assert_eq!(describe((&&Probe(&ok)).__memtrack_outcome()), "ok");
        assert_eq!(describe((&&Probe(&plain)).__memtrack_outcome()), "ok");
    }
}
