//! Each shape of the attribute charges the operation exactly the heap its body
//! allocates: a sync fn, an `async fn` that awaits (its body polled as an inner
//! future) and one that never does (its body run as a closure in the first
//! poll), and a fn returning an `async` block.
// These tests need counting; the `passthrough-alloc` build only forwards.
#![cfg(not(feature = "passthrough-alloc"))]

mod support;

use std::future::{Future, ready};

use futures_executor::block_on;
use memtrack::memtrack;
use support::{assert_ended, log_everything, only_operation};

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

#[memtrack("charged-sync")]
fn sync_body(bytes: usize) -> Vec<u8> {
    Vec::with_capacity(bytes)
}

#[memtrack("charged-await-free")]
async fn await_free_body(bytes: usize) -> Vec<u8> {
    Vec::with_capacity(bytes)
}

#[memtrack("charged-awaiting")]
async fn awaiting_body(bytes: usize) -> Vec<u8> {
    let first: Vec<u8> = Vec::with_capacity(bytes / 2);
    ready(()).await;
    let mut second = Vec::with_capacity(bytes - bytes / 2);
    second.extend_from_slice(&first);
    second
}

#[memtrack("charged-future-block")]
fn future_block_body(bytes: usize) -> impl Future<Output = Vec<u8>> {
    // Runs at the call, before the operation starts.
    let untracked: Vec<u8> = Vec::with_capacity(bytes);
    async move {
        ready(()).await;
        let mut tracked = Vec::with_capacity(bytes);
        tracked.extend_from_slice(&untracked);
        tracked
    }
}

#[test]
fn every_shape_is_charged_exactly_its_body() {
    let _logs = log_everything();
    let kept = (
        sync_body(10_000),
        block_on(await_free_body(20_000)),
        block_on(awaiting_body(30_000)),
        block_on(future_block_body(40_000)),
    );
    // `allocated` bytes in `allocs` allocations, `held` of them still held at the end.
    let assert_charged = |name: &str, allocated: u64, allocs: u64, held: u64| {
        let event = only_operation(name);
        assert_ended(&event, name, "ok", None);
        assert_eq!(event["alloc_bytes"], allocated, "{event:#}");
        assert_eq!(event["allocs"], allocs, "{event:#}");
        assert_eq!(event["net_bytes"], held, "{event:#}");
        assert_eq!(event["freed_bytes"], allocated - held, "{event:#}");
    };
    assert_charged("charged-sync", 10_000, 1, 10_000);
    assert_charged("charged-await-free", 20_000, 1, 20_000);
    assert_charged("charged-awaiting", 30_000, 2, 15_000);
    // The buffer allocated at the call is freed inside the operation: the
    // figures net to zero.
    assert_charged("charged-future-block", 40_000, 1, 0);
    drop(kept);
}
