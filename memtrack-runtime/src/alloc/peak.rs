//! The process peak: the highest process live value read.
//!
//! Keeping the exact process live value at every instant would need one shared
//! atomic updated on every allocation, the contention the per-thread counters exist
//! to avoid. The peak is instead the highest of exact readings of the process total,
//! taken:
//!
//! - whenever a thread's live bytes rise [`STEP`] bytes above a level: the live
//!   bytes at its last reading, brought down to its live bytes whenever it makes a
//!   tagged allocation or a sampled one (on that thread's slow path, and only if no
//!   thread is exiting at that instant);
//! - at every reading of the process figures ([`heap_stats`](super::heap_stats)).
//!
//! So the recorded peak is never above the true peak. It can miss growth made of
//! small blocks below a level that was not brought down (at most a sampling
//! distance of small allocations after the thread freed memory), and under `STEP`
//! bytes for each thread still growing at the instant of the true peak.

use std::sync::atomic::{AtomicU64, Ordering};

use super::registry;

/// Growth of a thread's live bytes between two readings of the process peak.
pub(super) const STEP: i64 = 256 * 1024;

/// Highest process live value read (or the value set by [`reset`]).
static PEAK: AtomicU64 = AtomicU64::new(0);

/// Raises the peak to `live` when above it.
pub(super) fn observe(live: u64) {
    PEAK.fetch_max(live, Ordering::Relaxed);
}

/// Reads the process total now, if that needs no waiting, and raises the peak.
pub(super) fn read_now() {
    if let Some(counts) = registry::process_counts_now() {
        observe(counts.live().max(0) as u64);
    }
}

/// The recorded peak.
pub(super) fn peak() -> u64 {
    PEAK.load(Ordering::Relaxed)
}

/// Sets the recorded peak to `live`.
pub(super) fn reset(live: u64) {
    PEAK.store(live, Ordering::Relaxed);
}
