//! The per-call cost of `#[memtrack]`, included by `attribute.rs` (system
//! allocator) and `attribute_counting.rs` (memtrack's counting allocator) through
//! `#[path]`, so both run the same code under their own global allocator.
//!
//! The same trivial fn is measured four ways: without any attribute, with
//! `#[tracing::instrument]` (no subscriber, then a bare `tracing_subscriber`
//! registry as the thread's default subscriber), and with `#[memtrack]` with RSS
//! sampling on (the default) and off. Async fns are polled once with a no-op
//! waker, so the figures are the wrapper's cost, not an executor's. memtrack's
//! thresholds stay at their defaults, so these calls log nothing: the figures are
//! the cost of tracking, not of writing logs. A tracker started and ended by
//! hand shows how much of that cost is the runtime's and how much the
//! attribute's wrapping.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::Criterion;

#[inline(never)]
fn plain_sync(value: u64) -> u64 {
    black_box(value)
}

#[memtrack::memtrack("bench-sync")]
#[inline(never)]
fn tracked_sync(value: u64) -> u64 {
    black_box(value)
}

#[tracing::instrument(skip_all)]
#[inline(never)]
fn instrumented_sync(value: u64) -> u64 {
    black_box(value)
}

async fn plain_async(value: u64) -> u64 {
    black_box(value)
}

#[memtrack::memtrack("bench-async")]
async fn tracked_async(value: u64) -> u64 {
    black_box(value)
}

#[tracing::instrument(skip_all)]
async fn instrumented_async(value: u64) -> u64 {
    black_box(value)
}

static MANUAL: memtrack::sites::Site = memtrack::sites::Site::new("bench-manual");

/// The same work with a tracker started and ended by hand (no attribution frame):
/// what the runtime costs without the attribute's wrapping.
#[inline(never)]
fn manual_sync(value: u64) -> u64 {
    let op = memtrack::Tracker::at_site(&MANUAL);
    let result = black_box(value);
    op.end();
    result
}

/// Polls a future that completes without waiting until it is ready.
fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fn sample_rss(on: bool) {
    let config = memtrack::Config::builder()
        .sample_rss(on)
        .build()
        .expect("valid config");
    memtrack::config::set(config);
}

/// Short runs: the figures are per call and stable within a few percent.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

/// Measures every variant, naming the groups after `allocator`.
pub fn bench(c: &mut Criterion, allocator: &str) {
    let mut sync = c.benchmark_group(format!("attribute_{allocator}/sync"));
    sync.bench_function("baseline", |b| b.iter(|| plain_sync(black_box(1))));
    sync.bench_function("tracing_instrument_no_subscriber", |b| {
        b.iter(|| instrumented_sync(black_box(1)));
    });
    sync.bench_function("tracing_instrument_registry", |b| {
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
        b.iter(|| instrumented_sync(black_box(1)));
    });
    sample_rss(true);
    sync.bench_function("memtrack_rss_on", |b| {
        b.iter(|| tracked_sync(black_box(1)));
    });
    sync.bench_function("manual_tracker_rss_on", |b| {
        b.iter(|| manual_sync(black_box(1)));
    });
    sample_rss(false);
    sync.bench_function("memtrack_rss_off", |b| {
        b.iter(|| tracked_sync(black_box(1)));
    });
    sync.bench_function("manual_tracker_rss_off", |b| {
        b.iter(|| manual_sync(black_box(1)));
    });
    sync.finish();

    let mut asynchronous = c.benchmark_group(format!("attribute_{allocator}/async"));
    asynchronous.bench_function("baseline", |b| {
        b.iter(|| run(plain_async(black_box(1))));
    });
    asynchronous.bench_function("tracing_instrument_no_subscriber", |b| {
        b.iter(|| run(instrumented_async(black_box(1))));
    });
    asynchronous.bench_function("tracing_instrument_registry", |b| {
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry());
        b.iter(|| run(instrumented_async(black_box(1))));
    });
    sample_rss(true);
    asynchronous.bench_function("memtrack_rss_on", |b| {
        b.iter(|| run(tracked_async(black_box(1))));
    });
    sample_rss(false);
    asynchronous.bench_function("memtrack_rss_off", |b| {
        b.iter(|| run(tracked_async(black_box(1))));
    });
    asynchronous.finish();
    sample_rss(true);
}
