//! memtrack's counting allocator against the bare system allocator in one process.
//!
//! Comparing separate benchmark binaries on a shared machine mixes the difference
//! being measured with the machine's drift between the runs. Here one global
//! allocator forwards either to `memtrack::Allocator` or straight to `System`, by a
//! per-thread switch, and rounds of the same workload alternate between the two:
//! drift hits both alike, and the ratio of each pair of neighbouring rounds isolates
//! what counting costs. Both sides go through the same switch test and one
//! out-of-line call, so neither pays for the other's code.
//!
//! The switch is per thread and set only for the span of a round on long-lived worker
//! threads, and every block a round allocates is freed within that round, by the
//! round's own threads: memtrack keeps a tag after each block it serves, so a block
//! must be freed by the side that allocated it.
//!
//! Prints, for each workload shape (see `common/alloc_workload.rs`) and thread count,
//! the median and quartiles of the per-round ratio memtrack / `System` (thread CPU
//! time of the slowest thread; wall time for the handoff shape, whose two threads
//! wait for each other).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicPtr, AtomicU8, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

#[path = "common/alloc_workload.rs"]
#[allow(dead_code)]
mod alloc_workload;

use alloc_workload::Shape;

/// Pairs of rounds per shape and thread count.
const ROUNDS: usize = 81;

thread_local! {
    /// Whether this thread's allocations go to memtrack (only during a round).
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
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
    // SAFETY: the caller's `GlobalAlloc::dealloc` guarantees, passed on; the block was
    // allocated by memtrack (a round frees only what it allocated, on its side).
    unsafe { MEMTRACK.dealloc(ptr, layout) }
}

#[inline(never)]
unsafe fn system_dealloc(ptr: *mut u8, layout: Layout) {
    // SAFETY: as `counted_dealloc`, for a block `System` allocated.
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

fn counting() -> bool {
    COUNTING.with(Cell::get)
}

// SAFETY: every call is forwarded unchanged to memtrack's allocator or to `System`,
// chosen by the calling thread's switch. The switch is only flipped around a round,
// and a round frees every block it allocated before it ends, on threads whose switch
// has the same value, so each block is freed by the allocator that served it.
unsafe impl GlobalAlloc for Paired {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe {
            if counting() {
                counted_alloc(layout)
            } else {
                system_alloc(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe {
            if counting() {
                counted_dealloc(ptr, layout);
            } else {
                system_dealloc(ptr, layout);
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe {
            if counting() {
                counted_realloc(ptr, layout, new_size)
            } else {
                system_realloc(ptr, layout, new_size)
            }
        }
    }
}

#[global_allocator]
static ALLOC: Paired = Paired;

/// Runs `f` with the calling thread's allocations going to memtrack or to `System`.
fn on_side<R>(memtrack: bool, f: impl FnOnce() -> R) -> R {
    COUNTING.with(|c| c.set(memtrack));
    let result = f();
    COUNTING.with(|c| c.set(false));
    result
}

/// What one round runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    /// A workload shape on each thread.
    Shape(Shape),
    /// Blocks allocated on worker 0 and freed on worker 1.
    Handoff,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Workload::Shape(shape) => shape.name(),
            Workload::Handoff => "handoff",
        }
    }

    /// Batches per round and thread: a few milliseconds of work.
    fn batches(self) -> u64 {
        match self {
            Workload::Shape(Shape::Mixed) => 48,
            Workload::Shape(Shape::Churn) => 160,
            Workload::Handoff => 96,
        }
    }
}

/// A round for one worker.
#[derive(Clone)]
struct Job {
    workload: Workload,
    memtrack: bool,
    start: Arc<Barrier>,
    handoff: Arc<Handoff>,
}

/// Two buffers of block addresses passed between the handoff's producer and consumer.
struct Handoff {
    blocks: [Vec<AtomicPtr<u8>>; 2],
    /// Per buffer: 0 empty, 1 full.
    full: [AtomicU8; 2],
}

impl Handoff {
    fn new() -> Self {
        let buffer = || {
            (0..alloc_workload::OPS)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect()
        };
        Self {
            blocks: [buffer(), buffer()],
            full: [AtomicU8::new(0), AtomicU8::new(0)],
        }
    }

    fn wait_for(&self, buffer: usize, state: u8) {
        let mut spins = 0u32;
        while self.full[buffer].load(Ordering::Acquire) != state {
            if spins < 100 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
    }

    fn layout(r: u64) -> Layout {
        Layout::from_size_align(alloc_workload::small_size(r), 1).expect("small layout")
    }

    /// Allocates `batches` buffers full of blocks, one after the other.
    fn produce(&self, batches: u64) {
        let mut state = alloc_workload::seed(7);
        for batch in 0..batches as usize {
            let buffer = batch % 2;
            self.wait_for(buffer, 0);
            for slot in &self.blocks[buffer] {
                let layout = Self::layout(alloc_workload::next(&mut state));
                // SAFETY: the layout has a non-zero size.
                let block = unsafe { std::alloc::alloc(layout) };
                slot.store(black_box(block), Ordering::Relaxed);
            }
            self.full[buffer].store(1, Ordering::Release);
        }
    }

    /// Frees the blocks of `batches` buffers as the producer fills them.
    fn consume(&self, batches: u64) {
        let mut state = alloc_workload::seed(7);
        for batch in 0..batches as usize {
            let buffer = batch % 2;
            self.wait_for(buffer, 1);
            for slot in &self.blocks[buffer] {
                let layout = Self::layout(alloc_workload::next(&mut state));
                let block = slot.swap(std::ptr::null_mut(), Ordering::Relaxed);
                if !block.is_null() {
                    // SAFETY: the producer allocated `block` with this same layout (both
                    // sides draw the same sequence of sizes) and handed it over once.
                    unsafe { std::alloc::dealloc(block, layout) };
                }
            }
            self.full[buffer].store(0, Ordering::Release);
        }
    }
}

/// Runs `job` as worker `index`; the time it reports for the round.
fn run_job(index: usize, job: &Job) -> Duration {
    match job.workload {
        Workload::Shape(shape) => on_side(job.memtrack, || {
            alloc_workload::timed_batches(shape, index, job.workload.batches(), || {
                job.start.wait();
            })
        }),
        Workload::Handoff => on_side(job.memtrack, || {
            job.start.wait();
            let began = Instant::now();
            if index == 0 {
                job.handoff.produce(job.workload.batches());
            } else {
                job.handoff.consume(job.workload.batches());
            }
            began.elapsed()
        }),
    }
}

/// A long-lived worker thread and its channels.
struct Worker {
    jobs: Sender<Job>,
    times: Receiver<Duration>,
}

impl Worker {
    fn spawn(index: usize) -> Self {
        let (jobs, job_rx) = channel::<Job>();
        let (time_tx, times) = channel();
        std::thread::spawn(move || {
            for job in job_rx {
                let took = run_job(index, &job);
                if time_tx.send(took).is_err() {
                    break;
                }
            }
        });
        Self { jobs, times }
    }
}

/// One round of `workload` on the first `threads` workers; the slowest worker's time.
fn round(workers: &[Worker], threads: usize, workload: Workload, memtrack: bool) -> Duration {
    let job = Job {
        workload,
        memtrack,
        start: Arc::new(Barrier::new(threads)),
        handoff: Arc::new(Handoff::new()),
    };
    for worker in &workers[..threads] {
        worker.jobs.send(job.clone()).expect("worker alive");
    }
    workers[..threads]
        .iter()
        .map(|w| w.times.recv().expect("worker alive"))
        .max()
        .unwrap_or_default()
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
    let rounds = std::env::var("ALLOC_PAIRED_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(ROUNDS);
    if let Some(interval) = std::env::var("ALLOC_PAIRED_SAMPLE_INTERVAL")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        memtrack::alloc::set_sample_interval(interval);
    }
    let workers: Vec<Worker> = (0..2).map(Worker::spawn).collect();
    let cases = [
        (Workload::Shape(Shape::Mixed), 1),
        (Workload::Shape(Shape::Mixed), 2),
        (Workload::Shape(Shape::Churn), 1),
        (Workload::Shape(Shape::Churn), 2),
        (Workload::Handoff, 2),
    ];
    // `ALLOC_PAIRED_ONLY=churn` (or mixed, handoff) measures one workload.
    let only = std::env::var("ALLOC_PAIRED_ONLY").ok();
    for (workload, threads) in cases {
        if only.as_deref().is_some_and(|name| name != workload.name()) {
            continue;
        }
        // Warm up both sides (the heap, the threads' counters).
        round(&workers, threads, workload, false);
        round(&workers, threads, workload, true);
        let mut ratios: Vec<f64> = (0..rounds)
            .map(|r| {
                // Alternate which side goes first.
                let (system, memtrack) = if r % 2 == 0 {
                    let system = round(&workers, threads, workload, false);
                    (system, round(&workers, threads, workload, true))
                } else {
                    let memtrack = round(&workers, threads, workload, true);
                    (round(&workers, threads, workload, false), memtrack)
                };
                memtrack.as_secs_f64() / system.as_secs_f64()
            })
            .collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "alloc_paired/{}/{threads}: memtrack / System over {rounds} pairs of rounds: \
             median {:.3}, quartiles {:.3} to {:.3}",
            workload.name(),
            quantile(&ratios, 0.5),
            quantile(&ratios, 0.25),
            quantile(&ratios, 0.75),
        );
    }
    if cfg!(not(feature = "passthrough-alloc")) {
        // memtrack counted the rounds on its side, and its figures say so.
        let stats = on_side(true, memtrack::alloc::heap_stats);
        assert!(stats.is_some_and(|s| s.allocs > 0));
    }
}
