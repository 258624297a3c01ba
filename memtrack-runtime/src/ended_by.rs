//! How an operation ended: the `ended_by` of its events, and what the per-name
//! totals count it under.

use std::fmt;

/// The path by which an operation ended, logged as `ended_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndedBy {
    /// Returned normally (a non-`Result` value or `Ok`).
    Ok,
    /// Returned `Err`, or ended with an error.
    Err,
    /// A panic unwound through it.
    Panic,
    /// Its future was dropped after it started and before it finished.
    Cancelled,
    /// Its [`Tracker`](crate::Tracker) was dropped without being ended.
    Dropped,
}

impl EndedBy {
    /// The name written in events.
    ///
    /// ```
    /// assert_eq!(memtrack::EndedBy::Cancelled.as_str(), "cancelled");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            EndedBy::Ok => "ok",
            EndedBy::Err => "err",
            EndedBy::Panic => "panic",
            EndedBy::Cancelled => "cancelled",
            EndedBy::Dropped => "dropped",
        }
    }

    /// Whether this is a success (`ok`).
    #[must_use]
    pub const fn is_success(self) -> bool {
        matches!(self, EndedBy::Ok)
    }
}

impl fmt::Display for EndedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
