//! The events memtrack writes: `tracing` events at target `memtrack`, each with an
//! `event` field holding the original system's event name and a message starting
//! with it. Metadata whose keys are only known at run time (user metadata, cache
//! names) travels as a JSON object in the `extra` field, which memtrack's JSON
//! formatter lays out flat.

use std::time::Duration;

use serde_json::{Map, Value as Json};

use crate::attribution::Charged;
use crate::caches;
use crate::metadata::{Metadata, Value};
use crate::tracker::EndedBy;
use crate::units::{self, mb, mb_signed};

/// Emits a `tracing` event at target `memtrack` with a level chosen at run time.
macro_rules! emit {
    ($level:expr, $($rest:tt)+) => {{
        let level: ::tracing::Level = $level;
        if level == ::tracing::Level::ERROR {
            ::tracing::event!(target: "memtrack", ::tracing::Level::ERROR, $($rest)+);
        } else if level == ::tracing::Level::WARN {
            ::tracing::event!(target: "memtrack", ::tracing::Level::WARN, $($rest)+);
        } else {
            ::tracing::event!(target: "memtrack", ::tracing::Level::INFO, $($rest)+);
        }
    }};
}
#[allow(unused_imports)]
pub(crate) use emit;

/// Writes events from inside operations: memtrack's own bookkeeping, kept out of
/// every open operation's account, and shielded from a subscriber that panics (an
/// operation may end in a `Drop` while a panic unwinds, where a second panic would
/// abort the process). Such a panic loses that one event.
pub(crate) fn write(f: impl FnOnce()) {
    crate::attribution::untracked(|| {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    });
}

/// Builds the `extra` field: a JSON object of run-time keys.
#[derive(Debug, Default)]
pub(crate) struct Extra(Map<String, Json>);

impl Extra {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn insert(&mut self, key: &str, value: &Value) {
        let json = serde_json::to_value(value).unwrap_or(Json::Null);
        self.0.insert(key.to_owned(), json);
    }

    pub(crate) fn metadata(mut self, metadata: &Metadata) -> Self {
        for (k, v) in metadata.entries() {
            self.insert(k, v);
        }
        if metadata.dropped() > 0 {
            self.0.insert(
                "metadata_dropped".to_owned(),
                Json::from(metadata.dropped()),
            );
        }
        self
    }

    /// Every registered cache's size, as the original put them on its events.
    pub(crate) fn cache_sizes(mut self) -> Self {
        caches::visit_sizes(&mut |name, value| self.insert(name, &value));
        self
    }

    /// The JSON text, or `None` when there is nothing to carry.
    pub(crate) fn finish(self) -> Option<String> {
        (!self.0.is_empty()).then(|| Json::Object(self.0).to_string())
    }
}

pub(crate) struct OperationEvent<'a> {
    pub(crate) spike: bool,
    pub(crate) op_name: &'a str,
    pub(crate) op_number: u64,
    pub(crate) duration: Duration,
    pub(crate) ended_by: EndedBy,
    pub(crate) error: Option<&'a str>,
    pub(crate) rss_start: Option<u64>,
    pub(crate) rss_end: Option<u64>,
    pub(crate) heap_start: Option<u64>,
    pub(crate) heap_end: Option<u64>,
    pub(crate) charged: Option<Charged>,
    pub(crate) metadata: &'a Metadata,
}

fn delta_mb(start: Option<u64>, end: Option<u64>) -> Option<f64> {
    start.zip(end).map(|(s, e)| mb_signed(units::delta(s, e)))
}

/// `memory_operation` or `memory_spike_operation`.
pub(crate) fn operation(e: &OperationEvent<'_>) {
    let (event, level) = if e.spike {
        ("memory_spike_operation", tracing::Level::WARN)
    } else if e.ended_by == EndedBy::Panic {
        ("memory_operation", tracing::Level::WARN)
    } else {
        ("memory_operation", tracing::Level::INFO)
    };
    let extra = Extra::new().cache_sizes().metadata(e.metadata).finish();
    let c = e.charged;
    emit!(
        level,
        event = event,
        op_id = %format_args!("{}-{}", e.op_name, e.op_number),
        op_name = e.op_name,
        duration_ms = units::millis(e.duration),
        ended_by = e.ended_by.as_str(),
        success = e.ended_by.is_success(),
        error = e.error,
        rss_start_mb = e.rss_start.map(mb),
        rss_end_mb = e.rss_end.map(mb),
        rss_delta_mb = delta_mb(e.rss_start, e.rss_end),
        heap_start_mb = e.heap_start.map(mb),
        heap_end_mb = e.heap_end.map(mb),
        heap_delta_mb = delta_mb(e.heap_start, e.heap_end),
        alloc_bytes = c.map(|c| c.allocated),
        freed_bytes = c.map(|c| c.freed),
        net_bytes = c.map(|c| c.net()),
        peak_bytes = c.map(|c| c.peak),
        allocs = c.map(|c| c.allocs),
        extra = extra.as_deref(),
        "{}: {}",
        event,
        e.op_name
    );
}

pub(crate) struct CheckpointEvent<'a> {
    pub(crate) op_name: &'a str,
    pub(crate) op_number: u64,
    pub(crate) checkpoint: &'a str,
    pub(crate) elapsed: Duration,
    pub(crate) rss: Option<u64>,
    pub(crate) rss_delta: Option<i64>,
    pub(crate) heap: Option<u64>,
    pub(crate) heap_delta: Option<i64>,
    pub(crate) charged: Option<Charged>,
    pub(crate) metadata: &'a Metadata,
}

/// `memory_checkpoint`.
pub(crate) fn checkpoint(e: &CheckpointEvent<'_>) {
    let extra = Extra::new().metadata(e.metadata).finish();
    let c = e.charged;
    emit!(
        tracing::Level::INFO,
        event = "memory_checkpoint",
        op_id = %format_args!("{}-{}", e.op_name, e.op_number),
        op_name = e.op_name,
        checkpoint = e.checkpoint,
        elapsed_ms = units::millis(e.elapsed),
        rss_mb = e.rss.map(mb),
        rss_delta_mb = e.rss_delta.map(mb_signed),
        heap_used_mb = e.heap.map(mb),
        heap_delta_mb = e.heap_delta.map(mb_signed),
        alloc_bytes = c.map(|c| c.allocated),
        freed_bytes = c.map(|c| c.freed),
        net_bytes = c.map(|c| c.net()),
        peak_bytes = c.map(|c| c.peak),
        allocs = c.map(|c| c.allocs),
        extra = extra.as_deref(),
        "memory_checkpoint: {} {}",
        e.op_name,
        e.checkpoint
    );
}

pub(crate) struct LargeAllocationEvent<'a> {
    pub(crate) context: &'a str,
    pub(crate) estimated_bytes: u64,
    pub(crate) op: Option<(&'a str, u64)>,
    pub(crate) rss: Option<u64>,
    pub(crate) heap: Option<u64>,
    pub(crate) fields: &'a Metadata,
}

/// `large_allocation`.
pub(crate) fn large_allocation(e: &LargeAllocationEvent<'_>) {
    let extra = Extra::new().metadata(e.fields).finish();
    emit!(
        tracing::Level::WARN,
        event = "large_allocation",
        context = e.context,
        estimated_bytes = e.estimated_bytes,
        estimated_mb = mb(e.estimated_bytes),
        op_id = e.op.map(|(name, n)| format!("{name}-{n}")),
        op_name = e.op.map(|(name, _)| name),
        heap_used_mb = e.heap.map(mb),
        rss_mb = e.rss.map(mb),
        extra = extra.as_deref(),
        "large_allocation: {} ({} bytes)",
        e.context,
        e.estimated_bytes
    );
}

impl Extra {
    /// Adds a JSON value as is (arrays and objects included), for the operational
    /// events (top operations, per-cache errors).
    pub(crate) fn insert_json(&mut self, key: &str, value: Json) {
        self.0.insert(key.to_owned(), value);
    }
}
