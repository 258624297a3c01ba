//! Starting, ticking periodically and stopping the monitor, without the counting
//! allocator (heap figures absent). One monitor per process: the tests of this file
//! run one at a time.

mod support;

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};
use support::{events, minute_config, serial};

use memtrack::Config;
use memtrack::monitor::MonitorError;
use serde_json::Value;

/// Waits (up to 20 s) until `name` has been logged `count` times.
fn wait_for(name: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lines = events(name);
        if lines.len() >= count || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn millisecond_intervals_log_snapshots_and_cache_stats_without_heap_figures() {
    let _serial = serial();
    memtrack::logging::capture_global().clear();
    let _cache = memtrack::caches::register("lifecycle_cache", Some(10), || 4);
    let config = Config::builder()
        .monitor_interval(Duration::from_millis(20))
        .cache_stats_interval(Duration::from_millis(50))
        .build()
        .unwrap();
    let monitor = memtrack::monitor::start(config).unwrap();
    let snapshots = wait_for("memory_snapshot", 3);
    let cache_stats = wait_for("cache_stats_snapshot", 2);
    monitor.stop();

    let started = events("memory_monitor_started");
    assert_eq!(started.len(), 1);
    let s = &started[0];
    assert_eq!(s["level"], "info");
    assert_eq!(s["critical_rss_threshold_mb"], 1500.0);
    assert_eq!(s["critical_spike_threshold_mb"], 400.0);
    assert_eq!(s["interval_ms"], 20.0);
    assert_eq!(s["cache_stats_interval_ms"], 50.0);
    assert!(s["initial_rss_mb"].as_f64().unwrap() > 0.0);
    assert!(
        s.get("initial_heap_mb").is_none(),
        "no counting allocator: {s}"
    );

    assert!(snapshots.len() >= 3);
    for snap in &snapshots {
        assert!(snap["rss_mb"].as_f64().unwrap() > 0.0);
        assert!(snap["rss_delta_mb"].is_f64());
        assert!(snap.get("heap_used_mb").is_none());
        assert!(snap.get("heap_total_mb").is_none());
        assert!(snap.get("heap_used_delta_mb").is_none());
        assert_eq!(snap["lifecycle_cache"], 4);
        assert!(snap["active_operations"].is_u64());
        assert!(snap["top_operations"].is_array());
        assert!(snap["timestamp"].is_string());
    }
    assert!(cache_stats.len() >= 2);
    assert_eq!(cache_stats[0]["lifecycle_cache"], 4);
    assert_eq!(cache_stats[0]["cache_max"]["lifecycle_cache"], 10);
}

#[test]
fn a_second_monitor_is_refused_until_the_first_stops() {
    let _serial = serial();
    let first = memtrack::monitor::start(minute_config()).unwrap();
    let err = memtrack::monitor::start(minute_config()).unwrap_err();
    assert!(matches!(err, MonitorError::AlreadyRunning));
    assert_eq!(
        err.to_string(),
        "a memtrack monitor is already running in this process; stop it before starting another"
    );
    assert!(memtrack::monitor::is_running());
    first.stop();
    assert!(!memtrack::monitor::is_running());
    let second = memtrack::monitor::start(minute_config()).unwrap();
    drop(second);
    assert!(!memtrack::monitor::is_running());
}

#[test]
fn stop_and_drop_end_the_thread_without_waiting_for_the_next_tick() {
    let _serial = serial();
    // Behaviour, not speed: with a 60 s interval, a thread that slept until its next
    // tick would take a minute to stop; half the interval is the line between the two.
    let monitor = memtrack::monitor::start(minute_config()).unwrap();
    assert!(monitor.tick_now());
    let asked = Instant::now();
    monitor.stop();
    assert!(
        asked.elapsed() < Duration::from_secs(30),
        "{:?}",
        asked.elapsed()
    );

    let monitor = memtrack::monitor::start(minute_config()).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let asked = Instant::now();
    drop(monitor);
    assert!(
        asked.elapsed() < Duration::from_secs(30),
        "{:?}",
        asked.elapsed()
    );
    assert!(!memtrack::monitor::is_running());
}

#[test]
fn tick_now_logs_one_snapshot_and_one_cache_stats_snapshot() {
    let _serial = serial();
    let logs = memtrack::logging::capture_global();
    logs.clear();
    let monitor = memtrack::monitor::start(minute_config()).unwrap();
    assert!(monitor.tick_now());
    assert_eq!(events("memory_snapshot").len(), 1);
    assert_eq!(events("cache_stats_snapshot").len(), 1);
    assert!(monitor.tick_now());
    assert_eq!(events("memory_snapshot").len(), 2);
    assert_eq!(events("cache_stats_snapshot").len(), 2);
    monitor.stop();
}

#[test]
fn a_hook_may_stop_the_monitor_from_inside_a_tick() {
    let _serial = serial();
    let slot: std::sync::Arc<Mutex<Option<memtrack::monitor::MonitorHandle>>> =
        std::sync::Arc::default();
    let in_hook = std::sync::Arc::clone(&slot);
    let _hook = memtrack::reclaim::register_hook("lifecycle-stop-from-hook", move || {
        if let Some(handle) = in_hook
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            handle.stop();
        }
    });
    // Every tick reclaims (growth of 0 MB is enough), so the hook runs in the
    // monitor thread and stops the monitor it belongs to.
    let config = Config::builder()
        .monitor_interval(Duration::from_millis(10))
        .reclaim_rss_growth_mb(0.0)
        .build()
        .unwrap();
    *slot.lock().unwrap() = Some(memtrack::monitor::start(config).unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    while memtrack::monitor::is_running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!memtrack::monitor::is_running());
    assert!(slot.lock().unwrap().is_none());
    drop(memtrack::monitor::start(minute_config()).unwrap());
}

#[test]
fn tick_now_from_inside_a_tick_answers_at_once_and_leaves_the_monitor_free() {
    let _serial = serial();
    let config = Config::builder()
        .monitor_interval(Duration::from_secs(3600))
        .reclaim_rss_growth_mb(0.0)
        .build()
        .unwrap();
    let monitor = std::sync::Arc::new(memtrack::monitor::start(config).unwrap());
    // Every tick reclaims, so the hook runs on the monitor thread, inside the tick,
    // and asks for another tick there.
    let (answered, answers) = std::sync::mpsc::channel();
    let in_hook = std::sync::Arc::downgrade(&monitor);
    let hook = memtrack::reclaim::register_hook("lifecycle-tick-from-hook", move || {
        if let Some(monitor) = in_hook.upgrade() {
            let _ = answered.send(monitor.tick_now());
        }
    });
    // The tick asked for here is served: the one asked for inside it did not hold
    // the monitor thread.
    assert!(monitor.tick_now());
    assert_eq!(answers.try_recv(), Ok(false));
    drop(hook);
    std::sync::Arc::try_unwrap(monitor)
        .unwrap_or_else(|_| panic!("the hook let go of the monitor"))
        .stop();
}
