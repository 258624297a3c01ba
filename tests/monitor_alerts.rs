//! The monitor's snapshot and alerts, driven by real RSS and heap growth, with the
//! counting allocator installed. Ticks are requested with `tick_now` (the periodic
//! interval is a minute), so each interval holds exactly what the test did. The
//! monitor is one per process: the tests of this file run one at a time.

mod support;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use support::serial;

use memtrack::Config;
use memtrack::logging::CaptureWriter;
use serde_json::Value;

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

const MB: usize = 1024 * 1024;

fn logs() -> CaptureWriter {
    memtrack::logging::capture_global()
}

fn events(name: &str) -> Vec<Value> {
    logs().events(name)
}

/// A block of `mb` megabytes with every page written, so it is resident.
fn resident_block(mb: usize) -> Vec<u8> {
    let mut block = vec![0_u8; mb * MB];
    for i in (0..block.len()).step_by(4096) {
        block[i] = 1;
    }
    block
}

fn rss_mb() -> f64 {
    memtrack::process::rss_bytes().expect("rss on linux") as f64 / MB as f64
}

fn f(line: &Value, key: &str) -> f64 {
    line[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {line}"))
}

/// A minute-long interval (ticks come from `tick_now`) and thresholds no test
/// reaches unless it sets them.
fn quiet_config() -> memtrack::config::ConfigBuilder {
    Config::builder()
        .monitor_interval(Duration::from_secs(60))
        .cache_stats_interval(Duration::from_secs(60))
        .critical_rss_mb(1_000_000.0)
        .critical_rss_spike_mb(1_000_000.0)
        .heap_growth_mb(1_000_000.0)
        .reclaim_rss_growth_mb(1_000_000.0)
}

#[test]
fn a_600_mb_operation_raises_every_alert_and_is_named_in_each() {
    let _serial = serial();
    logs().clear();
    let critical_mb = (rss_mb() + 300.0).round();
    let config = quiet_config()
        .critical_rss_spike_mb(400.0)
        .critical_rss_mb(critical_mb)
        .heap_growth_mb(50.0)
        .top_operations(3)
        .build()
        .unwrap();
    let monitor = memtrack::monitor::start(config).unwrap();

    let op = memtrack::start("alerts-allocate-600mb");
    let block = op.in_scope(|| resident_block(600));
    op.end();
    let small = memtrack::start("alerts-small-op");
    let few = small.in_scope(|| resident_block(2));
    small.end();
    assert!(monitor.tick_now());

    let snapshots = events("memory_snapshot");
    assert_eq!(snapshots.len(), 1);
    let snap = &snapshots[0];
    assert!((595.0..700.0).contains(&f(snap, "rss_delta_mb")), "{snap}");
    assert!(
        (600.0..620.0).contains(&f(snap, "heap_used_delta_mb")),
        "{snap}"
    );
    assert!(f(snap, "heap_used_mb") >= 600.0);
    assert!(f(snap, "heap_total_mb") >= f(snap, "heap_used_mb"));
    assert_eq!(snap["top_operation"], "alerts-allocate-600mb");
    assert_eq!(snap["top_operations_basis"], "retained");
    let top = snap["top_operations"].as_array().unwrap();
    assert_eq!(top.len(), 2, "{snap}");
    assert_eq!(top[0]["operation"], "alerts-allocate-600mb");
    assert_eq!(top[0]["count"], 1);
    assert_eq!(top[0]["active"], 0);
    assert_eq!(f(&top[0], "alloc_mb"), 600.0, "{snap}");
    // The block is still alive: the operation holds it.
    assert_eq!(f(&top[0], "retained_mb"), 600.0, "{snap}");
    assert_eq!(f(&top[0], "retained_growth_mb"), 600.0, "{snap}");
    assert_eq!(top[1]["operation"], "alerts-small-op");
    assert_eq!(f(&top[1], "alloc_mb"), 2.0, "{snap}");
    assert_eq!(f(&top[1], "retained_growth_mb"), 2.0, "{snap}");

    let spikes = events("critical_rss_spike");
    assert_eq!(spikes.len(), 1);
    let spike = &spikes[0];
    assert_eq!(spike["level"], "error");
    assert_eq!(
        spike["message"].as_str().unwrap().split(':').next(),
        Some("critical_rss_spike")
    );
    assert_eq!(f(spike, "threshold_mb"), 400.0);
    assert_eq!(spike["rss_delta_mb"], snap["rss_delta_mb"]);
    assert_eq!(spike["rss_mb"], snap["rss_mb"]);
    assert_eq!(spike["heap_used_mb"], snap["heap_used_mb"]);
    assert_eq!(spike["top_operations"], snap["top_operations"]);

    let exceeded = events("critical_memory_exceeded");
    assert_eq!(exceeded.len(), 1);
    assert_eq!(exceeded[0]["level"], "error");
    assert_eq!(f(&exceeded[0], "threshold_mb"), critical_mb);
    assert_eq!(exceeded[0]["action"], "reclaim");
    assert!(f(&exceeded[0], "rss_mb") > critical_mb);
    assert_eq!(exceeded[0]["top_operation"], "alerts-allocate-600mb");

    let growth = events("memory_growth_detected");
    assert_eq!(growth.len(), 1);
    assert_eq!(growth[0]["level"], "warn");
    assert_eq!(growth[0]["delta_mb"], snap["heap_used_delta_mb"]);
    assert_eq!(growth[0]["current_heap_mb"], snap["heap_used_mb"]);
    assert_eq!(f(&growth[0], "threshold_mb"), 50.0);
    assert_eq!(growth[0]["top_operations"], snap["top_operations"]);

    // Above the critical threshold the monitor reclaims (the block is still live,
    // so little comes back).
    let reclaims = events("memory_reclaim");
    assert_eq!(reclaims.len(), 1);
    assert_eq!(reclaims[0]["reason"], "critical_memory");

    drop((block, few));
    monitor.stop();
}

#[test]
fn a_quiet_interval_raises_nothing_and_names_no_operation() {
    let _serial = serial();
    logs().clear();
    let monitor = memtrack::monitor::start(quiet_config().build().unwrap()).unwrap();
    assert!(monitor.tick_now());
    assert!(monitor.tick_now());
    monitor.stop();

    let started = events("memory_monitor_started");
    assert_eq!(started.len(), 1);
    assert_eq!(f(&started[0], "critical_rss_threshold_mb"), 1_000_000.0);
    assert_eq!(f(&started[0], "critical_spike_threshold_mb"), 1_000_000.0);
    assert!(f(&started[0], "initial_heap_mb") > 0.0);
    assert!(f(&started[0], "initial_rss_mb") > 0.0);

    let snapshots = events("memory_snapshot");
    assert_eq!(snapshots.len(), 2);
    for snap in &snapshots {
        assert!(f(snap, "rss_delta_mb").abs() < 20.0, "{snap}");
        assert!(f(snap, "heap_used_delta_mb").abs() < 20.0, "{snap}");
        assert_eq!(snap["top_operations"], serde_json::json!([]));
        assert!(snap.get("top_operation").is_none());
        assert!(f(snap, "uptime_minutes") >= 0.0);
    }
    for alert in [
        "critical_rss_spike",
        "critical_memory_exceeded",
        "memory_growth_detected",
        "memory_reclaim",
    ] {
        assert!(events(alert).is_empty(), "{alert}");
    }
}

#[test]
fn health_and_cache_stats_between_ticks_leave_the_deltas_alone() {
    let _serial = serial();
    logs().clear();
    let monitor = memtrack::monitor::start(quiet_config().build().unwrap()).unwrap();
    assert!(monitor.tick_now());

    let block = resident_block(200);
    for _ in 0..3 {
        let report = memtrack::health::report();
        assert_eq!(report.http_status(), 200);
        let _ = memtrack::caches::all_stats();
        let _ = memtrack::caches::log_snapshot();
    }
    assert!(monitor.tick_now());
    let _ = memtrack::health::report();
    assert!(monitor.tick_now());
    monitor.stop();

    let snapshots = events("memory_snapshot");
    assert_eq!(snapshots.len(), 3);
    // The 200 MB grown between the first and second tick are all in the second
    // snapshot's deltas, although health reports were read in between.
    assert!(
        (195.0..260.0).contains(&f(&snapshots[1], "rss_delta_mb")),
        "{}",
        snapshots[1]
    );
    assert!(
        (200.0..210.0).contains(&f(&snapshots[1], "heap_used_delta_mb")),
        "{}",
        snapshots[1]
    );
    assert!(
        f(&snapshots[2], "rss_delta_mb").abs() < 20.0,
        "{}",
        snapshots[2]
    );
    drop(block);
}

#[test]
fn growth_since_the_last_reclaim_runs_the_hooks_and_restarts_the_deltas() {
    let _serial = serial();
    logs().clear();
    let held: std::sync::Arc<Mutex<Option<Vec<u8>>>> = std::sync::Arc::default();
    let in_hook = std::sync::Arc::clone(&held);
    let _hook = memtrack::reclaim::register_hook("alerts-drop-held-block", move || {
        in_hook
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    });
    let config = quiet_config()
        .reclaim_rss_growth_mb(100.0)
        .reclaim_effective_mb(10.0)
        .build()
        .unwrap();
    let monitor = memtrack::monitor::start(config).unwrap();

    *held.lock().unwrap() = Some(resident_block(300));
    assert!(monitor.tick_now());
    assert!(held.lock().unwrap().is_none(), "the hook ran");
    assert!(monitor.tick_now());
    monitor.stop();

    let reclaims = events("memory_reclaim");
    assert_eq!(reclaims.len(), 1);
    let r = &reclaims[0];
    assert_eq!(r["reason"], "rss_growth");
    assert_eq!(r["hooks"], serde_json::json!(["alerts-drop-held-block"]));
    assert_eq!(r["hooks_run"], 1);
    assert_eq!(r["effective"], true);
    assert!((290.0..320.0).contains(&f(r, "freed_mb")), "{r}");
    let diff = f(r, "rss_before_mb") - f(r, "rss_after_mb");
    assert!((diff - f(r, "freed_mb")).abs() <= 0.02, "{r}");
    assert!(f(r, "total_runs") >= 1.0);
    assert!(f(r, "total_freed_mb") >= f(r, "freed_mb"));
    assert!(f(r, "reclaim_duration_ms") >= 0.0);

    // The next interval is measured from RSS after the reclaim.
    let snapshots = events("memory_snapshot");
    assert_eq!(snapshots.len(), 2);
    assert!(f(&snapshots[0], "rss_delta_mb") >= 295.0);
    assert!(
        f(&snapshots[1], "rss_delta_mb").abs() < 20.0,
        "{}",
        snapshots[1]
    );
}
