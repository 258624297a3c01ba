//! The counting allocator installed as the global allocator: exact per-thread
//! figures. Tests in this file run in parallel, so process totals are only checked
//! for relations that hold whatever the other tests do (`alloc_process.rs` checks
//! them exactly, alone in its binary).
// These tests need counting; the `passthrough-alloc` build only forwards.
#![cfg(not(feature = "passthrough-alloc"))]

use std::sync::{Arc, Barrier};

use memtrack::alloc::{HeapStats, ThreadStats, heap_stats, registry_stats, thread_stats};

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

fn stats() -> ThreadStats {
    thread_stats().expect("the counting allocator is installed")
}

fn process() -> HeapStats {
    heap_stats().expect("the counting allocator is installed")
}

fn delta(before: ThreadStats, after: ThreadStats) -> (u64, u64, u64) {
    (
        after.allocated_bytes - before.allocated_bytes,
        after.freed_bytes - before.freed_bytes,
        after.allocs - before.allocs,
    )
}

fn assert_consistent(stats: HeapStats) {
    assert_eq!(
        stats.live_bytes,
        stats.allocated_bytes.saturating_sub(stats.freed_bytes)
    );
    assert!(stats.freed_bytes <= stats.allocated_bytes, "{stats:?}");
    assert!(stats.peak_bytes >= stats.live_bytes, "{stats:?}");
}

#[test]
fn the_allocator_reports_itself_installed() {
    assert!(memtrack::alloc::is_counting());
    assert_consistent(process());
}

#[test]
fn a_known_allocation_is_counted_exactly_on_its_thread() {
    let before = stats();
    let v: Vec<u8> = Vec::with_capacity(1_000_000);
    assert_eq!(delta(before, stats()), (1_000_000, 0, 1));
    assert!(process().allocated_bytes >= 1_000_000);
    drop(v);
    assert_eq!(delta(before, stats()), (1_000_000, 1_000_000, 1));
}

#[test]
fn realloc_counts_the_old_size_freed_and_the_new_size_allocated() {
    let mut v: Vec<u8> = Vec::with_capacity(100);
    let before = stats();
    v.reserve_exact(1000);
    assert_eq!(v.capacity(), 1000);
    assert_eq!(delta(before, stats()), (1000, 100, 1));
    v.extend_from_slice(&[7; 10]);
    v.shrink_to_fit();
    assert_eq!(v.capacity(), 10);
    assert_eq!(delta(before, stats()), (1010, 1100, 2));
    drop(v);
    assert_eq!(delta(before, stats()), (1010, 1110, 2));
}

#[test]
fn alloc_zeroed_is_counted_like_alloc() {
    let before = stats();
    let v = vec![0u64; 50_000];
    assert_eq!(delta(before, stats()), (400_000, 0, 1));
    assert!(v.iter().all(|&x| x == 0));
    drop(v);
    assert_eq!(delta(before, stats()), (400_000, 400_000, 1));
}

#[test]
fn memory_freed_on_another_thread_keeps_the_totals_right() {
    let before = stats();
    let v: Vec<u8> = Vec::with_capacity(200_000);
    assert_eq!(delta(before, stats()), (200_000, 0, 1));
    let freer = std::thread::spawn(move || {
        let start = stats();
        drop(v);
        let end = stats();
        (
            delta(start, end),
            end.allocated_bytes as i64 - end.freed_bytes as i64,
        )
    });
    let (moved, live_there) = freer.join().expect("thread ran");
    assert_eq!(moved, (0, 200_000, 0));
    // That thread freed more than it allocated; the process figures never go negative.
    assert!(live_there < 0, "{live_there}");
    assert_consistent(process());
}

#[test]
fn an_exited_thread_keeps_its_counts_in_the_totals() {
    let handle = std::thread::spawn(|| {
        let kept: &'static mut [u8] = Vec::leak(vec![1u8; 300_000]);
        let dropped: Vec<u8> = Vec::with_capacity(5000);
        drop(dropped);
        (kept.as_mut_ptr() as usize, stats())
    });
    let (kept, thread_total) = handle.join().expect("thread ran");
    assert!(thread_total.allocated_bytes >= 305_000);
    assert!(thread_total.freed_bytes >= 5000);
    let after = process();
    assert_consistent(after);
    assert!(after.allocated_bytes >= thread_total.allocated_bytes);
    assert!(after.live_bytes >= 300_000);
    // SAFETY: `kept` is the pointer of the 300_000-byte leaked vector above; it is
    // rebuilt exactly once, with its length and capacity.
    drop(unsafe { Vec::from_raw_parts(kept as *mut u8, 300_000, 300_000) });
}

#[test]
fn more_threads_than_slots_are_all_counted_exactly() {
    let capacity = registry_stats().capacity;
    let concurrent = capacity + 44;
    let barrier = Arc::new(Barrier::new(concurrent));
    let handles: Vec<_> = (0..concurrent)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            std::thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || {
                    let start = stats();
                    let v: Vec<u8> = Vec::with_capacity(1000 + i);
                    // All threads are alive at once: some have no slot.
                    barrier.wait();
                    let held = delta(start, stats());
                    drop(v);
                    (held, delta(start, stats()))
                })
                .expect("spawned")
        })
        .collect();
    for (i, handle) in handles.into_iter().enumerate() {
        let size = 1000 + i as u64;
        let (held, end) = handle.join().expect("thread ran");
        assert_eq!((held.0, held.2), (size, 1));
        assert_eq!((end.0, end.1 - held.1, end.2), (size, size, 1));
    }
    // Short-lived threads one after another reuse the slots of exited ones.
    for i in 0..(2 * capacity) {
        let v = std::thread::spawn(move || {
            let start = stats();
            drop(Vec::<u8>::with_capacity(64 + i));
            delta(start, stats())
        })
        .join()
        .expect("thread ran");
        assert_eq!(v, (64 + i as u64, 64 + i as u64, 1));
    }
    let registry = registry_stats();
    assert!(registry.slotless_threads >= (concurrent - capacity) as u64);
    assert!(registry.slots_in_use < capacity, "{registry:?}");
    assert_consistent(process());
}

#[test]
fn reset_peak_brings_the_peak_down_to_the_live_bytes() {
    let big: Vec<u8> = Vec::with_capacity(8 << 20);
    let high = process();
    assert!(high.peak_bytes >= high.live_bytes);
    drop(big);
    memtrack::alloc::reset_peak();
    let after = process();
    assert_consistent(after);
    assert!(after.peak_bytes >= after.live_bytes);
}
