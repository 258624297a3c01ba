//! What the macros' generated code calls. Not a public API: no stability promise.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;

use crate::bookkeeping;
use crate::config;
use crate::metadata::{ToValue, debug_bounded, display_bounded};
use crate::tracker::frames;

pub use crate::future::Scoped;
pub use crate::metadata::Value;
pub use crate::sites::Site;
pub use crate::tracker::Kind;
pub use crate::tracker::Outcome;
pub use crate::tracker::Tracker;
pub use crate::tracker::{OutcomeDebug, OutcomeDisplay, OutcomePlain, OutcomeResult, Probe};

/// Starts the operation of an annotated function.
#[inline]
#[must_use]
pub fn start(site: &'static Site, kind: Kind) -> Tracker {
    Tracker::begin(site, None, kind)
}

/// Runs a sync function's body inside the operation's frame.
#[inline]
pub fn call_sync<R>(op: &Tracker, f: impl FnOnce() -> R) -> R {
    frames::scoped(op, f)
}

/// Polls an async function's body inside the operation's frame.
#[inline]
pub fn poll_scoped<F: Future>(op: &Tracker, fut: F) -> Scoped<'_, F> {
    Scoped::new(op, fut)
}

/// Ends the operation with the function's outcome. By reference: the operation
/// stays where it is (moving it costs a copy of the whole tracker), and its drop at
/// the end of the generated scope finds it ended and does nothing.
#[inline]
pub fn finish(op: &Tracker, outcome: Outcome<'_>) {
    op.end_with(outcome);
}

/// `key = expr`.
#[inline]
pub fn to_value<T: ToValue + ?Sized>(v: &T) -> Value {
    v.to_value()
}

/// `key = %expr`.
pub fn display_value<T: fmt::Display + ?Sized>(v: &T) -> Value {
    Value::Str(display_bounded(v, config::get().max_metadata_len()))
}

/// `key = ?expr`.
pub fn debug_value<T: fmt::Debug + ?Sized>(v: &T) -> Value {
    Value::Str(debug_bounded(v, config::get().max_metadata_len()))
}

/// Integer types accepted as a byte count by `large_alloc!`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a byte count",
    label = "expected an integer number of bytes"
)]
pub trait ByteCount {
    /// The count, negative values as zero, saturating at `u64::MAX`.
    fn byte_count(&self) -> u64;
}

macro_rules! byte_count {
    ($($t:ty),*) => {$(
        impl ByteCount for $t {
            #[inline]
            fn byte_count(&self) -> u64 {
                #[allow(irrefutable_let_patterns, unused_comparisons)]
                if *self < 0 as $t {
                    0
                } else {
                    u64::try_from(*self).unwrap_or(u64::MAX)
                }
            }
        }
    )*};
}
byte_count!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

impl<T: ByteCount + ?Sized> ByteCount for &T {
    fn byte_count(&self) -> u64 {
        (**self).byte_count()
    }
}

/// `large_alloc!`'s byte count.
#[inline]
pub fn byte_count<T: ByteCount + ?Sized>(v: &T) -> u64 {
    v.byte_count()
}

/// `checkpoint!`: a checkpoint of the innermost operation; nothing outside one.
pub fn checkpoint<const N: usize>(name: &'static str, fields: [(&'static str, Value); N]) {
    frames::with_current(|op, charged| {
        bookkeeping::untracked(|| {
            let fields = fields
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), v))
                .collect();
            op.checkpoint_values(name, fields, charged);
        });
    });
}

/// `record!`: metadata on the innermost operation; nothing outside one.
pub fn record<const N: usize>(fields: [(&'static str, Value); N]) {
    bookkeeping::untracked(|| {
        frames::with_current(|op, _| {
            for (k, v) in fields {
                op.add(k, v);
            }
        });
    });
}

/// `large_alloc!`.
pub fn large_alloc<const N: usize>(
    context: &'static str,
    bytes: u64,
    fields: [(&'static str, Value); N],
) {
    bookkeeping::untracked(|| {
        crate::large_allocation::log(
            context,
            bytes,
            fields.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_clamp_negative_and_huge() {
        assert_eq!(byte_count(&-5_i32), 0);
        assert_eq!(byte_count(&7_u8), 7);
        assert_eq!(byte_count(&u128::MAX), u64::MAX);
        assert_eq!(byte_count(&&12_usize), 12);
    }
}
