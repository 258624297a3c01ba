//! Shared helpers of the integration tests: a global JSON capture, a config that
//! logs every operation, and lookups by operation name.
#![allow(dead_code)]

pub mod promtool;
pub mod service;

use std::future::Future;
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};
use std::time::Duration;

use memtrack::logging::CaptureWriter;
use serde_json::Value;

/// The process-wide capture of every event, as memtrack's JSON formatter writes it.
pub fn logs() -> CaptureWriter {
    memtrack::logging::capture_global()
}

/// Makes every operation and checkpoint significant, so each end path is logged, and
/// never a spike, so each is logged as `memory_operation`. Returns the capture.
pub fn log_everything() -> CaptureWriter {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        memtrack::config::set(
            memtrack::Config::builder()
                .delta_threshold_mb(0.0)
                .checkpoint_delta_mb(0.0)
                .operation_time_threshold(Duration::ZERO)
                .spike_rss_mb(1_000_000.0)
                .spike_heap_mb(1_000_000.0)
                .build()
                .expect("valid config"),
        );
    });
    logs()
}

/// The operation events (`memory_operation` and `memory_spike_operation`) of `op_name`.
pub fn operations(op_name: &str) -> Vec<Value> {
    logs()
        .lines()
        .into_iter()
        .filter(|l| {
            matches!(
                l["event"].as_str(),
                Some("memory_operation" | "memory_spike_operation")
            ) && l["op_name"] == op_name
        })
        .collect()
}

/// The one operation event of `op_name`; fails unless there is exactly one.
pub fn only_operation(op_name: &str) -> Value {
    let mut ops = operations(op_name);
    assert_eq!(ops.len(), 1, "events of {op_name}: {ops:#?}");
    ops.remove(0)
}

/// Every event named `event` that belongs to `op_name`.
pub fn events_of(event: &str, op_name: &str) -> Vec<Value> {
    logs()
        .events(event)
        .into_iter()
        .filter(|l| l["op_name"] == op_name)
        .collect()
}

/// Every captured event named `name`.
pub fn events(name: &str) -> Vec<Value> {
    logs().events(name)
}

/// Asserts the fields every operation event has, and how it ended.
pub fn assert_ended(event: &Value, name: &str, ended_by: &str, error: Option<&str>) {
    assert_eq!(event["event"], "memory_operation", "{event:#}");
    assert_eq!(event["op_name"], name, "{event:#}");
    let id = event["op_id"].as_str().expect("op_id is a string");
    let number = id
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix('-'))
        .expect("op_id is <op_name>-<n>");
    assert!(number.parse::<u64>().is_ok_and(|n| n > 0), "op_id {id}");
    assert!(event["duration_ms"].is_number(), "{event:#}");
    assert_eq!(event["ended_by"], ended_by, "{event:#}");
    assert_eq!(event["success"], ended_by == "ok", "{event:#}");
    match error {
        Some(text) => assert_eq!(event["error"], text, "{event:#}"),
        None => assert!(event.get("error").is_none(), "{event:#}"),
    }
}

/// Serialises the tests of one binary that share a process-wide singleton (the
/// monitor): each holds the guard for its whole run.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A config whose monitor would not tick on its own during a test.
pub fn minute_config() -> memtrack::Config {
    memtrack::Config::builder()
        .monitor_interval(Duration::from_secs(60))
        .cache_stats_interval(Duration::from_secs(60))
        .build()
        .expect("valid config")
}

/// A future pending on its first poll (waking itself) and ready on the next: an
/// await point that suspends once.
#[derive(Debug, Default)]
pub struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
