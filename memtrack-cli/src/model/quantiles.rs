//! Quantiles of a stream in bounded memory: exact for the first
//! [`EXACT_SAMPLES`] values, then from a log-linear histogram: 32 buckets per
//! power of two, read from the float's exponent and top mantissa bits (a bucket is
//! at most 3.2 % wide; its middle is reported). The counts are stored for the
//! spread of the values only ([`BucketCounts`]), not for the whole range of `f64`:
//! about a kilobyte for values over a few powers of ten.

use super::bucket_counts::BucketCounts;

/// Values kept exactly before switching to the histogram.
pub const EXACT_SAMPLES: usize = 512;
/// Mantissa bits that pick the bucket within a power of two.
const SUB_BITS: u32 = 5;
/// Buckets: every finite positive `f64` exponent times 32, plus bucket 0 for zero.
const BUCKETS: u32 = (2048 << SUB_BITS) + 1;

/// Count, max and quantiles of non-negative values.
#[derive(Debug, Clone, Default)]
pub struct Quantiles {
    exact: Vec<f64>,
    /// Counts per bucket, filled when the exact samples run out.
    buckets: BucketCounts,
    count: u64,
    max: Option<f64>,
}

/// The bucket of a finite `v >= 0`: its exponent and top mantissa bits (the bit
/// pattern of non-negative floats orders like their values).
fn bucket_of(v: f64) -> u32 {
    if v <= 0.0 {
        return 0;
    }
    let bits = v.to_bits() >> (52 - SUB_BITS);
    u32::try_from(bits).map_or(BUCKETS - 1, |b| (b + 1).min(BUCKETS - 1))
}

/// The middle of a bucket.
fn bucket_value(index: u32) -> f64 {
    if index == 0 {
        return 0.0;
    }
    let low = f64::from_bits((index as u64 - 1) << (52 - SUB_BITS));
    let high = f64::from_bits((index as u64) << (52 - SUB_BITS));
    if high.is_finite() {
        low + (high - low) / 2.0
    } else {
        low
    }
}

impl Quantiles {
    /// Adds a value (negative and non-finite values are ignored).
    ///
    /// ```
    /// use memtrack_cli::model::quantiles::Quantiles;
    ///
    /// let mut q = Quantiles::default();
    /// for v in [30.0, 10.0, 20.0, 40.0] {
    ///     q.push(v);
    /// }
    /// assert_eq!(q.quantile(0.5), Some(20.0));
    /// assert_eq!(q.quantile(0.95), Some(40.0));
    /// assert_eq!(q.max(), Some(40.0));
    /// ```
    pub fn push(&mut self, v: f64) {
        if !v.is_finite() || v < 0.0 {
            return;
        }
        self.count += 1;
        self.max = Some(self.max.map_or(v, |m| m.max(v)));
        if self.buckets.is_empty() && self.exact.len() < EXACT_SAMPLES {
            self.exact.push(v);
            return;
        }
        for old in std::mem::take(&mut self.exact) {
            self.count_in_bucket(old);
        }
        self.count_in_bucket(v);
    }

    fn count_in_bucket(&mut self, v: f64) {
        self.buckets.add(bucket_of(v));
    }

    /// How many values were added.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest value.
    #[must_use]
    pub fn max(&self) -> Option<f64> {
        self.max
    }

    /// The nearest-rank `q` quantile (`0 < q <= 1`), `None` without values.
    #[must_use]
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        if self.buckets.is_empty() {
            let mut sorted = self.exact.clone();
            sorted.sort_by(f64::total_cmp);
            let index = usize::try_from(rank - 1).unwrap_or(0);
            return sorted.get(index).copied();
        }
        let mut seen = 0;
        for (index, n) in self.buckets.iter() {
            seen += u64::from(n);
            if seen >= rank {
                let value = bucket_value(index);
                return Some(self.max.map_or(value, |m| value.min(m)));
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_for_small_streams() {
        let mut q = Quantiles::default();
        for v in 1..=100 {
            q.push(f64::from(v));
        }
        assert_eq!(q.quantile(0.5), Some(50.0));
        assert_eq!(q.quantile(0.95), Some(95.0));
        assert_eq!(q.quantile(1.0), Some(100.0));
        assert_eq!(q.count(), 100);
    }

    #[test]
    fn within_three_percent_for_large_streams() {
        let mut q = Quantiles::default();
        for v in 1..=100_000 {
            q.push(f64::from(v));
        }
        let p50 = q.quantile(0.5).unwrap();
        let p95 = q.quantile(0.95).unwrap();
        assert!((p50 / 50_000.0 - 1.0).abs() < 0.03, "{p50}");
        assert!((p95 / 95_000.0 - 1.0).abs() < 0.03, "{p95}");
        assert_eq!(q.max(), Some(100_000.0));
        assert!(q.exact.is_empty());
        // 1 to 100,000 spans 17 powers of two: at most 32 buckets each are stored.
        assert!(q.buckets.stored() <= 17 * 32, "{}", q.buckets.stored());
    }

    #[test]
    fn values_spread_over_the_whole_range_keep_only_their_buckets() {
        let mut q = Quantiles::default();
        let mut v = 1e-300;
        for _ in 0..EXACT_SAMPLES + 100 {
            q.push(v);
            v *= 3.3;
            if !v.is_finite() {
                v = 1e-300;
            }
        }
        assert_eq!(q.count(), EXACT_SAMPLES as u64 + 100);
        assert!(q.buckets.stored() <= EXACT_SAMPLES + 100);
        assert!(q.quantile(1.0).is_some());
    }

    #[test]
    fn buckets_are_ordered_and_contain_their_values() {
        let mut last = 0;
        for v in [
            1e-300,
            0.001,
            0.5,
            1.0,
            1.04,
            2.0,
            3.0,
            1e6,
            1e18,
            1e300,
            f64::MAX,
        ] {
            let b = bucket_of(v);
            assert!(b > last, "{v}");
            last = b;
            let middle = bucket_value(b);
            assert!((middle / v - 1.0).abs() < 0.035, "{v} -> {middle}");
        }
        assert_eq!(bucket_of(0.0), 0);
    }

    #[test]
    fn zeros_and_junk() {
        let mut q = Quantiles::default();
        assert_eq!(q.quantile(0.5), None);
        q.push(f64::NAN);
        q.push(-1.0);
        assert_eq!(q.count(), 0);
        for _ in 0..1_000 {
            q.push(0.0);
        }
        assert_eq!(q.quantile(0.5), Some(0.0));
    }
}
