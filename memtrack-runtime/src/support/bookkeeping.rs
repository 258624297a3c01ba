//! memtrack's own work inside an operation (formatting, metadata, name interning,
//! events) kept out of every operation's account.
//!
//! [`untracked`] runs such work through `attribution::untracked`, once per stretch:
//! bookkeeping nested inside bookkeeping (an event that formats a metadata value,
//! say) runs as part of the outer stretch, whose exclusion already covers it.
//! Excluding the inner stretch as well would subtract its bytes twice.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};

thread_local! {
    /// Set while this thread runs bookkeeping.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// Clears [`INSIDE`] when the outermost stretch ends, also when it unwinds.
struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        INSIDE.set(false);
    }
}

/// Runs `f` as memtrack's own bookkeeping: what it allocates and frees is charged
/// to no operation whose frame is open on this thread.
pub(crate) fn untracked<R>(f: impl FnOnce() -> R) -> R {
    if INSIDE.replace(true) {
        return f();
    }
    let _leave = Leave;
    crate::attribution::untracked(f)
}

/// A value memtrack keeps for its own bookkeeping (an operation's metadata, its
/// name): created under [`untracked`] and, through this wrapper, dropped under it
/// too, so that neither its bytes nor their release are charged to an operation.
#[derive(Debug, Default)]
pub(crate) struct Kept<T: Default>(T);

impl<T: Default> Kept<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(value)
    }
}

impl<T: Default> Deref for Kept<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Default> DerefMut for Kept<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Default> Drop for Kept<T> {
    fn drop(&mut self) {
        let value = std::mem::take(&mut self.0);
        untracked(|| drop(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_stretches_run_once_and_the_flag_is_cleared() {
        let depth = untracked(|| untracked(|| INSIDE.get()));
        assert!(depth);
        assert!(!INSIDE.get());
        let unwound = std::panic::catch_unwind(|| untracked(|| panic!("inside")));
        assert!(unwound.is_err());
        assert!(!INSIDE.get());
    }
}
