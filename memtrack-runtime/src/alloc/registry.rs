//! The registry of per-thread slots and the process totals summed from it.
//!
//! A fixed static array of cache-line-padded slots. A thread claims a free slot with a
//! compare-and-swap the first time it counts, then is the only writer of the slot's
//! counters (relaxed load + store). Readers sum every slot ever claimed plus two
//! shared totals:
//!
//! - `RETIRED`: the counters of threads that have exited, folded in when the thread's
//!   slot is released;
//! - `SHARED`: allocations of threads that hold no slot (registry full, or the thread
//!   is past its exit hook), added with atomic read-modify-writes.
//!
//! Folding a slot into `RETIRED` moves numbers from one place to another; a reader
//! that overlaps a fold retries, so a sum never counts a folded slot twice or not at
//! all.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering, fence};

/// Number of slots. Threads beyond this many alive at once count through the shared
/// totals (correct, slower).
pub(super) const SLOT_COUNT: usize = 256;

/// How many times a reader retries a sum that overlapped a fold before settling for
/// the last sum (folds happen once per exiting thread, so a retry is rare).
const READ_RETRIES: usize = 64;

/// Allocated bytes, freed bytes and allocation calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Counts {
    pub(super) allocated: u64,
    pub(super) freed: u64,
    pub(super) allocs: u64,
}

impl Counts {
    /// Live bytes of these counts, as a signed value (a thread may free more than it
    /// allocated when it frees other threads' memory).
    #[inline(always)]
    pub(super) fn live(&self) -> i64 {
        self.allocated.wrapping_sub(self.freed) as i64
    }
}

/// Three counters updated with atomic read-modify-writes (shared by many writers).
struct Totals {
    allocated: AtomicU64,
    freed: AtomicU64,
    allocs: AtomicU64,
}

impl Totals {
    const fn new() -> Self {
        Self {
            allocated: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            allocs: AtomicU64::new(0),
        }
    }

    fn add(&self, c: Counts) {
        if c.allocated != 0 {
            self.allocated.fetch_add(c.allocated, Ordering::Relaxed);
        }
        if c.freed != 0 {
            self.freed.fetch_add(c.freed, Ordering::Relaxed);
        }
        if c.allocs != 0 {
            self.allocs.fetch_add(c.allocs, Ordering::Relaxed);
        }
    }
}

/// One thread's counters. Only the owning thread writes `allocated`, `freed`,
/// `allocs` and `live`; any thread may read them. 128-byte alignment keeps two slots
/// off the same cache line (and off adjacent-line prefetch pairs).
///
/// `live` is always `allocated - freed` (wrapping): it is kept as a counter of its own
/// so that the owner gets its live bytes from one load, and a free touches no more
/// than two counters. Readers of other threads' slots use `allocated` and `freed`.
///
/// `divert` sends the owner's allocations to the slow path instead of these counters:
/// it is set on every slot while counting is switched off, and always on
/// [`NO_SLOT`], which threads point at until they claim a slot of their own. One
/// flag on a line the owner touches anyway is all the hot path checks.
#[repr(align(128))]
pub(super) struct Slot {
    divert: AtomicBool,
    claimed: AtomicBool,
    allocated: AtomicU64,
    freed: AtomicU64,
    allocs: AtomicU64,
    live: AtomicI64,
}

/// Owner-only increment: a relaxed load and store, not a read-modify-write (no other
/// thread writes the counter).
#[inline(always)]
fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl Slot {
    const fn new(divert: bool) -> Self {
        Self {
            divert: AtomicBool::new(divert),
            claimed: AtomicBool::new(false),
            allocated: AtomicU64::new(0),
            freed: AtomicU64::new(0),
            allocs: AtomicU64::new(0),
            live: AtomicI64::new(0),
        }
    }

    /// Whether allocations must not be counted here (see `divert`).
    #[inline(always)]
    pub(super) fn diverted(&self) -> bool {
        self.divert.load(Ordering::Relaxed)
    }

    /// Owner only: adds `by` to the live bytes and returns the new value.
    #[inline(always)]
    fn move_live(&self, by: i64) -> i64 {
        let live = self.live.load(Ordering::Relaxed).wrapping_add(by);
        self.live.store(live, Ordering::Relaxed);
        live
    }

    /// Owner only: counts one allocation of `size` bytes; returns the slot's live bytes.
    #[inline(always)]
    pub(super) fn on_alloc(&self, size: u64) -> i64 {
        bump(&self.allocated, size);
        bump(&self.allocs, 1);
        self.move_live(size as i64)
    }

    /// Owner only: counts one free of `size` bytes; returns the slot's live bytes.
    #[inline(always)]
    pub(super) fn on_free(&self, size: u64) -> i64 {
        bump(&self.freed, size);
        self.move_live((size as i64).wrapping_neg())
    }

    /// Owner only: counts a free of `size` bytes when that leaves the live bytes at
    /// or above `floor`, and returns whether it did (otherwise nothing changed).
    #[inline(always)]
    pub(super) fn free_above(&self, size: u64, floor: i64) -> bool {
        let live = self.live.load(Ordering::Relaxed).wrapping_sub(size as i64);
        if live < floor {
            return false;
        }
        bump(&self.freed, size);
        self.live.store(live, Ordering::Relaxed);
        true
    }

    /// Owner only: counts a reallocation as one allocation call that frees `old` bytes
    /// and allocates `new` bytes; returns the slot's live bytes.
    #[inline(always)]
    pub(super) fn on_realloc(&self, old: u64, new: u64) -> i64 {
        bump(&self.allocated, new);
        bump(&self.freed, old);
        bump(&self.allocs, 1);
        self.move_live(new.wrapping_sub(old) as i64)
    }

    /// The slot's counters (exact when read by the owner).
    #[inline]
    pub(super) fn counts(&self) -> Counts {
        Counts {
            allocated: self.allocated.load(Ordering::Relaxed),
            freed: self.freed.load(Ordering::Relaxed),
            allocs: self.allocs.load(Ordering::Relaxed),
        }
    }
}

static SLOTS: [Slot; SLOT_COUNT] = [const { Slot::new(false) }; SLOT_COUNT];
/// Where a thread without a slot of its own points: permanently diverted, never
/// claimed, never counted into.
pub(super) static NO_SLOT: Slot = Slot::new(true);
/// One past the highest slot index ever claimed: readers scan `0..SLOTS_USED`.
static SLOTS_USED: AtomicUsize = AtomicUsize::new(0);
/// Slots claimed right now.
static IN_USE: AtomicUsize = AtomicUsize::new(0);
/// Threads that found the registry full and count through the shared totals.
static SLOTLESS_THREADS: AtomicU64 = AtomicU64::new(0);

static RETIRED: Totals = Totals::new();
static SHARED: Totals = Totals::new();

/// Folds in progress, and folds completed: a reader retries when either changed.
static FOLDS_ACTIVE: AtomicUsize = AtomicUsize::new(0);
static FOLD_GEN: AtomicU64 = AtomicU64::new(0);

/// Claims a free slot (counters zero) for the calling thread, `None` when all are taken.
pub(super) fn claim() -> Option<&'static Slot> {
    for (index, slot) in SLOTS.iter().enumerate() {
        if !slot.claimed.load(Ordering::Relaxed)
            && slot
                .claimed
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        {
            SLOTS_USED.fetch_max(index + 1, Ordering::SeqCst);
            IN_USE.fetch_add(1, Ordering::Relaxed);
            return Some(slot);
        }
    }
    SLOTLESS_THREADS.fetch_add(1, Ordering::Relaxed);
    None
}

/// Owner only: folds the slot's counters into the retired total, zeroes the slot and
/// frees it for another thread. Returns the counters the slot held.
pub(super) fn release(slot: &'static Slot) -> Counts {
    FOLDS_ACTIVE.fetch_add(1, Ordering::SeqCst);
    // Orders the flag before the moves below for any reader that sees a move.
    fence(Ordering::Release);
    let counts = slot.counts();
    RETIRED.add(counts);
    slot.allocated.store(0, Ordering::Relaxed);
    slot.freed.store(0, Ordering::Relaxed);
    slot.allocs.store(0, Ordering::Relaxed);
    slot.live.store(0, Ordering::Relaxed);
    FOLD_GEN.fetch_add(1, Ordering::SeqCst);
    FOLDS_ACTIVE.fetch_sub(1, Ordering::SeqCst);
    IN_USE.fetch_sub(1, Ordering::Relaxed);
    slot.claimed.store(false, Ordering::Release);
    counts
}

/// Sets `divert` on every slot of the registry (claimed or not, so a slot claimed
/// later already carries it).
pub(super) fn divert_all(divert: bool) {
    for slot in &SLOTS {
        slot.divert.store(divert, Ordering::Relaxed);
    }
}

/// Counts an allocation-side change made by a thread without a slot.
#[inline]
pub(super) fn add_shared(counts: Counts) {
    SHARED.add(counts);
}

/// Sum of every slot and both shared totals. Freed counters are read before allocated
/// ones, so memory freed during the read was counted as allocated too.
fn sum_once() -> Counts {
    let used = SLOTS_USED.load(Ordering::SeqCst).min(SLOT_COUNT);
    let slots = SLOTS.get(..used).unwrap_or(&[]);
    let mut freed = RETIRED.freed.load(Ordering::Relaxed);
    freed = freed.wrapping_add(SHARED.freed.load(Ordering::Relaxed));
    for slot in slots {
        freed = freed.wrapping_add(slot.freed.load(Ordering::Relaxed));
    }
    let mut allocated = RETIRED.allocated.load(Ordering::Relaxed);
    allocated = allocated.wrapping_add(SHARED.allocated.load(Ordering::Relaxed));
    let mut allocs = RETIRED.allocs.load(Ordering::Relaxed);
    allocs = allocs.wrapping_add(SHARED.allocs.load(Ordering::Relaxed));
    for slot in slots {
        allocated = allocated.wrapping_add(slot.allocated.load(Ordering::Relaxed));
        allocs = allocs.wrapping_add(slot.allocs.load(Ordering::Relaxed));
    }
    Counts {
        allocated,
        freed,
        allocs,
    }
}

/// Process totals: a sum that no fold overlapped (or the last try after
/// `READ_RETRIES` overlapping ones).
pub(super) fn process_counts() -> Counts {
    let mut counts = Counts::default();
    for _ in 0..READ_RETRIES {
        let generation = FOLD_GEN.load(Ordering::SeqCst);
        if FOLDS_ACTIVE.load(Ordering::SeqCst) != 0 {
            std::hint::spin_loop();
            continue;
        }
        counts = sum_once();
        fence(Ordering::Acquire);
        if FOLDS_ACTIVE.load(Ordering::SeqCst) == 0 && FOLD_GEN.load(Ordering::SeqCst) == generation
        {
            return counts;
        }
    }
    counts
}

/// Slots claimed right now.
pub(super) fn slots_in_use() -> usize {
    IN_USE.load(Ordering::Relaxed)
}

/// Threads so far that found every slot taken.
pub(super) fn slotless_threads() -> u64 {
    SLOTLESS_THREADS.load(Ordering::Relaxed)
}
