//! The process peak, maintained approximately and cheaply.
//!
//! Keeping the exact process live value would need one shared atomic updated on every
//! allocation, the contention the per-thread slots exist to avoid. Instead each
//! thread *reserves* its live bytes in the shared estimate in steps:
//!
//! - a thread with a slot keeps a private `reserved` value with
//!   `reserved <= live < reserved + 2 * STEP` (its own live bytes);
//! - when its live bytes leave that window (they rose or fell by [`STEP`] since the
//!   last adjustment) it sets `reserved = live - STEP` and adds the change to
//!   [`ESTIMATE`] with one atomic add, then raises [`PEAK`] to the new estimate;
//! - a thread without a slot adds every change exactly;
//! - decreases are applied before the memory is handed back to the inner allocator,
//!   increases after it was obtained from it (a `realloc` is counted once it returned,
//!   so for the instant of a shrinking `realloc` the estimate is above the real value by
//!   at most the bytes it gave back).
//!
//! So, apart from that instant, `ESTIMATE` is never above the process's live bytes and is less than them by
//! under `2 * STEP` per thread holding a slot; the recorded peak is never above the
//! true peak and is at most `2 * STEP` per slot-holding thread below it.

use std::sync::atomic::{AtomicI64, Ordering};

/// Granularity of the shared live estimate, in bytes.
pub(super) const STEP: i64 = 32 * 1024;

/// Sum of every thread's reserved live bytes plus the exact live bytes counted
/// through the shared totals and the retired threads.
static ESTIMATE: AtomicI64 = AtomicI64::new(0);
/// Highest `ESTIMATE` seen (or the value set by [`reset`]).
static PEAK: AtomicI64 = AtomicI64::new(0);

/// Adds `delta` to the estimate; raises the peak when the estimate grew.
#[inline]
pub(super) fn shift(delta: i64) {
    if delta == 0 {
        return;
    }
    let now = ESTIMATE
        .fetch_add(delta, Ordering::Relaxed)
        .wrapping_add(delta);
    if delta > 0 {
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

/// The recorded peak, never negative.
pub(super) fn peak() -> u64 {
    PEAK.load(Ordering::Relaxed).max(0) as u64
}

/// Sets the recorded peak to `live`.
pub(super) fn reset(live: u64) {
    PEAK.store(i64::try_from(live).unwrap_or(i64::MAX), Ordering::Relaxed);
}

/// The new reserved value for a thread whose live bytes left its window.
#[inline]
pub(super) fn recentre(live: i64) -> i64 {
    live.wrapping_sub(STEP)
}

/// The highest live value inside the window that starts at `reserved`.
#[inline(always)]
pub(super) fn window_top(reserved: i64) -> i64 {
    reserved.saturating_add(2 * STEP - 1)
}

/// Whether a thread whose live bytes are `slack` above its reserved value is inside
/// its window.
#[inline(always)]
pub(super) fn inside(slack: i64) -> bool {
    (slack as u64) < (2 * STEP) as u64
}
