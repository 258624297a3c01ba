//! `retained_bytes` on an operation's own event, on the paths where what its frames
//! see is not simply what it allocated and freed: a cancelled future whose locals
//! are freed as it is dropped, an operation inside a `Drop` that runs during an
//! unwind, a frame opened again inside another operation's, and threads that found
//! no slot in the allocator's registry.

mod support;

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use memtrack::future::Track;
use memtrack::memtrack;
use support::{YieldOnce, assert_ended, log_everything, only_operation, operations};

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

const MIB: usize = 1024 * 1024;

#[memtrack("retained-cancelled-fn")]
async fn holds_across_a_long_wait() -> usize {
    let buffer = black_box(vec![1_u8; MIB]);
    tokio::time::sleep(Duration::from_secs(60)).await;
    buffer.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_async_fn_frees_its_locals_before_it_ends_and_retains_nothing() {
    let _logs = log_everything();
    let outcome = tokio::time::timeout(Duration::from_millis(20), holds_across_a_long_wait()).await;
    assert!(outcome.is_err(), "the wait was cut short");
    let event = only_operation("retained-cancelled-fn");
    assert_ended(&event, "retained-cancelled-fn", "cancelled", None);
    assert_eq!(event["alloc_bytes"], MIB, "{event}");
    assert_eq!(event["freed_bytes"], MIB, "{event}");
    assert_eq!(event["net_bytes"], 0, "{event}");
    assert_eq!(event["retained_bytes"], 0, "{event}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_tracked_future_frees_its_locals_before_it_ends() {
    let _logs = log_everything();
    let work = async {
        let buffer = black_box(vec![2_u8; MIB / 2]);
        tokio::time::sleep(Duration::from_secs(60)).await;
        buffer.len()
    };
    let outcome = tokio::time::timeout(
        Duration::from_millis(20),
        work.track("retained-cancelled-track"),
    )
    .await;
    assert!(outcome.is_err(), "the wait was cut short");
    let event = only_operation("retained-cancelled-track");
    assert_ended(&event, "retained-cancelled-track", "cancelled", None);
    assert_eq!(event["alloc_bytes"], MIB / 2, "{event}");
    assert_eq!(event["freed_bytes"], MIB / 2, "{event}");
    assert_eq!(event["retained_bytes"], 0, "{event}");
}

#[test]
fn a_tracked_future_that_completes_keeps_what_it_returns() {
    let _logs = log_everything();
    let kept = futures_executor::block_on(
        async {
            YieldOnce::default().await;
            black_box(vec![3_u8; 64 * 1024])
        }
        .track("retained-completed-track"),
    );
    let event = only_operation("retained-completed-track");
    assert_ended(&event, "retained-completed-track", "ok", None);
    assert_eq!(event["retained_bytes"], 64 * 1024, "{event}");
    drop(kept);
}

#[memtrack("retained-during-unwind")]
fn runs_during_an_unwind() -> usize {
    black_box(vec![4_u8; 8192]).len()
}

/// Runs operations from its `Drop`, which runs while a panic unwinds.
struct CleansUp;

impl Drop for CleansUp {
    fn drop(&mut self) {
        runs_during_an_unwind();
        let op = memtrack::start("retained-during-unwind-explicit");
        op.in_scope(|| black_box(vec![5_u8; 4096]).len());
        op.end();
        // Left without an end, and a future dropped unfinished: the unwind
        // around them is not theirs.
        let left = memtrack::start("retained-during-unwind-dropped");
        left.in_scope(|| ());
        drop(left);
        let mut pending =
            Box::pin(std::future::pending::<()>().track("retained-during-unwind-cancelled"));
        let waker = std::task::Waker::noop();
        let _ = pending
            .as_mut()
            .poll(&mut std::task::Context::from_waker(waker));
        drop(pending);
    }
}

#[test]
fn operations_that_complete_inside_a_drop_during_an_unwind_end_ok() {
    let _logs = log_everything();
    let unwound = std::panic::catch_unwind(|| {
        let _guard = CleansUp;
        panic!("unwinding through the guard");
    });
    assert!(unwound.is_err());
    for name in ["retained-during-unwind", "retained-during-unwind-explicit"] {
        let event = only_operation(name);
        assert_ended(&event, name, "ok", None);
        assert_eq!(event["retained_bytes"], 0, "{event}");
    }
    let dropped = only_operation("retained-during-unwind-dropped");
    assert_ended(&dropped, "retained-during-unwind-dropped", "dropped", None);
    let cancelled = only_operation("retained-during-unwind-cancelled");
    assert_ended(
        &cancelled,
        "retained-during-unwind-cancelled",
        "cancelled",
        None,
    );
}

#[test]
fn a_panic_inside_a_drop_during_an_unwind_still_ends_its_operation_as_panicked() {
    let _logs = log_everything();
    struct PanicsInside;
    impl Drop for PanicsInside {
        fn drop(&mut self) {
            let inner = std::panic::catch_unwind(|| {
                let op = memtrack::start("retained-panics-during-unwind");
                op.in_scope(|| panic!("inside the guard"));
            });
            assert!(inner.is_err());
        }
    }
    let unwound = std::panic::catch_unwind(|| {
        let _guard = PanicsInside;
        panic!("unwinding through the guard");
    });
    assert!(unwound.is_err());
    let event = only_operation("retained-panics-during-unwind");
    assert_eq!(event["ended_by"], "panic", "{event}");
}

#[test]
fn a_frame_reopened_inside_another_operation_retains_for_its_own() {
    let _logs = log_everything();
    let outer = memtrack::start("retained-reentered");
    let between = memtrack::start("retained-between");
    let (small, large) = outer.in_scope(|| {
        between.in_scope(|| {
            outer.in_scope(|| {
                let small: Vec<Box<[u8; 100]>> = (0..1000)
                    .map(|_| black_box(Box::new([6_u8; 100])))
                    .collect();
                (small, black_box(vec![7_u8; 50_000]))
            })
        })
    });
    between.end();
    outer.end();
    // The list of boxes (1000 pointers) and the vector are tagged blocks; the boxes
    // are small ones. All were allocated by `outer`'s innermost frame.
    let list_bytes = 1000 * std::mem::size_of::<Box<[u8; 100]>>();
    let held = (100 * 1000 + list_bytes + 50_000) as u64;
    let event = only_operation("retained-reentered");
    assert_eq!(event["retained_bytes"], held, "{event}");
    let event = only_operation("retained-between");
    assert_eq!(event["retained_bytes"], 0, "{event}");
    drop((small, large));
}

#[test]
fn threads_without_a_slot_report_only_their_own_blocks() {
    let _logs = log_everything();
    // More threads alive at once than the registry has slots, so some have none.
    let threads = memtrack::alloc::registry_stats().capacity + 44;
    let start = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                drop(black_box(vec![0_u8; 8])); // claims a slot, if one is left
                start.wait();
                let op = memtrack::start("retained-slotless");
                let kept = op.in_scope(|| {
                    let block = black_box(vec![8_u8; 64 * 1024]);
                    start.wait(); // every thread holds its block now
                    let kept = (i % 2 == 0).then_some(block);
                    start.wait(); // and half of them have freed theirs
                    kept
                });
                op.end();
                kept
            })
        })
        .collect();
    for handle in handles {
        drop(handle.join().expect("the thread ran"));
    }
    let stats = memtrack::alloc::registry_stats();
    assert!(
        stats.slotless_threads > 0,
        "some threads ran without a slot: {stats:?}"
    );
    let events = operations("retained-slotless");
    assert_eq!(events.len(), threads);
    let kept = events.iter().filter(|e| e["freed_bytes"] == 0).count();
    assert_eq!(kept, threads.div_ceil(2));
    for event in events {
        let expected = if event["freed_bytes"] == 0 {
            64 * 1024
        } else {
            0
        };
        assert_eq!(event["retained_bytes"], expected, "{event}");
    }
}

#[test]
fn an_operation_nested_in_another_of_its_name_through_a_third_keeps_its_own() {
    let _logs = log_everything();
    let mut kept = Vec::with_capacity(1);
    let outer = memtrack::start("retained-same-name");
    let between = memtrack::start("retained-same-name-between");
    outer.in_scope(|| {
        between.in_scope(|| {
            let inner = memtrack::start("retained-same-name");
            inner.in_scope(|| kept.push(black_box(vec![9_u8; 4096])));
            inner.end();
        });
    });
    between.end();
    outer.end();
    let events = operations("retained-same-name");
    assert_eq!(events.len(), 2, "{events:#?}");
    // The inner one ends first and holds the block; the outer holds nothing.
    assert_eq!(events[0]["retained_bytes"], 4096, "{}", events[0]);
    assert_eq!(events[1]["retained_bytes"], 0, "{}", events[1]);
    let between = only_operation("retained-same-name-between");
    assert_eq!(between["retained_bytes"], 0, "{between}");
    drop(kept);
}

/// A bounded cache whose puts evict the oldest entry: each put keeps the block it
/// inserted, though it frees one that an earlier put (of the same name) allocated.
#[memtrack("retained-evicting-put")]
fn put(cache: &mut std::collections::VecDeque<Vec<u8>>, size: usize) {
    if cache.len() == 2 {
        cache.pop_front();
    }
    cache.push_back(black_box(vec![4_u8; size]));
}

#[test]
fn an_operation_that_frees_what_another_of_its_name_allocated_keeps_its_own() {
    let _logs = log_everything();
    let mut cache = std::collections::VecDeque::with_capacity(2);
    for _ in 0..5 {
        put(&mut cache, 8192);
    }
    let events = operations("retained-evicting-put");
    assert_eq!(events.len(), 5, "{events:#?}");
    for (i, event) in events.iter().enumerate() {
        assert_eq!(event["alloc_bytes"], 8192, "{event}");
        let freed = if i < 2 { 0 } else { 8192 };
        assert_eq!(event["freed_bytes"], freed, "{event}");
        assert_eq!(event["retained_bytes"], 8192, "put {i}: {event}");
    }
    let held = memtrack::retained()
        .expect("the counting allocator is installed")
        .into_iter()
        .find(|h| h.name == "retained-evicting-put")
        .expect("the cache's holder");
    assert_eq!(held.exact_bytes, 2 * 8192);
    drop(cache);
}

#[memtrack("retained-refresh")]
fn refresh(map: &mut std::collections::HashMap<u32, Vec<u8>>) {
    map.insert(1, black_box(vec![5_u8; 64 * 1024]));
}

#[memtrack("retained-append")]
fn append(shared: &mut Vec<u8>) {
    shared.extend_from_slice(black_box(&[6_u8; 4096]));
}

#[test]
fn a_replaced_value_and_a_grown_buffer_belong_to_the_operation_that_made_them() {
    let _logs = log_everything();
    let mut map = std::collections::HashMap::with_capacity(4);
    refresh(&mut map);
    refresh(&mut map);
    let events = operations("retained-refresh");
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0]["retained_bytes"], 64 * 1024, "{}", events[0]);
    // The second replaces the first's value: it freed 64 KiB of another
    // operation's and keeps its own 64 KiB.
    assert_eq!(events[1]["freed_bytes"], 64 * 1024, "{}", events[1]);
    assert_eq!(events[1]["net_bytes"], 0, "{}", events[1]);
    assert_eq!(events[1]["retained_bytes"], 64 * 1024, "{}", events[1]);
    drop(map);

    let mut shared = Vec::with_capacity(4096);
    append(&mut shared); // fills the capacity: nothing allocated
    append(&mut shared); // a realloc to 8192: a new block, owned by this one
    let events = operations("retained-append");
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0]["retained_bytes"], 0, "{}", events[0]);
    assert_eq!(events[1]["alloc_bytes"], 8192, "{}", events[1]);
    assert_eq!(events[1]["freed_bytes"], 4096, "{}", events[1]);
    assert_eq!(events[1]["retained_bytes"], 8192, "{}", events[1]);
    drop(shared);
}

#[test]
fn an_inner_operation_of_the_same_name_that_frees_the_outer_ones_block_leaves_the_inner_whole() {
    let _logs = log_everything();
    let outer = memtrack::start("retained-same-name-free");
    let mut slot = None;
    outer.in_scope(|| {
        slot = Some(black_box(vec![7_u8; 4096]));
        let inner = memtrack::start("retained-same-name-free");
        inner.in_scope(|| {
            drop(slot.take());
            slot = Some(black_box(vec![8_u8; 2048]));
        });
        inner.end();
    });
    outer.end();
    let events = operations("retained-same-name-free");
    assert_eq!(events.len(), 2, "{events:#?}");
    // The inner one freed the outer one's block: the outer keeps nothing, the
    // inner keeps its own 2 KiB.
    assert_eq!(events[0]["retained_bytes"], 2048, "{}", events[0]);
    assert_eq!(events[1]["retained_bytes"], 0, "{}", events[1]);
    drop(slot);
}

#[memtrack("retained-async-put")]
async fn put_async(cache: Arc<std::sync::Mutex<std::collections::VecDeque<Vec<u8>>>>) {
    tokio::task::yield_now().await;
    let block = black_box(vec![9_u8; 32 * 1024]);
    let evicted = {
        let mut cache = cache.lock().unwrap();
        let evicted = if cache.len() == 4 {
            cache.pop_front()
        } else {
            None
        };
        cache.push_back(block);
        evicted
    };
    drop(evicted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn puts_that_evict_each_other_across_worker_threads_each_keep_their_block() {
    let _logs = log_everything();
    let cache = Arc::new(std::sync::Mutex::new(
        std::collections::VecDeque::with_capacity(4),
    ));
    let tasks: Vec<_> = (0..12)
        .map(|_| tokio::spawn(put_async(Arc::clone(&cache))))
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let events = operations("retained-async-put");
    assert_eq!(events.len(), 12, "{events:#?}");
    for event in &events {
        // Its 32 KiB block, exactly, and at most a few small blocks of the
        // runtime's, which count as their net.
        let retained = event["retained_bytes"].as_u64().unwrap();
        assert!((32 * 1024..33 * 1024).contains(&retained), "{event}");
    }
    drop(cache);
}

/// `rec` calls `mid`, which calls `rec` again, `depth` times; each `rec` keeps a
/// block of its own.
fn recurse(depth: u32, kept: &mut Vec<Vec<u8>>) {
    let rec = memtrack::start("retained-recursion");
    rec.in_scope(|| {
        kept.push(black_box(vec![1_u8; 4096]));
        if depth > 1 {
            let mid = memtrack::start("retained-recursion-mid");
            mid.in_scope(|| recurse(depth - 1, kept));
            mid.end();
        }
    });
    rec.end();
}

#[test]
fn recursion_through_another_operation_keeps_each_level_its_own() {
    let _logs = log_everything();
    let mut kept = Vec::with_capacity(16);
    // 12 levels: 24 operations open at once on the thread.
    recurse(12, &mut kept);
    let events = operations("retained-recursion");
    assert_eq!(events.len(), 12, "{events:#?}");
    for event in &events {
        assert_eq!(event["retained_bytes"], 4096, "{event}");
    }
    for event in operations("retained-recursion-mid") {
        assert_eq!(event["retained_bytes"], 0, "{event}");
    }
    drop(kept);
}
