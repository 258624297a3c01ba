//! memtrack's own work inside an operation (formatting, metadata, name interning,
//! events) kept out of every operation's account.
//!
//! [`untracked`] runs such work through `attribution::untracked`, once per stretch:
//! bookkeeping nested inside bookkeeping (an event that formats a metadata value,
//! say) runs as part of the outer stretch, whose exclusion already covers it.
//! Excluding the inner stretch as well would subtract its bytes twice.

use std::cell::Cell;

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
