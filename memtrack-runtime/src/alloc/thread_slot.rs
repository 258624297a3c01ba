//! The calling thread's side of the counters: the hot path run on every allocation,
//! claiming and retiring a slot, and the seam the tracker reads.
//!
//! The thread-local below is const-initialised and has no destructor, so accessing it
//! never allocates, never registers anything and stays valid for the whole life of the
//! thread, including while other thread-locals are being destroyed.

use std::cell::Cell;

use super::registry::{self, Counts, Slot};
use super::{exit_hook, peak, switch};

/// Where the calling thread's counts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Never counted yet: the next allocation claims a slot.
    Unclaimed,
    /// Counting into `Local::slot`.
    Slot,
    /// No slot (registry full, or the thread is past its exit hook): counting into
    /// the thread's own cells and the shared totals.
    Shared,
}

/// Per-thread state, only ever touched by its own thread.
///
/// An allocation that leaves the thread's live bytes at or below `ceiling`, and a
/// free that leaves them at or above `reserved`, need nothing beyond the counter
/// updates: one comparison each. Everything else (a new high-water mark, moving the
/// process estimate) happens in [`Local::rise`] and [`Local::recentre`].
struct Local {
    /// The thread's slot, or [`registry::NO_SLOT`] (which diverts every change to
    /// [`slow_change`]) while it has none.
    slot: Cell<&'static Slot>,
    mode: Cell<Mode>,
    /// The thread's counters while in `Mode::Shared` (carried over from the slot when
    /// the slot is released, so the thread's counters never go back).
    own: Cell<Counts>,
    /// Highest live value since the last `raw_peak_begin`, less `offset` (thread-relative,
    /// may be < 0).
    mark: Cell<i64>,
    /// Net bytes kept by memtrack's own bookkeeping inside [`without_peak`]: live
    /// values are compared with the mark after subtracting it, so memory memtrack
    /// keeps for itself never counts toward an operation's peak.
    offset: Cell<i64>,
    /// This thread's share of the process live estimate (see `peak`): the low end of
    /// the window the thread's live bytes may move in without publishing.
    reserved: Cell<i64>,
    /// The highest live value that neither raises the mark nor leaves the window:
    /// `min(mark + offset, reserved + 2 * STEP - 1)`, kept up to date by every
    /// change of those three.
    ceiling: Cell<i64>,
}

impl Local {
    const fn new() -> Self {
        Self {
            slot: Cell::new(&registry::NO_SLOT),
            mode: Cell::new(Mode::Unclaimed),
            own: Cell::new(Counts {
                allocated: 0,
                freed: 0,
                allocs: 0,
            }),
            mark: Cell::new(0),
            offset: Cell::new(0),
            reserved: Cell::new(0),
            ceiling: Cell::new(0),
        }
    }

    /// The thread's counters (slot or own cells).
    fn counts(&self) -> Counts {
        match self.mode.get() {
            Mode::Slot => self.slot.get().counts(),
            Mode::Unclaimed | Mode::Shared => self.own.get(),
        }
    }

    /// Recomputes `ceiling` after `mark`, `offset` or `reserved` changed.
    #[inline(always)]
    fn refresh_ceiling(&self) {
        let mark = self.mark.get().wrapping_add(self.offset.get());
        let window_top = peak::window_top(self.reserved.get());
        self.ceiling.set(mark.min(window_top));
    }

    /// Sets the mark (in offset-adjusted bytes).
    #[inline(always)]
    fn set_mark(&self, mark: i64) {
        self.mark.set(mark);
        self.refresh_ceiling();
    }

    /// After a change that may have raised live bytes.
    #[inline(always)]
    fn after_change(&self, live: i64) {
        if live > self.ceiling.get() {
            self.rise(live);
        } else {
            self.after_decrease(live);
        }
    }

    /// Live went above the ceiling: raises the mark if live is above it, and moves the
    /// process estimate if live left the window.
    #[inline(always)]
    fn rise(&self, live: i64) {
        let adjusted = live.wrapping_sub(self.offset.get());
        if adjusted > self.mark.get() {
            self.mark.set(adjusted);
        }
        if peak::outside(live, self.reserved.get()) {
            self.recentre(live);
        } else {
            self.refresh_ceiling();
        }
    }

    /// Raises the mark to `live` (less the bookkeeping offset) when above it.
    #[inline]
    fn raise_mark(&self, live: i64) {
        let adjusted = live.wrapping_sub(self.offset.get());
        if adjusted > self.mark.get() {
            self.set_mark(adjusted);
        }
    }

    /// Live bytes less the bookkeeping offset: what marks are measured in.
    fn adjusted_live(&self) -> i64 {
        self.counts().live().wrapping_sub(self.offset.get())
    }

    /// After a change that can only have lowered live bytes.
    #[inline(always)]
    fn after_decrease(&self, live: i64) {
        if live < self.reserved.get() {
            self.recentre(live);
        }
    }

    #[cold]
    #[inline(never)]
    fn recentre(&self, live: i64) {
        let reserved = peak::recentre(live);
        peak::shift(reserved.wrapping_sub(self.reserved.get()));
        self.reserved.set(reserved);
        self.refresh_ceiling();
    }
}

thread_local! {
    static LOCAL: Local = const { Local::new() };
}

/// Counts an allocation of `size` bytes made by the calling thread.
#[inline(always)]
pub(super) fn on_alloc(size: u64) {
    let counted = LOCAL.try_with(|local| {
        let slot = local.slot.get();
        if slot.diverted() {
            divert(local, size, 0);
            return;
        }
        let live = slot.on_alloc(size);
        if live > local.ceiling.get() {
            local.rise(live);
        }
    });
    if counted.is_err() {
        count_without_thread(size, 0);
    }
}

/// The fast path of a free of `size` bytes: counts it and returns `true` when
/// nothing else is needed (the thread has a slot, counting is on, and the thread's
/// live bytes stay inside the window); otherwise counts nothing and returns `false`,
/// and the caller must call [`on_free`].
#[inline(always)]
pub(super) fn free_fast(size: u64) -> bool {
    LOCAL
        .try_with(|local| {
            let slot = local.slot.get();
            !slot.diverted() && slot.free_above(size, local.reserved.get())
        })
        .unwrap_or(false)
}

/// Counts a free of `size` bytes made by the calling thread.
pub(super) fn on_free(size: u64) {
    let counted = LOCAL.try_with(|local| {
        let slot = local.slot.get();
        if slot.diverted() {
            divert(local, 0, size);
            return;
        }
        local.after_decrease(slot.on_free(size));
    });
    if counted.is_err() {
        count_without_thread(0, size);
    }
}

/// Counts a reallocation from `old` to `new` bytes made by the calling thread.
#[inline(always)]
pub(super) fn on_realloc(old: u64, new: u64) {
    let counted = LOCAL.try_with(|local| {
        let slot = local.slot.get();
        if slot.diverted() {
            divert(local, new, old);
            return;
        }
        local.after_change(slot.on_realloc(old, new));
    });
    if counted.is_err() {
        count_without_thread(new, old);
    }
}

/// A change the thread's slot diverted: nothing while counting is switched off,
/// otherwise the slow path.
#[inline(always)]
fn divert(local: &Local, allocated: u64, freed: u64) {
    if switch::counting_enabled() {
        slow_change(local, allocated, freed);
    }
}

/// A change on a thread without a slot of its own (claiming one first if the thread
/// never had one), or on a slot diverted while counting is being switched back on.
#[cold]
#[inline(never)]
fn slow_change(local: &Local, allocated: u64, freed: u64) {
    if local.mode.get() == Mode::Unclaimed {
        claim(local);
    }
    if local.mode.get() == Mode::Slot {
        let slot = local.slot.get();
        let live = match (allocated, freed) {
            (size, 0) => slot.on_alloc(size),
            (0, size) => slot.on_free(size),
            (new, old) => slot.on_realloc(old, new),
        };
        local.after_change(live);
        return;
    }
    let change = Counts {
        allocated,
        freed,
        allocs: u64::from(allocated != 0),
    };
    let own = local.own.get();
    let own = Counts {
        allocated: own.allocated.wrapping_add(change.allocated),
        freed: own.freed.wrapping_add(change.freed),
        allocs: own.allocs.wrapping_add(change.allocs),
    };
    local.own.set(own);
    local.raise_mark(own.live());
    count_shared(change);
}

/// Counts a change when the thread-local is unavailable (never on platforms with
/// native thread-locals; kept as a correct fallback).
#[cold]
#[inline(never)]
fn count_without_thread(allocated: u64, freed: u64) {
    count_shared(Counts {
        allocated,
        freed,
        allocs: u64::from(allocated != 0),
    });
}

/// Adds a change to the shared totals and, exactly, to the process live estimate.
fn count_shared(change: Counts) {
    registry::add_shared(change);
    peak::shift(change.live());
}

/// First count on this thread: claim a slot and arrange its release at thread exit.
fn claim(local: &Local) {
    switch::mark_installed();
    let Some(slot) = registry::claim() else {
        local.mode.set(Mode::Shared);
        return;
    };
    local.slot.set(slot);
    local.mode.set(Mode::Slot);
    if !exit_hook::register(slot) {
        // Without an exit hook the slot could never be reused: give it back now.
        retire(local);
    }
}

/// Releases the thread's slot (folding its counters into the retired total) and
/// switches the thread to the shared totals for whatever it still allocates.
fn retire(local: &Local) {
    if local.mode.get() != Mode::Slot {
        local.mode.set(Mode::Shared);
        return;
    }
    let slot = local.slot.replace(&registry::NO_SLOT);
    let counts = registry::release(slot);
    local.own.set(counts);
    local.mode.set(Mode::Shared);
    // From now on this thread's bytes count exactly in the estimate: add what its
    // reservation left out.
    peak::shift(counts.live().wrapping_sub(local.reserved.get()));
    local.reserved.set(counts.live());
    local.refresh_ceiling();
}

/// Thread exit: release `slot`, held by the calling thread.
pub(super) fn retire_current(slot: &'static Slot) {
    let retired = LOCAL.try_with(|local| {
        if local.mode.get() == Mode::Slot && std::ptr::eq(local.slot.get(), slot) {
            retire(local);
        }
    });
    if retired.is_err() {
        registry::release(slot);
    }
}

/// The current thread's own counters (single-writer, monotonically increasing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ThreadCounters {
    pub(crate) allocated: u64,
    pub(crate) freed: u64,
    pub(crate) allocs: u64,
}

/// The calling thread's counters whether or not the public figures are available.
pub(super) fn raw_thread_counters() -> ThreadCounters {
    let counts = LOCAL.try_with(Local::counts).unwrap_or_default();
    ThreadCounters {
        allocated: counts.allocated,
        freed: counts.freed,
        allocs: counts.allocs,
    }
}

/// The current thread's counters, `None` when the allocator is not counting.
#[inline]
pub(crate) fn thread_counters() -> Option<ThreadCounters> {
    switch::figures_available().then(raw_thread_counters)
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
                saved_mark: local.mark.get(),
                live_at_begin: live,
            };
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
/// bytes rose above their value at `raw_peak_begin` during the frame, and restores the outer
/// mark (as the max of both, so an enclosing frame still sees this frame's peak).
#[inline]
pub(crate) fn peak_end(mark: PeakMark) -> u64 {
    LOCAL
        .try_with(|local| {
            let high = local.mark.get();
            local.set_mark(high.max(mark.saved_mark));
            high.saturating_sub(mark.live_at_begin).max(0) as u64
        })
        .unwrap_or(0)
}

/// Opens an attribution frame: the thread's counters and a peak mark (as
/// [`raw_peak_begin`]); `None` when the allocator is not counting.
#[inline]
pub(crate) fn frame_begin() -> Option<(ThreadCounters, PeakMark)> {
    switch::figures_available().then(|| (raw_thread_counters(), raw_peak_begin()))
}

/// Closes a frame opened by [`frame_begin`]: the thread's counters now and the rise
/// of its live bytes during the frame (as [`peak_end`]).
#[inline]
pub(crate) fn frame_end(mark: PeakMark) -> (ThreadCounters, u64) {
    let rise = peak_end(mark);
    (raw_thread_counters(), rise)
}

/// Runs `f` without letting its allocations raise the thread's live high-water mark
/// (for memtrack's own bookkeeping inside an operation's frame): the mark is restored
/// after `f`, and whatever `f` kept (say, a log buffer that grew) is added to the
/// thread's offset, so it does not lift the marks of later allocations either.
pub(crate) fn without_peak<R>(f: impl FnOnce() -> R) -> R {
    let before = LOCAL
        .try_with(|local| (local.mark.get(), local.counts().live()))
        .ok();
    let result = f();
    if let Some((saved, live_before)) = before {
        let _ = LOCAL.try_with(|local| {
            let kept = local.counts().live().wrapping_sub(live_before);
            local.offset.set(local.offset.get().wrapping_add(kept));
            local.set_mark(saved.max(local.adjusted_live()));
        });
    }
    result
}
