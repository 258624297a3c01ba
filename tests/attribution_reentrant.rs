//! An operation whose frame is opened again inside itself
//! (`op.in_scope(|| op.in_scope(..))`) is charged each byte once, and what its
//! innermost frame reports (a checkpoint) includes the enclosing frame's bytes.

mod support;

use std::hint::black_box;

use support::{events_of, log_everything, only_operation};

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

#[test]
fn nested_frames_of_one_operation_charge_once_and_checkpoints_see_them_all() {
    let _logs = log_everything();
    let op = memtrack::start("reentrant-op");
    let kept = op.in_scope(|| {
        let outer = black_box(vec![1_u8; 4000]);
        let inner = op.in_scope(|| {
            let inner = black_box(vec![2_u8; 6000]);
            op.in_scope(|| memtrack::checkpoint!("deepest"));
            inner
        });
        (outer, inner)
    });
    op.end();
    let event = only_operation("reentrant-op");
    assert_eq!(event["alloc_bytes"], 10_000, "{event}");
    assert_eq!(event["allocs"], 2, "{event}");
    assert_eq!(event["retained_bytes"], 10_000, "{event}");
    let checkpoints = events_of("memory_checkpoint", "reentrant-op");
    assert_eq!(checkpoints.len(), 1);
    assert_eq!(checkpoints[0]["alloc_bytes"], 10_000, "{}", checkpoints[0]);
    drop(kept);
}
