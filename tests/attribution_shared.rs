//! A tracker shared between threads, and a tracker whose frames nest, are charged
//! every byte exactly once: frames closing on four threads at once sum exactly
//! (bytes and allocation counts agree), and `op.in_scope(|| op.in_scope(..))`
//! charges the inner bytes once.
// These tests need counting; the `passthrough-alloc` build only forwards.
#![cfg(not(feature = "passthrough-alloc"))]

mod support;

use std::hint::black_box;
use std::sync::{Arc, Barrier};

use serde_json::Value;
use support::{assert_ended, log_everything, only_operation};

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

const THREADS: u64 = 4;
const ROUNDS: u64 = 2_000;

/// The block size each thread allocates: distinct, so that a lost or misplaced
/// charge shows in the byte total as well as in the count.
fn size_of_thread(t: u64) -> u64 {
    1_000 + 24 * t
}

/// Allocates and frees exactly one block of `bytes`.
fn one_block(bytes: u64) {
    let block: Vec<u8> = Vec::with_capacity(usize::try_from(bytes).unwrap());
    black_box(&block);
}

fn assert_charged(event: &Value, allocated: u64, freed: u64, allocs: u64) {
    assert_eq!(
        (
            event["alloc_bytes"].as_u64(),
            event["freed_bytes"].as_u64(),
            event["allocs"].as_u64(),
        ),
        (Some(allocated), Some(freed), Some(allocs)),
        "{event:#}"
    );
}

#[test]
fn a_tracker_shared_by_four_threads_is_charged_every_byte_exactly() {
    let _logs = log_everything();
    let op = Arc::new(memtrack::start("shared-four-threads"));
    let start = Arc::new(Barrier::new(usize::try_from(THREADS).unwrap()));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let op = Arc::clone(&op);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..ROUNDS {
                    op.in_scope(|| one_block(size_of_thread(t)));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    op.end();

    let bytes: u64 = (0..THREADS).map(|t| size_of_thread(t) * ROUNDS).sum();
    let event = only_operation("shared-four-threads");
    assert_ended(&event, "shared-four-threads", "ok", None);
    assert_charged(&event, bytes, bytes, THREADS * ROUNDS);
    assert_eq!(event["net_bytes"], 0, "{event:#}");
}

#[test]
fn nested_frames_of_one_tracker_charge_each_byte_once() {
    let _logs = log_everything();
    let op = memtrack::start("reentrant-in-scope");
    let kept = op.in_scope(|| {
        let outer: Vec<u8> = Vec::with_capacity(100);
        let middle = op.in_scope(|| {
            let middle: Vec<u8> = Vec::with_capacity(1_000);
            let inner = op.in_scope(|| Vec::<u8>::with_capacity(10_000));
            (middle, inner)
        });
        (outer, middle)
    });
    op.end();
    let event = only_operation("reentrant-in-scope");
    assert_ended(&event, "reentrant-in-scope", "ok", None);
    assert_charged(&event, 11_100, 0, 3);
    assert_eq!(event["net_bytes"], 11_100, "{event:#}");
    drop(kept);
}

#[test]
fn a_tracker_reentered_under_another_operation_charges_each_byte_once() {
    let _logs = log_everything();
    let op = memtrack::start("reentrant-around-other");
    let other = memtrack::start("reentrant-the-other");
    op.in_scope(|| {
        one_block(500);
        other.in_scope(|| {
            one_block(3_000);
            op.in_scope(|| one_block(20_000));
        });
    });
    other.end();
    op.end();
    // `op` is charged once for every byte, the ones it ran inside `other` included;
    // `other` is charged inclusively for what ran inside it.
    assert_charged(&only_operation("reentrant-around-other"), 23_500, 23_500, 3);
    assert_charged(&only_operation("reentrant-the-other"), 23_000, 23_000, 2);
}
