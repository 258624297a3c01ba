//! The explicit tracker API: every end path, metadata truncation, checkpoints and
//! large allocation warnings, read back from the JSON log.

mod support;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use memtrack::{Outcome, Value};
use support::{events_of, log_everything, logs, only_operation, operations};

#[test]
fn end_logs_success_with_metadata_and_rss() {
    log_everything();
    let op = memtrack::start("explicit-ok");
    op.add_metadata("url_host", "example.com");
    op.add_metadata("html_bytes", 4096_u64);
    op.add_metadata("ratio", 0.5_f64);
    op.add_metadata("cached", false);
    op.end();

    let line = only_operation("explicit-ok");
    assert_eq!(line["event"], "memory_operation");
    assert_eq!(line["level"], "info");
    assert_eq!(line["target"], "memtrack");
    assert_eq!(line["message"], "memory_operation: explicit-ok");
    assert_eq!(line["success"], true);
    assert_eq!(line["ended_by"], "ok");
    assert_eq!(line["url_host"], "example.com");
    assert_eq!(line["html_bytes"], 4096);
    assert_eq!(line["ratio"], 0.5);
    assert_eq!(line["cached"], false);
    assert!(line.get("error").is_none());
    let id = line["op_id"].as_str().unwrap();
    assert!(
        id.strip_prefix("explicit-ok-")
            .unwrap()
            .parse::<u64>()
            .is_ok(),
        "{id}"
    );
    assert!(line["duration_ms"].as_f64().unwrap() >= 0.0);
    assert!(line["rss_start_mb"].as_f64().unwrap() > 0.0);
    assert!(line["rss_end_mb"].as_f64().unwrap() > 0.0);
    assert!(line["rss_delta_mb"].is_number());
    // No counting allocator in this test binary: heap figures are absent, not zero.
    for field in [
        "heap_start_mb",
        "heap_delta_mb",
        "alloc_bytes",
        "net_bytes",
        "peak_bytes",
    ] {
        assert!(line.get(field).is_none(), "{field} present: {line}");
    }
}

#[test]
fn end_with_error_captures_truncated_text() {
    log_everything();
    let op = memtrack::start("explicit-err");
    let long = format!("upstream said: {}", "é".repeat(300));
    op.end_with_error(&long);
    let line = only_operation("explicit-err");
    assert_eq!(line["success"], false);
    assert_eq!(line["ended_by"], "err");
    let expected: String = long.chars().take(100).chain(['…']).collect();
    assert_eq!(line["error"], expected.as_str());
}

#[test]
fn end_result_reads_ok_and_err() {
    log_everything();
    let ok = memtrack::start("explicit-result-ok");
    ok.end_result(&"7".parse::<u8>());
    let err = memtrack::start("explicit-result-err");
    err.end_result(&"x".parse::<u8>());
    assert_eq!(only_operation("explicit-result-ok")["ended_by"], "ok");
    let line = only_operation("explicit-result-err");
    assert_eq!(line["ended_by"], "err");
    assert_eq!(line["error"], "invalid digit found in string");
}

#[test]
fn dropped_tracker_is_recorded_as_dropped() {
    log_everything();
    drop(memtrack::start("explicit-dropped"));
    let line = only_operation("explicit-dropped");
    assert_eq!(line["ended_by"], "dropped");
    assert_eq!(line["success"], false);
}

#[test]
fn second_end_does_nothing() {
    log_everything();
    let op = memtrack::start("explicit-twice");
    op.end();
    op.end_with_error(&"late");
    op.add_metadata("after_end", 1_u8);
    drop(op);
    let line = only_operation("explicit-twice");
    assert_eq!(line["ended_by"], "ok");
    assert!(line.get("after_end").is_none());
}

#[test]
fn panic_inside_scope_ends_as_panic_and_continues() {
    log_everything();
    let op = memtrack::start("explicit-panic");
    let caught = catch_unwind(AssertUnwindSafe(|| {
        op.in_scope(|| panic!("parser blew up"))
    }));
    assert!(caught.is_err());
    assert!(op.is_ended());
    drop(op);
    let line = only_operation("explicit-panic");
    assert_eq!(line["ended_by"], "panic");
    assert_eq!(line["success"], false);
    // Panics are logged at warn (the panic hook's backtrace may also grow RSS enough
    // to make this a spike in a debug build; either event name is right).
    assert_eq!(line["level"], "warn");
}

#[test]
fn panic_unwinding_through_a_tracker_ends_it_as_panic() {
    log_everything();
    let caught = catch_unwind(|| {
        let _op = memtrack::start("explicit-unwind");
        panic!("handler failed");
    });
    assert!(caught.is_err());
    assert_eq!(only_operation("explicit-unwind")["ended_by"], "panic");
}

struct Exploding;
impl fmt::Display for Exploding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("partial ")?;
        panic!("Display impl panicked")
    }
}

struct Huge;
impl fmt::Display for Huge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for _ in 0..10_000_000 {
            f.write_str("0123456789")?;
        }
        Ok(())
    }
}

#[derive(Debug)]
#[allow(dead_code)]
struct DebugOnly {
    code: u16,
}

#[test]
fn hostile_errors_cannot_panic_or_grow_without_bound() {
    log_everything();
    memtrack::start("explicit-exploding").end_with_error(&Exploding);
    memtrack::start("explicit-huge").end_with_error(&Huge);
    memtrack::start("explicit-debug").end_with(Outcome::ErrDebug(&DebugOnly { code: 502 }));
    assert_eq!(
        only_operation("explicit-exploding")["error"],
        "partial <formatting panicked>"
    );
    let huge = only_operation("explicit-huge");
    assert_eq!(huge["error"].as_str().unwrap().chars().count(), 101);
    assert_eq!(
        only_operation("explicit-debug")["error"],
        "DebugOnly { code: 502 }"
    );
}

#[test]
fn metadata_is_truncated_and_bounded() {
    log_everything();
    let op = memtrack::start("explicit-metadata");
    op.add_metadata("client_ip", "1".repeat(250));
    for i in 0..40 {
        op.add_metadata(format!("k{i:02}"), i);
    }
    op.add_metadata("client_ip", "replaced");
    op.end();
    let line = only_operation("explicit-metadata");
    assert_eq!(line["client_ip"], "replaced");
    assert_eq!(line["k00"], 0);
    assert_eq!(line["k30"], 30);
    // 32 keys kept: client_ip and k00..k30; the other nine are counted.
    assert!(line.get("k31").is_none());
    assert_eq!(line["metadata_dropped"], 9);

    let op = memtrack::start("explicit-long-value");
    op.add_metadata("note", "x".repeat(250));
    op.add_metadata("value", Value::Str("y".repeat(150)));
    op.end();
    let line = only_operation("explicit-long-value");
    assert_eq!(line["note"], format!("{}…", "x".repeat(100)));
    assert_eq!(line["value"], format!("{}…", "y".repeat(100)));
}

#[test]
fn checkpoints_carry_name_elapsed_and_fields() {
    log_everything();
    let op = memtrack::start("explicit-checkpoint");
    op.add_metadata("source", "wayback");
    op.checkpoint("response-received");
    op.checkpoint_with("parsed", &[("nodes", &1200_u32)]);
    op.end();
    op.checkpoint("after-end");
    let cps = events_of("memory_checkpoint", "explicit-checkpoint");
    assert_eq!(cps.len(), 2, "{cps:#?}");
    assert_eq!(cps[0]["checkpoint"], "response-received");
    assert_eq!(cps[0]["source"], "wayback");
    assert!(cps[0]["elapsed_ms"].as_f64().unwrap() >= 0.0);
    assert!(cps[0]["rss_mb"].as_f64().unwrap() > 0.0);
    assert_eq!(cps[1]["checkpoint"], "parsed");
    assert_eq!(cps[1]["nodes"], 1200);
    assert_eq!(cps[1]["op_id"], cps[0]["op_id"]);
}

#[test]
fn large_allocation_warns_from_the_threshold() {
    log_everything();
    memtrack::large_allocation("explicit-small-buffer", 499_999, &[]);
    memtrack::large_allocation("explicit-big-buffer", 600_000, &[("source", &"smry-fast")]);
    let op = memtrack::start("explicit-large-in-op");
    op.in_scope(|| memtrack::large_allocation("explicit-op-buffer", 2 * 1024 * 1024, &[]));
    op.end();

    let lines = logs().events("large_allocation");
    let by_context = |c: &str| -> Vec<_> {
        lines
            .iter()
            .filter(|l| l["context"] == c)
            .cloned()
            .collect()
    };
    assert!(by_context("explicit-small-buffer").is_empty());
    let big = by_context("explicit-big-buffer");
    assert_eq!(big.len(), 1);
    assert_eq!(big[0]["level"], "warn");
    assert_eq!(big[0]["estimated_bytes"], 600_000);
    assert_eq!(big[0]["estimated_mb"], 0.57);
    assert_eq!(big[0]["source"], "smry-fast");
    assert!(big[0].get("op_name").is_none());
    let in_op = by_context("explicit-op-buffer");
    assert_eq!(in_op.len(), 1);
    assert_eq!(in_op[0]["op_name"], "explicit-large-in-op");
    assert_eq!(in_op[0]["estimated_mb"], 2.0);
    assert_eq!(
        in_op[0]["op_id"],
        only_operation("explicit-large-in-op")["op_id"]
    );
}

#[test]
fn nothing_is_logged_for_other_operations() {
    log_everything();
    memtrack::start("explicit-isolated").end();
    assert_eq!(operations("explicit-isolated").len(), 1);
    assert!(operations("explicit-never-started").is_empty());
}
