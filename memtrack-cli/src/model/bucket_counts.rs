//! Counts per histogram bucket, stored for the spread of the values only.
//!
//! Values usually fall in a narrow band of buckets (durations over a few powers of
//! ten are a few hundred buckets): those are counted in a dense window of `u32`s
//! from the lowest bucket seen to the highest, 4 bytes a bucket. A stream spread
//! wider than [`DENSE_SPAN`] buckets moves to a map of the buckets that hold values.

use std::collections::BTreeMap;

/// The widest window of buckets counted densely (16 KiB of counts).
pub const DENSE_SPAN: usize = 4096;

/// How many values fell in each bucket.
#[derive(Debug, Clone, Default)]
pub enum BucketCounts {
    /// No value yet.
    #[default]
    Empty,
    /// Counts of a window of buckets.
    Dense {
        /// The first bucket of the window.
        low: u32,
        /// Counts of buckets `low..low + counts.len()`.
        counts: Vec<u32>,
    },
    /// Counts of the buckets that hold values.
    Sparse(BTreeMap<u32, u32>),
}

impl BucketCounts {
    /// Counts one value in `bucket`.
    ///
    /// ```
    /// use memtrack_cli::model::bucket_counts::BucketCounts;
    ///
    /// let mut counts = BucketCounts::default();
    /// for bucket in [7, 3, 7] {
    ///     counts.add(bucket);
    /// }
    /// assert_eq!(counts.iter().collect::<Vec<_>>(), [(3, 1), (7, 2)]);
    /// ```
    pub fn add(&mut self, bucket: u32) {
        match self {
            BucketCounts::Empty => {
                *self = BucketCounts::Dense {
                    low: bucket,
                    counts: vec![1],
                };
            }
            BucketCounts::Dense { low, counts } => {
                let high = *low as usize + counts.len() - 1;
                let (new_low, new_high) = ((*low).min(bucket) as usize, high.max(bucket as usize));
                if new_high - new_low < DENSE_SPAN {
                    if (bucket as usize) < *low as usize {
                        let grow = *low as usize - bucket as usize;
                        counts.splice(0..0, std::iter::repeat_n(0, grow));
                        *low = bucket;
                    } else if bucket as usize > high {
                        counts.resize(bucket as usize - *low as usize + 1, 0);
                    }
                    let slot = &mut counts[(bucket - *low) as usize];
                    *slot = slot.saturating_add(1);
                } else {
                    let mut map: BTreeMap<u32, u32> = self.iter().collect();
                    *map.entry(bucket).or_insert(0) += 1;
                    *self = BucketCounts::Sparse(map);
                }
            }
            BucketCounts::Sparse(map) => {
                let slot = map.entry(bucket).or_insert(0);
                *slot = slot.saturating_add(1);
            }
        }
    }

    /// Whether no value was counted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        matches!(self, BucketCounts::Empty)
    }

    /// `(bucket, count)` of the buckets that hold values, lowest first.
    pub fn iter(&self) -> Box<dyn Iterator<Item = (u32, u32)> + '_> {
        match self {
            BucketCounts::Empty => Box::new(std::iter::empty()),
            BucketCounts::Dense { low, counts } => Box::new(
                counts
                    .iter()
                    .zip(*low..)
                    .filter(|(n, _)| **n > 0)
                    .map(|(n, bucket)| (bucket, *n)),
            ),
            BucketCounts::Sparse(map) => Box::new(map.iter().map(|(b, n)| (*b, *n))),
        }
    }

    /// Counters stored: the window's width, or the buckets held in the map.
    #[must_use]
    pub fn stored(&self) -> usize {
        match self {
            BucketCounts::Empty => 0,
            BucketCounts::Dense { counts, .. } => counts.len(),
            BucketCounts::Sparse(map) => map.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_narrow_band_is_counted_densely_and_a_wide_spread_sparsely() {
        let mut counts = BucketCounts::default();
        for bucket in [100, 90, 110, 100] {
            counts.add(bucket);
        }
        assert!(matches!(counts, BucketCounts::Dense { low: 90, .. }));
        assert_eq!(counts.stored(), 21);
        assert_eq!(
            counts.iter().collect::<Vec<_>>(),
            [(90, 1), (100, 2), (110, 1)]
        );
        counts.add(90 + DENSE_SPAN as u32);
        assert!(matches!(counts, BucketCounts::Sparse(_)));
        assert_eq!(counts.stored(), 4);
        assert_eq!(
            counts.iter().collect::<Vec<_>>(),
            [(90, 1), (100, 2), (110, 1), (90 + DENSE_SPAN as u32, 1)]
        );
        counts.add(100);
        assert_eq!(counts.iter().nth(1), Some((100, 3)));
    }

    #[test]
    fn the_widest_dense_window_is_the_span() {
        let mut counts = BucketCounts::default();
        counts.add(0);
        counts.add(DENSE_SPAN as u32 - 1);
        assert!(matches!(counts, BucketCounts::Dense { .. }));
        assert_eq!(counts.stored(), DENSE_SPAN);
        counts.add(DENSE_SPAN as u32);
        assert!(matches!(counts, BucketCounts::Sparse(_)));
        assert!(!counts.is_empty());
        assert!(BucketCounts::default().is_empty());
    }
}
