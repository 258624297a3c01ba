//! The rows of the report's lists: alerts, spikes, large fetches, slow and failed
//! operations, one operation's history, reclaims.

use serde::{Serialize, Serializer};

use crate::parse::line::LogLine;
use crate::parse::timestamp::format_rfc3339;

/// A time: milliseconds since the Unix epoch, written as RFC 3339 in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time(pub i64);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_rfc3339(self.0))
    }
}

/// A bounded list: how many there were and the ones kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing<T> {
    /// How many the log holds (in the window).
    pub total: u64,
    /// The ones kept, in time order.
    pub shown: Vec<T>,
}

/// An alert (`critical_rss_spike`, `critical_memory_exceeded`,
/// `memory_growth_detected`, `memory_leak_suspect`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// When.
    pub time: Time,
    /// The event name.
    pub kind: String,
    /// RSS at the time (MB).
    pub rss_mb: Option<f64>,
    /// The growth that raised it (MB): `rss_delta_mb`, `delta_mb` or `total_growth_mb`.
    pub delta_mb: Option<f64>,
    /// Heap at the time (MB).
    pub heap_mb: Option<f64>,
    /// The threshold crossed (MB).
    pub threshold_mb: Option<f64>,
    /// The operations it named (`top_operations`, or the suspect).
    pub operations: Vec<String>,
    /// Leak suspects: the intervals `delta_mb` grew over (the length of
    /// `growth_mb_per_interval`, else `intervals`).
    pub intervals: Option<f64>,
    /// Leak suspects: MB retained now.
    pub retained_mb: Option<f64>,
}

/// Operations named per alert.
const NAMED_PER_ALERT: usize = 3;

impl Alert {
    /// The alert `kind` on `line`.
    #[must_use]
    pub fn from_line(t: i64, kind: &str, line: &LogLine<'_>) -> Self {
        let n = &line.number;
        let mut operations: Vec<String> = match line.text.operation.as_deref() {
            Some(op) => vec![op.to_owned()],
            None => Vec::new(),
        };
        if let Some(top) = &line.top_operations {
            operations.extend(
                top.iter()
                    .filter_map(|op| op.operation.as_deref())
                    .take(NAMED_PER_ALERT)
                    .map(str::to_owned),
            );
        } else if let Some(first) = line.text.top_operation.as_deref() {
            operations.push(first.to_owned());
        }
        Alert {
            time: Time(t),
            kind: kind.to_owned(),
            rss_mb: n.rss_mb,
            delta_mb: n
                .rss_delta_mb
                .filter(|_| kind != "memory_growth_detected")
                .or(n.delta_mb)
                .or(n.total_growth_mb),
            heap_mb: n.heap_used_mb.or(n.current_heap_mb),
            threshold_mb: n.threshold_mb,
            operations,
            #[allow(clippy::cast_precision_loss)]
            intervals: line
                .growth_mb_per_interval
                .as_ref()
                .map(|growth| growth.len() as f64)
                .or(n.intervals),
            retained_mb: n.retained_mb,
        }
    }
}

/// A `memory_spike_operation`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spike {
    /// When it ended.
    pub time: Time,
    /// The operation.
    pub operation: String,
    /// `peak_bytes`.
    pub peak_bytes: Option<f64>,
    /// `net_bytes`.
    pub net_bytes: Option<f64>,
    /// `retained_bytes`.
    pub retained_bytes: Option<f64>,
    /// `rss_delta_mb`.
    pub rss_delta_mb: Option<f64>,
    /// `duration_ms`.
    pub duration_ms: Option<f64>,
    /// `ended_by`.
    pub ended_by: Option<String>,
}

impl Spike {
    /// The spike on `line`.
    #[must_use]
    pub fn from_line(t: i64, op: &str, line: &LogLine<'_>) -> Self {
        let n = &line.number;
        Spike {
            time: Time(t),
            operation: op.to_owned(),
            peak_bytes: n.peak_bytes,
            net_bytes: n.net_bytes,
            retained_bytes: n.retained_bytes,
            rss_delta_mb: n.rss_delta_mb,
            duration_ms: n.duration_ms,
            ended_by: line.text.ended_by.as_deref().map(str::to_owned),
        }
    }

    /// How big: the largest of peak bytes, net bytes and RSS growth.
    #[must_use]
    pub fn size(&self) -> f64 {
        let rss = self.rss_delta_mb.map(|mb| mb * super::operations::MB);
        [self.peak_bytes, self.net_bytes, rss]
            .into_iter()
            .flatten()
            .fold(0.0, f64::max)
    }
}

/// A `fetch_response` over the large-fetch size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fetch {
    /// When.
    pub time: Time,
    /// `url_host`.
    pub url_host: Option<String>,
    /// `source`.
    pub source: Option<String>,
    /// `content_length_bytes`.
    pub bytes: f64,
    /// `duration_ms`.
    pub duration_ms: Option<f64>,
    /// `status`.
    pub status: Option<f64>,
}

/// An operation that was slow or failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationRow {
    /// When it ended.
    pub time: Time,
    /// The event (`memory_operation` or `memory_spike_operation`).
    pub event: String,
    /// The operation.
    pub operation: String,
    /// `duration_ms`.
    pub duration_ms: Option<f64>,
    /// `ended_by`.
    pub ended_by: Option<String>,
    /// `success`.
    pub success: Option<bool>,
    /// `error`.
    pub error: Option<String>,
}

impl OperationRow {
    /// The operation event on `line`.
    #[must_use]
    pub fn from_line(t: i64, event: &str, op: &str, line: &LogLine<'_>) -> Self {
        OperationRow {
            time: Time(t),
            event: event.to_owned(),
            operation: op.to_owned(),
            duration_ms: line.number.duration_ms,
            ended_by: line.text.ended_by.as_deref().map(str::to_owned),
            success: line.flag.success,
            error: line.text.error.as_deref().map(str::to_owned),
        }
    }
}

/// One line of an operation's history (`--op`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// When.
    pub time: Time,
    /// The event.
    pub event: String,
    /// `duration_ms` (or `elapsed_ms` of a checkpoint).
    pub duration_ms: Option<f64>,
    /// `ended_by`.
    pub ended_by: Option<String>,
    /// `alloc_bytes`.
    pub alloc_bytes: Option<f64>,
    /// `net_bytes`.
    pub net_bytes: Option<f64>,
    /// `peak_bytes`.
    pub peak_bytes: Option<f64>,
    /// `retained_bytes`.
    pub retained_bytes: Option<f64>,
    /// `rss_delta_mb`.
    pub rss_delta_mb: Option<f64>,
    /// What else: the error, the checkpoint, the allocation's context.
    pub note: Option<String>,
}

impl HistoryEntry {
    /// The line as a history entry.
    #[must_use]
    pub fn from_line(t: i64, event: &str, line: &LogLine<'_>) -> Self {
        let n = &line.number;
        let x = &line.text;
        let note = x
            .error
            .as_deref()
            .or(x.checkpoint.as_deref())
            .or(x.context.as_deref())
            .map(str::to_owned);
        HistoryEntry {
            time: Time(t),
            event: event.to_owned(),
            duration_ms: n.duration_ms.or(n.elapsed_ms),
            ended_by: x.ended_by.as_deref().map(str::to_owned),
            alloc_bytes: n.alloc_bytes.or(n.estimated_bytes),
            net_bytes: n.net_bytes,
            peak_bytes: n.peak_bytes,
            retained_bytes: n.retained_bytes,
            rss_delta_mb: n.rss_delta_mb,
            note,
        }
    }
}

/// The reclaims' totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Reclaims {
    /// `memory_reclaim` events.
    pub runs: u64,
    /// Of those, `effective`.
    pub effective: u64,
    /// Sum of `freed_mb`.
    pub freed_mb: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::line::parse_line;

    #[test]
    fn a_leak_suspect_counts_the_intervals_its_growth_covers() {
        let text = br#"{"event":"memory_leak_suspect","operation":"ad","intervals":7,"growth_mb_per_interval":[1,1,20],"retained_mb":30,"total_growth_mb":22,"threshold_mb":10}"#;
        let line = parse_line(text).unwrap();
        let alert = Alert::from_line(0, "memory_leak_suspect", &line);
        assert_eq!(alert.intervals, Some(3.0));
        assert_eq!(alert.delta_mb, Some(22.0));
        assert_eq!(alert.operations, vec!["ad".to_owned()]);
        // A line without the list (an older writer) falls back to `intervals`.
        let text = br#"{"event":"memory_leak_suspect","operation":"ad","intervals":6,"total_growth_mb":22}"#;
        let line = parse_line(text).unwrap();
        let alert = Alert::from_line(0, "memory_leak_suspect", &line);
        assert_eq!(alert.intervals, Some(6.0));
    }
}
