//! Folding the log's lines, one at a time, into a [`Report`], with memory bounded
//! by the number of operation and cache names, never by the number of lines.

use std::collections::{BTreeMap, HashMap};

use super::caches::Caches;
use super::findings::{Alert, Fetch, HistoryEntry, Listing, OperationRow, Reclaims, Spike, Time};
use super::keep::{FirstLast, Largest};
use super::memory::Memory;
use super::names;
use super::operations::{OpStats, SeriesBasis, rank_order};
use super::problems::Problems;
use super::report::{
    CachesSummary, LineCounts, MemorySummary, OperationSeries, Report, Span, Timeline, Window,
};
use super::series::{Merge, Series};
use crate::input::Line;
use crate::parse::line::{LineError, LogLine, parse_line};
use crate::parse::timestamp::parse_rfc3339;

/// Operation names followed; events of further names count under [`OTHER_OPERATIONS`].
pub const MAX_OPERATIONS: usize = 10_000;
pub use super::operations::OTHER_OPERATIONS;
/// Rows kept per list (spikes, fetches, slow operations).
const LIST_ROWS: usize = 20;
/// Rows kept at each end of a time-ordered list (alerts, failures, history).
const LIST_ENDS: usize = 10;
/// Markers kept per kind for the picture.
const MARKERS: usize = 512;
/// Operations drawn in the picture.
pub const PICTURED_OPERATIONS: usize = 6;

/// The events memtrack writes.
pub const EVENTS: [&str; 14] = [
    "memory_operation",
    "memory_spike_operation",
    "memory_checkpoint",
    "large_allocation",
    "fetch_response",
    "memory_monitor_started",
    "memory_snapshot",
    "cache_stats_snapshot",
    "cache_at_capacity",
    "critical_rss_spike",
    "critical_memory_exceeded",
    "memory_growth_detected",
    "memory_leak_suspect",
    "memory_reclaim",
];

/// A `--since`/`--until` bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBound {
    /// A moment (ms since the epoch).
    At(i64),
    /// This many ms after the log's first timestamp.
    AfterStart(i64),
}

/// What to report on.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Events before this are left out.
    pub since: Option<TimeBound>,
    /// Events after this are left out.
    pub until: Option<TimeBound>,
    /// Only this operation's events (process figures stay).
    pub operation: Option<String>,
    /// Operations slower than this are listed (ms).
    pub slow_ms: f64,
    /// Fetches larger than this are listed (bytes).
    pub large_fetch_bytes: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            since: None,
            until: None,
            operation: None,
            slow_ms: 5_000.0,
            large_fetch_bytes: 1_000_000.0,
        }
    }
}

/// Picture markers.
struct Markers {
    alerts: Series,
    spikes: Series,
    reclaims: Series,
    fetches: Series,
}

/// Builds a report from lines.
///
/// ```
/// use memtrack_cli::input::LineReader;
/// use memtrack_cli::model::{Builder, Options, TimeBound};
///
/// let log = concat!(
///     r#"{"timestamp":"2026-11-27T08:00:00.000Z","event":"memory_operation","op_name":"early","duration_ms":9000}"#, "\n",
///     r#"{"timestamp":"2026-11-27T08:10:00.000Z","event":"memory_operation","op_name":"late","duration_ms":6000,"success":false,"ended_by":"err"}"#, "\n",
///     "not a log line\n",
/// );
/// let options = Options { since: Some(TimeBound::AfterStart(60_000)), ..Options::default() };
/// let mut builder = Builder::new("app.log", options);
/// let mut lines = LineReader::new(log.as_bytes());
/// while let Some(line) = lines.next_line().unwrap() {
///     builder.feed(&line);
/// }
/// let report = builder.finish();
/// assert_eq!(report.lines.outside_window, 1);
/// assert_eq!(report.slow_operations.total, 1);
/// assert_eq!(report.failed_operations.shown[0].operation, "late");
/// assert_eq!(report.problems.not_json.lines, 1);
/// ```
pub struct Builder {
    options: Options,
    log: String,
    since: Option<i64>,
    until: Option<i64>,
    first_timestamp: Option<i64>,
    lines: LineCounts,
    by_event: BTreeMap<&'static str, u64>,
    span: Option<(i64, i64)>,
    memory: Memory,
    ops: Vec<OpStats>,
    op_index: HashMap<String, usize>,
    alerts: FirstLast<Alert>,
    alert_kinds: BTreeMap<&'static str, u64>,
    spikes: Largest<Spike>,
    fetches: Largest<Fetch>,
    slow: Largest<OperationRow>,
    failed: FirstLast<OperationRow>,
    history: FirstLast<HistoryEntry>,
    caches: Caches,
    reclaims: Reclaims,
    markers: Markers,
    problems: Problems,
}

impl Builder {
    /// A builder for the log named `log`.
    #[must_use]
    pub fn new(log: &str, options: Options) -> Self {
        let resolve = |b: Option<TimeBound>| match b {
            Some(TimeBound::At(t)) => Some(t),
            _ => None,
        };
        Builder {
            since: resolve(options.since),
            until: resolve(options.until),
            options,
            log: log.to_owned(),
            first_timestamp: None,
            lines: LineCounts::default(),
            by_event: BTreeMap::new(),
            span: None,
            memory: Memory::default(),
            ops: Vec::new(),
            op_index: HashMap::new(),
            alerts: FirstLast::new(LIST_ENDS),
            alert_kinds: BTreeMap::new(),
            spikes: Largest::new(LIST_ROWS),
            fetches: Largest::new(LIST_ROWS),
            slow: Largest::new(LIST_ROWS),
            failed: FirstLast::new(LIST_ENDS),
            history: FirstLast::new(LIST_ENDS * 2),
            caches: Caches::default(),
            reclaims: Reclaims::default(),
            markers: Markers {
                alerts: Series::new(MARKERS, Merge::Max),
                spikes: Series::new(MARKERS, Merge::Max),
                reclaims: Series::new(MARKERS, Merge::Max),
                fetches: Series::new(MARKERS, Merge::Max),
            },
            problems: Problems::default(),
        }
    }

    /// Notes that the log was gzip.
    pub fn gzip(&mut self, gzip: bool) {
        self.lines.gzip = gzip;
    }

    /// Notes a read error after the lines read so far.
    pub fn read_error(&mut self, error: &std::io::Error) {
        self.problems.read_error(self.lines.read, error.to_string());
    }

    /// Takes one line.
    pub fn feed(&mut self, line: &Line<'_>) {
        self.lines.read = line.number;
        if line.too_long {
            self.problems.too_long(line.number);
            return;
        }
        // A byte-order mark before the first line is not part of it.
        let bytes = if line.number == 1 {
            line.bytes
                .strip_prefix(b"\xEF\xBB\xBF")
                .unwrap_or(line.bytes)
        } else {
            line.bytes
        };
        match parse_line(bytes) {
            // A line with bytes that are not UTF-8 (a field written from raw bytes)
            // is read with U+FFFD in their place rather than lost whole.
            Err(LineError::BrokenJson) if std::str::from_utf8(bytes).is_err() => {
                let repaired = String::from_utf8_lossy(bytes).into_owned();
                let parsed = parse_line(repaired.as_bytes());
                if parsed.is_ok() {
                    self.problems.not_utf8(line.number);
                }
                self.take(line, parsed);
            }
            parsed => self.take(line, parsed),
        }
    }

    fn take(&mut self, line: &Line<'_>, parsed: Result<LogLine<'_>, LineError>) {
        match parsed {
            Ok(parsed) => self.event(line.number, &parsed),
            Err(LineError::Blank) => self.problems.blank(line.number),
            Err(LineError::BrokenJson) if !line.ended => {
                self.problems.truncated_last_line(line.number);
            }
            Err(LineError::BrokenJson) => self.problems.broken_json(line.number),
            Err(LineError::NotJsonObject) => self.problems.not_json(line.number),
        }
    }

    fn event(&mut self, number: u64, line: &LogLine<'_>) {
        let Some(event) = line.event.as_deref() else {
            self.problems.not_memtrack(number);
            return;
        };
        let Some(&kind) = EVENTS.iter().find(|e| **e == event) else {
            self.problems.unknown_event(number, event);
            return;
        };
        self.problems.wrong_types(number, &line.wrong);
        let Some(text) = line.timestamp.as_deref() else {
            self.problems.no_timestamp(number);
            return;
        };
        let Some(t) = parse_rfc3339(text) else {
            self.problems.bad_timestamp(number);
            return;
        };
        if self.first_timestamp.is_none() {
            self.first_timestamp = Some(t);
            let relative = |b: Option<TimeBound>| match b {
                Some(TimeBound::AfterStart(ms)) => Some(t.saturating_add(ms)),
                Some(TimeBound::At(at)) => Some(at),
                None => None,
            };
            self.since = relative(self.options.since);
            self.until = relative(self.options.until);
        }
        if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t > u) {
            self.lines.outside_window += 1;
            return;
        }
        // Process-wide readings are taken from every line, whatever `--op` says.
        self.memory.readings(t, line);
        if let Some(op) = operation_of(kind, line)
            && self.excluded(op)
        {
            self.lines.other_operations += 1;
            return;
        }
        self.lines.used += 1;
        *self.by_event.entry(kind).or_insert(0) += 1;
        self.span = Some(match self.span {
            Some((a, b)) => (a.min(t), b.max(t)),
            None => (t, t),
        });
        self.dispatch(kind, t, line);
    }

    /// Whether `--op` leaves this operation out.
    fn excluded(&self, op: &str) -> bool {
        self.options
            .operation
            .as_deref()
            .is_some_and(|only| only != op)
    }

    /// The figures of operation `name` (cut to [`names::MAX_NAME_CHARS`]).
    fn op(&mut self, name: &str) -> &mut OpStats {
        let name = &*names::bounded(name, names::MAX_NAME_CHARS);
        let index = match self.op_index.get(name) {
            Some(&i) => i,
            None => {
                let key = if self.ops.len() < MAX_OPERATIONS {
                    name
                } else {
                    OTHER_OPERATIONS
                };
                if let Some(&i) = self.op_index.get(key) {
                    i
                } else {
                    self.ops.push(OpStats::new(key));
                    self.op_index.insert(key.to_owned(), self.ops.len() - 1);
                    self.ops.len() - 1
                }
            }
        };
        &mut self.ops[index]
    }

    fn dispatch(&mut self, kind: &'static str, t: i64, line: &LogLine<'_>) {
        let n = &line.number;
        match kind {
            "memory_operation" | "memory_spike_operation" => {
                let op = &*names::bounded(
                    line.text.op_name.as_deref().unwrap_or(OTHER_OPERATIONS),
                    names::MAX_NAME_CHARS,
                );
                let spike = kind == "memory_spike_operation";
                self.op(op).operation(t, line, spike);
                if spike {
                    let row = Spike::from_line(t, op, line);
                    let size = row.size();
                    self.markers.spikes.push(t, size);
                    self.spikes.offer(size, row);
                }
                let duration = n.duration_ms.unwrap_or(0.0);
                if duration > self.options.slow_ms {
                    self.slow
                        .offer(duration, OperationRow::from_line(t, kind, op, line));
                }
                if line.flag.success == Some(false) {
                    self.failed.push(OperationRow::from_line(t, kind, op, line));
                }
                self.history_entry(t, kind, line);
            }
            "memory_checkpoint" | "large_allocation" => {
                let Some(op) = line.text.op_name.as_deref() else {
                    return;
                };
                let stats = self.op(op);
                if kind == "memory_checkpoint" {
                    stats.checkpoints += 1;
                } else {
                    stats.large_allocations += 1;
                }
                self.history_entry(t, kind, line);
            }
            "fetch_response" => {
                if let Some(bytes) = n.content_length_bytes
                    && bytes > self.options.large_fetch_bytes
                {
                    self.markers.fetches.push(t, bytes);
                    self.fetches.offer(
                        bytes,
                        Fetch {
                            time: Time(t),
                            url_host: line.text.url_host.as_deref().map(str::to_owned),
                            source: line.text.source.as_deref().map(str::to_owned),
                            bytes,
                            duration_ms: n.duration_ms,
                            status: n.status,
                        },
                    );
                }
            }
            "memory_monitor_started" => {
                self.memory.critical_rss_mb =
                    n.critical_rss_threshold_mb.or(self.memory.critical_rss_mb);
                self.memory.critical_spike_mb = n
                    .critical_spike_threshold_mb
                    .or(self.memory.critical_spike_mb);
            }
            "memory_snapshot" => {
                self.memory.snapshots += 1;
                for top in line.top_operations.iter().flatten() {
                    let Some(name) = top.operation.as_deref() else {
                        continue;
                    };
                    if !self.excluded(name) {
                        self.op(name).interval(t, top);
                    }
                }
            }
            "cache_stats_snapshot" => self.caches.snapshot(t, line),
            "cache_at_capacity" => self.caches.at_capacity(line),
            "critical_rss_spike" | "critical_memory_exceeded" | "memory_growth_detected" => {
                if kind == "critical_memory_exceeded" {
                    self.memory.critical_rss_mb = n.threshold_mb.or(self.memory.critical_rss_mb);
                }
                let first = line
                    .top_operations
                    .as_ref()
                    .and_then(|top| top.first())
                    .and_then(|op| op.operation.as_deref())
                    .or(line.text.top_operation.as_deref());
                if let Some(first) = first
                    && !self.excluded(first)
                {
                    self.op(first).alerts_first += 1;
                }
                self.alert(kind, t, line);
            }
            "memory_leak_suspect" => {
                let op = line.text.operation.as_deref().unwrap_or(OTHER_OPERATIONS);
                self.op(op).leak_suspect(line);
                self.alert(kind, t, line);
            }
            "memory_reclaim" => {
                self.reclaims.runs += 1;
                self.reclaims.effective += u64::from(line.flag.effective == Some(true));
                self.reclaims.freed_mb += n.freed_mb.filter(|f| f.is_finite()).unwrap_or(0.0);
                self.markers.reclaims.push(t, n.freed_mb.unwrap_or(0.0));
            }
            _ => {}
        }
    }

    fn alert(&mut self, kind: &'static str, t: i64, line: &LogLine<'_>) {
        *self.alert_kinds.entry(kind).or_insert(0) += 1;
        let alert = Alert::from_line(t, kind, line);
        self.markers
            .alerts
            .push(t, alert.delta_mb.or(alert.rss_mb).unwrap_or(0.0));
        self.alerts.push(alert);
    }

    fn history_entry(&mut self, t: i64, kind: &str, line: &LogLine<'_>) {
        if self.options.operation.is_some() {
            self.history.push(HistoryEntry::from_line(t, kind, line));
        }
    }

    /// The report.
    #[must_use]
    pub fn finish(self) -> Report {
        let mut ops = self.ops;
        ops.sort_by(rank_order);
        let culprits = ops
            .iter()
            .enumerate()
            .map(|(i, op)| op.summary(i + 1))
            .collect();

        let basis = SeriesBasis::ALL
            .into_iter()
            .find(|b| ops.iter().any(|op| !b.of(&op.series).is_empty()));
        let operations = basis.map_or_else(Vec::new, |b| {
            ops.iter()
                .map(|op| OperationSeries {
                    operation: op.name.clone(),
                    points: sorted(b.of(&op.series)),
                })
                .filter(|s| !s.points.is_empty())
                .take(PICTURED_OPERATIONS)
                .collect()
        });

        Report {
            log: self.log,
            window: Window {
                since: self.since.map(Time),
                until: self.until.map(Time),
                operation: self.options.operation.clone(),
                slow_ms: self.options.slow_ms,
                large_fetch_bytes: self.options.large_fetch_bytes,
            },
            lines: LineCounts {
                by_event: self
                    .by_event
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), *v))
                    .collect(),
                ..self.lines
            },
            span: self.span.map(|(a, b)| Span {
                start: Time(a),
                end: Time(b),
                #[allow(clippy::cast_precision_loss)]
                seconds: (b - a) as f64 / 1_000.0,
            }),
            memory: MemorySummary {
                rss_mb: self.memory.rss.as_ref().map(super::memory::Level::summary),
                heap_mb: self.memory.heap.as_ref().map(super::memory::Level::summary),
                critical_rss_mb: self.memory.critical_rss_mb,
                snapshots: self.memory.snapshots,
            },
            alerts: listing_first_last(self.alerts),
            alert_kinds: self
                .alert_kinds
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            ranking: "retained growth, then net bytes, allocated bytes, spikes, RSS growth",
            culprits,
            spikes: by_time(self.spikes, |s: &Spike| s.time),
            large_fetches: by_time(self.fetches, |f: &Fetch| f.time),
            slow_operations: by_time(self.slow, |r: &OperationRow| r.time),
            failed_operations: listing_first_last(self.failed),
            caches: CachesSummary {
                snapshots: self.caches.snapshots,
                caches: self.caches.summaries(),
                names: self.caches.names(),
                over_time: self.caches.rows(),
            },
            reclaims: self.reclaims,
            history: self
                .options
                .operation
                .is_some()
                .then(|| listing_first_last(self.history)),
            problems: self.problems,
            timeline: Timeline {
                rss_mb: self
                    .memory
                    .rss
                    .as_ref()
                    .map(super::memory::Level::points)
                    .unwrap_or_default(),
                heap_mb: self
                    .memory
                    .heap
                    .as_ref()
                    .map(super::memory::Level::points)
                    .unwrap_or_default(),
                alerts: sorted(self.markers.alerts.points()),
                spikes: sorted(self.markers.spikes.points()),
                reclaims: sorted(self.markers.reclaims.points()),
                large_fetches: sorted(self.markers.fetches.points()),
                operations_basis: basis,
                operations,
            },
        }
    }
}

/// The operation a line belongs to, for the events that belong to one.
fn operation_of<'a>(kind: &str, line: &'a LogLine<'_>) -> Option<&'a str> {
    match kind {
        "memory_operation" | "memory_spike_operation" => {
            Some(line.text.op_name.as_deref().unwrap_or(OTHER_OPERATIONS))
        }
        "memory_checkpoint" | "large_allocation" => line.text.op_name.as_deref(),
        "memory_leak_suspect" => Some(line.text.operation.as_deref().unwrap_or(OTHER_OPERATIONS)),
        _ => None,
    }
}

fn listing_first_last<T>(kept: FirstLast<T>) -> Listing<T> {
    Listing {
        total: kept.seen(),
        shown: kept.into_items(),
    }
}

fn by_time<T>(kept: Largest<T>, time: fn(&T) -> Time) -> Listing<T> {
    let total = kept.seen();
    let mut shown = kept.into_items();
    shown.sort_by_key(time);
    Listing { total, shown }
}

fn sorted(mut points: Vec<super::series::Point>) -> Vec<super::series::Point> {
    points.sort_by_key(|p| p.t);
    points
}
