//! The calling thread's side of the counters: the fast paths run on every
//! allocation and free, the check they branch to, claiming and retiring a registry
//! slot, and the seam the tracker reads.
//!
//! The thread-local below is const-initialised and has no destructor, so accessing it
//! never allocates, never registers anything and stays valid for the whole life of the
//! thread, including while other thread-locals are being destroyed. Its counters are
//! what the registry publishes to other threads.
//!
//! # The fast paths
//!
//! A small allocation (under [`TAGGED_MIN`](super::TAGGED_MIN) bytes) adds its size
//! to the allocated bytes, counts one call, and subtracts its size from the thread's
//! *budget*: the bytes it may allocate before anything else needs doing. A small
//! free adds its size to the freed bytes. Each is an add to memory on the thread's
//! own cache line; only the budget is followed by a sign test.
//!
//! The budget is the least of three distances, recomputed at each [`Local::check`]:
//!
//! - to the next sample point (in small allocated bytes, see `sampling`);
//! - while a frame measures its peak, to the frame's high-water mark (live bytes
//!   above it are a new high);
//! - to the live level at which the process peak is read next.
//!
//! Frees do not give budget back, so a check can come earlier than needed, never
//! later: any allocation that reaches one of the three points exhausts the budget,
//! and the check sees the exact counters. A thread off the fast path (no slot yet,
//! none available, or past its exit hook) keeps its budget far below zero so that
//! every allocation takes the check, and a free tests the thread's mode.

use std::cell::Cell;

use super::counters::{Counters, Counts, bump};
use super::owners::{self, Change, OwnerTag, Table, UNTRACKED};
use super::registry::{self, Slot};
use super::sample_pages::{self, Spare};
use super::sampling::{self, Weights};
use super::small_cache::SmallCache;
use super::watches;
use super::{exit_hook, installed, peak};

/// Where the calling thread's counts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Counting on the fast path, counters published in `Local::slot`.
    Slot,
    /// Never counted yet: the next change claims a slot.
    Unclaimed,
    /// No slot (registry full, no exit hook, or the thread is past its exit hook):
    /// every change also goes to the shared totals.
    Shared,
}

/// Budget of a thread off the fast path: no allocation a process can make brings it
/// up to zero.
const OFF_FAST_PATH: i64 = i64::MIN / 2;

/// Per-thread state, only ever touched by its own thread (but for `counters`, which
/// other threads read).
#[repr(C, align(64))]
struct Local {
    counters: Counters,
    budget: Cell<i64>,
    /// [`PAGE_BITS`] while `mode` is `Slot`, 0 otherwise (see [`count_small_free`]).
    free_mask: Cell<u32>,
    mode: Cell<Mode>,
    /// The slot the counters are published in, while `mode` is `Slot`.
    slot: Cell<Option<&'static Slot>>,
    /// The owner table of the slot, while `mode` is `Slot`.
    table: Cell<Option<Table>>,
    /// What of the counters has been added to the shared totals (`Mode::Shared`).
    shared: Cell<Counts>,
    /// Small allocated bytes at which the next sample point lies.
    sample_at: Cell<u64>,
    /// Highest live value since the last `raw_peak_begin` (thread-relative, may be
    /// < 0). The frame's mark is this less `offset`.
    high: Cell<i64>,
    /// Net bytes kept by memtrack's own bookkeeping inside [`without_peak`]: live
    /// values are compared with the mark after subtracting it, so memory memtrack
    /// keeps for itself never counts toward an operation's peak.
    offset: Cell<i64>,
    /// Live value above which the process peak is read next.
    scan_at: Cell<i64>,
    /// Frames measuring their peak (the mark matters only while one is open).
    frames: Cell<u32>,
    /// The owner of what this thread allocates now (the innermost operation).
    owner: Cell<OwnerTag>,
    /// State of the thread's random source for sampling distances.
    random: Cell<u64>,
    /// The page the thread keeps for its next sampled block (see `sample_pages`),
    /// only while `mode` is `Slot`.
    spare: Spare,
}

/// A small allocation to be sampled: its owner and weights.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sample {
    pub(super) owner: OwnerTag,
    pub(super) weights: Weights,
}

impl Local {
    const fn new() -> Self {
        Self {
            counters: Counters::new(),
            budget: Cell::new(OFF_FAST_PATH),
            free_mask: Cell::new(0),
            mode: Cell::new(Mode::Unclaimed),
            slot: Cell::new(None),
            table: Cell::new(None),
            shared: Cell::new(Counts {
                allocated: 0,
                freed: 0,
                allocs: 0,
                large_allocated: 0,
                large_freed: 0,
            }),
            sample_at: Cell::new(u64::MAX),
            high: Cell::new(0),
            offset: Cell::new(0),
            scan_at: Cell::new(0),
            frames: Cell::new(0),
            owner: Cell::new(UNTRACKED),
            random: Cell::new(0),
            spare: Spare::new(0),
        }
    }

    fn counts(&self) -> Counts {
        self.counters.read()
    }

    /// Switches the mode, and the free path's gate with it.
    fn set_mode(&self, mode: Mode) {
        self.mode.set(mode);
        self.free_mask
            .set(if mode == Mode::Slot { PAGE_BITS } else { 0 });
    }

    fn live(&self) -> i64 {
        self.counts().live()
    }

    /// Recomputes the budget: the least distance to the next sample point, the mark
    /// and the next process-peak reading (far below zero off the fast path).
    fn rebudget(&self) {
        if self.mode.get() != Mode::Slot {
            self.budget.set(OFF_FAST_PATH);
            return;
        }
        let counts = self.counts();
        let live = counts.live();
        let to_sample = self
            .sample_at
            .get()
            .saturating_sub(counts.small_allocated())
            .min(i64::MAX as u64) as i64;
        let mut budget = to_sample.min(self.scan_at.get().saturating_sub(live));
        if self.frames.get() > 0 {
            budget = budget.min(self.high.get().saturating_sub(live));
        }
        self.budget.set(budget);
    }

    /// The frame's high-water mark, in offset-adjusted bytes.
    fn mark(&self) -> i64 {
        self.high.get().wrapping_sub(self.offset.get())
    }

    /// Sets the mark (in offset-adjusted bytes).
    fn set_mark(&self, mark: i64) {
        self.high.set(mark.wrapping_add(self.offset.get()));
        self.rebudget();
    }

    /// Live bytes less the bookkeeping offset: what marks are measured in.
    fn adjusted_live(&self) -> i64 {
        self.live().wrapping_sub(self.offset.get())
    }

    /// The budget ran out after the allocation of `size` bytes (already counted;
    /// `small` for an untagged block): raises the mark to a new high, reads the
    /// process peak when live bytes passed its level, decides whether this
    /// allocation is the next sample, and sets a new budget. Off the fast path it
    /// also claims a slot or adds the thread's changes to the shared totals.
    #[inline(never)]
    fn check(&self, size: u64, small: bool) -> Option<Sample> {
        if self.mode.get() == Mode::Unclaimed {
            claim(self);
        }
        let counts = self.counts();
        let live = counts.live();
        if live > self.high.get() {
            self.high.set(live);
        }
        let mut sample = None;
        if small && counts.small_allocated() >= self.sample_at.get() {
            sample = self.draw_sample(size, counts.small_allocated());
        }
        match self.mode.get() {
            Mode::Slot => {
                if live > self.scan_at.get() {
                    peak::read_now();
                    self.scan_at.set(live.saturating_add(peak::STEP));
                } else if self.scan_at.get() > live.saturating_add(peak::STEP) {
                    // The thread freed memory since the last reading.
                    self.scan_at.set(live.saturating_add(peak::STEP));
                }
            }
            Mode::Unclaimed | Mode::Shared => self.add_to_shared(),
        }
        self.rebudget();
        sample
    }

    /// This allocation of `size` bytes reached the sample point: moves the point on
    /// past `small_allocated` and returns the sample (`None` when sampling is off).
    fn draw_sample(&self, size: u64, small_allocated: u64) -> Option<Sample> {
        let mean = sampling::sample_interval();
        let mut random = self.random.get();
        let mut at = self.sample_at.get();
        while at <= small_allocated {
            let distance = sampling::next_distance(&mut random, mean);
            at = at.saturating_add(distance as u64);
        }
        self.random.set(random);
        self.sample_at.set(at);
        (mean != 0).then(|| Sample {
            // Sampled blocks stand for many blocks: they are counted by name only.
            owner: owners::name_of(self.owner.get()),
            weights: sampling::weights(size, mean),
        })
    }

    /// Adds what the counters gained since the last call to the shared totals.
    fn add_to_shared(&self) {
        let now = self.counts();
        registry::add_shared(now.since(&self.shared.get()));
        self.shared.set(now);
    }

    /// Claims a slot if the thread never counted, so that owner changes go to the
    /// table the thread keeps from now on.
    fn ensure_claimed(&self) {
        if self.mode.get() == Mode::Unclaimed {
            claim(self);
            self.rebudget();
        }
    }

    /// Applies a change to `tag`'s live blocks, in the slot's table or the shared one.
    fn apply_owner(&self, tag: OwnerTag, change: Change) {
        match (self.mode.get(), self.table.get()) {
            (Mode::Slot, Some(table)) => table.apply_owned(tag, change),
            _ => owners::apply_shared(tag, change),
        }
        watches::with(|w| w.note(tag, change.exact_bytes));
    }

    /// `owner`'s exact bytes in the thread's slot table, or in the shared one.
    fn owner_bytes_in_table(&self, owner: OwnerTag) -> i64 {
        self.ensure_claimed();
        match (self.mode.get(), self.table.get()) {
            (Mode::Slot, Some(table)) => table.exact_bytes(owner),
            _ => owners::shared_exact_bytes(owner),
        }
    }

    /// Counts a small allocation of `size` bytes: its bytes, one call, and the
    /// budget it uses up.
    #[inline(always)]
    fn count_small(&self, size: u64) -> Step {
        let c = &self.counters;
        bump(&c.allocated, size);
        bump(&c.allocs, 1);
        let budget = self.budget.get().wrapping_sub(size as i64);
        self.budget.set(budget);
        if budget < 0 {
            Step::Check
        } else {
            Step::Counted
        }
    }

    /// A free counted in the thread's counters while it is off the fast path.
    #[cold]
    #[inline(never)]
    fn free_off_fast_path(&self) {
        if self.mode.get() == Mode::Unclaimed {
            claim(self);
        }
        if self.mode.get() != Mode::Slot {
            self.add_to_shared();
        }
        self.rebudget();
    }
}

thread_local! {
    static LOCAL: Local = const { Local::new() };
    /// Freed small blocks kept for the thread's next allocations (open only while
    /// the thread's mode is `Slot`).
    static CACHE: SmallCache = const { SmallCache::new() };
}

/// What the fast path of a small allocation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// Counted; nothing else to do.
    Counted,
    /// Counted, and the budget ran out: [`finish_small_alloc`] must follow.
    Check,
    /// Nothing counted: the thread-local is unavailable.
    NoThread,
}

/// The fast path of a small allocation of `size` bytes.
#[inline(always)]
pub(super) fn count_small_alloc(size: u64) -> Step {
    LOCAL
        .try_with(|local| local.count_small(size))
        .unwrap_or(Step::NoThread)
}

/// Blocks in the calling thread's cache.
#[cfg(test)]
pub(super) fn cached_blocks() -> usize {
    CACHE.try_with(SmallCache::len).unwrap_or(0)
}

/// A block from the calling thread's cache for a small allocation of `size` bytes
/// just counted on the fast path; null when there is none.
#[inline(always)]
pub(super) fn pop_cached(size: usize) -> *mut u8 {
    CACHE
        .try_with(|cache| cache.pop(size))
        .unwrap_or(std::ptr::null_mut())
}

/// Keeps the freed small block `ptr` of `size` bytes in the calling thread's cache;
/// `false` when the cache has no room (or is closed).
///
/// # Safety
///
/// As [`SmallCache::push`].
#[inline(always)]
pub(super) unsafe fn push_cached(ptr: *mut u8, size: usize) -> bool {
    CACHE
        // SAFETY: the caller's guarantees, passed on.
        .try_with(|cache| unsafe { cache.push(ptr, size) })
        .unwrap_or(false)
}

/// The fast path of a reallocation between two small sizes (neither block tagged or
/// sampled): a free of `old` bytes and an allocation of `new`, one call.
#[inline(always)]
pub(super) fn count_small_realloc(old: u64, new: u64) -> Step {
    LOCAL
        .try_with(|local| {
            bump(&local.counters.freed, old);
            local.count_small(new)
        })
        .unwrap_or(Step::NoThread)
}

/// Completes a small allocation of `size` bytes whose fast path returned `step`;
/// `Some` when the allocation is to be sampled.
#[cold]
#[inline(never)]
pub(super) fn finish_small_alloc(size: u64, step: Step) -> Option<Sample> {
    if step == Step::NoThread {
        // (For a reallocation, the old block's bytes are not counted as freed on
        // this path, which no platform with native thread-locals ever takes.)
        count_without_thread(Counts {
            allocated: size,
            allocs: 1,
            ..Counts::default()
        });
        return None;
    }
    LOCAL
        .try_with(|local| local.check(size, true))
        .ok()
        .flatten()
}

/// Records that a sampled small block was placed: its weights now count for its
/// owner.
pub(super) fn sampled_placed(sample: Sample) {
    let change = Change::sampled(sample.weights.bytes, sample.weights.blocks, 1);
    if LOCAL
        .try_with(|local| {
            local.ensure_claimed();
            local.apply_owner(sample.owner, change);
        })
        .is_err()
    {
        owners::apply_shared(sample.owner, change);
    }
}

/// The fast path of a small free of `size` bytes at `ptr`: counts it, and returns
/// `true` when [`finish_small_free`] must follow (the block starts a page, so it may
/// be a sampled one, or the thread is off the fast path, or its thread-local is
/// unavailable). One test decides both: the address under the thread's mask, the
/// bits below a page on the fast path and none off it.
#[inline(always)]
pub(super) fn count_small_free(ptr: *mut u8, size: u64) -> bool {
    LOCAL
        .try_with(|local| {
            bump(&local.counters.freed, size);
            (ptr as usize as u32) & local.free_mask.get() == 0
        })
        .unwrap_or(true)
}

/// The low bits of an address that say whether it starts a page.
const PAGE_BITS: u32 = (sampling::SAMPLE_ALIGN - 1) as u32;

/// Completes a small free of `size` bytes the fast path sent here: adds it to the
/// shared totals off the fast path (nothing to do on it).
#[cold]
#[inline(never)]
pub(super) fn finish_small_free(size: u64) {
    let finished = LOCAL.try_with(|local| {
        if local.mode.get() != Mode::Slot {
            local.free_off_fast_path();
        }
    });
    if finished.is_err() {
        count_without_thread(Counts {
            freed: size,
            ..Counts::default()
        });
    }
}

/// Runs `f` with the calling thread's spare sample page, `None` for a thread off the
/// fast path (whose spare could not be handed back when it exits).
pub(super) fn with_spare<R>(f: impl Fn(Option<&Spare>) -> R) -> R {
    LOCAL
        .try_with(|local| f((local.mode.get() == Mode::Slot).then_some(&local.spare)))
        .unwrap_or_else(|_| f(None))
}

/// Records that a sampled small block was freed: its weights no longer count for
/// its owner.
pub(super) fn sampled_freed(owner: OwnerTag, weights: Weights) {
    let change = Change::sampled(weights.bytes, weights.blocks, -1);
    if LOCAL
        .try_with(|local| {
            local.ensure_claimed();
            local.apply_owner(owner, change);
        })
        .is_err()
    {
        owners::apply_shared(owner, change);
    }
}

/// Counts an allocation of a tagged block of `size` bytes the inner allocator
/// served; returns the tag to write after it (the calling thread's owner).
#[inline]
pub(super) fn count_large_alloc(size: u64) -> OwnerTag {
    LOCAL
        .try_with(|local| {
            let c = &local.counters;
            local.ensure_claimed();
            bump(&c.allocated, size);
            bump(&c.large_allocated, size);
            bump(&c.allocs, 1);
            let tag = local.owner.get();
            local.apply_owner(tag, Change::exact(size, 1));
            let budget = local.budget.get().wrapping_sub(size as i64);
            local.budget.set(budget);
            if budget < 0 {
                local.check(size, false);
            }
            tag
        })
        .unwrap_or_else(|_| {
            count_without_thread(Counts {
                allocated: size,
                allocs: 1,
                large_allocated: size,
                ..Counts::default()
            });
            owners::apply_shared(UNTRACKED, Change::exact(size, 1));
            UNTRACKED
        })
}

/// Counts the free of a tagged block of `size` bytes owned by `tag`.
#[inline]
pub(super) fn count_large_free(size: u64, tag: OwnerTag) {
    let counted = LOCAL.try_with(|local| {
        let c = &local.counters;
        local.ensure_claimed();
        bump(&c.freed, size);
        bump(&c.large_freed, size);
        local.apply_owner(tag, Change::exact(size, -1));
        if local.mode.get() != Mode::Slot {
            local.free_off_fast_path();
        }
    });
    if counted.is_err() {
        count_without_thread(Counts {
            freed: size,
            large_freed: size,
            ..Counts::default()
        });
        owners::apply_shared(tag, Change::exact(size, -1));
    }
}

/// One side of a reallocation: a block's size and, for a tagged block, its owner.
#[derive(Debug, Clone, Copy)]
pub(super) struct Side {
    pub(super) size: u64,
    /// `Some(owner)` for a tagged block (for the new block, any value: the owner is
    /// the calling thread's).
    pub(super) tagged: Option<OwnerTag>,
}

/// Whether a small allocation of `size` bytes made now would be sampled.
pub(super) fn would_sample(size: u64) -> bool {
    LOCAL
        .try_with(|local| {
            local.mode.get() == Mode::Slot
                && local.counts().small_allocated().saturating_add(size) >= local.sample_at.get()
        })
        .unwrap_or(false)
}

/// Counts a reallocation from `old` to `new` (a free of the old block and an
/// allocation of the new one, one call); returns the tag to write after the new
/// block when it is tagged. A small `new` must not be one that [`would_sample`].
pub(super) fn count_realloc(old: Side, new: Side) -> OwnerTag {
    let counted = LOCAL.try_with(|local| {
        let c = &local.counters;
        local.ensure_claimed();
        bump(&c.freed, old.size);
        if let Some(tag) = old.tagged {
            bump(&c.large_freed, old.size);
            local.apply_owner(tag, Change::exact(old.size, -1));
        }
        let tag = local.owner.get();
        bump(&c.allocated, new.size);
        if new.tagged.is_some() {
            bump(&c.large_allocated, new.size);
            local.apply_owner(tag, Change::exact(new.size, 1));
        }
        bump(&c.allocs, 1);
        let budget = local.budget.get().wrapping_sub(new.size as i64);
        local.budget.set(budget);
        if budget < 0 {
            local.check(new.size, false);
        }
        tag
    });
    counted.unwrap_or_else(|_| {
        count_without_thread(Counts {
            allocated: new.size,
            freed: old.size,
            allocs: 1,
            large_allocated: if new.tagged.is_some() { new.size } else { 0 },
            large_freed: if old.tagged.is_some() { old.size } else { 0 },
        });
        if let Some(tag) = old.tagged {
            owners::apply_shared(tag, Change::exact(old.size, -1));
        }
        if new.tagged.is_some() {
            owners::apply_shared(UNTRACKED, Change::exact(new.size, 1));
        }
        UNTRACKED
    })
}

/// Counts a change when the thread-local is unavailable (never on platforms with
/// native thread-locals; kept as a correct fallback).
#[cold]
#[inline(never)]
fn count_without_thread(change: Counts) {
    registry::add_shared(change);
}

/// First change on this thread: publish its counters in a slot and arrange their
/// release at thread exit, or count through the shared totals if neither can be
/// done. Draws the first sample point.
fn claim(local: &Local) {
    installed::mark();
    let mut random = std::ptr::from_ref(local) as u64 ^ 0x9E37_79B9_7F4A_7C15;
    let distance = sampling::next_distance(&mut random, sampling::sample_interval());
    local.random.set(random);
    let counts = local.counts();
    local
        .sample_at
        .set(counts.small_allocated().saturating_add(distance as u64));
    // A thread starts with nothing live: its first `STEP` of growth reads the peak.
    local.high.set(counts.live());
    local.scan_at.set(peak::STEP);
    let Some((slot, table)) = registry::publish(&local.counters) else {
        local.set_mode(Mode::Shared);
        return;
    };
    local.slot.set(Some(slot));
    local.table.set(table);
    local.set_mode(Mode::Slot);
    let _ = CACHE.try_with(SmallCache::open);
    if !exit_hook::register(slot, retire_current) {
        // Without an exit hook the counters would be left published after the
        // thread's storage is gone: take them back now.
        retire(local);
    }
}

/// Unpublishes the thread's counters (folding them into the retired total) and
/// switches the thread to the shared totals for whatever it still allocates.
fn retire(local: &Local) {
    let Some(slot) = local.slot.take() else {
        local.set_mode(Mode::Shared);
        return;
    };
    registry::unpublish(slot, Some(&local.counters));
    local.set_mode(Mode::Shared);
    sample_pages::give_back_spare(&local.spare);
    let _ = CACHE.try_with(SmallCache::drain);
    local.table.set(None);
    // The retired total now holds everything counted so far.
    local.shared.set(local.counts());
    local.rebudget();
}

/// Retires the calling thread's slot now, as its exit hook would.
#[cfg(test)]
pub(super) fn retire_now() {
    let _ = LOCAL.try_with(retire);
}

/// Thread exit: release `slot`, held by the calling thread.
pub(super) fn retire_current(slot: &'static Slot) {
    let retired = LOCAL.try_with(|local| {
        if local.slot.get().is_some_and(|own| std::ptr::eq(own, slot)) {
            retire(local);
        }
    });
    if retired.is_err() {
        // Never the case for a const thread-local without a destructor; should it
        // be, the slot must not stay published.
        registry::unpublish(slot, None);
    }
}

/// The calling thread's counters whether or not the public figures are available.
pub(crate) fn raw_thread_counters() -> Counts {
    LOCAL.try_with(Local::counts).unwrap_or_default()
}

/// The current thread's counters, `None` when the allocator is not counting.
#[inline]
pub(crate) fn thread_counters() -> Option<Counts> {
    installed::figures_available().then(raw_thread_counters)
}

/// Makes `owner` the owner of what the calling thread allocates from now on;
/// returns the previous owner, to be restored with [`leave_owner`].
#[inline]
pub(crate) fn enter_owner(owner: OwnerTag) -> OwnerTag {
    LOCAL
        .try_with(|local| local.owner.replace(owner))
        .unwrap_or(UNTRACKED)
}

/// Restores the owner [`enter_owner`] returned.
#[inline]
pub(crate) fn leave_owner(previous: OwnerTag) {
    let _ = LOCAL.try_with(|local| local.owner.set(previous));
}

/// The exact bytes of `owner`'s tagged blocks the calling thread has added less
/// those of them it freed, counted from some point: its differences over a stretch
/// of code are exact. While the thread follows `owner` (see [`watch_owner`]) that is
/// its own count since it began; otherwise its slot's table, or for a thread without
/// a slot the shared table, which other threads change too.
pub(crate) fn owner_bytes_here(owner: OwnerTag) -> i64 {
    watches::with(|w| w.exact_bytes(owner))
        .flatten()
        .unwrap_or_else(|| owner_bytes_in_table(owner))
}

/// A frame of `owner` opens on the calling thread: the thread follows what it
/// changes of `owner` itself, whatever becomes of its slot meanwhile (a thread
/// without one writes a table other threads write too; a thread's slot is given up
/// at its exit). Call before reading [`owner_bytes_here`], and [`unwatch_owner`]
/// when the frame closes.
///
/// Returns [`owner_bytes_here`] as it then is: where the frame's difference starts.
pub(crate) fn watch_owner(owner: OwnerTag) -> i64 {
    watches::with(|w| w.watch(owner))
        .flatten()
        .unwrap_or_else(|| owner_bytes_in_table(owner))
}

/// The frame [`watch_owner`] was called for closes: returns [`owner_bytes_here`]
/// as it is now, where the frame's difference ends, and stops following `owner` for
/// that frame.
pub(crate) fn unwatch_owner(owner: OwnerTag) -> i64 {
    watches::with(|w| w.unwatch(owner))
        .flatten()
        .unwrap_or_else(|| owner_bytes_in_table(owner))
}

/// `owner`'s exact bytes in the calling thread's slot table, or in the shared one.
fn owner_bytes_in_table(owner: OwnerTag) -> i64 {
    LOCAL
        .try_with(|local| local.owner_bytes_in_table(owner))
        .unwrap_or(0)
}

/// Saved state of the thread's live high-water mark, returned by [`raw_peak_begin`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PeakMark {
    pub(crate) saved_mark: i64,
    pub(crate) live_at_begin: i64,
}

/// Starts measuring the thread's live peak for a frame: remembers the old mark and
/// sets the mark to the thread's current live bytes (whether or not the public
/// figures are available; [`frame_begin`] checks that).
pub(super) fn raw_peak_begin() -> PeakMark {
    LOCAL
        .try_with(|local| {
            let live = local.adjusted_live();
            let mark = PeakMark {
                saved_mark: local.mark(),
                live_at_begin: live,
            };
            local.frames.set(local.frames.get().saturating_add(1));
            local.set_mark(live);
            mark
        })
        // Without the thread-local (thread exit), a mark that measures nothing:
        // `peak_end` then reports 0 and leaves the mark as it is.
        .unwrap_or(PeakMark {
            saved_mark: i64::MIN,
            live_at_begin: i64::MAX,
        })
}

/// Ends a frame started by [`raw_peak_begin`]: returns how far the thread's live
/// bytes rose above their value at `raw_peak_begin` during the frame, and restores
/// the outer mark (as the max of both, so an enclosing frame still sees this
/// frame's peak).
#[inline]
pub(crate) fn peak_end(mark: PeakMark) -> u64 {
    LOCAL
        .try_with(|local| {
            let high = local.mark();
            local.frames.set(local.frames.get().saturating_sub(1));
            local.set_mark(high.max(mark.saved_mark));
            high.saturating_sub(mark.live_at_begin).max(0) as u64
        })
        .unwrap_or(0)
}

/// Opens an attribution frame: the thread's counters and a peak mark (as
/// [`raw_peak_begin`]); `None` when the allocator is not counting.
#[inline]
pub(crate) fn frame_begin() -> Option<(Counts, PeakMark)> {
    installed::figures_available().then(|| (raw_thread_counters(), raw_peak_begin()))
}

/// Closes a frame opened by [`frame_begin`]: the thread's counters now and the rise
/// of its live bytes during the frame (as [`peak_end`]).
#[inline]
pub(crate) fn frame_end(mark: PeakMark) -> (Counts, u64) {
    let rise = peak_end(mark);
    (raw_thread_counters(), rise)
}

/// Runs `f` without letting its allocations raise the thread's live high-water mark
/// (for memtrack's own bookkeeping inside an operation's frame): the mark is restored
/// after `f`, and whatever `f` kept (say, a log buffer that grew) is added to the
/// thread's offset, so it does not lift the marks of later allocations either.
pub(crate) fn without_peak<R>(f: impl FnOnce() -> R) -> R {
    let before = LOCAL.try_with(|local| (local.mark(), local.live())).ok();
    let result = f();
    if let Some((saved, live_before)) = before {
        let _ = LOCAL.try_with(|local| {
            let kept = local.live().wrapping_sub(live_before);
            local.offset.set(local.offset.get().wrapping_add(kept));
            local.set_mark(saved.max(local.adjusted_live()));
        });
    }
    result
}
