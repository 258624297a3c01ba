//! Quantiles of a stream in bounded memory: exact for the first
//! [`EXACT_SAMPLES`] values, then from a logarithmic histogram (within about 1 %).

use std::collections::BTreeMap;

/// Values kept exactly before switching to the histogram.
pub const EXACT_SAMPLES: usize = 512;
/// Histogram buckets per doubling (bucket width about 2.2 %).
const BUCKETS_PER_DOUBLING: f64 = 32.0;

/// Count, max and quantiles of non-negative values.
#[derive(Debug, Clone, Default)]
pub struct Quantiles {
    exact: Vec<f64>,
    buckets: BTreeMap<i32, u64>,
    count: u64,
    max: Option<f64>,
}

fn bucket_of(v: f64) -> i32 {
    if v <= 0.0 {
        i32::MIN
    } else {
        #[allow(clippy::cast_possible_truncation)]
        let index = (v.log2() * BUCKETS_PER_DOUBLING).floor() as i32;
        index
    }
}

fn bucket_value(index: i32) -> f64 {
    if index == i32::MIN {
        0.0
    } else {
        ((f64::from(index) + 0.5) / BUCKETS_PER_DOUBLING).exp2()
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
        for old in self.exact.drain(..) {
            *self.buckets.entry(bucket_of(old)).or_insert(0) += 1;
        }
        *self.buckets.entry(bucket_of(v)).or_insert(0) += 1;
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
        for (&index, &n) in &self.buckets {
            seen += n;
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
        assert!(q.buckets.len() < 700);
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
