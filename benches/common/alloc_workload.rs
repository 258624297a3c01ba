//! The allocation workloads that every allocator benchmark runs, included by each
//! benchmark binary through `#[path]` so all of them execute the same code under
//! their own global allocator.
//!
//! Three shapes ([`Shape`]):
//!
//! - **mixed**: each thread keeps a pool of 512 live objects and, per operation,
//!   replaces a pseudo-randomly chosen one with a new object of a pseudo-random kind
//!   and size: byte buffers (16 B to 2 KiB), strings, boxed arrays and vectors grown
//!   by pushing (which reallocates). Replacing drops the old object, so frees happen
//!   in mixed order.
//! - **churn**: small-block churn, where the C allocator's per-thread cache makes
//!   `malloc` and `free` cheapest: each thread keeps 32 live byte buffers of 8 to 520
//!   bytes and replaces a pseudo-random one per operation.
//! - **handoff**: blocks cross threads: one thread allocates buffers of 8 to 520
//!   bytes in batches and another frees them (run by the paired benchmark only, on
//!   two threads).
//!
//! Each thread times its batches with its own CPU time (on Unix), not wall time, so
//! time the thread spends descheduled by other processes of a shared machine does not
//! count; contention between the benchmark's own threads (cache-line transfers, lock
//! waits that spin) still does. The reported time is that of the slowest thread.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};

/// Objects each thread keeps alive in the mixed shape.
const POOL: usize = 512;
/// Buffers each thread keeps alive in the churn shape.
const CHURN_POOL: usize = 32;
/// Replacements per batch (one benchmark iteration per thread).
pub const OPS: usize = 4096;

/// A workload shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// 512 live objects of mixed kinds and sizes, with reallocation.
    Mixed,
    /// 32 live byte buffers of 8 to 520 bytes.
    Churn,
}

impl Shape {
    /// The shapes every allocator benchmark measures.
    pub const ALL: [Shape; 2] = [Shape::Mixed, Shape::Churn];

    /// The shape's name in benchmark ids and in `ALLOC_WORKLOAD_SHAPE`.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Mixed => "mixed",
            Shape::Churn => "churn",
        }
    }
}

/// The objects are only held, to keep their allocations alive, never read.
#[allow(dead_code)]
enum Object {
    Bytes(Vec<u8>),
    Text(String),
    Boxed(Box<[u64; 8]>),
    Grown(Vec<u32>),
}

/// xorshift64: a fixed, allocation-free pseudo-random sequence.
pub fn next(state: &mut u64) -> u64 {
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

/// The size of a small buffer for the pseudo-random value `r`: 8 to 520 bytes.
pub fn small_size(r: u64) -> usize {
    8 + ((r >> 16) % 513) as usize
}

/// One thread's live objects.
enum Pool {
    Mixed(Vec<Option<Object>>),
    Churn(Vec<Option<Vec<u8>>>),
}

impl Pool {
    fn new(shape: Shape) -> Self {
        let objects = match shape {
            Shape::Mixed => POOL,
            Shape::Churn => CHURN_POOL,
        };
        Self::with_objects(shape, objects)
    }

    fn with_objects(shape: Shape, objects: usize) -> Self {
        match shape {
            Shape::Mixed => Pool::Mixed((0..objects).map(|_| None).collect()),
            Shape::Churn => Pool::Churn((0..objects).map(|_| None).collect()),
        }
    }

    fn batch(&mut self, state: &mut u64) {
        match self {
            Pool::Mixed(pool) => {
                for _ in 0..OPS {
                    let r = next(state);
                    let slot = (r as usize) % pool.len();
                    pool[slot] = Some(black_box(make(r)));
                }
            }
            Pool::Churn(pool) => {
                for _ in 0..OPS {
                    let r = next(state);
                    let slot = (r as usize) % pool.len();
                    pool[slot] = Some(black_box(Vec::with_capacity(small_size(r))));
                }
            }
        }
    }
}

/// CPU time consumed by the calling thread so far.
#[cfg(unix)]
pub fn thread_time() -> Duration {
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
pub fn thread_time() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// The pseudo-random seed of worker `t`.
pub fn seed(t: usize) -> u64 {
    0x9E37_79B9_7F4A_7C15u64 ^ (t as u64 + 1)
}

/// On the calling thread: builds a pool of `shape`, runs one warm-up batch, then
/// `batches` timed batches, and drops the pool. Returns the thread CPU time of the
/// timed batches. Every block it allocates is freed before it returns, on this
/// thread. `ready` is called between the warm-up and the timed batches.
pub fn timed_batches(shape: Shape, worker: usize, batches: u64, ready: impl FnOnce()) -> Duration {
    let mut state = seed(worker);
    let mut pool = Pool::new(shape);
    pool.batch(&mut state);
    ready();
    let began = thread_time();
    for _ in 0..batches {
        pool.batch(&mut state);
    }
    let took = thread_time().saturating_sub(began);
    drop(black_box(pool));
    took
}

/// Runs `iters` batches of `shape` on each of `threads` threads at once; the time of
/// the slowest.
pub fn run(shape: Shape, threads: usize, iters: u64) -> Duration {
    let start = Barrier::new(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let start = &start;
                scope.spawn(move || {
                    timed_batches(shape, t, iters, || {
                        start.wait();
                    })
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
/// The shape of a fixed run: `mixed` (the default) or `churn`.
pub const FIXED_SHAPE: &str = "ALLOC_WORKLOAD_SHAPE";
/// Objects a fixed run keeps alive (default: the shape's own pool), to measure what
/// a large live heap costs in memory.
pub const FIXED_POOL: &str = "ALLOC_WORKLOAD_POOL";
/// Threads of a fixed run (default 1), each running the batches.
pub const FIXED_THREADS: &str = "ALLOC_WORKLOAD_THREADS";

/// The body of every allocator benchmark's `main`: the fixed run when [`FIXED_RUN`]
/// is set, otherwise the criterion benchmark of every shape on 1 and 2 threads.
pub fn main(allocator: &str) {
    match std::env::var(FIXED_RUN) {
        Ok(batches) => {
            let batches: u64 = batches.parse().unwrap_or_else(|_| {
                panic!("{FIXED_RUN} must be a number of batches, got {batches:?}")
            });
            let shape = match std::env::var(FIXED_SHAPE).as_deref() {
                Ok("churn") => Shape::Churn,
                Ok("mixed") | Err(_) => Shape::Mixed,
                Ok(other) => panic!("{FIXED_SHAPE} must be mixed or churn, got {other:?}"),
            };
            match std::env::var(FIXED_POOL).ok().and_then(|p| p.parse().ok()) {
                Some(objects) => {
                    let mut state = seed(0);
                    let mut pool = Pool::with_objects(shape, objects);
                    for _ in 0..batches {
                        pool.batch(&mut state);
                    }
                    drop(black_box(pool));
                }
                None => {
                    let threads: usize = match std::env::var(FIXED_THREADS) {
                        Ok(t) => t.parse().ok().filter(|&t| t > 0).unwrap_or_else(|| {
                            panic!("{FIXED_THREADS} must be a number of threads, got {t:?}")
                        }),
                        Err(_) => 1,
                    };
                    run(shape, threads, batches);
                }
            }
        }
        Err(_) => {
            let mut criterion = config().configure_from_args();
            bench(&mut criterion, allocator);
            criterion.final_summary();
        }
    }
}

/// Benchmarks every shape on 1 and 2 threads under the name of the allocator in use.
fn bench(c: &mut Criterion, allocator: &str) {
    for shape in Shape::ALL {
        let mut group = c.benchmark_group(format!("alloc_{}", shape.name()));
        for threads in [1usize, 2] {
            group.bench_function(BenchmarkId::new(allocator, threads), |b| {
                b.iter_custom(|iters| run(shape, threads, iters))
            });
        }
        group.finish();
    }
}

/// The settings every allocator benchmark uses (a few seconds per benchmark).
fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
}
