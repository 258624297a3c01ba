//! The process's memory over time: every RSS and heap reading the log holds, with
//! start, peak and end, and a bounded series for the picture.

use serde::Serialize;

use super::findings::Time;
use super::series::{Merge, Point, Series};
use crate::parse::line::LogLine;

/// Points kept for each of RSS and heap.
const TIMELINE_POINTS: usize = 1024;

/// One figure over time.
#[derive(Debug, Clone)]
pub struct Level {
    start: Point,
    peak: Point,
    end: Point,
    readings: u64,
    series: Series,
}

impl Level {
    fn new(t: i64, v: f64) -> Self {
        let point = Point { t, v };
        let mut series = Series::new(TIMELINE_POINTS, Merge::Max);
        series.push(t, v);
        Level {
            start: point,
            peak: point,
            end: point,
            readings: 1,
            series,
        }
    }

    fn push(&mut self, t: i64, v: f64) {
        self.readings += 1;
        if t < self.start.t {
            self.start = Point { t, v };
        }
        if t >= self.end.t {
            self.end = Point { t, v };
        }
        if v > self.peak.v {
            self.peak = Point { t, v };
        }
        self.series.push(t, v);
    }

    /// Start, peak and end.
    #[must_use]
    pub fn summary(&self) -> LevelSummary {
        LevelSummary {
            start: self.start.v,
            start_at: Time(self.start.t),
            peak: self.peak.v,
            peak_at: Time(self.peak.t),
            end: self.end.v,
            end_at: Time(self.end.t),
            readings: self.readings,
        }
    }

    /// The readings over time, sorted by time.
    #[must_use]
    pub fn points(&self) -> Vec<Point> {
        let mut points = self.series.points();
        points.sort_by_key(|p| p.t);
        points
    }
}

/// Start, peak and end of one figure (MB).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LevelSummary {
    /// The earliest reading.
    pub start: f64,
    /// Its time.
    pub start_at: Time,
    /// The highest reading.
    pub peak: f64,
    /// Its time.
    pub peak_at: Time,
    /// The latest reading.
    pub end: f64,
    /// Its time.
    pub end_at: Time,
    /// How many readings there were.
    pub readings: u64,
}

/// RSS and heap readings, and the thresholds the monitor announced.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    /// Process RSS (MB).
    pub rss: Option<Level>,
    /// Live heap (MB, with the counting allocator).
    pub heap: Option<Level>,
    /// `critical_rss_threshold_mb` (or an alert's `threshold_mb`).
    pub critical_rss_mb: Option<f64>,
    /// `critical_spike_threshold_mb`.
    pub critical_spike_mb: Option<f64>,
    /// `memory_snapshot` events.
    pub snapshots: u64,
}

fn add(level: &mut Option<Level>, t: i64, v: Option<f64>) {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return;
    };
    match level {
        Some(level) => level.push(t, v),
        None => *level = Some(Level::new(t, v)),
    }
}

impl Memory {
    /// Takes every process-wide reading `line` has: snapshots', alerts', cache
    /// stats', reclaims' (before, then after), operations' at their end, fetches',
    /// checkpoints' and large allocations'.
    ///
    /// ```
    /// use memtrack_cli::model::memory::Memory;
    /// use memtrack_cli::parse::line::parse_line;
    ///
    /// let mut memory = Memory::default();
    /// let reclaim = parse_line(br#"{"event":"memory_reclaim","rss_before_mb":300,"rss_after_mb":200}"#).unwrap();
    /// memory.readings(1_000, &reclaim);
    /// let rss = memory.rss.unwrap().summary();
    /// assert_eq!((rss.start, rss.peak, rss.end), (300.0, 300.0, 200.0));
    /// ```
    pub fn readings(&mut self, t: i64, line: &LogLine<'_>) {
        let n = &line.number;
        add(&mut self.rss, t, n.initial_rss_mb);
        add(&mut self.rss, t, n.rss_mb);
        add(&mut self.rss, t, n.rss_end_mb);
        add(&mut self.rss, t, n.rss_before_mb);
        add(&mut self.rss, t, n.rss_after_mb);
        add(&mut self.heap, t, n.initial_heap_mb);
        add(&mut self.heap, t, n.heap_used_mb);
        add(&mut self.heap, t, n.current_heap_mb);
        add(&mut self.heap, t, n.heap_end_mb);
    }
}
