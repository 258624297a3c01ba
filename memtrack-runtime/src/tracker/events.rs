//! The events of an operation: `memory_operation` (or `memory_spike_operation`) when
//! it ends, and `memory_checkpoint`.

use std::time::Duration;

use super::EndedBy;
use super::frames::Charged;
use crate::caches;
use crate::events::{Extra, OpId, emit_charged};
use crate::metadata::Metadata;
use crate::units::{self, mb, mb_signed};

pub(super) struct OperationEvent<'a> {
    pub(super) spike: bool,
    pub(super) op_id: OpId<'a>,
    pub(super) duration: Duration,
    pub(super) ended_by: EndedBy,
    pub(super) error: Option<&'a str>,
    pub(super) rss_start: Option<u64>,
    pub(super) rss_end: Option<u64>,
    pub(super) heap_start: Option<u64>,
    pub(super) heap_end: Option<u64>,
    pub(super) charged: Option<Charged>,
    pub(super) metadata: &'a Metadata,
}

fn delta_mb(start: Option<u64>, end: Option<u64>) -> Option<f64> {
    start.zip(end).map(|(s, e)| mb_signed(units::delta(s, e)))
}

/// `memory_operation` or `memory_spike_operation`.
pub(super) fn operation(e: &OperationEvent<'_>) {
    let (event, level) = if e.spike {
        ("memory_spike_operation", tracing::Level::WARN)
    } else if e.ended_by == EndedBy::Panic {
        ("memory_operation", tracing::Level::WARN)
    } else {
        ("memory_operation", tracing::Level::INFO)
    };
    let mut extra = Extra::new();
    caches::insert_sizes(&mut extra);
    let extra = extra.metadata(e.metadata).finish();
    emit_charged!(
        level,
        e.charged,
        {
            event = event,
            op_id = %e.op_id,
            op_name = e.op_id.name,
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
        },
        extra.as_deref(),
        "{}: {}",
        event,
        e.op_id.name
    );
}

pub(super) struct CheckpointEvent<'a> {
    pub(super) op_id: OpId<'a>,
    pub(super) checkpoint: &'a str,
    pub(super) elapsed: Duration,
    pub(super) rss: Option<u64>,
    pub(super) rss_delta: Option<i64>,
    pub(super) heap: Option<u64>,
    pub(super) heap_delta: Option<i64>,
    pub(super) charged: Option<Charged>,
    pub(super) metadata: &'a Metadata,
}

/// `memory_checkpoint`.
pub(super) fn checkpoint(e: &CheckpointEvent<'_>) {
    let extra = Extra::new().metadata(e.metadata).finish();
    emit_charged!(
        tracing::Level::INFO,
        e.charged,
        {
            event = "memory_checkpoint",
            op_id = %e.op_id,
            op_name = e.op_id.name,
            checkpoint = e.checkpoint,
            elapsed_ms = units::millis(e.elapsed),
            rss_mb = e.rss.map(mb),
            rss_delta_mb = e.rss_delta.map(mb_signed),
            heap_used_mb = e.heap.map(mb),
            heap_delta_mb = e.heap_delta.map(mb_signed),
        },
        extra.as_deref(),
        "memory_checkpoint: {} {}",
        e.op_id.name,
        e.checkpoint
    );
}
