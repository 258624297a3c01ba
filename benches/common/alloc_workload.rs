//! The allocation-heavy workload that every allocator benchmark runs, included by
//! each benchmark binary through `#[path]` so all of them execute the same code under
//! their own global allocator.
//!
//! Each thread keeps a pool of live objects and, per operation, replaces a
//! pseudo-randomly chosen one with a new object of a pseudo-random kind and size: byte
//! buffers (16 B to 2 KiB), strings, boxed arrays and vectors grown by pushing (which
//! reallocates). Replacing drops the old object, so frees happen in mixed order.
//!
//! Each thread times its batches with its own CPU time (on Unix), not wall time, so
//! time the thread spends descheduled by other processes of a shared machine does not
//! count; contention between the benchmark's own threads (cache-line transfers, lock
//! waits that spin) still does. The reported time is that of the slowest thread.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};

/// Objects each thread keeps alive.
const POOL: usize = 512;
/// Replacements per batch (one benchmark iteration per thread).
const OPS: usize = 4096;

/// The objects are only held, to keep their allocations alive, never read.
#[allow(dead_code)]
enum Object {
    Bytes(Vec<u8>),
    Text(String),
    Boxed(Box<[u64; 8]>),
    Grown(Vec<u32>),
}

/// xorshift64: a fixed, allocation-free pseudo-random sequence.
fn next(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

fn make(r: u64) -> Object {
    match (r >> 8) % 4 {
        0 => Object::Bytes(Vec::with_capacity(16 + ((r >> 16) % 2032) as usize)),
        1 => Object::Text("memtrack".repeat(1 + ((r >> 16) % 24) as usize)),
        2 => Object::Boxed(Box::new([r; 8])),
        _ => {
            let mut v = Vec::new();
            for i in 0..((r >> 16) % 48) as u32 {
                v.push(i);
            }
            Object::Grown(v)
        }
    }
}

fn batch(state: &mut u64, pool: &mut [Option<Object>]) {
    for _ in 0..OPS {
        let r = next(state);
        let slot = (r as usize) % pool.len();
        pool[slot] = Some(black_box(make(r)));
    }
}

/// CPU time consumed by the calling thread so far.
#[cfg(unix)]
fn thread_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is supported
    // on every Unix this benchmark runs on (a failure leaves `ts` at zero).
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Elsewhere: wall time since the first call.
#[cfg(not(unix))]
fn thread_time() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// The pseudo-random seed of worker `t`.
fn seed(t: usize) -> u64 {
    0x9E37_79B9_7F4A_7C15u64 ^ (t as u64 + 1)
}

/// A fresh, empty pool.
fn pool() -> Vec<Option<Object>> {
    (0..POOL).map(|_| None).collect()
}

/// Runs `iters` batches on each of `threads` threads at once; the time of the slowest.
pub fn run(threads: usize, iters: u64) -> Duration {
    let start = Barrier::new(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let start = &start;
                scope.spawn(move || {
                    let mut state = seed(t);
                    let mut pool = pool();
                    batch(&mut state, &mut pool);
                    start.wait();
                    let began = thread_time();
                    for _ in 0..iters {
                        batch(&mut state, &mut pool);
                    }
                    let took = thread_time().saturating_sub(began);
                    drop(black_box(pool));
                    took
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_default())
            .max()
            .unwrap_or_default()
    })
}

/// Set to a number of batches, turns a benchmark binary into a fixed run: that many
/// batches on one thread, no timing, no criterion. The instructions of such a run are
/// what `benches/count_instructions.sh` counts under callgrind.
pub const FIXED_RUN: &str = "ALLOC_WORKLOAD_BATCHES";

/// The body of every allocator benchmark's `main`: the fixed run when [`FIXED_RUN`]
/// is set, otherwise the criterion benchmark of the workload on 1 and 2 threads.
pub fn main(allocator: &str) {
    match std::env::var(FIXED_RUN) {
        Ok(batches) => {
            let batches: u64 = batches.parse().unwrap_or_else(|_| {
                panic!("{FIXED_RUN} must be a number of batches, got {batches:?}")
            });
            let mut state = seed(0);
            let mut pool = pool();
            for _ in 0..batches {
                batch(&mut state, &mut pool);
            }
            drop(black_box(pool));
        }
        Err(_) => {
            let mut criterion = config().configure_from_args();
            bench(&mut criterion, allocator);
            criterion.final_summary();
        }
    }
}

/// Benchmarks the workload on 1 and 2 threads under the name of the allocator in use.
fn bench(c: &mut Criterion, allocator: &str) {
    let mut group = c.benchmark_group("alloc_workload");
    for threads in [1usize, 2] {
        group.bench_function(BenchmarkId::new(allocator, threads), |b| {
            b.iter_custom(|iters| run(threads, iters))
        });
    }
    group.finish();
}

/// The settings every allocator benchmark uses (a few seconds per benchmark).
fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}
