//! The registry of counting threads and the process totals summed from it.
//!
//! Each counting thread keeps its [`Counters`] in its own thread-local storage and is
//! their only writer (relaxed load + store, no read-modify-write). To let other
//! threads read them, a thread claims one of [`SLOT_COUNT`] registry slots with a
//! compare-and-swap the first time it counts and publishes the address of its
//! counters there. Readers sum every published thread plus two shared totals:
//!
//! - `RETIRED`: the counters of threads that have exited, folded in when the thread
//!   unpublishes its slot;
//! - `SHARED`: allocations of threads that hold no slot (registry full, no exit hook
//!   on the platform, or the thread is past its exit hook), added with atomic
//!   read-modify-writes.
//!
//! # Reading another thread's counters
//!
//! A thread's counters live as long as the thread. A thread unpublishes them in its
//! exit hook, which runs on the exiting thread before its thread-local storage is
//! released, and that is the only time they stop being valid. The exit hook and the
//! readers exclude each other through two counters:
//!
//! - a reader announces itself in `READERS`, then checks `FOLDS_ACTIVE`: if a fold is
//!   in progress it withdraws and waits, without being announced, for it to finish;
//! - a fold announces itself in `FOLDS_ACTIVE`, waits for `READERS` to drop to zero,
//!   then moves the counters to `RETIRED` and unpublishes the slot, before the
//!   thread may go on exiting.
//!
//! Both use sequentially consistent operations, so either the reader sees the fold
//! and withdraws, or the fold sees the reader and waits for it: no reader ever holds
//! the address of counters that are being released, and no sum counts a folded
//! thread twice or not at all. Neither side holds anything while it waits for the
//! other, so they cannot wait for each other; a reader also gives up after
//! [`READ_ATTEMPTS`] tries and returns the last complete sum.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

use super::counters::{Counters, Counts};
use super::owners::{self, Change, Table, Tables};

/// Number of slots. Threads beyond this many alive at once count through the shared
/// totals (correct, slower).
pub(super) const SLOT_COUNT: usize = 256;

/// How many times a reader waits for a fold to finish before settling for the last
/// complete sum (folds happen once per exiting thread and take microseconds).
const READ_ATTEMPTS: usize = 10_000;

/// A registry slot: whether a thread holds it, and the address of that thread's
/// counters while they are published (null otherwise).
pub(super) struct Slot {
    claimed: AtomicBool,
    counters: AtomicPtr<Counters>,
}

impl Slot {
    const fn new() -> Self {
        Self {
            claimed: AtomicBool::new(false),
            counters: AtomicPtr::new(std::ptr::null_mut()),
        }
    }
}

static SLOTS: [Slot; SLOT_COUNT] = [const { Slot::new() }; SLOT_COUNT];
/// Each slot's owner table (see `owners`), created when the slot is first claimed
/// and kept with the slot for the life of the process.
static TABLES: Tables<SLOT_COUNT> = Tables::new();
/// One past the highest slot index ever claimed: readers scan `0..SLOTS_USED`.
static SLOTS_USED: AtomicUsize = AtomicUsize::new(0);
/// Slots claimed right now.
static IN_USE: AtomicUsize = AtomicUsize::new(0);
/// Threads that found the registry full and count through the shared totals.
static SLOTLESS_THREADS: AtomicU64 = AtomicU64::new(0);

static RETIRED: Counters = Counters::new();
static SHARED: Counters = Counters::new();

/// Readers currently holding addresses of published counters.
static READERS: AtomicUsize = AtomicUsize::new(0);
/// Folds (exiting threads unpublishing their counters) in progress.
static FOLDS_ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// The last complete process sum, returned by a reader that could not get in.
static LAST_SUM: Counters = Counters::new();

/// Claims a free slot for the calling thread and publishes `counters` there; `None`
/// when all slots are taken. Also returns the slot's owner table (`None` if the
/// system could not provide one: the thread then counts owners in the shared table).
///
/// `counters` must stay valid until [`unpublish`] is called with the returned slot,
/// which the caller arranges by calling it from the thread's exit hook.
pub(super) fn publish(counters: &Counters) -> Option<(&'static Slot, Option<Table>)> {
    for (index, slot) in SLOTS.iter().enumerate() {
        if !slot.claimed.load(Ordering::Relaxed)
            && slot
                .claimed
                .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        {
            slot.counters
                .store(std::ptr::from_ref(counters).cast_mut(), Ordering::SeqCst);
            SLOTS_USED.fetch_max(index + 1, Ordering::SeqCst);
            IN_USE.fetch_add(1, Ordering::Relaxed);
            return Some((slot, TABLES.for_slot(index)));
        }
    }
    SLOTLESS_THREADS.fetch_add(1, Ordering::Relaxed);
    None
}

/// Owner only: unpublishes the counters of `slot`, waits until no reader can still
/// be using them, folds them into the retired total and frees the slot. `counters`
/// are the ones [`publish`] put there (the calling thread's).
///
/// `None` for `counters` (the thread's storage is out of reach) unpublishes the slot
/// without folding anything.
pub(super) fn unpublish(slot: &'static Slot, counters: Option<&Counters>) {
    FOLDS_ACTIVE.fetch_add(1, Ordering::SeqCst);
    // Readers already in keep seeing the counters published (and valid) until they
    // leave; new ones stay out until the counters have moved to `RETIRED`.
    let mut spins = 0u32;
    while READERS.load(Ordering::SeqCst) != 0 {
        back_off(&mut spins);
    }
    slot.counters.store(std::ptr::null_mut(), Ordering::SeqCst);
    if let Some(counters) = counters {
        RETIRED.add_shared(counters.read());
    }
    FOLDS_ACTIVE.fetch_sub(1, Ordering::SeqCst);
    IN_USE.fetch_sub(1, Ordering::Relaxed);
    slot.claimed.store(false, Ordering::Release);
}

/// Spins a little, then yields to the scheduler.
fn back_off(spins: &mut u32) {
    if *spins < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
    *spins = spins.saturating_add(1);
}

/// Runs `f` announced as a reader, when no fold is in progress; `None` (and `f` not
/// run) if folds kept it out for `attempts` tries.
fn excluding_folds<R>(attempts: usize, f: impl FnOnce(Published) -> R) -> Option<R> {
    let mut spins = 0u32;
    for _ in 0..attempts {
        if FOLDS_ACTIVE.load(Ordering::SeqCst) != 0 {
            back_off(&mut spins);
            continue;
        }
        READERS.fetch_add(1, Ordering::SeqCst);
        if FOLDS_ACTIVE.load(Ordering::SeqCst) != 0 {
            READERS.fetch_sub(1, Ordering::SeqCst);
            back_off(&mut spins);
            continue;
        }
        let result = f(Published { _announced: () });
        READERS.fetch_sub(1, Ordering::SeqCst);
        return Some(result);
    }
    None
}

/// Proof that the holder runs inside [`excluding_folds`]: the only way to reach
/// other threads' counters.
struct Published {
    _announced: (),
}

impl Published {
    /// Runs `f` on every published thread's counters.
    fn for_each(&self, mut f: impl FnMut(&Counters)) {
        let used = SLOTS_USED.load(Ordering::SeqCst).min(SLOT_COUNT);
        for slot in SLOTS.get(..used).unwrap_or(&[]) {
            let counters = slot.counters.load(Ordering::SeqCst);
            // SAFETY: a non-null address was published by a live thread and points
            // to its thread-local counters. That thread cannot release them before
            // `unpublish` returns, and `unpublish` waits until `READERS` is zero,
            // which it cannot be while this reader is announced (a `Published` only
            // exists inside `excluding_folds`, after the announcement and the check
            // that no fold was active).
            if let Some(counters) = unsafe { counters.as_ref() } {
                f(counters);
            }
        }
    }
}

/// Counts an allocation-side change made by a thread without a slot.
#[inline]
pub(super) fn add_shared(counts: Counts) {
    SHARED.add_shared(counts);
}

/// Process totals: the sum of every published thread and both shared totals, read
/// with folds excluded so no exiting thread is counted twice or not at all.
pub(super) fn process_counts() -> Counts {
    match excluding_folds(READ_ATTEMPTS, sum_published) {
        Some(Some(sum)) => {
            LAST_SUM.store(sum);
            sum
        }
        _ => LAST_SUM.read(),
    }
}

/// Process totals if they can be read at once, without waiting for an exiting
/// thread (for use inside the allocator).
pub(super) fn process_counts_now() -> Option<Counts> {
    excluding_folds(1, sum_published).flatten()
}

/// The sum of every published thread and both shared totals; `None` if one
/// thread's counters could not be read consistently.
fn sum_published(published: Published) -> Option<Counts> {
    let mut sum = RETIRED.read().plus(&SHARED.read());
    published.for_each(|counters| sum = sum.plus(&counters.read()));
    Some(sum)
}

/// Calls `f` with every owner's counters for tags `0..len` in turn, summed over
/// every slot's table and the shared one (see [`owners::sum_each`]).
pub(super) fn owner_sums_each(len: usize, f: impl FnMut(Change)) {
    owners::sum_each(&TABLES, len, f);
}

/// Runs `f` as if a fold were in progress the whole time.
#[cfg(test)]
pub(super) fn during_a_fold<R>(f: impl FnOnce() -> R) -> R {
    FOLDS_ACTIVE.fetch_add(1, Ordering::SeqCst);
    let result = f();
    FOLDS_ACTIVE.fetch_sub(1, Ordering::SeqCst);
    result
}

/// Slots claimed right now.
pub(super) fn slots_in_use() -> usize {
    IN_USE.load(Ordering::Relaxed)
}

/// Threads so far that found every slot taken.
pub(super) fn slotless_threads() -> u64 {
    SLOTLESS_THREADS.load(Ordering::Relaxed)
}
