//! The Prometheus exposition: exact figures per operation name, the documented
//! buckets, caches, alerts, reclaims and process figures, escaping, both text
//! formats, and `promtool check metrics` on the output when promtool is installed.
#![cfg(all(feature = "prometheus", not(feature = "passthrough-alloc")))]

mod support;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

use memtrack::export::prometheus::{self, prometheus_client::registry::Registry};
use memtrack::memtrack;
use support::YieldOnce;

#[global_allocator]
static ALLOC: memtrack::Allocator = memtrack::Allocator::system();

/// memtrack's exposition, with the histograms on before anything runs.
fn exposition() -> String {
    prometheus::encode_text()
}

/// The exposition's line for `series` (a name with its labels), as `value`.
fn value_of(text: &str, series: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ').map(str::to_owned))
}

fn assert_series(text: &str, series: &str, expected: &str) {
    assert_eq!(
        value_of(text, series).as_deref(),
        Some(expected),
        "{series} in:\n{}",
        text.lines()
            .filter(|l| l.contains(series.split('{').next().unwrap()))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[memtrack("prom-ends-ok")]
fn ends_ok() {}

#[memtrack("prom-ends-err")]
fn ends_err() -> Result<(), String> {
    Err("refused".into())
}

#[memtrack("prom-ends-panic")]
fn ends_panic() {
    panic!("planted panic");
}

#[memtrack("prom-ends-cancelled")]
async fn ends_cancelled() {
    YieldOnce::default().await;
}

#[test]
fn operations_are_counted_by_how_they_ended() {
    memtrack::export::enable_histograms();
    ends_ok();
    ends_ok();
    let _ = ends_err();
    let _ = std::panic::catch_unwind(ends_panic);
    {
        let mut future = pin!(ends_cancelled());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut cx).is_pending());
    }
    drop(memtrack::start("prom-ends-dropped"));

    let text = exposition();
    for (name, counts) in [
        ("prom-ends-ok", [2, 0, 0, 0, 0]),
        ("prom-ends-err", [0, 1, 0, 0, 0]),
        ("prom-ends-panic", [0, 0, 1, 0, 0]),
        ("prom-ends-cancelled", [0, 0, 0, 1, 0]),
        ("prom-ends-dropped", [0, 0, 0, 0, 1]),
    ] {
        let started: u64 = counts.iter().sum();
        assert_series(
            &text,
            &format!("memtrack_operations_started_total{{operation=\"{name}\"}}"),
            &started.to_string(),
        );
        assert_series(
            &text,
            &format!("memtrack_operations_active{{operation=\"{name}\"}}"),
            "0",
        );
        for (by, count) in ["ok", "err", "panic", "cancelled", "dropped"]
            .iter()
            .zip(counts)
        {
            assert_series(
                &text,
                &format!(
                    "memtrack_operations_ended_total{{operation=\"{name}\",ended_by=\"{by}\"}}"
                ),
                &count.to_string(),
            );
        }
        assert_series(
            &text,
            &format!("memtrack_operation_duration_seconds_count{{operation=\"{name}\"}}"),
            &started.to_string(),
        );
    }
}

#[memtrack("prom-allocates")]
fn allocates(bytes: usize) -> Vec<u8> {
    Vec::with_capacity(bytes)
}

#[test]
fn heap_figures_are_exact_and_the_peak_lands_in_its_bucket() {
    memtrack::export::enable_histograms();
    let kept = allocates(100_000);
    drop(allocates(3_000));
    let text = exposition();
    let series = |metric: &str| format!("{metric}{{operation=\"prom-allocates\"}}");
    assert_series(
        &text,
        &series("memtrack_operation_allocated_bytes_total"),
        "103000",
    );
    assert_series(&text, &series("memtrack_operation_allocations_total"), "2");
    assert_series(&text, &series("memtrack_operation_freed_bytes_total"), "0");
    // The block still held, exactly (no small block was allocated by it).
    assert_series(
        &text,
        &series("memtrack_operation_retained_bytes"),
        "100000",
    );
    // Peaks of 3,000 (le 4096) and 100,000 (le 262144) bytes, cumulative.
    let bucket = |le: &str| {
        format!("memtrack_operation_peak_bytes_bucket{{operation=\"prom-allocates\",le=\"{le}\"}}")
    };
    assert_series(&text, &bucket("1024"), "0");
    assert_series(&text, &bucket("4096"), "1");
    assert_series(&text, &bucket("65536"), "1");
    assert_series(&text, &bucket("262144"), "2");
    assert_series(&text, &bucket("+Inf"), "2");
    assert_series(
        &text,
        &series("memtrack_operation_peak_bytes_sum"),
        "103000.0",
    );
    assert_series(&text, &series("memtrack_operation_peak_bytes_count"), "2");
    drop(kept);
}

#[memtrack("prom-bucketed")]
fn bucketed() {}

#[test]
fn histograms_have_the_documented_buckets() {
    memtrack::export::enable_histograms();
    bucketed();
    let text = exposition();
    let les: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.starts_with("memtrack_operation_duration_seconds_bucket{operation=\"prom-bucketed\"")
        })
        .map(|l| l.split("le=\"").nth(1).unwrap().split('"').next().unwrap())
        .collect();
    assert_eq!(
        les,
        [
            "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
            "5", "10", "30", "60", "+Inf"
        ]
    );
    assert!(text.contains("# TYPE memtrack_operation_duration_seconds histogram\n"));
    assert!(text.contains("# TYPE memtrack_operation_peak_bytes histogram\n"));
}

#[test]
fn caches_alerts_reclaims_and_process_figures_are_exposed() {
    memtrack::caches::register("prom_cache", Some(10), || 4).forget();
    memtrack::caches::register("prom_unbounded", None, || 7).forget();
    memtrack::reclaim::run();
    let text = exposition();
    assert_series(&text, "memtrack_cache_entries{cache=\"prom_cache\"}", "4");
    assert_series(&text, "memtrack_cache_capacity{cache=\"prom_cache\"}", "10");
    assert_series(
        &text,
        "memtrack_cache_entries{cache=\"prom_unbounded\"}",
        "7",
    );
    assert_eq!(
        value_of(&text, "memtrack_cache_capacity{cache=\"prom_unbounded\"}"),
        None
    );
    for event in [
        "critical_rss_spike",
        "critical_memory_exceeded",
        "memory_growth_detected",
        "memory_leak_suspect",
        "cache_at_capacity",
    ] {
        let series = format!("memtrack_alerts_total{{event=\"{event}\"}}");
        assert!(value_of(&text, &series).is_some(), "{series}");
    }
    let runs: u64 = value_of(&text, "memtrack_reclaims_total")
        .unwrap()
        .parse()
        .unwrap();
    assert!(runs >= 1);
    assert!(value_of(&text, "memtrack_reclaim_freed_bytes_total").is_some());
    assert!(value_of(&text, "memtrack_reclaim_duration_seconds_total").is_some());
    let rss: u64 = value_of(&text, "memtrack_process_resident_memory_bytes")
        .unwrap()
        .parse()
        .unwrap();
    assert!(rss > 0);
    assert!(value_of(&text, "memtrack_process_heap_used_bytes").is_some());
    assert!(value_of(&text, "memtrack_process_heap_total_bytes").is_some());
    assert_series(&text, "memtrack_rss_critical_threshold_bytes", "1572864000");
    assert_series(
        &text,
        "memtrack_rss_unhealthy_threshold_bytes",
        "1572864000",
    );
}

#[test]
fn names_with_quotes_and_newlines_are_escaped() {
    memtrack::start("prom \"quoted\"\nname\\").end();
    let text = exposition();
    assert_series(
        &text,
        "memtrack_operations_started_total{operation=\"prom \\\"quoted\\\"\\nname\\\\\"}",
        "1",
    );
}

#[test]
fn a_user_registry_and_openmetrics_carry_the_same_figures() {
    memtrack::start("prom-registry-op").end();
    let mut registry = Registry::default();
    prometheus::register(&mut registry);
    let mut om = String::new();
    prometheus::prometheus_client::encoding::text::encode(&mut om, &registry).unwrap();
    assert!(om.ends_with("# EOF\n"));
    assert!(om.contains("# TYPE memtrack_operations_started counter\n"));
    assert!(om.contains("memtrack_operations_started_total{operation=\"prom-registry-op\"} 1\n"));
    assert!(om.contains("# UNIT memtrack_operation_duration_seconds seconds\n"));

    let negotiated = prometheus::render(Some("application/openmetrics-text;version=1.0.0"));
    assert_eq!(
        negotiated.content_type,
        prometheus::OPENMETRICS_CONTENT_TYPE
    );
    assert!(negotiated.body.ends_with("# EOF\n"));
    let plain = prometheus::render(Some("text/plain"));
    assert_eq!(
        plain.content_type,
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(!plain.body.contains("# EOF"));
}

#[test]
fn promtool_accepts_the_exposition() {
    memtrack::export::enable_histograms();
    bucketed();
    memtrack::start("prom-lint-op").end();
    memtrack::caches::register("prom_lint_cache", Some(3), || 1).forget();
    let text = exposition();
    if let Ok(path) = std::env::var("MEMTRACK_DUMP_EXPOSITION") {
        std::fs::write(path, &text).unwrap();
    }
    if !support::promtool::check_metrics(&text) {
        eprintln!("skipped: promtool is not installed (apt-get install prometheus)");
    }
}

#[test]
fn an_alert_the_monitor_raises_is_counted_once() {
    memtrack::caches::register("prom_full_cache", Some(2), || 2).forget();
    let config = memtrack::Config::builder()
        .monitor_interval(std::time::Duration::from_millis(50))
        .cache_stats_interval(std::time::Duration::from_millis(50))
        .build()
        .unwrap();
    let monitor = memtrack::monitor::start(config).expect("the only monitor of this test binary");
    let series = "memtrack_alerts_total{event=\"cache_at_capacity\"}";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while value_of(&exposition(), series).as_deref() != Some("1") {
        assert!(
            std::time::Instant::now() < deadline,
            "no cache_at_capacity counted"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // The cache stays full: the alert is not raised again.
    std::thread::sleep(std::time::Duration::from_millis(200));
    monitor.stop();
    assert_series(&exposition(), series, "1");
}
