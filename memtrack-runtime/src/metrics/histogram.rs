//! Fixed-bucket histograms updated lock-free: one bucket counter and the sum, two
//! relaxed atomic additions per observation.
//!
//! Buckets hold plain (not cumulative) counts; the last one is `+Inf`. The count is
//! the sum of the buckets, so a reader never sees a count that disagrees with them.

use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds (inclusive, as Prometheus's `le`) of the
/// `memtrack_operation_duration_seconds` buckets, in seconds; a `+Inf` bucket
/// follows.
pub const DURATION_BUCKETS_SECONDS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Upper bounds (inclusive) of the `memtrack_operation_peak_bytes` buckets: 1 KiB
/// to 4 GiB, each four times the one before; a `+Inf` bucket follows.
pub const PEAK_BUCKETS_BYTES: [f64; 12] = [
    1024.0,
    4096.0,
    16_384.0,
    65_536.0,
    262_144.0,
    1_048_576.0,
    4_194_304.0,
    16_777_216.0,
    67_108_864.0,
    268_435_456.0,
    1_073_741_824.0,
    4_294_967_296.0,
];

/// The duration bounds in nanoseconds (what is recorded).
pub(crate) const DURATION_BOUNDS_NANOS: [u64; 15] = [
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    250_000_000,
    500_000_000,
    1_000_000_000,
    2_500_000_000,
    5_000_000_000,
    10_000_000_000,
    30_000_000_000,
    60_000_000_000,
];

/// The peak bounds in bytes.
pub(crate) const PEAK_BOUNDS: [u64; 12] = [
    1 << 10,
    1 << 12,
    1 << 14,
    1 << 16,
    1 << 18,
    1 << 20,
    1 << 22,
    1 << 24,
    1 << 26,
    1 << 28,
    1 << 30,
    1 << 32,
];

/// Most buckets a histogram here has (`+Inf` included).
const MAX_BUCKETS: usize = 16;

/// A histogram of integer observations with `N` buckets (the last is `+Inf`).
#[derive(Debug)]
pub(crate) struct Histogram<const N: usize> {
    buckets: [AtomicU64; N],
    sum: AtomicU64,
}

impl<const N: usize> Histogram<N> {
    pub(crate) const fn new() -> Self {
        Self {
            buckets: [const { AtomicU64::new(0) }; N],
            sum: AtomicU64::new(0),
        }
    }

    /// Counts `value` in the first bucket whose bound is at least `value`.
    /// `bounds` has `N - 1` entries, ascending.
    #[inline]
    pub(crate) fn record(&self, bounds: &[u64], value: u64) {
        let index = bounds.partition_point(|&bound| bound < value).min(N - 1);
        self.buckets[index].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    /// A copy, with the sum divided by `scale` (1e9 turns nanoseconds into seconds).
    pub(crate) fn snapshot(&self, bounds: &'static [f64], scale: f64) -> HistogramSnapshot {
        let mut counts = [0; MAX_BUCKETS];
        let mut count: u64 = 0;
        for (slot, bucket) in counts.iter_mut().zip(&self.buckets) {
            *slot = bucket.load(Ordering::Relaxed);
            count = count.saturating_add(*slot);
        }
        #[allow(clippy::cast_precision_loss)] // a sum past 2^53 ns or bytes is approximate anyway
        let sum = self.sum.load(Ordering::Relaxed) as f64 / scale;
        HistogramSnapshot {
            bounds,
            counts,
            sum,
            count,
        }
    }
}

/// A histogram read at one instant.
///
/// ```
/// let ops = memtrack::export::operations();
/// for op in &ops {
///     let h = &op.duration;
///     assert_eq!(h.bucket_counts().len(), h.bounds.len() + 1);
///     assert_eq!(h.bucket_counts().iter().sum::<u64>(), h.count);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramSnapshot {
    /// The upper bounds of the buckets, ascending, without the final `+Inf`.
    pub bounds: &'static [f64],
    counts: [u64; MAX_BUCKETS],
    /// The sum of the observations, in the metric's base unit (seconds, bytes).
    pub sum: f64,
    /// The number of observations.
    pub count: u64,
}

impl HistogramSnapshot {
    /// The observations in each bucket (not cumulative), one per bound and a last
    /// one for `+Inf`.
    #[must_use]
    pub fn bucket_counts(&self) -> &[u64] {
        &self.counts[..=self.bounds.len()]
    }

    /// Adds `other`'s observations (same bounds) to this one.
    pub(crate) fn merge(&mut self, other: &HistogramSnapshot) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine = mine.saturating_add(theirs);
        }
        self.sum += other.sum;
        self.count = self.count.saturating_add(other.count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_integer_bounds_are_the_documented_ones() {
        for (nanos, seconds) in DURATION_BOUNDS_NANOS.iter().zip(DURATION_BUCKETS_SECONDS) {
            #[allow(clippy::cast_precision_loss)]
            let converted = *nanos as f64 / 1e9;
            assert!((converted - seconds).abs() < 1e-12, "{nanos} vs {seconds}");
        }
        for (bytes, documented) in PEAK_BOUNDS.iter().zip(PEAK_BUCKETS_BYTES) {
            #[allow(clippy::cast_precision_loss)]
            let converted = *bytes as f64;
            assert_eq!(converted, documented);
        }
        assert!(DURATION_BOUNDS_NANOS.len() < MAX_BUCKETS);
        assert!(PEAK_BOUNDS.len() < MAX_BUCKETS);
    }

    #[test]
    fn values_land_in_the_first_bucket_whose_bound_holds_them() {
        let h: Histogram<13> = Histogram::new();
        h.record(&PEAK_BOUNDS, 0);
        h.record(&PEAK_BOUNDS, 1024);
        h.record(&PEAK_BOUNDS, 1025);
        h.record(&PEAK_BOUNDS, 25_000_000);
        h.record(&PEAK_BOUNDS, u64::MAX / 2);
        let s = h.snapshot(&PEAK_BUCKETS_BYTES, 1.0);
        let mut expected = [0_u64; 13];
        expected[0] = 2;
        expected[1] = 1;
        expected[8] = 1;
        expected[12] = 1;
        assert_eq!(s.bucket_counts(), expected);
        assert_eq!(s.count, 5);
    }

    #[test]
    fn the_sum_is_scaled_to_the_base_unit() {
        let h: Histogram<16> = Histogram::new();
        h.record(&DURATION_BOUNDS_NANOS, 1_500_000_000);
        h.record(&DURATION_BOUNDS_NANOS, 500_000_000);
        let s = h.snapshot(&DURATION_BUCKETS_SECONDS, 1e9);
        assert_eq!(s.sum, 2.0);
        assert_eq!(s.bucket_counts()[8], 1); // le 0.5
        assert_eq!(s.bucket_counts()[10], 1); // le 2.5
    }

    #[test]
    fn merging_adds_bucket_by_bucket() {
        let h: Histogram<13> = Histogram::new();
        h.record(&PEAK_BOUNDS, 10);
        let mut a = h.snapshot(&PEAK_BUCKETS_BYTES, 1.0);
        let b = a;
        a.merge(&b);
        assert_eq!(a.count, 2);
        assert_eq!(a.bucket_counts()[0], 2);
        assert_eq!(a.sum, 20.0);
    }
}
