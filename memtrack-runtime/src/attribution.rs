//! The per-call / per-poll frame that charges heap memory to an operation.
//!
//! A frame is opened around each stretch of code an operation runs on a thread: the
//! whole call of a sync function, each poll of an async one. It remembers the
//! thread's allocator counters at its start and, when it closes, charges the
//! difference to the operation. An operation that moves between worker threads is
//! charged exactly, poll by poll, since a poll never changes threads.
//!
//! Frames nest: an operation called inside another is charged its own part, and the
//! outer one is charged inclusively (its frame spans the inner one).
//!
//! The innermost open frame is what `checkpoint!`, `large_alloc!` and `record!` act
//! on. Frames live on the stack of [`scoped`]; the thread-local pointer to the
//! innermost one is set and reset strictly in LIFO order by a drop guard, so it never
//! outlives the frame it points to, even when a panic unwinds through it.

use std::cell::Cell;
use std::ptr;

use crate::alloc::{self, PeakMark, ThreadCounters};
use crate::tracker::Tracker;

thread_local! {
    static CURRENT: Cell<*const Frame<'static>> = const { Cell::new(ptr::null()) };
}

/// One open frame.
pub(crate) struct Frame<'a> {
    tracker: &'a Tracker,
    start: Option<ThreadCounters>,
    mark: PeakMark,
    /// Counters spent by memtrack's own bookkeeping inside this frame, not charged.
    excluded: Cell<ThreadCounters>,
    prev: *const Frame<'static>,
}

/// What an operation has been charged, including its open frame on this thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Charged {
    pub(crate) allocated: u64,
    pub(crate) freed: u64,
    pub(crate) allocs: u64,
    pub(crate) peak: u64,
}

impl Charged {
    pub(crate) fn net(&self) -> i64 {
        crate::units::delta(self.freed, self.allocated)
    }
}

impl Frame<'_> {
    /// The thread's counters moved since the frame opened, less memtrack's own.
    fn moved(&self, now: ThreadCounters) -> Option<ThreadCounters> {
        let start = self.start?;
        let ex = self.excluded.get();
        Some(ThreadCounters {
            allocated: now
                .allocated
                .wrapping_sub(start.allocated)
                .saturating_sub(ex.allocated),
            freed: now.freed.wrapping_sub(start.freed).saturating_sub(ex.freed),
            allocs: now
                .allocs
                .wrapping_sub(start.allocs)
                .saturating_sub(ex.allocs),
        })
    }
}

/// Closes the frame: resets the thread's current frame, charges the operation, and
/// ends it as panicked when a panic is unwinding through the frame.
struct Close<'f, 'a>(&'f Frame<'a>);

impl Drop for Close<'_, '_> {
    fn drop(&mut self) {
        let frame = self.0;
        CURRENT.set(frame.prev);
        if frame.start.is_some() {
            let (now, rise) = alloc::frame_end(frame.mark);
            if let Some(moved) = frame.moved(now) {
                frame.tracker.charge(moved, rise);
            }
        }
        if std::thread::panicking() {
            frame.tracker.end_panicked();
        }
    }
}

/// Runs `f` inside a frame of `tracker` on this thread.
pub(crate) fn scoped<R>(tracker: &Tracker, f: impl FnOnce() -> R) -> R {
    let (start, mark) = match alloc::frame_begin() {
        Some((counters, mark)) => (Some(counters), mark),
        None => (None, PeakMark::default()),
    };
    let frame = Frame {
        tracker,
        start,
        mark,
        excluded: Cell::new(ThreadCounters::default()),
        prev: CURRENT.get(),
    };
    CURRENT.set(ptr::from_ref(&frame).cast::<Frame<'static>>());
    let _close = Close(&frame);
    f()
}

/// Calls `f` with the innermost open frame's tracker and what that operation has
/// been charged so far (its closed frames plus this open one); `None` outside any
/// operation.
pub(crate) fn with_current<R>(f: impl FnOnce(&Tracker, Option<Charged>) -> R) -> Option<R> {
    let ptr = CURRENT.get();
    // SAFETY: CURRENT is only ever set by `scoped` to a frame that lives on its stack
    // for as long as the pointer is installed; `Close` restores the previous value
    // before the frame is dropped, also during unwinding. A non-null pointer read on
    // this thread therefore points to a live frame of this thread.
    let frame = unsafe { ptr.as_ref()? };
    let charged = frame
        .tracker
        .charged_with(alloc::thread_counters().and_then(|now| frame.moved(now)));
    Some(f(frame.tracker, charged))
}

/// Runs memtrack's own bookkeeping (formatting, logging) without charging what it
/// allocates to the operations whose frames are open on this thread.
///
/// Neither the bytes nor the thread's live high-water mark move for the enclosing
/// operations: what `f` allocates counts toward no operation's `peak_bytes`.
pub(crate) fn untracked<R>(f: impl FnOnce() -> R) -> R {
    let Some(before) = alloc::thread_counters() else {
        return f();
    };
    let result = alloc::without_peak(f);
    if let Some(after) = alloc::thread_counters() {
        let spent = ThreadCounters {
            allocated: after.allocated.wrapping_sub(before.allocated),
            freed: after.freed.wrapping_sub(before.freed),
            allocs: after.allocs.wrapping_sub(before.allocs),
        };
        let mut ptr = CURRENT.get();
        // SAFETY: as in `with_current`: every frame in the chain is live on this
        // thread's stack while it is linked, and the chain is only read here.
        while let Some(frame) = unsafe { ptr.as_ref() } {
            let ex = frame.excluded.get();
            frame.excluded.set(ThreadCounters {
                allocated: ex.allocated.wrapping_add(spent.allocated),
                freed: ex.freed.wrapping_add(spent.freed),
                allocs: ex.allocs.wrapping_add(spent.allocs),
            });
            ptr = frame.prev;
        }
    }
    result
}
