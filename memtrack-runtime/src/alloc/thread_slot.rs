//! The calling thread's side of the counters: the hot path run on every allocation,
//! claiming and retiring a registry slot, and the seam the tracker reads.
//!
//! The thread-local below is const-initialised and has no destructor, so accessing it
//! never allocates, never registers anything and stays valid for the whole life of the
//! thread, including while other thread-locals are being destroyed. Its counters are
//! what the registry publishes to other threads.

use std::cell::Cell;

use super::registry::{self, Counters, Counts, Slot, bump};
use super::{exit_hook, installed, peak};

/// Where the calling thread's counts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Never counted yet: the next change claims a slot.
    Unclaimed,
    /// Counting on the fast path, counters published in `Local::slot`.
    Slot,
    /// No slot (registry full, no exit hook, or the thread is past its exit hook):
    /// every change also goes to the shared totals, on the slow path.
    Shared,
}

/// `headroom` and `span` of a thread that is not on the fast path: any allocation
/// leaves `headroom` negative and any free takes it above `span`, so every change
/// goes to [`Local::settle`].
const OFF_FAST_PATH: (i64, i64) = (i64::MIN / 2, i64::MIN);

/// Per-thread state, only ever touched by its own thread (but for `counters`, which
/// other threads read).
///
/// Two owner-only quantities track the thread's live bytes against the bounds that
/// need work when crossed:
///
/// - `headroom` is `ceiling - live`, where `ceiling` is the lower of the high-water
///   mark and the top of the publishing window: an allocation subtracts its size and
///   needs [`Local::rise`] only when the result is negative;
/// - `span` is `ceiling - reserved`, fixed until the ceiling or the window moves: a
///   free adds its size to `headroom` and needs [`Local::settle`] only when the
///   result exceeds `span` (live bytes fell below the bottom of the window).
///
/// So the fast path of an allocation is two counter increments and one subtraction
/// with a sign test, and that of a free one increment, one addition and one
/// comparison, all on this thread's own cache line. A thread off the fast path (see
/// [`Mode`]) keeps the two at [`OFF_FAST_PATH`].
#[repr(C, align(64))]
struct Local {
    counters: Counters,
    headroom: Cell<i64>,
    span: Cell<i64>,
    mode: Cell<Mode>,
    /// The slot the counters are published in, while `mode` is `Slot`.
    slot: Cell<Option<&'static Slot>>,
    /// What of `counters` has been added to the shared totals (`Mode::Shared`).
    shared: Cell<Counts>,
    /// Highest live value since the last `raw_peak_begin` (thread-relative, may be
    /// < 0). The frame's mark is this less `offset`.
    high: Cell<i64>,
    /// Net bytes kept by memtrack's own bookkeeping inside [`without_peak`]: live
    /// values are compared with the mark after subtracting it, so memory memtrack
    /// keeps for itself never counts toward an operation's peak.
    offset: Cell<i64>,
    /// This thread's share of the process live estimate (see `peak`): the low end of
    /// the window the thread's live bytes may move in without publishing.
    reserved: Cell<i64>,
}

impl Local {
    const fn new() -> Self {
        Self {
            counters: Counters::new(),
            headroom: Cell::new(OFF_FAST_PATH.0),
            span: Cell::new(OFF_FAST_PATH.1),
            mode: Cell::new(Mode::Unclaimed),
            slot: Cell::new(None),
            shared: Cell::new(Counts {
                allocated: 0,
                freed: 0,
                allocs: 0,
            }),
            high: Cell::new(0),
            offset: Cell::new(0),
            reserved: Cell::new(0),
        }
    }

    /// The thread's counters.
    fn counts(&self) -> Counts {
        self.counters.counts()
    }

    /// Recomputes `headroom` and `span` after the counters were changed on the slow
    /// path, or `high`, `offset`, `reserved` or the mode changed.
    fn refresh(&self) {
        if self.mode.get() != Mode::Slot {
            self.headroom.set(OFF_FAST_PATH.0);
            self.span.set(OFF_FAST_PATH.1);
            return;
        }
        let live = self.counts().live();
        let ceiling = self.high.get().min(peak::window_top(self.reserved.get()));
        self.headroom.set(ceiling.wrapping_sub(live));
        self.span.set(ceiling.wrapping_sub(self.reserved.get()));
    }

    /// The frame's high-water mark, in offset-adjusted bytes.
    fn mark(&self) -> i64 {
        self.high.get().wrapping_sub(self.offset.get())
    }

    /// Sets the mark (in offset-adjusted bytes).
    fn set_mark(&self, mark: i64) {
        self.high.set(mark.wrapping_add(self.offset.get()));
        self.refresh();
    }

    /// An allocation left `headroom` negative: live bytes rose above the mark, or out
    /// of the window, or the thread is off the fast path. A new high inside the
    /// window (the common case, on every allocation of a growing frame) is settled
    /// here: the mark becomes the live value, which is then also the ceiling.
    #[inline(always)]
    fn rise(&self) {
        // Live bytes above the bottom of the window (off the fast path: far below).
        let slack = self.span.get().wrapping_sub(self.headroom.get());
        if peak::inside(slack) {
            self.high.set(self.reserved.get().wrapping_add(slack));
            self.headroom.set(0);
            self.span.set(slack);
        } else {
            self.settle();
        }
    }

    /// Whether a free or shrink took live bytes below the bottom of the window (or
    /// the thread is off the fast path).
    #[inline(always)]
    fn below_window(&self) -> bool {
        self.headroom.get() > self.span.get()
    }

    /// Everything the fast path leaves out, after the counters were updated: the
    /// thread's first change (claiming a slot), a change of a thread without one
    /// (added to the shared totals), live bytes that left the window (published to
    /// the process estimate) and a mark they rose above.
    #[cold]
    #[inline(never)]
    fn settle(&self) {
        if self.mode.get() == Mode::Unclaimed {
            claim(self);
        }
        let live = self.counts().live();
        self.raise_mark(live);
        match self.mode.get() {
            Mode::Slot => {
                if peak::inside(live.wrapping_sub(self.reserved.get())) {
                    self.refresh();
                } else {
                    self.recentre();
                }
            }
            Mode::Unclaimed | Mode::Shared => self.add_to_shared(),
        }
    }

    /// Adds what the counters gained since the last call to the shared totals and,
    /// exactly, to the process estimate.
    fn add_to_shared(&self) {
        let now = self.counts();
        let before = self.shared.get();
        count_shared(Counts {
            allocated: now.allocated.wrapping_sub(before.allocated),
            freed: now.freed.wrapping_sub(before.freed),
            allocs: now.allocs.wrapping_sub(before.allocs),
        });
        self.shared.set(now);
        self.refresh();
    }

    /// Raises the mark to `live` when above it.
    fn raise_mark(&self, live: i64) {
        if live > self.high.get() {
            self.high.set(live);
        }
    }

    /// Live bytes less the bookkeeping offset: what marks are measured in.
    fn adjusted_live(&self) -> i64 {
        self.counts().live().wrapping_sub(self.offset.get())
    }

    /// Live bytes left the window: publishes them to the process estimate.
    fn recentre(&self) {
        let reserved = peak::recentre(self.counts().live());
        peak::shift(reserved.wrapping_sub(self.reserved.get()));
        self.reserved.set(reserved);
        self.refresh();
    }
}

thread_local! {
    static LOCAL: Local = const { Local::new() };
}

/// Counts an allocation of `size` bytes made by the calling thread.
#[inline(always)]
pub(super) fn on_alloc(size: u64) {
    let counted = LOCAL.try_with(|local| {
        bump(&local.counters.allocated, size);
        bump(&local.counters.allocs, 1);
        let headroom = local.headroom.get().wrapping_sub(size as i64);
        local.headroom.set(headroom);
        if headroom < 0 {
            local.rise();
        }
    });
    if counted.is_err() {
        count_without_thread(size, 0);
    }
}

/// The fast path of a free of `size` bytes: counts it and returns `true` when
/// nothing else is needed (the thread is on the fast path and its live bytes stay
/// inside the window); otherwise counts nothing and returns `false`, and the caller
/// must call [`on_free`].
#[inline(always)]
pub(super) fn free_fast(size: u64) -> bool {
    LOCAL
        .try_with(|local| {
            let headroom = local.headroom.get().wrapping_add(size as i64);
            if headroom > local.span.get() {
                return false;
            }
            local.headroom.set(headroom);
            bump(&local.counters.freed, size);
            true
        })
        .unwrap_or(false)
}

/// Counts a free of `size` bytes made by the calling thread (the slow path).
pub(super) fn on_free(size: u64) {
    let counted = LOCAL.try_with(|local| {
        bump(&local.counters.freed, size);
        local.settle();
    });
    if counted.is_err() {
        count_without_thread(0, size);
    }
}

/// Counts a reallocation from `old` to `new` bytes made by the calling thread.
#[inline(always)]
pub(super) fn on_realloc(old: u64, new: u64) {
    let counted = LOCAL.try_with(|local| {
        bump(&local.counters.allocated, new);
        bump(&local.counters.freed, old);
        bump(&local.counters.allocs, 1);
        let headroom = local
            .headroom
            .get()
            .wrapping_sub(new.wrapping_sub(old) as i64);
        local.headroom.set(headroom);
        if headroom < 0 {
            local.rise();
        } else if local.below_window() {
            local.settle();
        }
    });
    if counted.is_err() {
        count_without_thread(new, old);
    }
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

/// First change on this thread: publish its counters in a slot and arrange their
/// release at thread exit, or count through the shared totals if neither can be
/// done.
fn claim(local: &Local) {
    installed::mark();
    let Some(slot) = registry::publish(&local.counters) else {
        local.mode.set(Mode::Shared);
        return;
    };
    local.slot.set(Some(slot));
    local.mode.set(Mode::Slot);
    if !exit_hook::register(slot) {
        // Without an exit hook the counters would be left published after the
        // thread's storage is gone: take them back now.
        retire(local);
    }
}

/// Unpublishes the thread's counters (folding them into the retired total) and
/// switches the thread to the shared totals for whatever it still allocates.
fn retire(local: &Local) {
    let Some(slot) = local.slot.take() else {
        local.mode.set(Mode::Shared);
        return;
    };
    registry::unpublish(slot, Some(&local.counters));
    local.mode.set(Mode::Shared);
    // The retired total now holds everything counted so far.
    local.shared.set(local.counts());
    // From now on this thread's bytes count exactly in the estimate: add what its
    // reservation left out.
    let live = local.counts().live();
    peak::shift(live.wrapping_sub(local.reserved.get()));
    local.reserved.set(live);
    local.refresh();
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
    installed::figures_available().then(raw_thread_counters)
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
            let high = local.mark();
            local.set_mark(high.max(mark.saved_mark));
            high.saturating_sub(mark.live_at_begin).max(0) as u64
        })
        .unwrap_or(0)
}

/// Opens an attribution frame: the thread's counters and a peak mark (as
/// [`raw_peak_begin`]); `None` when the allocator is not counting.
#[inline]
pub(crate) fn frame_begin() -> Option<(ThreadCounters, PeakMark)> {
    installed::figures_available().then(|| (raw_thread_counters(), raw_peak_begin()))
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
        .try_with(|local| (local.mark(), local.counts().live()))
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
