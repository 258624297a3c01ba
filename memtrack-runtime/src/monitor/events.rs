//! The monitor's events: `memory_monitor_started`, `memory_snapshot` and the alerts.

use serde_json::Value as Json;

use super::leaks::Suspect;
use super::top::{Basis, IntervalOp, to_json};
use crate::caches;
use crate::config::Config;
use crate::events::{Extra, emit};
use crate::metrics::{self, Alert};
use crate::units::{self, mb, mb_signed};

/// The figures of one monitor tick, shared by the snapshot and the alerts.
pub(super) struct Tick<'a> {
    pub(super) uptime: std::time::Duration,
    pub(super) rss: Option<u64>,
    pub(super) rss_delta: Option<i64>,
    pub(super) heap_used: Option<u64>,
    pub(super) heap_total: Option<u64>,
    pub(super) heap_delta: Option<i64>,
    pub(super) active_operations: u64,
    pub(super) top: &'a [IntervalOp],
    pub(super) basis: Basis,
}

impl Tick<'_> {
    /// Every cache size and the top operations, as flat fields.
    fn extra(&self) -> Option<String> {
        let mut extra = Extra::new();
        caches::insert_sizes(&mut extra);
        self.insert_top(&mut extra);
        extra.finish()
    }

    /// The top operations and what they are ranked by.
    fn insert_top(&self, extra: &mut Extra) {
        extra.insert_json("top_operations", to_json(self.top, self.basis));
        extra.insert_json("top_operations_basis", Json::from(self.basis.as_str()));
    }

    fn top_name(&self) -> Option<&'static str> {
        self.top.first().map(|op| op.name)
    }
}

pub(super) fn started(config: &Config, rss: Option<u64>, heap: Option<u64>) {
    emit!(
        tracing::Level::INFO,
        event = "memory_monitor_started",
        initial_heap_mb = heap.map(mb),
        initial_rss_mb = rss.map(mb),
        critical_rss_threshold_mb = config.critical_rss_mb(),
        critical_spike_threshold_mb = config.critical_rss_spike_mb(),
        interval_ms = units::millis(config.monitor_interval()),
        cache_stats_interval_ms = units::millis(config.cache_stats_interval()),
        "memory_monitor_started: every {} ms",
        config.monitor_interval().as_millis()
    );
}

pub(super) fn snapshot(t: &Tick<'_>) {
    let extra = t.extra();
    emit!(
        tracing::Level::INFO,
        event = "memory_snapshot",
        uptime_minutes = units::round2(t.uptime.as_secs_f64() / 60.0),
        rss_mb = t.rss.map(mb),
        rss_delta_mb = t.rss_delta.map(mb_signed),
        heap_used_mb = t.heap_used.map(mb),
        heap_total_mb = t.heap_total.map(mb),
        heap_used_delta_mb = t.heap_delta.map(mb_signed),
        active_operations = t.active_operations,
        top_operation = t.top_name(),
        extra = extra.as_deref(),
        "memory_snapshot: rss {} MB",
        t.rss.map_or(Json::Null, |r| Json::from(mb(r)))
    );
}

pub(super) fn critical_rss_spike(t: &Tick<'_>, threshold_mb: f64) {
    metrics::alert_raised(Alert::CriticalRssSpike);
    let extra = t.extra();
    emit!(
        tracing::Level::ERROR,
        event = "critical_rss_spike",
        rss_delta_mb = t.rss_delta.map(mb_signed),
        rss_mb = t.rss.map(mb),
        heap_used_mb = t.heap_used.map(mb),
        threshold_mb = threshold_mb,
        active_operations = t.active_operations,
        top_operation = t.top_name(),
        extra = extra.as_deref(),
        "critical_rss_spike: rss grew {} MB in one interval",
        t.rss_delta.map_or(Json::Null, |d| Json::from(mb_signed(d)))
    );
}

pub(super) fn critical_memory_exceeded(t: &Tick<'_>, threshold_mb: f64) {
    metrics::alert_raised(Alert::CriticalMemoryExceeded);
    let extra = t.extra();
    emit!(
        tracing::Level::ERROR,
        event = "critical_memory_exceeded",
        rss_mb = t.rss.map(mb),
        rss_delta_mb = t.rss_delta.map(mb_signed),
        heap_used_mb = t.heap_used.map(mb),
        threshold_mb = threshold_mb,
        action = "reclaim",
        active_operations = t.active_operations,
        top_operation = t.top_name(),
        extra = extra.as_deref(),
        "critical_memory_exceeded: rss {} MB above {} MB",
        t.rss.map_or(Json::Null, |r| Json::from(mb(r))),
        threshold_mb
    );
}

pub(super) fn memory_growth_detected(t: &Tick<'_>, threshold_mb: f64) {
    metrics::alert_raised(Alert::MemoryGrowthDetected);
    let mut extra = Extra::new();
    t.insert_top(&mut extra);
    let extra = extra.finish();
    emit!(
        tracing::Level::WARN,
        event = "memory_growth_detected",
        delta_mb = t.heap_delta.map(mb_signed),
        current_heap_mb = t.heap_used.map(mb),
        threshold_mb = threshold_mb,
        rss_mb = t.rss.map(mb),
        top_operation = t.top_name(),
        extra = extra.as_deref(),
        "memory_growth_detected: heap grew {} MB in one interval",
        t.heap_delta
            .map_or(Json::Null, |d| Json::from(mb_signed(d)))
    );
}

pub(super) fn memory_leak_suspect(suspect: &Suspect, threshold_mb: f64) {
    metrics::alert_raised(Alert::MemoryLeakSuspect);
    let mut extra = Extra::new();
    extra.insert_json(
        "growth_mb_per_interval",
        Json::Array(
            suspect
                .growth
                .iter()
                .map(|&g| Json::from(mb_signed(g)))
                .collect(),
        ),
    );
    let extra = extra.finish();
    emit!(
        tracing::Level::WARN,
        event = "memory_leak_suspect",
        operation = suspect.name,
        intervals = suspect.streak,
        retained_mb = mb(suspect.retained_bytes),
        total_growth_mb = mb_signed(suspect.total_growth()),
        threshold_mb = threshold_mb,
        extra = extra.as_deref(),
        "memory_leak_suspect: {} held {} MB more over the last {} intervals (growing {} in a row)",
        suspect.name,
        mb_signed(suspect.total_growth()),
        suspect.growth.len(),
        suspect.streak
    );
}
