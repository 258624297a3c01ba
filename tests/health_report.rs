//! The health report's JSON shape and status, without the counting allocator (heap
//! figures from glibc's `mallinfo2` where available).

use memtrack::Config;
use memtrack::health::{HealthStatus, report_with};
use serde_json::Value;

#[test]
fn an_ok_report_has_the_originals_shape() {
    let _cache = memtrack::caches::register("health_shape_cache", Some(200), || 5);
    let op = memtrack::start("health-shape-op");
    let report = report_with(&Config::default());
    op.end();
    assert_eq!(report.status, HealthStatus::Ok);
    assert_eq!(report.http_status(), 200);
    assert!(report.reason.is_none());

    let json: Value = serde_json::from_str(&report.to_json()).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["caches", "memory", "status", "timestamp"]);
    assert_eq!(json["status"], "ok");
    let memory: Vec<&str> = json["memory"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(memory, ["heapTotalMb", "heapUsedMb", "rssMb"]);
    assert!(json["memory"]["rssMb"].as_f64().unwrap() > 0.0);
    assert_eq!(json["caches"]["health_shape_cache"], 5);
    assert!(json["caches"]["active_operations"].as_u64().unwrap() >= 1);

    let ts = json["timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), "2026-11-27T08:01:02.345Z".len());
    assert_eq!(
        (&ts[4..5], &ts[10..11], &ts[19..20], &ts[23..]),
        ("-", "T", ".", "Z")
    );
    assert!(ts.as_bytes()[..4].iter().all(u8::is_ascii_digit));
}

#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn without_the_counting_allocator_glibc_gives_the_heap_figures() {
    let report = report_with(&Config::default());
    let used = report
        .memory
        .heap_used_mb
        .expect("mallinfo2 on glibc 2.33+");
    let total = report
        .memory
        .heap_total_mb
        .expect("mallinfo2 on glibc 2.33+");
    assert!(used > 0.0);
    assert!(total >= used);
}

#[test]
fn above_the_threshold_the_report_is_unhealthy_with_a_reason() {
    let config = Config::builder().unhealthy_rss_mb(1.0).build().unwrap();
    let report = report_with(&config);
    assert_eq!(report.status, HealthStatus::Unhealthy);
    assert_eq!(report.http_status(), 503);
    assert!(!report.is_healthy());
    let rss = report.memory.rss_mb.unwrap();
    assert_eq!(
        report.reason.as_deref(),
        Some(format!("rss {rss} MB is above the unhealthy threshold of 1 MB").as_str())
    );
    let json: Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["status"], "unhealthy");
    assert_eq!(json["reason"], report.reason.clone().unwrap());
}

#[test]
fn the_threshold_is_exclusive() {
    let rss = memtrack::process::rss_bytes().unwrap() as f64 / (1024.0 * 1024.0);
    let far_above = Config::builder()
        .unhealthy_rss_mb(rss + 10_000.0)
        .build()
        .unwrap();
    assert_eq!(report_with(&far_above).http_status(), 200);
}
