//! Every event kind memtrack writes, checked against the list of reserved keys the
//! macros refuse as metadata keys (`memtrack-macros/src/reserved.rs`, included as is).
//!
//! On the events that carry metadata (operations, checkpoints, large allocations) a
//! metadata key lies next to memtrack's own fields, so every key memtrack writes there
//! must be reserved. The other events carry no metadata: their keys are listed below,
//! so that a new key on any event is noticed and placed in one list or the other.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../memtrack-macros/src/reserved.rs"]
#[allow(dead_code)]
mod reserved;

#[global_allocator]
static ALLOC: memtrack::Allocator = memtrack::Allocator::system();

/// The events whose lines also carry user metadata.
const WITH_METADATA: &[&str] = &[
    "memory_operation",
    "memory_spike_operation",
    "memory_checkpoint",
    "large_allocation",
];

/// Every event kind the runtime writes.
const ALL_EVENTS: &[&str] = &[
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
    "memory_reclaim",
    "memory_leak_suspect",
];

/// Keys written only on events that carry no metadata, and therefore free for
/// metadata keys (`url_host` and `source` are common ones).
const WITHOUT_METADATA_ONLY: &[&str] = &[
    // fetch_response
    "source",
    "url_host",
    "content_length_bytes",
    "content_length_mb",
    "status",
    "large",
    "slow",
    // memory_monitor_started
    "initial_heap_mb",
    "initial_rss_mb",
    "critical_rss_threshold_mb",
    "critical_spike_threshold_mb",
    "interval_ms",
    "cache_stats_interval_ms",
    // memory_snapshot and the alerts
    "uptime_minutes",
    "heap_total_mb",
    "heap_used_delta_mb",
    "active_operations",
    "top_operation",
    "top_operations",
    "top_operations_basis",
    "threshold_mb",
    "action",
    "delta_mb",
    "current_heap_mb",
    // memory_leak_suspect
    "operation",
    "intervals",
    "growth_mb_per_interval",
    "retained_mb",
    "total_growth_mb",
    // cache_stats_snapshot and cache_at_capacity
    "cache_count",
    "cache_max",
    "cache",
    "size",
    "max_size",
    // memory_reclaim
    "reason",
    "reclaim_duration_ms",
    "rss_before_mb",
    "rss_after_mb",
    "freed_mb",
    "effective",
    "hooks",
    "hooks_run",
    "hooks_failed",
    "hooks_failed_count",
    "malloc_trim_released",
    "total_runs",
    "total_time_ms",
    "total_freed_mb",
];

/// Keys this test chooses itself: metadata keys and cache names.
const CHOSEN_HERE: &[&str] = &[
    "keys_cache",
    "user_first",
    "user_second",
    "checkpoint_field",
    "allocation_field",
];

const MB: usize = 1024 * 1024;

/// A block of `mb` megabytes with every page written, so it is resident.
fn resident_block(mb: usize) -> Vec<u8> {
    let mut block = vec![0_u8; mb * MB];
    for i in (0..block.len()).step_by(4096) {
        block[i] = 1;
    }
    block
}

/// Writes at least one line of every event kind, every optional field present.
fn emit_every_event() {
    memtrack::config::set(
        memtrack::Config::builder()
            .delta_threshold_mb(0.0)
            .operation_time_threshold(Duration::ZERO)
            .checkpoint_delta_mb(0.0)
            .spike_heap_mb(1.0)
            .max_metadata_keys(1)
            .monitor_interval(Duration::from_secs(60))
            .cache_stats_interval(Duration::from_secs(60))
            .critical_rss_mb(0.0)
            .critical_rss_spike_mb(16.0)
            .heap_growth_mb(16.0)
            .leak_intervals(1)
            .leak_growth_mb(0.0)
            .build()
            .expect("valid config"),
    );
    memtrack::caches::register("keys_cache", Some(1), || 1).forget();
    memtrack::reclaim::register_hook("keys-hook", || {}).forget();
    memtrack::reclaim::register_hook("keys-failing-hook", || panic!("hook failed")).forget();

    // memory_operation, with an error and more metadata than it keeps
    let op = memtrack::start("keys-operation");
    op.add_metadata("user_first", 1_u32);
    op.add_metadata("user_second", 2_u32);
    op.in_scope(|| {
        memtrack::large_allocation("keys-buffer", 1_000_000, &[("allocation_field", &1_u32)]);
    });
    op.checkpoint_with("keys-checkpoint", &[("checkpoint_field", &1_u32)]);
    op.end_with_error(&"failed");

    // memory_spike_operation
    let spike = memtrack::start("keys-spike");
    let block = spike.in_scope(|| resident_block(2));
    spike.end();
    drop(block);

    memtrack::fetch::track_fetch_response(
        "https://example.com/big",
        "keys-fetch",
        200,
        2_000_000,
        Instant::now(),
    );

    // The monitor: started, then one tick after a first small growth (a leak
    // suspect needs two intervals of growth from a name's first figures), and one
    // after RSS and heap grew 64 MB.
    let monitor = memtrack::monitor::start(memtrack::config::get().clone()).expect("one monitor");
    let grown = memtrack::start("keys-growth");
    let first = grown.in_scope(|| resident_block(1));
    assert!(monitor.tick_now());
    let block = grown.in_scope(|| resident_block(64));
    grown.end();
    assert!(monitor.tick_now());
    monitor.stop();
    drop((first, block));
}

#[test]
fn every_key_memtrack_writes_is_reserved_where_metadata_can_meet_it() {
    let logs = support::logs();
    emit_every_event();

    let reserved: BTreeSet<&str> = reserved::RESERVED_KEYS.iter().copied().collect();
    let free: BTreeSet<&str> = WITHOUT_METADATA_ONLY.iter().copied().collect();
    let mut seen = BTreeSet::new();
    let mut unreserved = Vec::new();
    let mut unknown = Vec::new();
    for line in logs.lines() {
        let Some(event) = line["event"].as_str() else {
            continue;
        };
        if !ALL_EVENTS.contains(&event) {
            unknown.push(format!("event {event}"));
            continue;
        }
        seen.insert(event.to_owned());
        let Value::Object(fields) = &line else {
            panic!("not an object: {line}");
        };
        for key in fields.keys().map(String::as_str) {
            if CHOSEN_HERE.contains(&key) || reserved.contains(key) {
                continue;
            }
            if WITH_METADATA.contains(&event) {
                unreserved.push(format!("{event}: {key}"));
            } else if !free.contains(key) {
                unknown.push(format!("{event}: {key}"));
            }
        }
    }
    let missing: Vec<_> = ALL_EVENTS.iter().filter(|e| !seen.contains(**e)).collect();
    assert!(missing.is_empty(), "events not written: {missing:?}");
    assert!(
        unreserved.is_empty(),
        "keys written next to metadata but not reserved: {unreserved:?}"
    );
    assert!(
        unknown.is_empty(),
        "keys in neither list of this test: {unknown:?}"
    );
}
