//! Shared helpers of the integration tests: a global JSON capture and lookups by
//! operation name.
#![allow(dead_code)]

use std::sync::Once;

use memtrack::logging::MemoryWriter;
use serde_json::Value;

/// The process-wide capture of every event, as memtrack's JSON formatter writes it.
pub fn logs() -> MemoryWriter {
    memtrack::logging::capture_global()
}

/// Makes every operation and checkpoint significant, so each end path is logged.
pub fn log_everything() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        memtrack::config::set(
            memtrack::Config::builder()
                .delta_threshold_mb(0.0)
                .checkpoint_delta_mb(0.0)
                .operation_time_threshold(std::time::Duration::ZERO)
                .build()
                .expect("valid config"),
        );
    });
    let _ = logs();
}

/// The operation events (`memory_operation` and `memory_spike_operation`) of `op_name`.
pub fn operations(op_name: &str) -> Vec<Value> {
    logs()
        .lines()
        .into_iter()
        .filter(|l| {
            (l["event"] == "memory_operation" || l["event"] == "memory_spike_operation")
                && l["op_name"] == op_name
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

/// Serialises the tests of one binary that share a process-wide singleton (the
/// monitor): each holds the guard for its whole run.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Every captured event named `name`.
pub fn events(name: &str) -> Vec<Value> {
    logs().events(name)
}

/// A config whose monitor would not tick on its own during a test.
pub fn minute_config() -> memtrack::Config {
    memtrack::Config::builder()
        .monitor_interval(std::time::Duration::from_secs(60))
        .cache_stats_interval(std::time::Duration::from_secs(60))
        .build()
        .expect("valid config")
}
