//! Per operation name: what the log says it cost, from its own events
//! (`memory_operation`, `memory_spike_operation`, checkpoints, large allocations),
//! from the monitor's `top_operations`, and from leak suspects; and the ranking of
//! names into culprits.

use std::cmp::Ordering;

use serde::Serialize;

use super::quantiles::Quantiles;
use super::series::{Merge, Point, Series};
use crate::parse::line::{LogLine, TopOperation};

/// Bytes in one of the log's megabytes (2^20).
pub const MB: f64 = 1_048_576.0;
/// Points kept per operation and per series for the picture.
const SERIES_POINTS: usize = 256;
/// Distinct `ended_by` values counted per operation; more go under `other`.
const MAX_ENDINGS: usize = 8;

/// An optional running sum.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sum(pub Option<f64>);

impl Sum {
    fn add(&mut self, v: Option<f64>) {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            self.0 = Some(self.0.unwrap_or(0.0) + v);
        }
    }
}

/// The figures of the monitor's `top_operations` entries naming one operation.
#[derive(Debug, Clone, Default)]
pub struct IntervalFigures {
    /// Snapshots that named it.
    pub intervals: u64,
    /// Sum of `alloc_mb`.
    pub alloc_mb: Sum,
    /// Sum of `net_mb`.
    pub net_mb: Sum,
    /// Sum of `rss_growth_mb`.
    pub rss_growth_mb: Sum,
    /// Sum of `retained_growth_mb`.
    pub retained_growth_mb: Sum,
    /// The last `retained_mb`.
    pub retained_mb: Option<f64>,
    /// Sum of `count`.
    pub count: Sum,
}

/// What `memory_leak_suspect` said of one operation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LeakFigures {
    /// How many suspect events named it.
    pub events: u64,
    /// The last event's `total_growth_mb`.
    pub total_growth_mb: Option<f64>,
    /// The last event's `retained_mb`.
    pub retained_mb: Option<f64>,
    /// The last event's `intervals`.
    pub intervals: Option<f64>,
}

/// Everything known about one operation name.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// The name.
    pub name: String,
    /// `memory_operation` and `memory_spike_operation` events.
    pub logged: u64,
    /// `memory_spike_operation` events.
    pub spikes: u64,
    /// `ended_by` → events.
    pub endings: Vec<(String, u64)>,
    /// `success: false` events.
    pub failed: u64,
    /// Durations (ms).
    pub duration_ms: Quantiles,
    /// Peak bytes.
    pub peak_bytes: Quantiles,
    /// Sum of `alloc_bytes` over its events.
    pub alloc_bytes: Sum,
    /// Sum of `net_bytes` over its events.
    pub net_bytes: Sum,
    /// Sum of `retained_bytes` over its events.
    pub retained_bytes: Sum,
    /// Sum of `rss_delta_mb` over its events.
    pub rss_delta_mb: Sum,
    /// The monitor's figures.
    pub intervals: IntervalFigures,
    /// Leak suspect figures.
    pub leak: LeakFigures,
    /// Alerts whose `top_operations` put it first.
    pub alerts_first: u64,
    /// `memory_checkpoint` events.
    pub checkpoints: u64,
    /// `large_allocation` events inside it.
    pub large_allocations: u64,
    /// Running totals over time, for the picture.
    pub series: OpSeries,
}

/// The running figures of one operation over time.
#[derive(Debug, Clone)]
pub struct OpSeries {
    /// `retained_mb` from the monitor (a level, not a running total).
    pub retained_mb: Series,
    /// Running sum of the monitor's `net_mb`.
    pub interval_net_mb: Series,
    /// Running sum of the monitor's `rss_growth_mb`.
    pub interval_rss_mb: Series,
    /// Running sum of the events' `net_bytes`, in MB.
    pub event_net_mb: Series,
    /// Running sum of the events' `alloc_bytes`, in MB.
    pub event_alloc_mb: Series,
}

impl Default for OpSeries {
    fn default() -> Self {
        OpSeries {
            retained_mb: Series::new(SERIES_POINTS, Merge::Max),
            interval_net_mb: Series::new(SERIES_POINTS, Merge::Last),
            interval_rss_mb: Series::new(SERIES_POINTS, Merge::Last),
            event_net_mb: Series::new(SERIES_POINTS, Merge::Last),
            event_alloc_mb: Series::new(SERIES_POINTS, Merge::Last),
        }
    }
}

impl OpStats {
    /// No figures yet.
    #[must_use]
    pub fn new(name: &str) -> Self {
        OpStats {
            name: name.to_owned(),
            logged: 0,
            spikes: 0,
            endings: Vec::new(),
            failed: 0,
            duration_ms: Quantiles::default(),
            peak_bytes: Quantiles::default(),
            alloc_bytes: Sum::default(),
            net_bytes: Sum::default(),
            retained_bytes: Sum::default(),
            rss_delta_mb: Sum::default(),
            intervals: IntervalFigures::default(),
            leak: LeakFigures::default(),
            alerts_first: 0,
            checkpoints: 0,
            large_allocations: 0,
            series: OpSeries::default(),
        }
    }

    /// A `memory_operation` or `memory_spike_operation` at `t`.
    pub fn operation(&mut self, t: i64, line: &LogLine<'_>, spike: bool) {
        let n = &line.number;
        self.logged += 1;
        self.spikes += u64::from(spike);
        if let Some(ended_by) = line.text.ended_by.as_deref() {
            self.count_ending(ended_by);
        }
        self.failed += u64::from(line.flag.success == Some(false));
        if let Some(d) = n.duration_ms {
            self.duration_ms.push(d);
        }
        if let Some(p) = n.peak_bytes {
            self.peak_bytes.push(p);
        }
        self.alloc_bytes.add(n.alloc_bytes);
        self.net_bytes.add(n.net_bytes);
        self.retained_bytes.add(n.retained_bytes);
        self.rss_delta_mb.add(n.rss_delta_mb);
        if let Some(net) = self.net_bytes.0.filter(|_| n.net_bytes.is_some()) {
            self.series.event_net_mb.push(t, net / MB);
        }
        if let Some(alloc) = self.alloc_bytes.0.filter(|_| n.alloc_bytes.is_some()) {
            self.series.event_alloc_mb.push(t, alloc / MB);
        }
    }

    fn count_ending(&mut self, ended_by: &str) {
        if let Some((_, n)) = self.endings.iter_mut().find(|(e, _)| e == ended_by) {
            *n += 1;
        } else if self.endings.len() < MAX_ENDINGS {
            self.endings.push((ended_by.to_owned(), 1));
        } else if let Some((_, n)) = self.endings.iter_mut().find(|(e, _)| e == "other") {
            *n += 1;
        } else if let Some(last) = self.endings.last_mut() {
            *last = ("other".to_owned(), last.1 + 1);
        }
    }

    /// An entry of a snapshot's `top_operations` at `t`.
    pub fn interval(&mut self, t: i64, top: &TopOperation<'_>) {
        let f = &mut self.intervals;
        f.intervals += 1;
        f.alloc_mb.add(top.alloc_mb);
        f.net_mb.add(top.net_mb);
        f.rss_growth_mb.add(top.rss_growth_mb);
        f.retained_growth_mb.add(top.retained_growth_mb);
        f.count.add(top.count);
        if let Some(r) = top.retained_mb.filter(|r| r.is_finite()) {
            f.retained_mb = Some(r);
            self.series.retained_mb.push(t, r);
        }
        if let (Some(sum), Some(_)) = (f.net_mb.0, top.net_mb) {
            self.series.interval_net_mb.push(t, sum);
        }
        if let (Some(sum), Some(_)) = (f.rss_growth_mb.0, top.rss_growth_mb) {
            self.series.interval_rss_mb.push(t, sum);
        }
    }

    /// A `memory_leak_suspect` naming this operation.
    pub fn leak_suspect(&mut self, line: &LogLine<'_>) {
        self.leak.events += 1;
        let n = &line.number;
        self.leak.total_growth_mb = n.total_growth_mb.or(self.leak.total_growth_mb);
        self.leak.retained_mb = n.retained_mb.or(self.leak.retained_mb);
        self.leak.intervals = n.intervals.or(self.leak.intervals);
    }

    /// Retained-bytes growth: from the monitor's `retained_growth_mb` when the log
    /// has it, else a leak suspect's `total_growth_mb`, else the sum of the
    /// events' `retained_bytes`.
    #[must_use]
    pub fn retained_growth_bytes(&self) -> Option<f64> {
        self.intervals
            .retained_growth_mb
            .0
            .or(self.leak.total_growth_mb)
            .map(|mb| mb * MB)
            .or(self.retained_bytes.0)
    }

    /// Net bytes: the larger of the events' sum and the monitor's (each sees only
    /// part: events only significant operations, the monitor only intervals where
    /// the name ranked among the top).
    #[must_use]
    pub fn net_bytes(&self) -> Option<f64> {
        larger(self.net_bytes.0, self.intervals.net_mb.0.map(|mb| mb * MB))
    }

    /// Allocated bytes, taken like [`OpStats::net_bytes`].
    #[must_use]
    pub fn alloc_bytes(&self) -> Option<f64> {
        larger(
            self.alloc_bytes.0,
            self.intervals.alloc_mb.0.map(|mb| mb * MB),
        )
    }

    /// RSS growth in MB, taken like [`OpStats::net_bytes`].
    #[must_use]
    pub fn rss_growth_mb(&self) -> Option<f64> {
        larger(self.rss_delta_mb.0, self.intervals.rss_growth_mb.0)
    }

    /// The summary row of this operation.
    ///
    /// ```
    /// use memtrack_cli::model::operations::OpStats;
    /// use memtrack_cli::parse::line::parse_line;
    ///
    /// let mut op = OpStats::new("fetch");
    /// for text in [
    ///     r#"{"op_name":"fetch","duration_ms":100,"ended_by":"ok","success":true,"net_bytes":10}"#,
    ///     r#"{"op_name":"fetch","duration_ms":300,"ended_by":"err","success":false,"net_bytes":5}"#,
    /// ] {
    ///     op.operation(0, &parse_line(text.as_bytes()).unwrap(), false);
    /// }
    /// let row = op.summary(1);
    /// assert_eq!((row.logged, row.failed, row.net_bytes), (2, 1, Some(15.0)));
    /// assert_eq!(row.duration_ms.max, Some(300.0));
    /// assert_eq!(row.ended_by, [("err".to_owned(), 1), ("ok".to_owned(), 1)]);
    /// ```
    #[must_use]
    pub fn summary(&self, rank: usize) -> Culprit {
        let mut endings = self.endings.clone();
        endings.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Culprit {
            rank,
            operation: self.name.clone(),
            retained_growth_bytes: self.retained_growth_bytes(),
            retained_mb: self.intervals.retained_mb.or(self.leak.retained_mb),
            net_bytes: self.net_bytes(),
            alloc_bytes: self.alloc_bytes(),
            rss_growth_mb: self.rss_growth_mb(),
            spikes: self.spikes,
            leak_suspect: self.leak.events > 0,
            alerts_named_first: self.alerts_first,
            logged: self.logged,
            failed: self.failed,
            ended_by: endings,
            duration_ms: Spread {
                p50: self.duration_ms.quantile(0.5),
                p95: self.duration_ms.quantile(0.95),
                max: self.duration_ms.max(),
            },
            peak_bytes: Spread {
                p50: self.peak_bytes.quantile(0.5),
                p95: self.peak_bytes.quantile(0.95),
                max: self.peak_bytes.max(),
            },
            monitor_intervals: self.intervals.intervals,
            checkpoints: self.checkpoints,
            large_allocations: self.large_allocations,
        }
    }
}

fn larger(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// p50, p95 and max of one figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
}

/// One row of the culprit ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Culprit {
    /// 1 = the most likely culprit.
    pub rank: usize,
    /// The operation name.
    pub operation: String,
    /// Growth of the bytes it holds (see [`OpStats::retained_growth_bytes`]).
    pub retained_growth_bytes: Option<f64>,
    /// The MB it held at the last snapshot that named it.
    pub retained_mb: Option<f64>,
    /// Allocated minus freed.
    pub net_bytes: Option<f64>,
    /// Allocated.
    pub alloc_bytes: Option<f64>,
    /// RSS growth charged to it (MB).
    pub rss_growth_mb: Option<f64>,
    /// `memory_spike_operation` events.
    pub spikes: u64,
    /// Named by a `memory_leak_suspect`.
    pub leak_suspect: bool,
    /// Alerts that named it first.
    pub alerts_named_first: u64,
    /// Operation events logged.
    pub logged: u64,
    /// Of those, failed.
    pub failed: u64,
    /// `ended_by` → events, most frequent first.
    pub ended_by: Vec<(String, u64)>,
    /// Duration in ms.
    pub duration_ms: Spread,
    /// Peak bytes.
    pub peak_bytes: Spread,
    /// Monitor snapshots that named it.
    pub monitor_intervals: u64,
    /// `memory_checkpoint` events.
    pub checkpoints: u64,
    /// `large_allocation` events inside it.
    pub large_allocations: u64,
}

/// The ranking order: named operations before the pool of names past the limit,
/// then retained growth, net bytes, allocated bytes, spikes, RSS growth (larger
/// first, absent as zero), then the name.
#[must_use]
pub fn rank_order(a: &OpStats, b: &OpStats) -> Ordering {
    // The pool of many names ranks after every named operation: its sums are not
    // one operation's figures.
    let pooled = |s: &OpStats| s.name == OTHER_OPERATIONS;
    pooled(a)
        .cmp(&pooled(b))
        .then_with(|| rank_by_figures(a, b))
}

/// The name standing for operations past
/// [`MAX_OPERATIONS`](super::builder::MAX_OPERATIONS) or without a name.
pub const OTHER_OPERATIONS: &str = "(other operations)";

fn rank_by_figures(a: &OpStats, b: &OpStats) -> Ordering {
    let key = |s: &OpStats| {
        [
            s.retained_growth_bytes().unwrap_or(0.0),
            s.net_bytes().unwrap_or(0.0),
            s.alloc_bytes().unwrap_or(0.0),
            #[allow(clippy::cast_precision_loss)]
            {
                s.spikes as f64
            },
            s.rss_growth_mb().unwrap_or(0.0),
        ]
    };
    let (ka, kb) = (key(a), key(b));
    ka.iter()
        .zip(kb.iter())
        .map(|(x, y)| y.total_cmp(x))
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.name.cmp(&b.name))
}

/// Which figure the picture draws per operation, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesBasis {
    /// The monitor's `retained_mb`.
    Retained,
    /// Running sum of the monitor's `net_mb`.
    IntervalNet,
    /// Running sum of the events' `net_bytes`.
    EventNet,
    /// Running sum of the events' `alloc_bytes`.
    EventAlloc,
    /// Running sum of the monitor's `rss_growth_mb`.
    IntervalRss,
}

impl SeriesBasis {
    /// Every basis, best first.
    pub const ALL: [SeriesBasis; 5] = [
        SeriesBasis::Retained,
        SeriesBasis::IntervalNet,
        SeriesBasis::EventNet,
        SeriesBasis::EventAlloc,
        SeriesBasis::IntervalRss,
    ];

    /// What the values are, for an axis label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            SeriesBasis::Retained => "retained MB (live bytes each operation owns)",
            SeriesBasis::IntervalNet => "allocated minus freed, MB (running total)",
            SeriesBasis::EventNet => {
                "allocated minus freed by logged operations, MB (running total)"
            }
            SeriesBasis::EventAlloc => "allocated by logged operations, MB (running total)",
            SeriesBasis::IntervalRss => "RSS growth charged, MB (running total)",
        }
    }

    /// The series of this basis in `series`.
    #[must_use]
    pub fn of(self, series: &OpSeries) -> Vec<Point> {
        match self {
            SeriesBasis::Retained => series.retained_mb.points(),
            SeriesBasis::IntervalNet => series.interval_net_mb.points(),
            SeriesBasis::EventNet => series.event_net_mb.points(),
            SeriesBasis::EventAlloc => series.event_alloc_mb.points(),
            SeriesBasis::IntervalRss => series.interval_rss_mb.points(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, retained: Option<f64>, net: Option<f64>, alloc: f64, spikes: u64) -> OpStats {
        let mut s = OpStats::new(name);
        s.intervals.retained_growth_mb = Sum(retained);
        s.net_bytes = Sum(net);
        s.alloc_bytes = Sum(Some(alloc));
        s.spikes = spikes;
        s
    }

    #[test]
    fn ranking_follows_retained_then_net_then_alloc_then_spikes_then_name() {
        let mut ops = [
            op("churn", None, Some(0.0), 9e9, 0),
            op("spiky", None, Some(1.0), 1.0, 3),
            op("leak", Some(10.0), Some(5.0), 1.0, 0),
            op("cache", Some(2.0), Some(50e6), 1.0, 0),
            op("b-tie", None, None, 5.0, 1),
            op("a-tie", None, None, 5.0, 1),
            op("spiky2", None, Some(1.0), 1.0, 4),
        ];
        ops.sort_by(rank_order);
        let names: Vec<&str> = ops.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "leak", "cache", "spiky2", "spiky", "churn", "a-tie", "b-tie"
            ]
        );
    }

    #[test]
    fn figures_take_the_larger_source() {
        let mut s = OpStats::new("x");
        s.net_bytes = Sum(Some(3.0 * MB));
        s.intervals.net_mb = Sum(Some(5.0));
        assert_eq!(s.net_bytes(), Some(5.0 * MB));
        s.intervals.net_mb = Sum(None);
        assert_eq!(s.net_bytes(), Some(3.0 * MB));
        assert_eq!(s.alloc_bytes(), None);
        s.retained_bytes = Sum(Some(7.0));
        assert_eq!(s.retained_growth_bytes(), Some(7.0));
        s.leak.total_growth_mb = Some(2.0);
        assert_eq!(s.retained_growth_bytes(), Some(2.0 * MB));
        s.intervals.retained_growth_mb = Sum(Some(1.0));
        assert_eq!(s.retained_growth_bytes(), Some(MB));
    }

    #[test]
    fn endings_are_bounded() {
        let mut s = OpStats::new("x");
        for i in 0..20 {
            s.count_ending(&format!("e{i}"));
        }
        assert_eq!(s.endings.len(), MAX_ENDINGS);
        let total: u64 = s.endings.iter().map(|e| e.1).sum();
        assert_eq!(total, 20);
    }
}
