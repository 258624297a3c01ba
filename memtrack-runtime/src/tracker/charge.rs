//! The heap bytes charged to one operation, accumulated frame by frame.
//!
//! Frames of one operation usually follow each other (a sync call is one frame, the
//! polls of a future are sequential), but a tracker can be shared: `in_scope` on an
//! `Arc<Tracker>` from several threads opens frames that close at the same time. So
//! every counter is added with an atomic read-modify-write, and a frame that moved a
//! counter by nothing skips it: the frame of a call that allocated nothing costs no
//! atomic operation at all.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};

use super::frames::{Charged, FrameCharge};
use crate::units;

#[derive(Debug, Default)]
pub(super) struct Charge {
    allocated: AtomicU64,
    freed: AtomicU64,
    allocs: AtomicU64,
    peak: AtomicU64,
    retained: AtomicI64,
    /// Whether a frame was ever counted (heap figures are absent until one is).
    counted: AtomicBool,
}

impl Charge {
    /// Adds one closed frame. `rise` is how far the thread's live bytes rose above
    /// their level at the frame's start: the frame's peak is the operation's net
    /// bytes before it plus that rise.
    pub(super) fn add(&self, frame: FrameCharge) {
        let moved = frame.moved;
        let allocated_before = add_nonzero(&self.allocated, moved.allocated);
        let freed_before = add_nonzero(&self.freed, moved.freed);
        add_nonzero(&self.allocs, moved.allocs);
        if frame.retained != 0 {
            self.retained.fetch_add(frame.retained, Ordering::Relaxed);
        }
        if frame.rise != 0 {
            let net_before = units::delta(freed_before, allocated_before);
            let frame_peak =
                net_before.saturating_add(i64::try_from(frame.rise).unwrap_or(i64::MAX));
            if let Ok(peak) = u64::try_from(frame_peak) {
                self.peak.fetch_max(peak, Ordering::Relaxed);
            }
        }
        if !self.counted.load(Ordering::Relaxed) {
            self.counted.store(true, Ordering::Release);
        }
    }

    /// What was charged, plus an open frame's movement if given. `None` when no frame
    /// was ever counted (no counting allocator, or the operation never ran inside a
    /// frame) and none is open: heap figures are then absent, not zero.
    pub(super) fn snapshot(&self, open: Option<FrameCharge>) -> Option<Charged> {
        let counted = self.counted.load(Ordering::Acquire);
        let base = self.load();
        match open {
            None if !counted => None,
            None => Some(base),
            Some(f) => {
                let allocated = base.allocated.saturating_add(f.moved.allocated);
                let freed = base.freed.saturating_add(f.moved.freed);
                let net = units::delta(freed, allocated);
                Some(Charged {
                    allocated,
                    freed,
                    allocs: base.allocs.saturating_add(f.moved.allocs),
                    peak: base.peak.max(u64::try_from(net).unwrap_or(0)),
                    retained_net: base.retained_net.wrapping_add(f.retained),
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
            retained_net: self.retained.load(Ordering::Relaxed),
        }
    }
}

/// Adds `by` to `counter` unless it is zero; the value before.
fn add_nonzero(counter: &AtomicU64, by: u64) -> u64 {
    if by == 0 {
        counter.load(Ordering::Relaxed)
    } else {
        counter.fetch_add(by, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloc::Counts;

    fn frame(allocated: u64, freed: u64, allocs: u64, rise: u64, retained: i64) -> FrameCharge {
        FrameCharge {
            moved: Counts {
                allocated,
                freed,
                allocs,
                ..Counts::default()
            },
            rise,
            retained,
        }
    }

    #[test]
    fn absent_until_a_frame_is_counted() {
        let c = Charge::default();
        assert_eq!(c.snapshot(None), None);
        c.add(frame(0, 0, 0, 0, 0));
        assert_eq!(c.snapshot(None), Some(Charged::default()));
    }

    #[test]
    fn peak_accumulates_across_frames() {
        let c = Charge::default();
        // frame 1: allocate 100, keep it; frame 2: allocate 300 then free 250 (peak
        // rose 300 above its start of 100 live)
        c.add(frame(100, 0, 1, 100, 100));
        c.add(frame(300, 250, 2, 300, 50));
        let after = c.snapshot(None).unwrap();
        assert_eq!(
            after,
            Charged {
                allocated: 400,
                freed: 250,
                allocs: 3,
                peak: 400,
                retained_net: 150,
            }
        );
        assert_eq!(after.net(), 150);
        assert_eq!(after.retained(), 150);
    }

    #[test]
    fn freeing_more_than_allocated_is_negative_net_zero_peak() {
        let c = Charge::default();
        c.add(frame(10, 50, 1, 10, -40));
        let after = c.snapshot(None).unwrap();
        assert_eq!(after.net(), -40);
        assert_eq!(after.peak, 10);
        assert_eq!(after.retained(), 0);
    }

    #[test]
    fn frames_closing_on_many_threads_at_once_sum_exactly() {
        let c = Charge::default();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        c.add(frame(3, 1, 1, 0, 2));
                    }
                });
            }
        });
        let after = c.snapshot(None).unwrap();
        assert_eq!(
            (
                after.allocated,
                after.freed,
                after.allocs,
                after.retained_net
            ),
            (120_000, 40_000, 40_000, 80_000)
        );
    }
}
