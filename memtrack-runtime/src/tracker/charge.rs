//! The heap bytes charged to one operation, accumulated frame by frame.
//!
//! Frames of one operation never overlap in time (a sync call is one frame; polls of
//! a future are sequential), so each counter has one writer at a time: plain relaxed
//! loads and stores suffice, with `Release`/`Acquire` on `frames` publishing them to
//! a reader on another thread.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::alloc::ThreadCounters;
use crate::attribution::Charged;
use crate::units;

#[derive(Debug, Default)]
pub(super) struct Charge {
    allocated: AtomicU64,
    freed: AtomicU64,
    allocs: AtomicU64,
    peak: AtomicU64,
    frames: AtomicU64,
}

impl Charge {
    /// Adds one closed frame: `moved` is what the thread's counters moved by, `rise`
    /// how far the thread's live bytes rose above their level at the frame's start.
    pub(super) fn add(&self, moved: ThreadCounters, rise: u64) -> Charged {
        let before = self.load();
        let net_before = before.net();
        let frame_peak = net_before.saturating_add(i64::try_from(rise).unwrap_or(i64::MAX));
        let after = Charged {
            allocated: before.allocated.saturating_add(moved.allocated),
            freed: before.freed.saturating_add(moved.freed),
            allocs: before.allocs.saturating_add(moved.allocs),
            peak: before.peak.max(u64::try_from(frame_peak).unwrap_or(0)),
        };
        self.allocated.store(after.allocated, Ordering::Relaxed);
        self.freed.store(after.freed, Ordering::Relaxed);
        self.allocs.store(after.allocs, Ordering::Relaxed);
        self.peak.store(after.peak, Ordering::Relaxed);
        // One writer at a time (see above): no read-modify-write needed.
        let frames = self.frames.load(Ordering::Relaxed);
        self.frames.store(frames.wrapping_add(1), Ordering::Release);
        after
    }

    /// What was charged, plus an open frame's movement if given. `None` when no frame
    /// was ever counted (no counting allocator, or the operation never ran inside a
    /// frame) and none is open: heap figures are then absent, not zero.
    pub(super) fn snapshot(&self, open: Option<ThreadCounters>) -> Option<Charged> {
        let closed = self.frames.load(Ordering::Acquire);
        let base = self.load();
        match open {
            None if closed == 0 => None,
            None => Some(base),
            Some(m) => {
                let allocated = base.allocated.saturating_add(m.allocated);
                let freed = base.freed.saturating_add(m.freed);
                let net = units::delta(freed, allocated);
                Some(Charged {
                    allocated,
                    freed,
                    allocs: base.allocs.saturating_add(m.allocs),
                    peak: base.peak.max(u64::try_from(net).unwrap_or(0)),
                })
            }
        }
    }

    fn load(&self) -> Charged {
        Charged {
            allocated: self.allocated.load(Ordering::Relaxed),
            freed: self.freed.load(Ordering::Relaxed),
            allocs: self.allocs.load(Ordering::Relaxed),
            peak: self.peak.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(allocated: u64, freed: u64, allocs: u64) -> ThreadCounters {
        ThreadCounters {
            allocated,
            freed,
            allocs,
        }
    }

    #[test]
    fn absent_until_a_frame_is_counted() {
        let c = Charge::default();
        assert_eq!(c.snapshot(None), None);
        c.add(moved(0, 0, 0), 0);
        assert_eq!(c.snapshot(None), Some(Charged::default()));
    }

    #[test]
    fn peak_accumulates_across_frames() {
        let c = Charge::default();
        // frame 1: allocate 100, keep it; frame 2: allocate 300 then free 250 (peak
        // rose 300 above its start of 100 live)
        c.add(moved(100, 0, 1), 100);
        let after = c.add(moved(300, 250, 2), 300);
        assert_eq!(
            after,
            Charged {
                allocated: 400,
                freed: 250,
                allocs: 3,
                peak: 400
            }
        );
        assert_eq!(after.net(), 150);
    }

    #[test]
    fn freeing_more_than_allocated_is_negative_net_zero_peak() {
        let c = Charge::default();
        let after = c.add(moved(10, 50, 1), 10);
        assert_eq!(after.net(), -40);
        assert_eq!(after.peak, 10);
    }
}
