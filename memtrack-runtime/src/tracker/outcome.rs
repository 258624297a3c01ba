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
/// `Result<_, E: Display>`, then `Result<_, E: Debug>`, then any other `Result`
/// (an error described by its type's name: in a generic function the error type has
/// no bound to use), then anything else (success). The generated code calls
/// `(&&&Probe(&value)).__memtrack_outcome()` with all four traits in scope; it works
/// through type aliases of `Result` too.
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

/// `Result` whose error has neither (or none that the code knows of, in a generic
/// function).
pub trait OutcomeResult {
    /// The outcome.
    fn __memtrack_outcome(&self) -> Outcome<'_>;
}

/// Any other value: success.
pub trait OutcomePlain {
    /// The outcome.
    fn __memtrack_outcome(&self) -> Outcome<'_>;
}

impl<T, E: fmt::Display> OutcomeDisplay for &&Probe<'_, Result<T, E>> {
    fn __memtrack_outcome(&self) -> Outcome<'_> {
        match self.0 {
            Ok(_) => Outcome::Ok,
            Err(e) => Outcome::Err(e),
        }
    }
}

impl<T, E: fmt::Debug> OutcomeDebug for &&&Probe<'_, Result<T, E>> {
    fn __memtrack_outcome(&self) -> Outcome<'_> {
        match self.0 {
            Ok(_) => Outcome::Ok,
            Err(e) => Outcome::ErrDebug(e),
        }
    }
}

/// An error described by the name of its type `E`.
struct NamedType<E>(std::marker::PhantomData<fn() -> E>);

impl<E> fmt::Display for NamedType<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error of type {}", std::any::type_name::<E>())
    }
}

impl<T, E> OutcomeResult for &Probe<'_, Result<T, E>> {
    fn __memtrack_outcome(&self) -> Outcome<'_> {
        match self.0 {
            Ok(_) => Outcome::Ok,
            Err(_) => Outcome::Err(&NamedType::<E>(std::marker::PhantomData)),
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
        struct Neither;
        let neither: Result<u8, Neither> = Err(Neither);
        assert_eq!(
            describe((&&&Probe(&display)).__memtrack_outcome()),
            "display:boom"
        );
        assert_eq!(
            describe((&&&Probe(&debug)).__memtrack_outcome()),
            "debug:DebugOnly"
        );
        assert_eq!(
            describe((&&&Probe(&neither)).__memtrack_outcome()),
            format!("display:error of type {}", std::any::type_name::<Neither>())
        );
        assert_eq!(describe((&&&Probe(&ok)).__memtrack_outcome()), "ok");
        assert_eq!(describe((&&&Probe(&plain)).__memtrack_outcome()), "ok");
    }

    /// The probe as a generic function sees it: no bound on the error type.
    #[allow(clippy::needless_borrow)]
    fn generic_outcome<T, E>(result: &Result<T, E>) -> String {
        describe((&&&Probe(result)).__memtrack_outcome())
    }

    #[test]
    fn in_a_generic_function_an_error_is_still_an_error() {
        assert_eq!(
            generic_outcome::<u8, String>(&Err("boom".into())),
            "display:error of type alloc::string::String"
        );
        assert_eq!(generic_outcome::<u8, String>(&Ok(1)), "ok");
    }
}
