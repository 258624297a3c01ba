//! Unit tests: the allocator is driven by hand (it is not this binary's global
//! allocator), so every count below comes from the calls the tests make. Tests that
//! make direct calls hold the `test_lock`, so the exact process deltas are not disturbed.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::{Arc, Barrier};

use super::counters::Counts;
use super::registry::SLOT_COUNT;
use super::stats::raw_heap_stats;
use super::test_lock::serial;
use super::thread_slot::{peak_end, raw_peak_begin, raw_thread_counters, without_peak};
use super::{Allocator, PEAK_GRANULARITY, registry_stats};

pub(super) static ALLOC: Allocator = Allocator::system();

/// Waits until the only slot in use is the calling thread's: threads of tests that
/// already returned may still be exiting (releasing their slots) for a moment.
fn settle_slots() {
    free(alloc(8), 8);
    for _ in 0..5000 {
        if registry_stats().slots_in_use == 1 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("slots still in use: {:?}", registry_stats());
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).expect("valid layout")
}

fn alloc(size: usize) -> *mut u8 {
    // SAFETY: the layout has a non-zero size.
    let ptr = unsafe { ALLOC.alloc(layout(size)) };
    assert!(!ptr.is_null());
    ptr
}

fn free(ptr: *mut u8, size: usize) {
    // SAFETY: `ptr` came from `alloc(size)` (or a realloc to `size`) on `ALLOC`.
    unsafe { ALLOC.dealloc(ptr, layout(size)) }
}

/// A block allocated by hand, handed from one thread to another.
struct Block(*mut u8);

// SAFETY: the block is plain heap memory, used by one thread at a time (whichever
// holds the `Block`).
unsafe impl Send for Block {}

impl Block {
    /// The block's address (a method, so a closure captures the whole `Block`).
    fn into_raw(self) -> *mut u8 {
        self.0
    }
}

fn delta(before: Counts, after: Counts) -> (u64, u64, u64) {
    (
        after.allocated - before.allocated,
        after.freed - before.freed,
        after.allocs - before.allocs,
    )
}

#[test]
fn counting_is_not_reported_when_not_installed() {
    let _serial = serial();
    assert_eq!(super::heap_stats(), None);
    assert_eq!(super::thread_stats(), None);
    assert!(!super::is_counting());
    assert_eq!(super::thread_counters(), None);
    assert!(super::frame_begin().is_none());
}

#[test]
fn alloc_and_dealloc_are_counted_on_the_calling_thread() {
    let _serial = serial();
    let before = raw_thread_counters();
    let ptr = alloc(1000);
    assert_eq!(delta(before, raw_thread_counters()), (1000, 0, 1));
    free(ptr, 1000);
    assert_eq!(delta(before, raw_thread_counters()), (1000, 1000, 1));
}

#[test]
fn alloc_zeroed_returns_zeroed_memory_and_is_counted() {
    let _serial = serial();
    let before = raw_thread_counters();
    // SAFETY: non-zero size.
    let ptr = unsafe { ALLOC.alloc_zeroed(layout(4096)) };
    assert!(!ptr.is_null());
    // SAFETY: `ptr` points to 4096 initialised (zeroed) bytes.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, 4096) };
    assert!(bytes.iter().all(|&b| b == 0));
    assert_eq!(delta(before, raw_thread_counters()), (4096, 0, 1));
    free(ptr, 4096);
    assert_eq!(delta(before, raw_thread_counters()), (4096, 4096, 1));
}

#[test]
fn realloc_counts_free_old_and_alloc_new_and_keeps_the_data() {
    let _serial = serial();
    let before = raw_thread_counters();
    let ptr = alloc(64);
    // SAFETY: `ptr` is valid for 64 bytes.
    unsafe { std::ptr::write_bytes(ptr, 0xAB, 64) };
    // SAFETY: `ptr` was allocated by `ALLOC` with `layout(64)`; new size non-zero.
    let grown = unsafe { ALLOC.realloc(ptr, layout(64), 10_000) };
    assert!(!grown.is_null());
    // SAFETY: the first 64 bytes were copied by realloc.
    assert!(
        unsafe { std::slice::from_raw_parts(grown, 64) }
            .iter()
            .all(|&b| b == 0xAB)
    );
    assert_eq!(delta(before, raw_thread_counters()), (64 + 10_000, 64, 2));
    // SAFETY: `grown` was allocated by `ALLOC` with `layout(10_000)`.
    let shrunk = unsafe { ALLOC.realloc(grown, layout(10_000), 16) };
    assert!(!shrunk.is_null());
    assert_eq!(
        delta(before, raw_thread_counters()),
        (64 + 10_000 + 16, 64 + 10_000, 3)
    );
    free(shrunk, 16);
    let (allocated, freed, allocs) = delta(before, raw_thread_counters());
    assert_eq!((allocated, allocated - freed, allocs), (10_080, 0, 3));
}

/// An inner allocator that always fails.
struct Failing;

// SAFETY: never hands out memory, so there is nothing to misuse.
unsafe impl GlobalAlloc for Failing {
    unsafe fn alloc(&self, _layout: Layout) -> *mut u8 {
        std::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
    unsafe fn realloc(&self, _ptr: *mut u8, _layout: Layout, _new_size: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
}

#[test]
fn failed_allocations_of_tagged_blocks_and_reallocations_are_not_counted() {
    let _serial = serial();
    let failing = Allocator::new(Failing);
    let before = raw_thread_counters();
    // SAFETY: non-zero sizes; the failing allocator never returns memory.
    unsafe {
        assert!(failing.alloc(layout(5000)).is_null());
        assert!(failing.alloc_zeroed(layout(5000)).is_null());
        let mut dummy = [0u64; 2];
        let ptr = dummy.as_mut_ptr().cast::<u8>();
        assert!(failing.realloc(ptr, layout(8), 5000).is_null());
    }
    assert_eq!(delta(before, raw_thread_counters()), (0, 0, 0));
    let _inner: &Failing = failing.inner();
}

#[test]
fn failed_small_allocations_stay_counted() {
    // The fast path counts first and hands over to the inner allocator with a tail
    // call; when that fails the system is out of memory, and the count stays.
    let _serial = serial();
    let failing = Allocator::new(Failing);
    let before = raw_thread_counters();
    let mut dummy = [0u64; 2];
    let ptr = dummy.as_mut_ptr().cast::<u8>();
    // SAFETY: non-zero sizes; nothing is returned or freed.
    unsafe {
        assert!(failing.alloc(layout(10)).is_null());
        assert!(failing.realloc(ptr, layout(8), 100).is_null());
    }
    assert_eq!(delta(before, raw_thread_counters()), (110, 8, 2));
}

#[test]
fn memory_freed_on_another_thread_is_counted_there() {
    let _serial = serial();
    let before = raw_heap_stats();
    let ptr = Block(alloc(5000));
    let freer = std::thread::spawn(move || {
        let start = raw_thread_counters();
        free(ptr.into_raw(), 5000);
        let end = raw_thread_counters();
        (delta(start, end), end.allocated as i64 - end.freed as i64)
    });
    let (freed_there, live_there) = freer.join().expect("thread ran");
    assert_eq!(freed_there, (0, 5000, 0));
    assert_eq!(live_there, -5000);
    let after = raw_heap_stats();
    assert_eq!(after.allocated_bytes - before.allocated_bytes, 5000);
    assert_eq!(after.freed_bytes - before.freed_bytes, 5000);
    assert_eq!(after.live_bytes, before.live_bytes);
}

/// Another thread's reading of the process totals sees a live thread's small
/// allocations exactly, between two of that thread's checks, while it is alive and
/// idle (a design that deferred counting to the checks would have to keep this).
#[test]
fn a_live_threads_small_allocations_are_in_the_process_totals_between_its_checks() {
    let _serial = serial();
    let before = raw_heap_stats();
    let (allocated, go_on) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let worker = {
        let (allocated, go_on) = (Arc::clone(&allocated), Arc::clone(&go_on));
        std::thread::spawn(move || {
            // The first allocation claims the slot; the next ten are far under one
            // budget, so no check runs for them.
            let first = alloc(16);
            let blocks: Vec<Block> = (0..10).map(|_| Block(alloc(40))).collect();
            allocated.wait();
            go_on.wait();
            free(first, 16);
            for block in blocks {
                free(block.into_raw(), 40);
            }
        })
    };
    allocated.wait();
    let during = raw_heap_stats();
    assert_eq!(during.allocated_bytes - before.allocated_bytes, 16 + 400);
    assert_eq!(during.allocs - before.allocs, 11);
    assert_eq!(during.live_bytes - before.live_bytes, 416);
    go_on.wait();
    worker.join().expect("thread ran");
    let after = raw_heap_stats();
    assert_eq!(after.allocs - before.allocs, 11);
    assert_eq!(after.freed_bytes - before.freed_bytes, 416);
    assert_eq!(after.live_bytes, before.live_bytes);
}

#[test]
fn an_exited_thread_is_folded_and_its_slot_released() {
    let _serial = serial();
    settle_slots();
    let before = raw_heap_stats();
    let in_use = registry_stats().slots_in_use;
    let kept = std::thread::spawn(move || {
        let kept = alloc(3000);
        let freed = alloc(700);
        free(freed, 700);
        assert_eq!(registry_stats().slots_in_use, in_use + 1);
        Block(kept)
    })
    .join()
    .expect("thread ran");
    assert_eq!(registry_stats().slots_in_use, in_use);
    let after = raw_heap_stats();
    assert_eq!(after.allocated_bytes - before.allocated_bytes, 3700);
    assert_eq!(after.freed_bytes - before.freed_bytes, 700);
    assert_eq!(after.allocs - before.allocs, 2);
    assert_eq!(after.live_bytes - before.live_bytes, 3000);
    free(kept.into_raw(), 3000);
    assert_eq!(raw_heap_stats().live_bytes, before.live_bytes);
}

#[test]
fn process_totals_stay_exact_and_never_go_back_while_threads_come_and_go() {
    use std::sync::atomic::{AtomicBool, Ordering};

    let _serial = serial();
    settle_slots();
    let before = raw_heap_stats();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut last = raw_heap_stats();
            let mut reads = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let now = raw_heap_stats();
                // Every figure is a sum of counters that only grow: a read that
                // missed an exiting thread, or counted it twice, would go back.
                assert!(
                    now.allocated_bytes >= last.allocated_bytes,
                    "{last:?} {now:?}"
                );
                assert!(now.freed_bytes >= last.freed_bytes, "{last:?} {now:?}");
                assert!(now.allocs >= last.allocs, "{last:?} {now:?}");
                last = now;
                reads += 1;
            }
            reads
        })
    };
    // Waves of short-lived threads: each keeps one block (freed later by this
    // thread) and frees one the previous wave kept.
    let waves = 40;
    let per_wave = 8;
    let mut handed_over: Vec<(Block, usize)> = Vec::new();
    let mut kept_total = 0u64;
    for wave in 0..waves {
        let workers: Vec<_> = (0..per_wave)
            .map(|i| {
                let inherited = handed_over.pop();
                let size = 100 + wave * per_wave + i;
                std::thread::spawn(move || {
                    if let Some((ptr, size)) = inherited {
                        free(ptr.into_raw(), size);
                    }
                    free(alloc(5000), 5000);
                    (Block(alloc(size)), size)
                })
            })
            .collect();
        for worker in workers {
            let (ptr, size) = worker.join().expect("worker");
            kept_total += size as u64;
            handed_over.push((ptr, size));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let reads = reader.join().expect("reader");
    assert!(reads > 0);
    let freed_by_workers: u64 = kept_total
        - handed_over
            .iter()
            .map(|&(_, size)| size as u64)
            .sum::<u64>();
    let after = raw_heap_stats();
    let threads = (waves * per_wave) as u64;
    assert_eq!(after.allocs - before.allocs, 2 * threads);
    assert_eq!(
        after.allocated_bytes - before.allocated_bytes,
        5000 * threads + kept_total
    );
    assert_eq!(
        after.freed_bytes - before.freed_bytes,
        5000 * threads + freed_by_workers
    );
    for (ptr, size) in handed_over {
        free(ptr.into_raw(), size);
    }
    let end = raw_heap_stats();
    assert_eq!(end.live_bytes, before.live_bytes);
    assert_eq!(registry_stats().slots_in_use, 1);
}

#[test]
fn a_thread_past_its_exit_hook_counts_through_the_shared_totals() {
    let _serial = serial();
    settle_slots();
    let before = raw_heap_stats();
    let (kept, thread_delta, slots_after_retire) = std::thread::spawn(|| {
        let start = raw_thread_counters();
        let kept = alloc(1000);
        super::thread_slot::retire_now();
        let slots_after_retire = registry_stats().slots_in_use;
        // What a thread allocates after its exit hook ran (say, in a later
        // destructor) still counts.
        let late = alloc(2000);
        free(late, 2000);
        let grown = alloc(300);
        // SAFETY: `grown` was allocated by `ALLOC` with `layout(300)`.
        let grown = unsafe { ALLOC.realloc(grown, layout(300), 700) };
        assert!(!grown.is_null());
        free(grown, 700);
        (
            Block(kept),
            delta(start, raw_thread_counters()),
            slots_after_retire,
        )
    })
    .join()
    .expect("thread ran");
    assert_eq!(slots_after_retire, 1);
    assert_eq!(thread_delta, (1000 + 2000 + 300 + 700, 2000 + 300 + 700, 4));
    let after = raw_heap_stats();
    assert_eq!(after.allocated_bytes - before.allocated_bytes, 4000);
    assert_eq!(after.freed_bytes - before.freed_bytes, 3000);
    assert_eq!(after.allocs - before.allocs, 4);
    free(kept.into_raw(), 1000);
    assert_eq!(raw_heap_stats().live_bytes, before.live_bytes);
}

#[test]
fn a_reader_kept_out_by_a_fold_that_never_ends_returns_the_last_sum() {
    let _serial = serial();
    let before = raw_heap_stats();
    let ptr = alloc(4000);
    let during = super::registry::during_a_fold(raw_heap_stats);
    let after = raw_heap_stats();
    free(ptr, 4000);
    // The reader gave up instead of waiting forever, with the last complete sum.
    assert_eq!(during.allocated_bytes, before.allocated_bytes);
    assert_eq!(during.allocs, before.allocs);
    assert_eq!(after.allocated_bytes - before.allocated_bytes, 4000);
}

#[test]
fn threads_beyond_the_slot_count_use_the_shared_totals() {
    let _serial = serial();
    let threads = SLOT_COUNT + 40;
    settle_slots();
    let before = raw_heap_stats();
    let registry_before = registry_stats();
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    let ptr = alloc(128);
                    // Every thread holds its slot (or its lack of one) at once.
                    barrier.wait();
                    let mine = raw_thread_counters();
                    free(ptr, 128);
                    let mine_after = raw_thread_counters();
                    (mine.allocated, mine_after.freed)
                })
                .expect("spawned")
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().expect("thread ran"), (128, 128));
    }
    let registry_after = registry_stats();
    // This thread holds one slot.
    let free_slots = SLOT_COUNT as u64 - 1;
    assert_eq!(
        registry_after.slotless_threads - registry_before.slotless_threads,
        threads as u64 - free_slots
    );
    assert_eq!(registry_after.slots_in_use, registry_before.slots_in_use);
    let after = raw_heap_stats();
    assert_eq!(
        after.allocated_bytes - before.allocated_bytes,
        128 * threads as u64
    );
    assert_eq!(after.freed_bytes - before.freed_bytes, 128 * threads as u64);
    assert_eq!(after.allocs - before.allocs, threads as u64);
}

#[test]
fn the_process_peak_is_read_when_a_thread_grows_past_its_step() {
    let _serial = serial();
    let before = raw_heap_stats();
    super::peak::reset(before.live_bytes);
    assert_eq!(raw_heap_stats().peak_bytes, before.live_bytes);
    let size = 1 << 20;
    let ptr = alloc(size);
    free(ptr, size);
    let after = raw_heap_stats();
    assert_eq!(after.live_bytes, before.live_bytes);
    // Growing by more than a step read the process total while the block was live.
    let true_peak = before.live_bytes + size as u64;
    assert!(after.peak_bytes <= true_peak, "{after:?}");
    assert!(
        after.peak_bytes + PEAK_GRANULARITY * registry_stats().slots_in_use as u64 >= true_peak,
        "{after:?}"
    );
}

#[test]
fn peak_frames_nest() {
    let _serial = serial();
    let outer = raw_peak_begin();
    let a = alloc(10_000);
    free(a, 10_000);
    let inner = raw_peak_begin();
    let b = alloc(4_000);
    let c = alloc(2_000);
    free(b, 4_000);
    free(c, 2_000);
    assert_eq!(peak_end(inner), 6_000);
    let d = alloc(500);
    assert_eq!(peak_end(outer), 10_000);
    free(d, 500);

    // An inner frame higher than the outer one raises the outer peak.
    let outer = raw_peak_begin();
    let kept = alloc(1_000);
    let inner = raw_peak_begin();
    let e = alloc(50_000);
    free(e, 50_000);
    assert_eq!(peak_end(inner), 50_000);
    assert_eq!(peak_end(outer), 51_000);
    free(kept, 1_000);

    // A frame that only frees has a peak of zero.
    let kept = alloc(300);
    let frame = raw_peak_begin();
    free(kept, 300);
    assert_eq!(peak_end(frame), 0);
}

#[test]
fn bookkeeping_run_without_peak_does_not_raise_the_frame_peak() {
    let _serial = serial();
    let frame = raw_peak_begin();
    let own = alloc(2_000);
    let kept = without_peak(|| {
        free(alloc(90_000), 90_000);
        alloc(100)
    });
    // What the bookkeeping kept lifts neither this mark nor later ones.
    let after = alloc(500);
    assert_eq!(peak_end(frame), 2_500);
    free(own, 2_000);
    free(after, 500);
    free(kept, 100);
}
