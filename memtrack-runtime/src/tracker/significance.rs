//! Which operations are logged, and as what.

use std::time::Duration;

use super::frames::Charged;
use crate::config::{Config, Limits};

/// The event an ended operation produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Not logged.
    Quiet,
    /// `memory_operation`.
    Operation,
    /// `memory_spike_operation`.
    Spike,
}

/// The figures the rules look at.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Figures {
    pub(super) duration: Duration,
    /// Exact per-operation heap figures (counting allocator, code run in frames).
    pub(super) charged: Option<Charged>,
    /// Process heap delta over the operation (counting allocator, sampling on).
    pub(super) heap_delta: Option<i64>,
    pub(super) rss_delta: Option<i64>,
    pub(super) failed: bool,
}

/// The rules, with exact heap figures preferred when present: an
/// operation is significant when its memory moved by `delta_threshold_mb` or it ran
/// `operation_time_threshold`; it is a spike when its heap peak or net reached
/// `spike_heap_mb` (heap figures) or its RSS moved `spike_rss_mb` (RSS only). Failed
/// operations are logged whatever their size when `log_failures` is on.
pub(super) fn judge(f: &Figures, config: &Config, limits: &Limits) -> Verdict {
    let (moved, spike_at) = if let Some(c) = f.charged {
        (c.peak.max(c.net().unsigned_abs()), limits.spike_heap_bytes)
    } else if let Some(h) = f.heap_delta {
        (h.unsigned_abs(), limits.spike_heap_bytes)
    } else if let Some(r) = f.rss_delta {
        (r.unsigned_abs(), limits.spike_rss_bytes)
    } else {
        (0, u64::MAX)
    };
    if moved >= spike_at {
        Verdict::Spike
    } else if moved >= limits.delta_bytes
        || f.duration >= config.operation_time_threshold()
        || (f.failed && config.log_failures())
    {
        Verdict::Operation
    } else {
        Verdict::Quiet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: i64 = 1 << 20;

    fn charged(allocated: u64, freed: u64, peak: u64) -> Option<Charged> {
        Some(Charged {
            allocated,
            freed,
            allocs: 1,
            peak,
            retained_net: 0,
        })
    }

    #[test]
    fn quiet_small_and_fast() {
        let c = Config::default();
        let f = Figures {
            rss_delta: Some(MB),
            ..Figures::default()
        };
        assert_eq!(judge(&f, &c, &Limits::of(&c)), Verdict::Quiet);
    }

    #[test]
    fn rss_rules_without_the_allocator() {
        let c = Config::default();
        let op = Figures {
            rss_delta: Some(-6 * MB),
            ..Figures::default()
        };
        assert_eq!(judge(&op, &c, &Limits::of(&c)), Verdict::Operation);
        let spike = Figures {
            rss_delta: Some(50 * MB),
            ..Figures::default()
        };
        assert_eq!(judge(&spike, &c, &Limits::of(&c)), Verdict::Spike);
    }

    #[test]
    fn heap_rules_win_when_present() {
        let c = Config::default();
        // 60 MB allocated and freed: a spike although RSS did not move
        let churn = Figures {
            charged: charged(60 << 20, 60 << 20, 60 << 20),
            rss_delta: Some(0),
            ..Figures::default()
        };
        assert_eq!(judge(&churn, &c, &Limits::of(&c)), Verdict::Spike);
        // RSS moved 80 MB because of other operations: this one is quiet
        let blamed = Figures {
            charged: charged(1024, 0, 1024),
            rss_delta: Some(80 * MB),
            ..Figures::default()
        };
        assert_eq!(judge(&blamed, &c, &Limits::of(&c)), Verdict::Quiet);
    }

    #[test]
    fn slow_and_failed_operations_are_logged() {
        let c = Config::default();
        let slow = Figures {
            duration: Duration::from_millis(1000),
            ..Figures::default()
        };
        assert_eq!(judge(&slow, &c, &Limits::of(&c)), Verdict::Operation);
        let failed = Figures {
            failed: true,
            ..Figures::default()
        };
        assert_eq!(judge(&failed, &c, &Limits::of(&c)), Verdict::Operation);
        let quiet = Config::builder().log_failures(false).build().unwrap();
        assert_eq!(judge(&failed, &quiet, &Limits::of(&quiet)), Verdict::Quiet);
    }
}
