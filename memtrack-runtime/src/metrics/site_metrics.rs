//! What every [`Site`](crate::sites::Site) keeps for the exporters: its operations
//! counted by how they ended, and the duration and peak histograms.
//!
//! Successes are not counted: an operation that ends well costs no extra atomic
//! operation. The `ok` figure is the site's ended count minus its failures, read so
//! that it can only lag behind, never run ahead, and kept from ever going down (a
//! counter that goes down reads as a restart to Prometheus).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::histogram::{
    DURATION_BOUNDS_NANOS, DURATION_BUCKETS_SECONDS, Histogram, HistogramSnapshot, PEAK_BOUNDS,
    PEAK_BUCKETS_BYTES,
};
use crate::ended_by::EndedBy;

/// Every way an operation ends, in the order of
/// [`OperationMetrics::ended`](crate::export::OperationMetrics::ended).
pub const ENDED_BY: [EndedBy; 5] = [
    EndedBy::Ok,
    EndedBy::Err,
    EndedBy::Panic,
    EndedBy::Cancelled,
    EndedBy::Dropped,
];

/// The exporters' per-site counters.
#[derive(Debug)]
pub(crate) struct SiteMetrics {
    /// Failures by [`ENDED_BY`] index minus one (`err`, `panic`, `cancelled`,
    /// `dropped`).
    failures: [AtomicU64; 4],
    /// The highest `ok` count reported so far.
    ok_reported: AtomicU64,
    duration: Histogram<16>,
    peak: Histogram<13>,
}

impl SiteMetrics {
    pub(crate) const fn new() -> Self {
        Self {
            failures: [const { AtomicU64::new(0) }; 4],
            ok_reported: AtomicU64::new(0),
            duration: Histogram::new(),
            peak: Histogram::new(),
        }
    }

    /// Counts one operation ending by `by`; called before the site's ended count is
    /// incremented (with `Release`).
    #[inline]
    pub(crate) fn record_end(&self, by: EndedBy) {
        let failure = match by {
            EndedBy::Ok => return,
            EndedBy::Err => 0,
            EndedBy::Panic => 1,
            EndedBy::Cancelled => 2,
            EndedBy::Dropped => 3,
        };
        self.failures[failure].fetch_add(1, Ordering::Relaxed);
    }

    /// Operations that ended with anything but success.
    pub(crate) fn failed(&self) -> u64 {
        self.failures.iter().fold(0_u64, |sum, f| {
            sum.saturating_add(f.load(Ordering::Relaxed))
        })
    }

    /// Ended operations by [`ENDED_BY`], given the site's ended count loaded (with
    /// `Acquire`) just before. Each figure never decreases from one call to the next.
    pub(crate) fn outcomes(&self, ended: u64) -> [u64; 5] {
        let failures: [u64; 4] = std::array::from_fn(|i| self.failures[i].load(Ordering::Relaxed));
        // Every failure counted in `ended` is visible here, and maybe a few more
        // whose end is not yet counted: `ok` may lag, never lead.
        let failed = failures.iter().fold(0_u64, |s, f| s.saturating_add(*f));
        let ok = ended.saturating_sub(failed);
        let ok = self.ok_reported.fetch_max(ok, Ordering::Relaxed).max(ok);
        [ok, failures[0], failures[1], failures[2], failures[3]]
    }

    /// Adds one ended operation to the histograms (`peak` only with heap figures).
    #[inline]
    pub(crate) fn record_histograms(&self, duration: Duration, peak: Option<u64>) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.duration.record(&DURATION_BOUNDS_NANOS, nanos);
        if let Some(peak) = peak {
            self.peak.record(&PEAK_BOUNDS, peak);
        }
    }

    /// The duration histogram, in seconds.
    pub(crate) fn duration(&self) -> HistogramSnapshot {
        self.duration.snapshot(&DURATION_BUCKETS_SECONDS, 1e9)
    }

    /// The peak histogram, in bytes.
    pub(crate) fn peak(&self) -> HistogramSnapshot {
        self.peak.snapshot(&PEAK_BUCKETS_BYTES, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_way_of_ending_is_counted_and_ok_is_derived() {
        let m = SiteMetrics::new();
        for by in [
            EndedBy::Ok,
            EndedBy::Ok,
            EndedBy::Err,
            EndedBy::Panic,
            EndedBy::Cancelled,
            EndedBy::Cancelled,
            EndedBy::Dropped,
        ] {
            m.record_end(by);
        }
        assert_eq!(m.failed(), 5);
        assert_eq!(m.outcomes(7), [2, 1, 1, 2, 1]);
    }

    #[test]
    fn ok_never_goes_down_when_a_failure_is_seen_before_its_end() {
        let m = SiteMetrics::new();
        assert_eq!(m.outcomes(3)[0], 3);
        // A failure counted whose end is not yet in the ended count.
        m.record_end(EndedBy::Err);
        assert_eq!(m.outcomes(3), [3, 1, 0, 0, 0]);
        assert_eq!(m.outcomes(4), [3, 1, 0, 0, 0]);
        assert_eq!(m.outcomes(5), [4, 1, 0, 0, 0]);
    }

    #[test]
    fn histograms_count_duration_always_and_peak_when_known() {
        let m = SiteMetrics::new();
        m.record_histograms(Duration::from_millis(30), Some(2048));
        m.record_histograms(Duration::from_millis(30), None);
        let d = m.duration();
        assert_eq!(d.count, 2);
        assert_eq!(d.bucket_counts()[5], 2); // le 0.05
        assert!((d.sum - 0.06).abs() < 1e-9);
        let p = m.peak();
        assert_eq!(p.count, 1);
        assert_eq!(p.bucket_counts()[1], 1); // le 4096
    }
}
