//! The `memory_reclaim` event.

use serde_json::Value as Json;

use super::ReclaimReport;
use crate::events::{Extra, emit};
use crate::units::{self, mb, mb_signed};

/// Logs `memory_reclaim` (memtrack's own work, charged to no operation).
pub(super) fn log(r: &ReclaimReport) {
    crate::events::write(|| event(r));
}

fn event(r: &ReclaimReport) {
    let mut extra = Extra::new();
    extra.insert_json("hooks", Json::from(r.hooks_run.clone()));
    if !r.hooks_failed.is_empty() {
        extra.insert_json(
            "hooks_failed",
            serde_json::to_value(&r.hooks_failed).unwrap_or(Json::Null),
        );
    }
    let extra = extra.finish();
    let level = if r.hooks_failed.is_empty() {
        tracing::Level::INFO
    } else {
        tracing::Level::WARN
    };
    emit!(
        level,
        event = "memory_reclaim",
        reason = r.reason.as_str(),
        reclaim_duration_ms = units::millis(r.duration),
        rss_before_mb = r.rss_before.map(mb),
        rss_after_mb = r.rss_after.map(mb),
        freed_mb = r.freed_bytes.map(mb_signed),
        effective = r.effective,
        hooks_run = r.hooks_run.len(),
        hooks_failed_count = r.hooks_failed.len(),
        malloc_trim_released = r.trim_released,
        total_runs = r.totals.runs,
        total_time_ms = units::millis(r.totals.time),
        total_freed_mb = mb(r.totals.freed_bytes),
        extra = extra.as_deref(),
        "memory_reclaim: {}",
        r.reason.as_str()
    );
}
