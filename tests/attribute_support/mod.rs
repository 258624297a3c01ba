//! Shared by the `attribute_*` tests: capture the JSON logs, log every operation,
//! and read one operation's event back.
#![allow(dead_code)]

use std::sync::Once;
use std::time::Duration;

use memtrack::logging::MemoryWriter;
use serde_json::Value;

/// Installs the global JSON capture and a config that logs every operation.
pub fn setup() -> MemoryWriter {
    static CONFIG: Once = Once::new();
    CONFIG.call_once(|| {
        let config = memtrack::Config::builder()
            .delta_threshold_mb(0.0)
            .operation_time_threshold(Duration::ZERO)
            .spike_rss_mb(1_000_000.0)
            .spike_heap_mb(1_000_000.0)
            .checkpoint_delta_mb(0.0)
            .build()
            .expect("valid test config");
        memtrack::config::set(config);
    });
    memtrack::logging::capture_global()
}

/// The operation events (`memory_operation` or `memory_spike_operation`) of the
/// operation named `name`.
pub fn operations(logs: &MemoryWriter, name: &str) -> Vec<Value> {
    logs.lines()
        .into_iter()
        .filter(|line| {
            matches!(
                line["event"].as_str(),
                Some("memory_operation" | "memory_spike_operation")
            ) && line["op_name"] == name
        })
        .collect()
}

/// The single operation event of `name`.
pub fn operation(logs: &MemoryWriter, name: &str) -> Value {
    let events = operations(logs, name);
    assert_eq!(events.len(), 1, "operation events of {name}: {events:#?}");
    events.into_iter().next().expect("one event")
}

/// The events `event` that belong to the operation named `name`.
pub fn events_of(logs: &MemoryWriter, event: &str, name: &str) -> Vec<Value> {
    logs.events(event)
        .into_iter()
        .filter(|line| line["op_name"] == name)
        .collect()
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
