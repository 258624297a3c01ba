//! memtrack's own work inside an operation (formatting, logging, metadata, names),
//! kept out of every operation's account.
//!
//! [`untracked`] runs such work with the untracked bucket as the owner of what it
//! allocates, without moving the thread's high-water mark, and adds what it spent to
//! a per-thread total of bookkeeping: an operation's frame takes the difference of
//! that total over its own span out of what it charges (see `tracker::frames`).

use std::cell::Cell;

use crate::alloc::{self, Counts, UNTRACKED};

thread_local! {
    /// Set while this thread runs bookkeeping.
    static BOOKKEEPING: Cell<bool> = const { Cell::new(false) };
    /// What this thread's bookkeeping has allocated and freed so far.
    static EXCLUDED: Cell<Counts> = const {
        Cell::new(Counts {
            allocated: 0,
            freed: 0,
            allocs: 0,
            large_allocated: 0,
            large_freed: 0,
        })
    };
}

/// What this thread's bookkeeping has allocated and freed so far: the part of the
/// thread's counters no operation is charged.
pub(crate) fn excluded_so_far() -> Counts {
    EXCLUDED.get()
}

/// Runs memtrack's own bookkeeping (formatting, logging, metadata, names) without
/// charging what it allocates to the operations whose frames are open on this thread.
///
/// Neither the bytes nor the thread's live high-water mark move for the enclosing
/// operations: what `f` allocates counts toward no operation's `peak_bytes`, and is
/// owned by the untracked bucket. Bookkeeping nested inside bookkeeping (an event
/// that formats a metadata value, say) runs as part of the outer stretch, whose
/// exclusion already covers it: excluding it again would subtract its bytes twice.
pub(crate) fn untracked<R>(f: impl FnOnce() -> R) -> R {
    if BOOKKEEPING.replace(true) {
        return f();
    }
    let _leave = LeaveBookkeeping;
    let Some(before) = alloc::thread_counters() else {
        return f();
    };
    let owner_before = alloc::enter_owner(UNTRACKED);
    let result = alloc::without_peak(f);
    alloc::leave_owner(owner_before);
    if let Some(after) = alloc::thread_counters() {
        EXCLUDED.set(EXCLUDED.get().plus(&after.since(&before)));
    }
    result
}

/// Clears the bookkeeping flag when the outermost stretch ends, also when it
/// unwinds.
struct LeaveBookkeeping;

impl Drop for LeaveBookkeeping {
    fn drop(&mut self) {
        BOOKKEEPING.set(false);
    }
}

/// A value that tells cheaply whether dropping it may free heap memory.
pub(crate) trait MayHoldHeap {
    /// `false` only when dropping the value frees nothing.
    fn may_hold_heap(&self) -> bool;
}

impl<T> MayHoldHeap for Option<T> {
    fn may_hold_heap(&self) -> bool {
        self.is_some()
    }
}

/// A value memtrack keeps for its own bookkeeping (an operation's metadata, its
/// name): created under [`untracked`] and, through this wrapper, dropped under it
/// too, so that neither its bytes nor their release are charged to an operation.
/// A value that holds no heap (no name of its own, no metadata: the common case)
/// is dropped as it is, without the cost of a bookkeeping stretch.
#[derive(Debug, Default)]
pub(crate) struct Kept<T: Default + MayHoldHeap>(T);

impl<T: Default + MayHoldHeap> Kept<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(value)
    }
}

impl<T: Default + MayHoldHeap> std::ops::Deref for Kept<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Default + MayHoldHeap> std::ops::DerefMut for Kept<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Default + MayHoldHeap> Drop for Kept<T> {
    fn drop(&mut self) {
        if !self.0.may_hold_heap() {
            return;
        }
        let value = std::mem::take(&mut self.0);
        untracked(|| drop(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_bookkeeping_runs_once_and_the_flag_is_cleared() {
        let inside = untracked(|| untracked(|| BOOKKEEPING.get()));
        assert!(inside);
        assert!(!BOOKKEEPING.get());
        let unwound = std::panic::catch_unwind(|| untracked(|| panic!("inside")));
        assert!(unwound.is_err());
        assert!(!BOOKKEEPING.get());
    }
}
