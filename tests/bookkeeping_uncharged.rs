//! memtrack's own bookkeeping inside an operation (metadata storage, value
//! conversion, name interning, op ids, error text, events) is charged to no
//! operation: an operation is charged exactly what its own code allocates.
// These tests need counting; the `passthrough-alloc` build only forwards.
#![cfg(not(feature = "passthrough-alloc"))]

mod support;

use memtrack::memtrack;
use support::{assert_ended, log_everything, only_operation};

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

/// What the test itself allocates at the bottom of the nest.
const OWN_BYTES: usize = 4_096;

/// `depth` operations, each inside the previous one with one metadata key.
fn nest(depth: u32) -> Vec<u8> {
    if depth == 0 {
        return Vec::with_capacity(OWN_BYTES);
    }
    let op = memtrack::start("bookkeeping-inner");
    op.add_metadata("url_host", "news.example.com");
    let kept = op.in_scope(|| nest(depth - 1));
    op.end();
    kept
}

#[test]
fn a_hundred_nested_operations_with_metadata_cost_the_outer_one_nothing() {
    let _logs = log_everything();
    let outer = memtrack::start("bookkeeping-outer");
    let kept = outer.in_scope(|| nest(100));
    outer.end();
    let event = only_operation("bookkeeping-outer");
    assert_ended(&event, "bookkeeping-outer", "ok", None);
    assert_eq!(
        (
            event["alloc_bytes"].as_u64(),
            event["freed_bytes"].as_u64(),
            event["allocs"].as_u64(),
            event["net_bytes"].as_i64(),
        ),
        (
            Some(OWN_BYTES as u64),
            Some(0),
            Some(1),
            Some(OWN_BYTES as i64)
        ),
        "{event:#}"
    );
    drop(kept);
}

#[memtrack("bookkeeping-attribute", host = host, label = %host, debug = ?host)]
fn annotated(host: &str, fail: bool) -> Result<Vec<u8>, String> {
    memtrack::record!(stage = "parsed", host_again = %host);
    memtrack::checkpoint!("bookkeeping-step", detail = "a checkpoint field");
    let own = Vec::with_capacity(OWN_BYTES);
    if fail {
        // The error text is the function's own value; memtrack's copy of it is not.
        return Err(String::new());
    }
    Ok(own)
}

#[test]
fn metadata_checkpoints_and_error_text_of_the_attribute_cost_nothing() {
    let _logs = log_everything();
    let outer = memtrack::start("bookkeeping-attribute-outer");
    let kept = outer.in_scope(|| {
        let ok = annotated("news.example.com", false);
        let err = annotated("news.example.com", true);
        (ok, err)
    });
    outer.end();
    let event = only_operation("bookkeeping-attribute-outer");
    // Two blocks of the function's own, one of them freed on the error path.
    assert_eq!(
        (
            event["alloc_bytes"].as_u64(),
            event["freed_bytes"].as_u64(),
            event["allocs"].as_u64(),
        ),
        (Some(2 * OWN_BYTES as u64), Some(OWN_BYTES as u64), Some(2)),
        "{event:#}"
    );
    drop(kept);
    let _ = support::operations("bookkeeping-attribute");
    assert_ended(
        &support::operations("bookkeeping-attribute")[1],
        "bookkeeping-attribute",
        "err",
        Some(""),
    );
}

#[test]
fn readings_made_inside_an_operation_cost_it_nothing() {
    let _logs = log_everything();
    // Many names, so that the readings have plenty to allocate for.
    for i in 0..300 {
        memtrack::start(format!("bookkeeping-name-{i}")).end();
    }
    let op = memtrack::start("bookkeeping-reader");
    let kept = op.in_scope(|| {
        let health = memtrack::health::report();
        let held = memtrack::retained();
        let reading = memtrack::retained::reading();
        let operations = memtrack::export::operations();
        #[cfg(feature = "prometheus")]
        let text = (
            memtrack::export::prometheus::encode_text(),
            memtrack::export::prometheus::encode_openmetrics(),
        );
        #[cfg(not(feature = "prometheus"))]
        let text = ();
        (health, held, reading, operations, text)
    });
    op.end();
    assert!(kept.0.retained.as_ref().is_some_and(|r| !r.top.is_empty()));
    assert!(kept.3.len() > 300);
    let event = only_operation("bookkeeping-reader");
    assert_ended(&event, "bookkeeping-reader", "ok", None);
    assert_eq!(
        (
            event["alloc_bytes"].as_u64(),
            event["freed_bytes"].as_u64(),
            event["allocs"].as_u64(),
            event["retained_bytes"].as_u64(),
        ),
        (Some(0), Some(0), Some(0), Some(0)),
        "{event:#}"
    );
    drop(kept);
}
