//! Which operation holds the memory, end to end: services whose memory grows because
//! one operation keeps what it allocates, next to operations that only churn, free
//! other operations' blocks, or are evicted by untracked code. In each, the monitor's
//! first `top_operations` entry is the operation that keeps memory, and the held
//! bytes of tagged blocks (1 KiB and more) match the truth to the byte.
//!
//! The monitor is one per process and ticks are requested with `tick_now`, so each
//! interval holds exactly what one test did: the tests of this file run one at a time.

mod support;

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use memtrack::monitor::MonitorHandle;
use memtrack::{Retained, memtrack};
use serde_json::Value;
use support::{log_everything, logs, operations, serial};

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// A monitor that only ticks when asked, ranking enough names to see them all.
fn monitor() -> MonitorHandle {
    log_everything();
    memtrack::monitor::start(
        memtrack::Config::builder()
            .monitor_interval(Duration::from_secs(3600))
            .cache_stats_interval(Duration::from_secs(3600))
            .top_operations(10)
            .critical_rss_mb(1_000_000.0)
            .critical_rss_spike_mb(1_000_000.0)
            .heap_growth_mb(1_000_000.0)
            .reclaim_rss_growth_mb(1_000_000.0)
            .build()
            .expect("valid config"),
    )
    .expect("no other monitor runs")
}

/// Ticks once and returns the snapshot of that interval.
fn interval(monitor: &MonitorHandle) -> Value {
    logs().clear();
    assert!(monitor.tick_now());
    let mut snapshots = logs().events("memory_snapshot");
    assert_eq!(snapshots.len(), 1);
    snapshots.remove(0)
}

fn top_names(snapshot: &Value) -> Vec<String> {
    snapshot["top_operations"]
        .as_array()
        .expect("top_operations is an array")
        .iter()
        .map(|entry| entry["operation"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn entry<'a>(snapshot: &'a Value, name: &str) -> &'a Value {
    snapshot["top_operations"]
        .as_array()
        .expect("top_operations is an array")
        .iter()
        .find(|e| e["operation"] == name)
        .unwrap_or_else(|| panic!("{name} not in {snapshot}"))
}

fn held(name: &str) -> Retained {
    memtrack::retained()
        .expect("the counting allocator is installed")
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or(Retained {
            name: "none",
            bytes: 0,
            blocks: 0,
            exact_bytes: 0,
            exact_blocks: 0,
        })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[memtrack("holders-churn")]
fn churn() -> usize {
    // 8 MiB allocated and freed per call.
    let buffer = black_box(vec![1_u8; 8 * MIB]);
    buffer.len()
}

#[memtrack("holders-keeper")]
fn keep(store: &Mutex<Vec<Vec<u8>>>) {
    let block = vec![2_u8; 256 * KIB];
    lock(store).push(block);
}

#[test]
fn a_steady_keeper_outranks_an_operation_that_churns_eight_times_more() {
    let _serial = serial();
    let monitor = monitor();
    let store = Mutex::new(Vec::with_capacity(64));
    interval(&monitor);
    let before = held("holders-keeper");
    for _ in 0..10 {
        black_box(churn());
        keep(&store);
    }
    // Each keeper call retained its block; each churn call retained nothing.
    let kept = operations("holders-keeper");
    assert_eq!(kept.len(), 10);
    for event in kept {
        assert_eq!(event["retained_bytes"], 256 * KIB, "{event}");
    }
    let churned = operations("holders-churn");
    assert_eq!(churned.len(), 10);
    for event in churned {
        assert_eq!(event["retained_bytes"], 0, "{event}");
        assert_eq!(event["peak_bytes"], 8 * MIB);
    }
    let snapshot = interval(&monitor);
    assert_eq!(snapshot["top_operations_basis"], "retained");
    assert_eq!(top_names(&snapshot)[0], "holders-keeper", "{snapshot}");
    assert_eq!(snapshot["top_operation"], "holders-keeper");
    let keeper = entry(&snapshot, "holders-keeper");
    assert_eq!(keeper["retained_growth_mb"], 2.5, "{snapshot}");
    assert_eq!(keeper["alloc_mb"], 2.5);
    assert_eq!(keeper["count"], 10);
    let churner = entry(&snapshot, "holders-churn");
    assert_eq!(churner["retained_growth_mb"], 0.0);
    assert_eq!(churner["alloc_mb"], 80.0);
    // Exactly what the store holds, to the byte.
    let after = held("holders-keeper");
    assert_eq!(
        after.exact_bytes - before.exact_bytes,
        (10 * 256 * KIB) as u64
    );
    assert_eq!(after.exact_blocks - before.exact_blocks, 10);
    drop(store);
    assert_eq!(held("holders-keeper").exact_bytes, before.exact_bytes);
}

#[memtrack("holders-cache-fill")]
fn fill(cache: &Mutex<VecDeque<Vec<u8>>>, n: u8) {
    lock(cache).push_back(vec![n; 64 * KIB]);
}

#[test]
fn a_bounded_cache_evicted_by_an_untracked_thread_holds_only_what_it_keeps() {
    let _serial = serial();
    let monitor = monitor();
    let cache = Arc::new(Mutex::new(VecDeque::with_capacity(64)));
    interval(&monitor);
    let before = held("holders-cache-fill");
    // An untracked timer thread keeps the cache at 8 entries.
    let (tick, ticks) = mpsc::channel::<()>();
    let evictor = {
        let cache = Arc::clone(&cache);
        std::thread::spawn(move || {
            while ticks.recv().is_ok() {
                let mut cache = lock(&cache);
                while cache.len() > 8 {
                    drop(cache.pop_front());
                }
            }
        })
    };
    for n in 0..40 {
        fill(&cache, n);
        tick.send(()).expect("evictor alive");
    }
    drop(tick);
    evictor.join().expect("evictor");
    assert_eq!(lock(&cache).len(), 8);
    let after = held("holders-cache-fill");
    assert_eq!(
        after.exact_bytes - before.exact_bytes,
        (8 * 64 * KIB) as u64
    );
    assert_eq!(after.exact_blocks - before.exact_blocks, 8);
    let snapshot = interval(&monitor);
    assert_eq!(top_names(&snapshot)[0], "holders-cache-fill", "{snapshot}");
    assert_eq!(
        entry(&snapshot, "holders-cache-fill")["retained_growth_mb"],
        0.5,
        "{snapshot}"
    );
    drop(cache);
    assert_eq!(held("holders-cache-fill").exact_bytes, before.exact_bytes);
}

#[memtrack("holders-producer")]
fn produce(out: &Mutex<Vec<Vec<u8>>>) {
    let buffer = vec![3_u8; 32 * KIB];
    lock(out).push(buffer);
}

#[memtrack("holders-consumer")]
fn consume(input: &Mutex<Vec<Vec<u8>>>) -> usize {
    let buffer = lock(input).pop();
    buffer.map_or(0, |b| b.len())
}

#[memtrack("holders-keeper-beside")]
fn keep_beside(store: &Mutex<Vec<Vec<u8>>>) {
    lock(store).push(vec![4_u8; 100 * KIB]);
}

#[test]
fn buffers_made_by_one_operation_and_dropped_by_another_are_held_by_neither() {
    let _serial = serial();
    let monitor = monitor();
    let store = Mutex::new(Vec::with_capacity(8));
    let queue = Arc::new(Mutex::new(Vec::with_capacity(64)));
    interval(&monitor);
    let producer_before = held("holders-producer");
    for _ in 0..50 {
        produce(&queue);
    }
    assert_eq!(
        held("holders-producer").exact_bytes - producer_before.exact_bytes,
        (50 * 32 * KIB) as u64
    );
    let consumer = {
        let queue = Arc::clone(&queue);
        std::thread::spawn(move || (0..50).map(|_| consume(&queue)).sum::<usize>())
    };
    assert_eq!(consumer.join().expect("consumer"), 50 * 32 * KIB);
    keep_beside(&store);
    assert_eq!(
        held("holders-producer").exact_bytes,
        producer_before.exact_bytes
    );
    assert_eq!(held("holders-consumer").exact_bytes, 0);
    // The consumer freed what it did not allocate: net negative, retained nothing.
    let consumed = operations("holders-consumer");
    assert_eq!(consumed.len(), 50);
    for event in consumed {
        assert_eq!(event["retained_bytes"], 0, "{event}");
        assert_eq!(event["alloc_bytes"], 0, "{event}");
        assert_eq!(event["freed_bytes"], 32 * KIB, "{event}");
        assert_eq!(event["net_bytes"], -((32 * KIB) as i64), "{event}");
    }
    let snapshot = interval(&monitor);
    assert_eq!(
        top_names(&snapshot)[0],
        "holders-keeper-beside",
        "{snapshot}"
    );
    assert_eq!(
        entry(&snapshot, "holders-producer")["retained_growth_mb"],
        0.0
    );
}

#[test]
fn one_keeper_among_many_noisy_operations_on_a_multi_threaded_runtime() {
    let _serial = serial();
    let monitor = monitor();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let store = Arc::new(Mutex::new(Vec::with_capacity(64)));
    interval(&monitor);
    let before = held("holders-async-keeper");

    #[memtrack("holders-async-noise")]
    async fn noise(round: usize) -> usize {
        let mut total = 0;
        for i in 0..4 {
            let chunk = vec![i as u8; MIB + round];
            tokio::task::yield_now().await;
            total += chunk.len();
        }
        total
    }

    #[memtrack("holders-async-keeper")]
    async fn keeper(store: Arc<Mutex<Vec<Vec<u8>>>>) {
        for _ in 0..4 {
            let block = vec![5_u8; 128 * KIB];
            tokio::task::yield_now().await;
            lock(&store).push(block);
        }
    }

    runtime.block_on(async {
        let mut tasks = Vec::new();
        for round in 0..64 {
            tasks.push(tokio::spawn(noise(round)));
        }
        tasks.push(tokio::spawn({
            let store = Arc::clone(&store);
            async move {
                keeper(store).await;
                0
            }
        }));
        for task in tasks {
            task.await.expect("task");
        }
    });
    // The keeper's blocks, and whatever of the runtime's own buffers its polls grew
    // (a block reallocated inside an operation's frame is that operation's).
    let keeper_event = operations("holders-async-keeper");
    assert_eq!(keeper_event.len(), 1);
    assert!(keeper_event[0]["retained_bytes"].as_u64() >= Some(512 * KIB as u64));
    let snapshot = interval(&monitor);
    assert_eq!(
        top_names(&snapshot)[0],
        "holders-async-keeper",
        "{snapshot}"
    );
    assert_eq!(
        entry(&snapshot, "holders-async-keeper")["retained_growth_mb"],
        0.5
    );
    assert_eq!(entry(&snapshot, "holders-async-noise")["count"], 64);
    let with_store = held("holders-async-keeper").exact_bytes;
    drop(store);
    assert_eq!(
        with_store - held("holders-async-keeper").exact_bytes,
        (512 * KIB) as u64
    );
    assert!(with_store - before.exact_bytes >= (512 * KIB) as u64);
    drop(runtime);
}

#[memtrack("holders-grower")]
fn grow(shared: &Mutex<Vec<u8>>, by: usize) {
    let mut v = lock(shared);
    let len = v.len();
    v.resize(len + by, 7);
}

#[memtrack("holders-appender")]
fn append_within(shared: &Mutex<Vec<u8>>, by: usize) {
    let mut v = lock(shared);
    assert!(
        v.capacity() - v.len() >= by,
        "room to append without growing"
    );
    let len = v.len();
    v.resize(len + by, 8);
}

#[test]
fn a_shared_collection_grown_by_realloc_is_held_by_the_operation_that_grew_it() {
    let _serial = serial();
    let shared = Mutex::new(Vec::<u8>::new());
    grow(&shared, 3000);
    let capacity = lock(&shared).capacity();
    assert_eq!(held("holders-grower").exact_bytes, capacity as u64);
    // Filling the room it left does not change the owner.
    let room = capacity - lock(&shared).len();
    append_within(&shared, room);
    assert_eq!(held("holders-appender").exact_bytes, 0);
    // Growing again: the old buffer is freed, the grower owns the new one.
    grow(&shared, 100_000);
    let capacity = lock(&shared).capacity();
    assert_eq!(held("holders-grower").exact_bytes, capacity as u64);
    assert_eq!(held("holders-grower").exact_blocks, 1);
    drop(shared);
    assert_eq!(held("holders-grower").exact_bytes, 0);
}

#[memtrack("holders-thread-keeper")]
fn make_block() -> Vec<u8> {
    vec![9_u8; 40 * KIB]
}

#[test]
fn blocks_of_threads_that_exited_stay_held_until_freed() {
    let _serial = serial();
    let before = held("holders-thread-keeper");
    let blocks: Vec<Vec<u8>> = (0..8)
        .map(|_| std::thread::spawn(make_block).join().expect("thread"))
        .collect();
    assert_eq!(
        held("holders-thread-keeper").exact_bytes - before.exact_bytes,
        (8 * 40 * KIB) as u64
    );
    drop(blocks);
    assert_eq!(
        held("holders-thread-keeper").exact_bytes,
        before.exact_bytes
    );
}

#[memtrack("holders-frees-old")]
fn free_it(block: Vec<u8>) -> usize {
    block.len()
}

#[test]
fn a_block_allocated_outside_operations_is_credited_to_the_untracked_bucket() {
    let _serial = serial();
    log_everything();
    let block = vec![6_u8; 200 * KIB];
    let untracked_before = held(memtrack::retained::UNTRACKED_NAME);
    let op_before = held("holders-frees-old");
    assert_eq!(free_it(block), 200 * KIB);
    let untracked_after = held(memtrack::retained::UNTRACKED_NAME);
    assert_eq!(held("holders-frees-old").exact_bytes, op_before.exact_bytes);
    // Other threads of the test process may allocate untracked meanwhile; the block
    // went, at least.
    assert!(
        untracked_after.exact_bytes + (200 * KIB) as u64
            <= untracked_before.exact_bytes + 64 * KIB as u64,
        "{untracked_before:?} {untracked_after:?}"
    );
    let events = operations("holders-frees-old");
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event["retained_bytes"], 0);
    assert_eq!(event["freed_bytes"], 200 * KIB);
}

#[memtrack("holders-health-keeper")]
fn keep_for_health(store: &mut Vec<Vec<u8>>) {
    store.push(vec![10_u8; 3 * MIB]);
}

#[test]
fn the_health_report_names_the_largest_holders() {
    let _serial = serial();
    let mut store = Vec::with_capacity(4);
    keep_for_health(&mut store);
    let config = memtrack::Config::builder()
        .top_operations(50)
        .build()
        .expect("valid config");
    let json: Value =
        serde_json::from_str(&memtrack::health::report_with(&config).to_json()).expect("json");
    let retained = &json["retained"];
    assert!(
        retained["totalMb"].as_f64().is_some_and(|t| t >= 3.0),
        "{json}"
    );
    let top = retained["top"].as_array().expect("top holders");
    let keeper = top
        .iter()
        .find(|h| h["operation"] == "holders-health-keeper")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(keeper["retainedMb"], 3.0);
    assert_eq!(keeper["blocks"], 1);
    // Most first.
    let sizes: Vec<f64> = top
        .iter()
        .filter_map(|h| h["retainedMb"].as_f64())
        .collect();
    assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
    // The original fields are unchanged.
    assert!(json["memory"]["heapUsedMb"].is_number());
    assert_eq!(json["status"], "ok");
}
