//! A thread's published counters and what they add up to.
//!
//! Every counter only grows, and only its thread writes it (a relaxed load and
//! store, which compiles to one add to memory), so a reader on another thread sees
//! each one move forward, and a sum of them never goes back. Everything the fast
//! paths need besides (the budget before the next check, the marks) is the owner's
//! alone and lives next to these in the thread's state (see `thread_slot`).

use std::sync::atomic::{AtomicU64, Ordering};

/// Heap counters in atomics: a thread's own, written only by that thread (other
/// threads read them through the registry), or totals shared by many writers
/// ([`Counters::add_shared`]).
#[repr(C)]
#[derive(Debug)]
pub(super) struct Counters {
    pub(super) allocated: AtomicU64,
    pub(super) allocs: AtomicU64,
    pub(super) freed: AtomicU64,
    pub(super) large_allocated: AtomicU64,
    pub(super) large_freed: AtomicU64,
}

/// Heap counters: of a thread, of the process, or of a stretch of code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Counts {
    /// Bytes allocated (every size).
    pub(crate) allocated: u64,
    /// Bytes freed (every size).
    pub(crate) freed: u64,
    /// Allocation calls (`alloc`, `alloc_zeroed`, `realloc`).
    pub(crate) allocs: u64,
    /// Of `allocated`, the bytes of tagged blocks.
    pub(crate) large_allocated: u64,
    /// Of `freed`, the bytes of tagged blocks.
    pub(crate) large_freed: u64,
}

impl Counts {
    /// Live bytes, as a signed value (a thread may free more than it allocated when
    /// it frees other threads' memory).
    #[inline]
    pub(crate) fn live(&self) -> i64 {
        self.allocated.wrapping_sub(self.freed) as i64
    }

    /// Bytes of blocks under the tagging threshold allocated.
    #[inline]
    pub(crate) fn small_allocated(&self) -> u64 {
        self.allocated.wrapping_sub(self.large_allocated)
    }

    /// Live bytes of blocks under the tagging threshold.
    pub(crate) fn small_live(&self) -> i64 {
        self.small_allocated()
            .wrapping_sub(self.freed.wrapping_sub(self.large_freed)) as i64
    }

    /// `self - earlier`, counter by counter (wrapping).
    pub(crate) fn since(&self, earlier: &Counts) -> Counts {
        Counts {
            allocated: self.allocated.wrapping_sub(earlier.allocated),
            freed: self.freed.wrapping_sub(earlier.freed),
            allocs: self.allocs.wrapping_sub(earlier.allocs),
            large_allocated: self.large_allocated.wrapping_sub(earlier.large_allocated),
            large_freed: self.large_freed.wrapping_sub(earlier.large_freed),
        }
    }

    /// `self + other`, counter by counter (wrapping).
    pub(crate) fn plus(&self, other: &Counts) -> Counts {
        Counts {
            allocated: self.allocated.wrapping_add(other.allocated),
            freed: self.freed.wrapping_add(other.freed),
            allocs: self.allocs.wrapping_add(other.allocs),
            large_allocated: self.large_allocated.wrapping_add(other.large_allocated),
            large_freed: self.large_freed.wrapping_add(other.large_freed),
        }
    }

    /// `self - other` where `other` is part of `self`, saturating at zero.
    pub(crate) fn less(&self, other: &Counts) -> Counts {
        Counts {
            allocated: self.allocated.saturating_sub(other.allocated),
            freed: self.freed.saturating_sub(other.freed),
            allocs: self.allocs.saturating_sub(other.allocs),
            large_allocated: self.large_allocated.saturating_sub(other.large_allocated),
            large_freed: self.large_freed.saturating_sub(other.large_freed),
        }
    }
}

/// Owner-only increment: a relaxed load and store, not a read-modify-write (no other
/// thread writes the counter).
#[inline(always)]
pub(super) fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl Counters {
    /// Zero counters.
    pub(super) const fn new() -> Self {
        Self {
            allocated: AtomicU64::new(0),
            allocs: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            large_allocated: AtomicU64::new(0),
            large_freed: AtomicU64::new(0),
        }
    }

    /// Adds `c` with atomic read-modify-writes: for counters many threads write
    /// (the shared and retired totals), unlike a thread's own.
    pub(super) fn add_shared(&self, c: Counts) {
        for (total, by) in [
            (&self.allocated, c.allocated),
            (&self.freed, c.freed),
            (&self.allocs, c.allocs),
            (&self.large_allocated, c.large_allocated),
            (&self.large_freed, c.large_freed),
        ] {
            if by != 0 {
                total.fetch_add(by, Ordering::Relaxed);
            }
        }
    }

    /// Replaces the counts (a remembered reading).
    pub(super) fn store(&self, c: Counts) {
        self.allocated.store(c.allocated, Ordering::Relaxed);
        self.freed.store(c.freed, Ordering::Relaxed);
        self.allocs.store(c.allocs, Ordering::Relaxed);
        self.large_allocated
            .store(c.large_allocated, Ordering::Relaxed);
        self.large_freed.store(c.large_freed, Ordering::Relaxed);
    }

    /// The counts (exact when read by the owner). Freed bytes are read first, so
    /// memory freed during the reading was counted as allocated too.
    #[inline]
    pub(super) fn read(&self) -> Counts {
        let freed = self.freed.load(Ordering::Relaxed);
        let large_freed = self.large_freed.load(Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::Acquire);
        Counts {
            allocated: self.allocated.load(Ordering::Relaxed),
            freed,
            allocs: self.allocs.load(Ordering::Relaxed),
            large_allocated: self.large_allocated.load(Ordering::Relaxed),
            large_freed,
        }
    }
}
