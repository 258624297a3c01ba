//! The runtime switch: with counting off the allocator only forwards and the figures
//! are absent; back on, nothing allocated meanwhile was counted. One test, alone in
//! its binary (the switch is process-wide).
// These tests need counting; the `passthrough-alloc` build only forwards.
#![cfg(not(feature = "passthrough-alloc"))]

use memtrack::alloc::{Allocator, heap_stats, is_counting, set_counting, thread_stats};

#[global_allocator]
static ALLOC: Allocator = Allocator::system();

#[test]
fn counting_can_be_switched_off_and_on() {
    assert!(is_counting());
    let before = thread_stats().expect("installed");

    Allocator::<std::alloc::System>::set_counting(false);
    assert!(!is_counting());
    assert_eq!(heap_stats(), None);
    assert_eq!(thread_stats(), None);
    drop(Vec::<u8>::with_capacity(10_000));

    set_counting(true);
    assert!(is_counting());
    assert_eq!(thread_stats(), Some(before));
    drop(Vec::<u8>::with_capacity(10_000));
    let after = thread_stats().expect("installed");
    assert_eq!(after.allocated_bytes - before.allocated_bytes, 10_000);
    assert_eq!(after.freed_bytes - before.freed_bytes, 10_000);
    assert_eq!(after.allocs - before.allocs, 1);
}
