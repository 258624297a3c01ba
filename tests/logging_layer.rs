//! The JSON layer installed as the global subscriber (through `capture_global`),
//! fed real `tracing` events from several threads.
//!
//! Every test of this binary shares the global subscriber, so each one filters the
//! captured lines by an operation name of its own.

use memtrack::logging::{CaptureWriter, JsonLayer, LoggingError, capture_global, install};
use serde_json::{Value, json};

const THREADS: usize = 4;
const EVENTS_PER_THREAD: usize = 200;

fn lines_for(logs: &CaptureWriter, op_name: &str) -> Vec<Value> {
    logs.lines()
        .into_iter()
        .filter(|line| line["op_name"] == op_name)
        .collect()
}

fn without_timestamp(mut line: Value) -> Value {
    let timestamp = line
        .as_object_mut()
        .and_then(|object| object.remove("timestamp"))
        .expect("every line has a timestamp");
    let text = timestamp.as_str().expect("timestamp is a string");
    // 2026-11-27T08:01:02.345Z
    let bytes = text.as_bytes();
    assert_eq!(bytes.len(), 24, "{text}");
    assert_eq!(
        (
            bytes[4], bytes[7], bytes[10], bytes[13], bytes[16], bytes[19], bytes[23]
        ),
        (b'-', b'-', b'T', b':', b':', b'.', b'Z'),
        "{text}"
    );
    line
}

#[test]
fn events_from_many_threads_are_whole_flat_lines() {
    let logs = capture_global();
    let op_name = "layer-threads";
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            std::thread::spawn(move || {
                for i in 0..EVENTS_PER_THREAD {
                    let extra = format!(
                        "{{\"url_host\":\"host-{thread}.example.com\",\"zeroclick_client_cache\":{i},\"note\":\"quote \\\" newline \\n tab \\t\"}}"
                    );
                    tracing::event!(
                        target: "memtrack",
                        tracing::Level::INFO,
                        event = "memory_operation",
                        op_id = format!("{op_name}-{thread}-{i}").as_str(),
                        op_name,
                        thread = thread as u64,
                        seq = i as u64,
                        duration_ms = 1000_u64 + i as u64,
                        rss_delta_mb = -(i as i64),
                        heap_delta_mb = 0.5_f64,
                        success = i.is_multiple_of(2),
                        extra = extra.as_str(),
                        "memory_operation: {}", op_name
                    );
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("logging thread");
    }

    // Every line in the buffer (including other tests' lines) is a JSON object.
    for raw in logs.raw_lines() {
        let parsed: Value = serde_json::from_str(&raw).expect("a whole JSON line");
        assert!(parsed.is_object(), "{raw}");
    }

    let mine = lines_for(&logs, op_name);
    assert_eq!(mine.len(), THREADS * EVENTS_PER_THREAD);
    let mut seen = vec![vec![false; EVENTS_PER_THREAD]; THREADS];
    for line in mine {
        let thread = line["thread"].as_u64().expect("thread") as usize;
        let i = line["seq"].as_u64().expect("seq") as usize;
        assert!(!seen[thread][i], "duplicate line {thread}/{i}");
        seen[thread][i] = true;
        assert_eq!(
            without_timestamp(line),
            json!({
                "level": "info",
                "target": "memtrack",
                "event": "memory_operation",
                "message": "memory_operation: layer-threads",
                "op_id": format!("layer-threads-{thread}-{i}"),
                "op_name": "layer-threads",
                "thread": thread,
                "seq": i,
                "duration_ms": 1000 + i,
                "rss_delta_mb": -(i as i64),
                "heap_delta_mb": 0.5,
                "success": i.is_multiple_of(2),
                "url_host": format!("host-{thread}.example.com"),
                "zeroclick_client_cache": i,
                "note": "quote \" newline \n tab \t"
            })
        );
    }
    assert!(seen.iter().flatten().all(|seen| *seen));
}

#[test]
fn field_order_is_stable() {
    let logs = capture_global();
    tracing::warn!(
        target: "memtrack",
        event = "memory_spike_operation",
        op_name = "layer-order",
        rss_delta_mb = 80_i64,
        extra = r#"{"z_last":1,"a_first":2}"#,
        "memory_spike_operation: layer-order"
    );
    let raw: Vec<String> = logs
        .raw_lines()
        .into_iter()
        .filter(|line| line.contains("\"op_name\":\"layer-order\""))
        .collect();
    assert_eq!(raw.len(), 1);
    let line = &raw[0];
    let after_timestamp = &line[line.find("\"level\"").expect("level key")..];
    assert_eq!(
        after_timestamp,
        "\"level\":\"warn\",\"target\":\"memtrack\",\"event\":\"memory_spike_operation\",\"message\":\"memory_spike_operation: layer-order\",\"op_name\":\"layer-order\",\"rss_delta_mb\":80,\"z_last\":1,\"a_first\":2}"
    );
    assert!(line.starts_with("{\"timestamp\":\""));
}

#[test]
fn collisions_and_plain_extra() {
    let logs = capture_global();
    tracing::info!(
        target: "memtrack",
        event = "memory_checkpoint",
        op_name = "layer-collide",
        checkpoint = "parsed",
        extra = r#"{"checkpoint":"user value","op_name":"other","level":"x","custom":true}"#,
        "memory_checkpoint: layer-collide"
    );
    tracing::info!(
        target: "my_app",
        op_name = "layer-plain-extra",
        extra = "written by the application, not JSON",
        "application event"
    );
    let collide = lines_for(&logs, "layer-collide");
    assert_eq!(collide.len(), 1);
    assert_eq!(
        without_timestamp(collide[0].clone()),
        json!({
            "level": "info",
            "target": "memtrack",
            "event": "memory_checkpoint",
            "message": "memory_checkpoint: layer-collide",
            "op_name": "layer-collide",
            "checkpoint": "parsed",
            "extra_checkpoint": "user value",
            "extra_op_name": "other",
            "extra_level": "x",
            "custom": true
        })
    );
    let plain = lines_for(&logs, "layer-plain-extra");
    assert_eq!(plain.len(), 1);
    assert_eq!(
        without_timestamp(plain[0].clone()),
        json!({
            "level": "info",
            "target": "my_app",
            "message": "application event",
            "op_name": "layer-plain-extra",
            "extra": "written by the application, not JSON"
        })
    );
}

#[test]
fn capture_is_idempotent_and_owns_the_global_slot() {
    let first = capture_global();
    let second = capture_global();
    tracing::info!(op_name = "layer-idempotent", "once");
    assert_eq!(lines_for(&first, "layer-idempotent").len(), 1);
    assert_eq!(lines_for(&second, "layer-idempotent").len(), 1);
    assert!(memtrack::logging::try_capture_global().is_ok());
    assert!(matches!(
        install(JsonLayer::new(CaptureWriter::new())),
        Err(LoggingError::GlobalAlreadySet)
    ));
    assert!(matches!(
        memtrack::logging::init_json(),
        Err(LoggingError::GlobalAlreadySet)
    ));
}

#[test]
fn all_levels_are_captured() {
    let logs = capture_global();
    tracing::trace!(op_name = "layer-levels", "t");
    tracing::debug!(op_name = "layer-levels", "d");
    tracing::info!(op_name = "layer-levels", "i");
    tracing::warn!(op_name = "layer-levels", "w");
    tracing::error!(op_name = "layer-levels", "e");
    let levels: Vec<Value> = lines_for(&logs, "layer-levels")
        .into_iter()
        .map(|line| line["level"].clone())
        .collect();
    assert_eq!(
        levels,
        [
            json!("trace"),
            json!("debug"),
            json!("info"),
            json!("warn"),
            json!("error")
        ]
    );
}
