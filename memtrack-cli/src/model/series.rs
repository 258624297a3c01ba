//! A time series of bounded length: when full, neighbouring points are merged in
//! pairs, so a log of any length keeps at most `capacity` points spread evenly over
//! it.

use serde::Serialize;

/// How two neighbouring points become one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// The larger value (at the earlier time): peaks survive.
    Max,
    /// The later point: for running totals.
    Last,
}

/// One point: milliseconds since the Unix epoch, and a value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Milliseconds since the Unix epoch.
    pub t: i64,
    /// The value.
    pub v: f64,
}

/// A series of at most `capacity` points (plus one being merged).
#[derive(Debug, Clone)]
pub struct Series {
    points: Vec<Point>,
    capacity: usize,
    merge: Merge,
    /// Input points per stored point.
    stride: usize,
    pending: Option<Point>,
    pending_count: usize,
}

impl Series {
    /// An empty series keeping at most `capacity` points (at least 2).
    ///
    /// ```
    /// use memtrack_cli::model::series::{Merge, Series};
    ///
    /// let mut s = Series::new(4, Merge::Max);
    /// for (t, v) in [(0, 1.0), (1, 5.0), (2, 2.0), (3, 3.0), (4, 9.0), (5, 0.0)] {
    ///     s.push(t, v);
    /// }
    /// let kept: Vec<_> = s.points().iter().map(|p| (p.t, p.v)).collect();
    /// assert_eq!(kept, [(0, 5.0), (2, 3.0), (4, 9.0)]);
    /// ```
    #[must_use]
    pub fn new(capacity: usize, merge: Merge) -> Self {
        Series {
            points: Vec::new(),
            capacity: capacity.max(2) & !1,
            merge,
            stride: 1,
            pending: None,
            pending_count: 0,
        }
    }

    fn combine(&self, a: Point, b: Point) -> Point {
        match self.merge {
            Merge::Max if b.v > a.v => Point { t: a.t, v: b.v },
            Merge::Max => a,
            Merge::Last => b,
        }
    }

    /// Adds a point (times are expected in order; out-of-order points are kept
    /// where they come).
    pub fn push(&mut self, t: i64, v: f64) {
        if !v.is_finite() {
            return;
        }
        let point = Point { t, v };
        let merged = match self.pending {
            Some(p) => self.combine(p, point),
            None => point,
        };
        self.pending_count += 1;
        if self.pending_count < self.stride {
            self.pending = Some(merged);
            return;
        }
        self.pending = None;
        self.pending_count = 0;
        if self.points.len() == self.capacity {
            let halved: Vec<Point> = self
                .points
                .chunks(2)
                .map(|pair| match pair {
                    [a, b] => self.combine(*a, *b),
                    [a] => *a,
                    _ => unreachable_point(),
                })
                .collect();
            self.points = halved;
            self.stride *= 2;
            // The point just completed a bucket of the old stride: half a new one.
            self.pending = Some(merged);
            self.pending_count = self.stride / 2;
            return;
        }
        self.points.push(merged);
    }

    /// The points kept, with the partly merged last one.
    #[must_use]
    pub fn points(&self) -> Vec<Point> {
        let mut out = self.points.clone();
        out.extend(self.pending);
        out
    }

    /// Whether no point was pushed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.points.is_empty() && self.pending.is_none()
    }
}

/// `chunks(2)` never yields an empty slice.
fn unreachable_point() -> Point {
    Point { t: 0, v: 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_series_are_kept_whole() {
        let mut s = Series::new(8, Merge::Last);
        for i in 0..8 {
            s.push(i, i as f64);
        }
        assert_eq!(s.points().len(), 8);
        assert_eq!(s.points()[7], Point { t: 7, v: 7.0 });
    }

    #[test]
    fn long_series_stay_bounded_and_keep_the_peak_and_the_end() {
        let mut s = Series::new(16, Merge::Max);
        for i in 0..100_000_i64 {
            let v = if i == 54_321 { 1e9 } else { (i % 7) as f64 };
            s.push(i, v);
        }
        let points = s.points();
        assert!(points.len() <= 17, "{}", points.len());
        assert!(points.len() >= 8, "{}", points.len());
        assert!(points.iter().any(|p| p.v == 1e9));
        assert!(points.windows(2).all(|w| w[0].t < w[1].t));

        let mut s = Series::new(16, Merge::Last);
        for i in 0..100_001_i64 {
            s.push(i, i as f64);
        }
        assert_eq!(s.points().last().unwrap().v, 100_000.0);
    }

    #[test]
    fn non_finite_values_are_dropped() {
        let mut s = Series::new(4, Merge::Max);
        s.push(0, f64::NAN);
        s.push(1, f64::INFINITY);
        assert!(s.is_empty());
    }
}
