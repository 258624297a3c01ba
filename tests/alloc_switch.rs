//! The runtime switch: with counting off the allocator only forwards and the figures
//! are absent; back on, nothing allocated meanwhile was counted. One test, alone in
//! its binary (the switch is process-wide).
// These tests need counting; the `passthrough-alloc` build only forwards.
#![cfg(not(feature = "passthrough-alloc"))]

use memtrack::alloc::{
    Allocator, ThreadStats, heap_stats, is_counting, set_counting, thread_stats,
};

#[global_allocator]
static ALLOC: Allocator = Allocator::system();

#[test]
fn counting_can_be_switched_off_and_on() {
    assert!(is_counting());
    let switched = std::sync::Arc::new(std::sync::Barrier::new(2));
    let (to_main, from_thread) = std::sync::mpsc::channel();
    let before = thread_stats().expect("installed");

    Allocator::<std::alloc::System>::set_counting(false);
    assert!(!is_counting());
    assert_eq!(heap_stats(), None);
    assert_eq!(thread_stats(), None);
    drop(Vec::<u8>::with_capacity(10_000));
    // A thread that starts and allocates while counting is off...
    let thread_switched = std::sync::Arc::clone(&switched);
    let thread = std::thread::spawn(move || {
        drop(Vec::<u8>::with_capacity(5_000));
        thread_switched.wait();
        thread_switched.wait();
        // ...starts counting when it is switched back on.
        let start = thread_stats().expect("counting again");
        drop(Vec::<u8>::with_capacity(7_000));
        let end = thread_stats().expect("counting again");
        to_main
            .send((start, end.allocated_bytes - start.allocated_bytes))
            .expect("main is waiting");
    });

    switched.wait();
    set_counting(true);
    assert!(is_counting());
    assert_eq!(thread_stats(), Some(before));
    drop(Vec::<u8>::with_capacity(10_000));
    let after = thread_stats().expect("installed");
    assert_eq!(after.allocated_bytes - before.allocated_bytes, 10_000);
    assert_eq!(after.freed_bytes - before.freed_bytes, 10_000);
    assert_eq!(after.allocs - before.allocs, 1);

    switched.wait();
    let (thread_start, thread_allocated) = from_thread.recv().expect("thread answers");
    thread.join().expect("thread");
    assert_eq!(thread_allocated, 7_000);
    // Nothing of what it did while counting was off was counted.
    assert_eq!(thread_start, ThreadStats::default());
}
