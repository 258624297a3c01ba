//! The calling thread's side of the counters: the hot path run on every allocation,
//! claiming and retiring a registry slot, and the seam the tracker reads.
//!
//! The thread-local below is const-initialised and has no destructor, so accessing it
//! never allocates, never registers anything and stays valid for the whole life of the
//! thread, including while other thread-locals are being destroyed. Its counters are
//! what the registry publishes to other threads.

use std::cell::Cell;
use std::sync::atomic::Ordering;

use super::registry::{self, Counters, Counts, Slot, bump};
use super::{exit_hook, peak, switch};

/// Where the calling thread's counts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Never counted yet: the next counted change claims a slot.
    Unclaimed,
    /// Counting on the fast path, counters published in `Local::slot`.
    Slot,
    /// No slot (registry full, no exit hook, or the thread is past its exit hook):
    /// counting on the slow path, into the thread's counters and the shared totals.
    Shared,
}

/// Per-thread state, only ever touched by its own thread (but for `counters`, which
/// other threads read, and whose `divert` flag the counting switch writes).
///
/// Two owner-only quantities track the thread's live bytes against the bounds that
/// need work when crossed:
///
/// - `headroom` is `ceiling - live`, where `ceiling` is the lower of the high-water
///   mark (plus the bookkeeping offset) and the top of the publishing window: an
///   allocation subtracts its size and needs [`Local::rise`] only when the result is
///   negative;
/// - `span` is `ceiling - reserved`, fixed until the ceiling or the window moves: a
///   free adds its size to `headroom` and needs [`Local::recentre`] only when the
///   result exceeds `span` (live bytes fell below the bottom of the window).
///
/// So the fast path of an allocation is one flag test, two counter increments and
/// one subtraction with a sign test, and that of a free about the same, all on this
/// thread's own cache line.
#[repr(C, align(64))]
struct Local {
    counters: Counters,
    headroom: Cell<i64>,
    span: Cell<i64>,
    mode: Cell<Mode>,
    /// The slot the counters are published in, while `mode` is `Slot`.
    slot: Cell<Option<&'static Slot>>,
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
            headroom: Cell::new(0),
            span: Cell::new(0),
            mode: Cell::new(Mode::Unclaimed),
            slot: Cell::new(None),
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
    /// path, or `high`, `offset` or `reserved` changed.
    fn refresh(&self) {
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
    /// of the window. A new high inside the window (the common case, on every
    /// allocation of a growing frame) is settled here: the mark becomes the live
    /// value, which is then also the ceiling.
    #[inline(always)]
    fn rise(&self) {
        // Live bytes above the bottom of the window.
        let slack = self.span.get().wrapping_sub(self.headroom.get());
        if peak::inside(slack) {
            self.high.set(self.reserved.get().wrapping_add(slack));
            self.headroom.set(0);
            self.span.set(slack);
        } else {
            self.leave_window();
        }
    }

    /// Whether live bytes fell below the bottom of the window.
    #[inline(always)]
    fn below_window(&self) -> bool {
        self.headroom.get() > self.span.get()
    }

    /// Live bytes rose out of the window: raises the mark and publishes.
    #[cold]
    #[inline(never)]
    fn leave_window(&self) {
        self.raise_mark(self.counts().live());
        self.recentre();
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
    #[cold]
    #[inline(never)]
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
        if local.counters.divert.load(Ordering::Relaxed) {
            divert(local, size, 0);
            return;
        }
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
/// nothing else is needed (the thread counts on the fast path and its live bytes stay
/// inside the window); otherwise counts nothing and returns `false`, and the caller
/// must call [`on_free`].
#[inline(always)]
pub(super) fn free_fast(size: u64) -> bool {
    LOCAL
        .try_with(|local| {
            if local.counters.divert.load(Ordering::Relaxed) {
                return false;
            }
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

/// Counts a free of `size` bytes made by the calling thread.
pub(super) fn on_free(size: u64) {
    let counted = LOCAL.try_with(|local| {
        if local.counters.divert.load(Ordering::Relaxed) {
            divert(local, 0, size);
            return;
        }
        bump(&local.counters.freed, size);
        local.refresh();
        if local.below_window() {
            local.recentre();
        }
    });
    if counted.is_err() {
        count_without_thread(0, size);
    }
}

/// Counts a reallocation from `old` to `new` bytes made by the calling thread.
#[inline(always)]
pub(super) fn on_realloc(old: u64, new: u64) {
    let counted = LOCAL.try_with(|local| {
        if local.counters.divert.load(Ordering::Relaxed) {
            divert(local, new, old);
            return;
        }
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
            local.recentre();
        }
    });
    if counted.is_err() {
        count_without_thread(new, old);
    }
}

/// A change the thread's `divert` flag sent off the fast path: nothing while
/// counting is switched off, otherwise the slow path.
#[inline(always)]
fn divert(local: &Local, allocated: u64, freed: u64) {
    if switch::counting_enabled() {
        slow_change(local, allocated, freed);
    }
}

/// A change on a thread without a slot (claiming one first if the thread never had
/// one), or on a thread whose flag is still raised while counting is being switched
/// back on.
#[cold]
#[inline(never)]
fn slow_change(local: &Local, allocated: u64, freed: u64) {
    if local.mode.get() == Mode::Unclaimed {
        claim(local);
    }
    let counters = &local.counters;
    bump(&counters.allocated, allocated);
    bump(&counters.freed, freed);
    bump(&counters.allocs, u64::from(allocated != 0));
    if local.mode.get() == Mode::Slot {
        local.refresh();
        if local.headroom.get() < 0 {
            local.rise();
        } else if local.below_window() {
            local.recentre();
        }
        return;
    }
    let change = Counts {
        allocated,
        freed,
        allocs: u64::from(allocated != 0),
    };
    local.raise_mark(local.counts().live());
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

/// First count on this thread: publish its counters in a slot, arrange their
/// release at thread exit, and lower the `divert` flag (unless counting is off).
fn claim(local: &Local) {
    switch::mark_installed();
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
        return;
    }
    // The flag must end up as the switch was last set, even when the switch is
    // flipped while this runs: `set_counting` stores the switch before it writes the
    // flags of published threads, and this thread was published before it reads the
    // switch, so re-reading the switch after writing the flag catches any flip
    // whose own flag write this one may have overwritten.
    loop {
        let on = switch::counting_enabled_seqcst();
        local.counters.divert.store(!on, Ordering::SeqCst);
        if switch::counting_enabled_seqcst() == on {
            break;
        }
    }
    local.refresh();
}

/// Unpublishes the thread's counters (folding them into the retired total) and
/// switches the thread to the shared totals for whatever it still allocates.
fn retire(local: &Local) {
    let Some(slot) = local.slot.take() else {
        local.mode.set(Mode::Shared);
        return;
    };
    registry::unpublish(slot, Some(&local.counters));
    local.counters.divert.store(true, Ordering::SeqCst);
    local.mode.set(Mode::Shared);
    // From now on this thread's bytes count exactly in the estimate: add what its
    // reservation left out.
    let live = local.counts().live();
    peak::shift(live.wrapping_sub(local.reserved.get()));
    local.reserved.set(live);
    local.refresh();
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
