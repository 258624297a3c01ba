//! Cache sizes in the logs: `cache_stats_snapshot` (the README's jq workflow),
//! `cache_at_capacity`, and the sizes carried by `memory_operation`. The monitor is
//! one per process and the capture is shared: the tests of this file run one at a
//! time.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use support::{events, minute_config, serial};

use memtrack::Config;
use serde_json::{Value, json};

#[test]
fn cache_stats_snapshot_lays_cache_names_out_flat() {
    let _serial = serial();
    memtrack::logging::capture_global().clear();
    let _a = memtrack::caches::register("zeroclick_client_cache", Some(50), || 12);
    let _b = memtrack::caches::register("clickhouse_buffer", Some(500), || 45);
    let _c = memtrack::caches::register("snapshot_broken_cache", None, || panic!("gone"));
    let monitor = memtrack::monitor::start(minute_config()).unwrap();
    assert!(monitor.tick_now());
    monitor.stop();

    let lines = events("cache_stats_snapshot");
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["level"], "info");
    assert_eq!(line["message"], "cache_stats_snapshot: 3 caches");
    assert_eq!(line["zeroclick_client_cache"], 12);
    assert_eq!(line["clickhouse_buffer"], 45);
    assert_eq!(
        line["snapshot_broken_cache"],
        json!({"error": "size function panicked: gone"})
    );
    assert_eq!(
        line["cache_max"],
        json!({"zeroclick_client_cache": 50, "clickhouse_buffer": 500})
    );
    assert_eq!(line["cache_count"], 3);
    assert!(line["active_operations"].is_u64());
    assert!(line["rss_mb"].as_f64().unwrap() > 0.0);

    // The memory snapshot of the same tick carries the sizes too; a size that could
    // not be read is an error text there.
    let snapshot = &events("memory_snapshot")[0];
    assert_eq!(snapshot["zeroclick_client_cache"], 12);
    assert_eq!(
        snapshot["snapshot_broken_cache"],
        "error: size function panicked: gone"
    );
}

#[test]
fn the_originals_jq_command_reads_the_snapshot() {
    let _serial = serial();
    let jq = Command::new("sh").args(["-c", "command -v jq"]).output();
    if !jq.is_ok_and(|o| o.status.success()) {
        eprintln!("jq is not installed: skipping");
        return;
    }
    memtrack::logging::capture_global().clear();
    let _a = memtrack::caches::register("zeroclick_client_cache", Some(50), || 12);
    let _b = memtrack::caches::register("clickhouse_buffer", Some(500), || 45);
    let _c = memtrack::caches::register("rate_limiter_ips", Some(10_000), || 1234);
    let _ = memtrack::caches::log_snapshot();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("memtrack-caches-jq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("logs.json");
    std::fs::write(&file, memtrack::logging::capture_global().contents()).unwrap();
    let out = Command::new("sh")
        .current_dir(&dir)
        .args([
            "-c",
            "grep \"cache_stats_snapshot\" logs.json | jq -c '{time: .timestamp, zc_clients: .zeroclick_client_cache, ch_buffer: .clickhouse_buffer, rate_ips: .rate_limiter_ips}'",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let answer: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(answer["zc_clients"], 12);
    assert_eq!(answer["ch_buffer"], 45);
    assert_eq!(answer["rate_ips"], 1234);
    assert!(answer["time"].as_str().unwrap().ends_with('Z'));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_full_cache_warns_once_until_it_drops_below_and_fills_again() {
    let _serial = serial();
    memtrack::logging::capture_global().clear();
    static SIZE: AtomicUsize = AtomicUsize::new(10);
    let _cache =
        memtrack::caches::register("capacity_cache", Some(50), || SIZE.load(Ordering::Relaxed));
    let monitor = memtrack::monitor::start(minute_config()).unwrap();
    let mut warnings_after_each_tick = Vec::new();
    for size in [10, 50, 50, 51, 49, 50] {
        SIZE.store(size, Ordering::Relaxed);
        assert!(monitor.tick_now());
        warnings_after_each_tick.push(events("cache_at_capacity").len());
    }
    monitor.stop();
    assert_eq!(warnings_after_each_tick, [0, 1, 1, 1, 1, 2]);
    let warning = &events("cache_at_capacity")[0];
    assert_eq!(warning["level"], "warn");
    assert_eq!(warning["cache"], "capacity_cache");
    assert_eq!(warning["size"], 50);
    assert_eq!(warning["max_size"], 50);
    assert_eq!(warning["message"], "cache_at_capacity: capacity_cache");
}

#[test]
fn operation_events_carry_every_cache_size_of_the_last_reading() {
    let _serial = serial();
    memtrack::logging::capture_global().clear();
    static SIZE: AtomicUsize = AtomicUsize::new(77);
    let _cache = memtrack::caches::register("operation_event_cache", None, || {
        SIZE.load(Ordering::Relaxed)
    });
    let gone = memtrack::caches::register("operation_event_gone_cache", None, || 1);
    // The last reading (a monitor tick takes one): ending an operation runs no
    // size function, so a size changed since shows at the next reading.
    let _ = memtrack::caches::all_stats();
    SIZE.store(78, Ordering::Relaxed);
    drop(gone);
    memtrack::config::set(
        Config::builder()
            .operation_time_threshold(Duration::ZERO)
            .build()
            .unwrap(),
    );
    memtrack::start("caches-snapshot-op").end();
    let ops: Vec<Value> = events("memory_operation")
        .into_iter()
        .filter(|l| l["op_name"] == "caches-snapshot-op")
        .collect();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0]["operation_event_cache"], 77);
    assert!(
        ops[0].get("operation_event_gone_cache").is_none(),
        "{}",
        ops[0]
    );
    memtrack::config::set(Config::default());
}
