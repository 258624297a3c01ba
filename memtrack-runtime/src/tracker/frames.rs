//! The per-call / per-poll frame that charges heap memory to an operation and makes
//! it the owner of what it allocates.
//!
//! A frame is opened around each stretch of code an operation runs on a thread: the
//! whole call of a sync function, each poll of an async one. While it is open:
//!
//! - the operation's name owns every block allocated on the thread (see
//!   [`alloc`](crate::alloc): "who owns each block"), the innermost frame's when
//!   frames nest;
//! - when it closes, the difference of the thread's allocator counters since it
//!   opened is charged to the operation, with the rise of the thread's live bytes
//!   (the operation's peak) and what the frame retained: the bytes of the tagged
//!   blocks it allocated, less those of them freed on the thread while any frame of
//!   the operation was open, plus its net of small blocks. The owner tag it writes
//!   carries a stamp of the operation (see [`alloc::of_operation`]), so a free of a
//!   block that another operation of the same name allocated (a cache entry
//!   evicted, a map value replaced, a shared buffer grown) is not taken off it.
//!
//! An operation that moves between worker threads is charged exactly, poll by poll,
//! since a poll never changes threads.
//!
//! Frames nest: an operation called inside another is charged its own part, and the
//! outer one is charged inclusively (its frame spans the inner one), except for
//! retained bytes, which are each operation's own: the blocks the inner operation
//! allocated are the inner operation's, whatever their names. A frame of an
//! operation that already has a frame open further out on the same thread
//! (`op.in_scope(|| op.in_scope(..))`) charges nothing: the outer frame already
//! covers every byte of it. When another operation's frame stands between the two
//! (`b.in_scope(|| a.in_scope(|| b.in_scope(..)))`), the innermost frame's tagged
//! blocks carry `b`'s stamp and count for `b` alone, and its net of small blocks is
//! moved from `a` to `b`.
//!
//! A frame ends its operation as panicked when a panic unwinds through it, not when
//! it merely runs during one (a frame opened and closed inside a `Drop` that runs
//! while a panic unwinds ends nothing).
//!
//! The innermost open frame is what `checkpoint!`, `large_alloc!` and `record!` act
//! on. Frames live on the stack of [`scoped`]; the thread-local pointer to the
//! innermost one is set and reset strictly in LIFO order by a drop guard, so it never
//! outlives the frame it points to, even when a panic unwinds through it.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::Ordering;

use super::Tracker;
use crate::alloc::{self, Counts, OwnerTag, PeakMark};
use crate::bookkeeping;

thread_local! {
    static CURRENT: Cell<*const Frame<'static>> = const { Cell::new(ptr::null()) };
}

/// One open frame.
pub(crate) struct Frame<'a> {
    tracker: &'a Tracker,
    /// The counters when the frame opened; `None` when the frame charges nothing (no
    /// counting allocator, or the operation has a frame open further out).
    start: Option<Counts>,
    /// For a frame that charges nothing because its operation has a charging frame
    /// further out, with another operation's charging frame in between: the
    /// counters when it opened, to move its net of small blocks to its own
    /// operation.
    reentry_start: Option<Counts>,
    /// Set when the code run in the frame returned: a frame closed without it
    /// was unwound by a panic in that code (whatever panic, if any, was already
    /// unwinding when it opened).
    returned: Cell<bool>,
    mark: PeakMark,
    /// The thread's bookkeeping total when the frame opened: what it gained during
    /// the frame is memtrack's own, not charged.
    excluded_at_start: Counts,
    /// The owner of what is allocated in this frame (the operation's stamped tag),
    /// and the one it replaced.
    owner: OwnerTag,
    owner_before: OwnerTag,
    /// Where the thread's count of `owner`'s tagged bytes stood when the frame
    /// opened (for a frame that charges).
    owned_at_start: i64,
    /// Of what the thread's small net moved by, the part of nested charging frames
    /// (whose retained bytes are their own).
    nested_small: Cell<i64>,
    prev: *const Frame<'static>,
}

/// What an operation has been charged, including its open frame on this thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Charged {
    pub(crate) allocated: u64,
    pub(crate) freed: u64,
    pub(crate) allocs: u64,
    pub(crate) peak: u64,
    /// Bytes of the blocks the operation allocated that are still alive, as far as
    /// its frames saw (may be negative before clamping: see [`Charged::retained`]).
    pub(crate) retained_net: i64,
}

impl Charged {
    pub(crate) fn net(&self) -> i64 {
        crate::units::delta(self.freed, self.allocated)
    }

    /// Retained bytes: never negative, never more than what was allocated.
    pub(crate) fn retained(&self) -> u64 {
        u64::try_from(self.retained_net)
            .unwrap_or(0)
            .min(self.allocated)
    }
}

/// What one closed frame adds to its operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FrameCharge {
    pub(crate) moved: Counts,
    pub(crate) rise: u64,
    pub(crate) retained: i64,
}

/// A frame's movement so far: counters, owner bytes and small net, each total
/// (including nested frames) and bookkeeping excluded.
struct Movement {
    moved: Counts,
    owned: i64,
    small: i64,
}

impl Frame<'_> {
    /// The movement from `start` to `now`, `owned_now` being
    /// [`alloc::owner_bytes_here`] of the frame's owner now.
    fn movement(&self, start: Counts, now: Counts, owned_now: i64) -> Movement {
        let excluded = bookkeeping::excluded_so_far().since(&self.excluded_at_start);
        let moved = now.since(&start).less(&excluded);
        Movement {
            moved,
            owned: owned_now.wrapping_sub(self.owned_at_start),
            small: moved.small_live(),
        }
    }

    /// This frame's own retained bytes in `m`: its tagged blocks (nested frames
    /// write other stamps), and its small net less that of nested charging frames.
    fn own_retained(&self, m: &Movement) -> i64 {
        m.owned
            .wrapping_add(m.small.wrapping_sub(self.nested_small.get()))
    }

    /// The nearest enclosing frame that charges, starting at `ptr`.
    fn charging_ancestor(mut ptr: *const Frame<'static>) -> Option<&'static Frame<'static>> {
        // SAFETY: every frame in the chain is live on this thread's stack while it is
        // linked (see `with_current`); the reference does not escape the close of the
        // frame that reads it.
        while let Some(frame) = unsafe { ptr.as_ref() } {
            if frame.start.is_some() {
                return Some(frame);
            }
            ptr = frame.prev;
        }
        None
    }
}

/// The charging frame of `tracker` open on this thread, starting at `ptr`.
fn charging_frame_of(
    tracker: &Tracker,
    mut ptr: *const Frame<'static>,
) -> Option<&'static Frame<'static>> {
    // SAFETY: as in `Frame::charging_ancestor`.
    while let Some(frame) = unsafe { ptr.as_ref() } {
        if ptr::eq(frame.tracker, tracker) && frame.start.is_some() {
            return Some(frame);
        }
        ptr = frame.prev;
    }
    None
}

/// Whether `tracker` has a frame open on this thread, starting at `ptr`.
fn is_open_on_thread(tracker: &Tracker, mut ptr: *const Frame<'static>) -> bool {
    // SAFETY: as in `Frame::charging_ancestor`.
    while let Some(frame) = unsafe { ptr.as_ref() } {
        if ptr::eq(frame.tracker, tracker) {
            return true;
        }
        ptr = frame.prev;
    }
    false
}

/// Whether `tracker`'s charging frame open on this thread (starting at `ptr`) is
/// not the nearest charging frame: another operation's stands in between.
fn is_reentry(tracker: &Tracker, ptr: *const Frame<'static>) -> bool {
    match (
        charging_frame_of(tracker, ptr),
        Frame::charging_ancestor(ptr),
    ) {
        (Some(own), Some(nearest)) => !ptr::eq(own, nearest),
        _ => false,
    }
}

/// Closes the frame: resets the thread's current frame and owner, charges the
/// operation, and ends it as panicked when a panic is unwinding through the frame.
struct Close<'f, 'a>(&'f Frame<'a>);

impl Drop for Close<'_, '_> {
    fn drop(&mut self) {
        let frame = self.0;
        CURRENT.set(frame.prev);
        alloc::leave_owner(frame.owner_before);
        let owned_now = if frame.start.is_some() {
            alloc::unwatch_owner(frame.owner)
        } else {
            0
        };
        if let Some(start) = frame.start {
            let (now, rise) = alloc::frame_end(frame.mark);
            let movement = frame.movement(start, now, owned_now);
            frame.tracker.charge(FrameCharge {
                moved: movement.moved,
                rise,
                retained: frame.own_retained(&movement),
            });
            if let Some(parent) = Frame::charging_ancestor(frame.prev) {
                parent
                    .nested_small
                    .set(parent.nested_small.get().wrapping_add(movement.small));
            }
        }
        if let Some(start) = frame.reentry_start {
            frame.move_reentry(start);
        }
        if !frame.returned.get() {
            frame.tracker.end_panicked();
        }
    }
}

impl Frame<'_> {
    /// A re-entered frame closes: its net of small blocks is its operation's, not
    /// that of the other operation's frame it ran in, which is charged inclusively.
    /// (Its tagged blocks carry its operation's stamp and are counted there already.)
    fn move_reentry(&self, start: Counts) {
        let (Some(now), Some(own), Some(between)) = (
            alloc::thread_counters(),
            charging_frame_of(self.tracker, self.prev),
            Frame::charging_ancestor(self.prev),
        ) else {
            return;
        };
        let m = self.movement(start, now, self.owned_at_start);
        between
            .nested_small
            .set(between.nested_small.get().wrapping_add(m.small));
        own.nested_small
            .set(own.nested_small.get().wrapping_sub(m.small));
    }
}

/// Runs `f` inside a frame of `tracker` on this thread.
pub(crate) fn scoped<R>(tracker: &Tracker, f: impl FnOnce() -> R) -> R {
    let prev = CURRENT.get();
    let owner = tracker.owner_tag();
    let owner_before = alloc::enter_owner(owner);
    // A thread's own earlier frame of the operation set `entered` before this
    // load (program order), so `false` means no frame of it is open here.
    let reopened = if tracker.entered.load(Ordering::Relaxed) {
        is_open_on_thread(tracker, prev)
    } else {
        tracker.entered.store(true, Ordering::Relaxed);
        false
    };
    let begun = if reopened { None } else { alloc::frame_begin() };
    let (start, mark) = match begun {
        Some((counters, mark)) => (Some(counters), mark),
        None => (None, PeakMark::default()),
    };
    let reentry_start = if reopened && is_reentry(tracker, prev) {
        alloc::thread_counters()
    } else {
        None
    };
    let owned_at_start = if start.is_some() {
        alloc::watch_owner(owner)
    } else {
        0
    };
    let frame = Frame {
        tracker,
        start,
        reentry_start,
        returned: Cell::new(false),
        mark,
        excluded_at_start: bookkeeping::excluded_so_far(),
        owner,
        owner_before,
        owned_at_start,
        nested_small: Cell::new(0),
        prev,
    };
    CURRENT.set(ptr::from_ref(&frame).cast::<Frame<'static>>());
    let _close = Close(&frame);
    let result = f();
    frame.returned.set(true);
    result
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
    // A frame that charges nothing sits inside the operation's own charging frame,
    // further out: that one's movement is the open part.
    let charging = if frame.start.is_some() {
        Some(frame)
    } else {
        charging_frame_of(frame.tracker, frame.prev)
    };
    let open = match (
        charging.and_then(|f| f.start.map(|s| (f, s))),
        alloc::thread_counters(),
    ) {
        (Some((charging, start)), Some(now)) => {
            let movement = charging.movement(start, now, alloc::owner_bytes_here(charging.owner));
            Some(FrameCharge {
                moved: movement.moved,
                rise: 0,
                retained: charging.own_retained(&movement),
            })
        }
        _ => None,
    };
    let charged = frame.tracker.charged_with(open);
    Some(f(frame.tracker, charged))
}
