//! The finished report: what the summary prints, the JSON document holds and the
//! picture draws.

use std::collections::BTreeMap;

use serde::Serialize;

use super::caches::{CacheRow, CacheSummary};
use super::findings::{Alert, Fetch, HistoryEntry, Listing, OperationRow, Reclaims, Spike, Time};
use super::memory::LevelSummary;
use super::operations::{Culprit, SeriesBasis};
use super::problems::Problems;
use super::series::Point;

/// Everything the log told.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was read (a path, or `standard input`).
    pub log: String,
    /// The options that shaped the report.
    pub window: Window,
    /// Line counts.
    pub lines: LineCounts,
    /// First and last memtrack event in the window.
    pub span: Option<Span>,
    /// Process memory.
    pub memory: MemorySummary,
    /// Alerts, in time order (the first and last ones when there are many).
    pub alerts: Listing<Alert>,
    /// Alerts by kind.
    pub alert_kinds: BTreeMap<String, u64>,
    /// What the ranking is by.
    pub ranking: &'static str,
    /// Every operation name, the most likely culprit first.
    pub culprits: Vec<Culprit>,
    /// The largest spikes.
    pub spikes: Listing<Spike>,
    /// The largest fetches over the large-fetch size.
    pub large_fetches: Listing<Fetch>,
    /// The slowest operations over the slow threshold.
    pub slow_operations: Listing<OperationRow>,
    /// Failed operations (the first and last ones when there are many).
    pub failed_operations: Listing<OperationRow>,
    /// Cache sizes.
    pub caches: CachesSummary,
    /// Reclaims.
    pub reclaims: Reclaims,
    /// With `--op`: that operation's lines.
    pub history: Option<Listing<HistoryEntry>>,
    /// Lines skipped or partly used, by kind.
    pub problems: Problems,
    /// The series the picture draws.
    pub timeline: Timeline,
}

impl Report {
    /// Where the report looked, for what it did not find: the whole log, or the
    /// part of it `--since`, `--until` and `--op` left.
    ///
    /// ```
    /// use memtrack_cli::model::{Builder, Options};
    ///
    /// assert_eq!(Builder::new("app.log", Options::default()).finish().looked_in(), "in the log");
    /// ```
    #[must_use]
    pub fn looked_in(&self) -> &'static str {
        if self.lines.outside_window > 0 || self.lines.other_operations > 0 {
            "within the times and operation asked for"
        } else {
            "in the log"
        }
    }
}

/// The options of the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Window {
    /// `--since`, resolved.
    pub since: Option<Time>,
    /// `--until`, resolved.
    pub until: Option<Time>,
    /// `--op`.
    pub operation: Option<String>,
    /// Operations slower than this are listed (ms).
    pub slow_ms: f64,
    /// Fetches larger than this are listed (bytes).
    pub large_fetch_bytes: f64,
}

/// How the lines were used.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LineCounts {
    /// Every line.
    pub read: u64,
    /// memtrack events used.
    pub used: u64,
    /// memtrack events outside `--since`/`--until`.
    pub outside_window: u64,
    /// Operation events of other operations than `--op`.
    pub other_operations: u64,
    /// Events used, by name.
    pub by_event: BTreeMap<String, u64>,
    /// Whether the log was gzip.
    pub gzip: bool,
}

/// First and last event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Span {
    /// The first event.
    pub start: Time,
    /// The last event.
    pub end: Time,
    /// Seconds between them.
    pub seconds: f64,
}

/// Process memory figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MemorySummary {
    /// RSS (MB).
    pub rss_mb: Option<LevelSummary>,
    /// Live heap (MB).
    pub heap_mb: Option<LevelSummary>,
    /// The critical RSS threshold the monitor used (MB).
    pub critical_rss_mb: Option<f64>,
    /// `memory_snapshot` events.
    pub snapshots: u64,
}

/// Cache figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CachesSummary {
    /// `cache_stats_snapshot` events.
    pub snapshots: u64,
    /// Every cache, largest growth first.
    pub caches: Vec<CacheSummary>,
    /// Cache names in the order of [`CacheRow::sizes`].
    pub names: Vec<String>,
    /// Sizes at evenly spread snapshots.
    pub over_time: Vec<CacheRow>,
}

/// The series of the picture.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Timeline {
    /// RSS readings (MB).
    pub rss_mb: Vec<Point>,
    /// Heap readings (MB).
    pub heap_mb: Vec<Point>,
    /// Alert times (value: RSS or growth, MB).
    pub alerts: Vec<Point>,
    /// Spike times (value: bytes).
    pub spikes: Vec<Point>,
    /// Reclaim times (value: MB freed).
    pub reclaims: Vec<Point>,
    /// Large fetch times (value: bytes).
    pub large_fetches: Vec<Point>,
    /// What the operations' series hold.
    pub operations_basis: Option<SeriesBasis>,
    /// The top operations' series.
    pub operations: Vec<OperationSeries>,
}

/// One operation's series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationSeries {
    /// The operation.
    pub operation: String,
    /// Its points (MB).
    pub points: Vec<Point>,
}
