//! memtrack's counting allocator against the bare system allocator in one process.
//!
//! Comparing separate benchmark binaries on a shared machine mixes the difference
//! being measured with the machine's drift between the runs. Here one global
//! allocator forwards either to `memtrack::Allocator` or straight to `System`, by a
//! switch flipped between rounds of the same workload, and the two alternate round
//! by round: drift hits both alike, and the ratio of each pair of neighbouring rounds
//! isolates what counting costs. Both sides go through the same switch test and one
//! out-of-line call, so neither pays for the other's code.
//!
//! Prints, for 1 and 2 threads, the median and quartiles of the per-round ratio
//! memtrack / `System` (thread CPU time of the slowest thread, as in the other
//! allocator benchmarks).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[path = "common/alloc_workload.rs"]
#[allow(dead_code)]
mod alloc_workload;

/// Pairs of rounds per thread count.
const ROUNDS: usize = 81;
/// Batches per round and thread.
const BATCHES: u64 = 48;

/// Which allocator the rounds in progress use.
static COUNTING: AtomicBool = AtomicBool::new(false);
static MEMTRACK: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

struct Paired;

#[inline(never)]
unsafe fn counted_alloc(layout: Layout) -> *mut u8 {
    // SAFETY: the caller's `GlobalAlloc::alloc` guarantees, passed on.
    unsafe { MEMTRACK.alloc(layout) }
}

#[inline(never)]
unsafe fn system_alloc(layout: Layout) -> *mut u8 {
    // SAFETY: the caller's `GlobalAlloc::alloc` guarantees, passed on.
    unsafe { System.alloc(layout) }
}

#[inline(never)]
unsafe fn counted_dealloc(ptr: *mut u8, layout: Layout) {
    // SAFETY: the caller's `GlobalAlloc::dealloc` guarantees, passed on; memtrack
    // forwards to `System`, so it frees blocks either side allocated.
    unsafe { MEMTRACK.dealloc(ptr, layout) }
}

#[inline(never)]
unsafe fn system_dealloc(ptr: *mut u8, layout: Layout) {
    // SAFETY: as `counted_dealloc`.
    unsafe { System.dealloc(ptr, layout) }
}

#[inline(never)]
unsafe fn counted_realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    // SAFETY: the caller's `GlobalAlloc::realloc` guarantees, passed on.
    unsafe { MEMTRACK.realloc(ptr, layout, new_size) }
}

#[inline(never)]
unsafe fn system_realloc(ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    // SAFETY: as `counted_realloc`.
    unsafe { System.realloc(ptr, layout, new_size) }
}

// SAFETY: every call is forwarded unchanged to memtrack's allocator or to `System`;
// memtrack forwards to `System` itself, so a block allocated on either side may be
// reallocated or freed on the other.
unsafe impl GlobalAlloc for Paired {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe {
            if COUNTING.load(Ordering::Relaxed) {
                counted_alloc(layout)
            } else {
                system_alloc(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe {
            if COUNTING.load(Ordering::Relaxed) {
                counted_dealloc(ptr, layout);
            } else {
                system_dealloc(ptr, layout);
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe {
            if COUNTING.load(Ordering::Relaxed) {
                counted_realloc(ptr, layout, new_size)
            } else {
                system_realloc(ptr, layout, new_size)
            }
        }
    }
}

#[global_allocator]
static ALLOC: Paired = Paired;

/// One round of the workload on `threads` threads with the given allocator.
fn round(threads: usize, counting: bool) -> Duration {
    COUNTING.store(counting, Ordering::Relaxed);
    alloc_workload::run(threads, BATCHES)
}

/// The `q`-quantile (0 to 1) of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index]
}

fn main() {
    // `cargo bench -- <filter>` passes arguments meant for criterion benches; a
    // filter that does not name this benchmark skips it.
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    if filter.is_some_and(|f| !"alloc_paired".contains(&f)) {
        return;
    }
    for threads in [1usize, 2] {
        // Warm up both sides (the heap, the thread's counters).
        round(threads, false);
        round(threads, true);
        let mut ratios: Vec<f64> = (0..ROUNDS)
            .map(|r| {
                // Alternate which side goes first.
                let (system, memtrack) = if r % 2 == 0 {
                    let system = round(threads, false);
                    (system, round(threads, true))
                } else {
                    let memtrack = round(threads, true);
                    (round(threads, false), memtrack)
                };
                memtrack.as_secs_f64() / system.as_secs_f64()
            })
            .collect();
        COUNTING.store(false, Ordering::Relaxed);
        ratios.sort_by(f64::total_cmp);
        println!(
            "alloc_paired/{threads}: memtrack / System over {ROUNDS} pairs of rounds: \
             median {:.3}, quartiles {:.3} to {:.3}",
            quantile(&ratios, 0.5),
            quantile(&ratios, 0.25),
            quantile(&ratios, 0.75),
        );
    }
    if cfg!(not(feature = "passthrough-alloc")) {
        assert!(memtrack::alloc::heap_stats().is_some());
    }
}
