//! The owners' figures as a whole: they add up to the allocator's live bytes, no
//! owner goes below zero when blocks change hands between threads, and the estimate
//! of small blocks (attributed by sampling) is as close to the truth as its error
//! model says.
//!
//! The tests of this file run one at a time (they read process-wide totals).

mod support;

use std::hint::black_box;
use std::sync::{Arc, Barrier, Mutex, PoisonError};

use memtrack::memtrack;
use support::serial;

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[memtrack("totals-mixed")]
fn mixed(i: usize, keep: &Mutex<Vec<Vec<u8>>>) {
    // Small and tagged blocks, some kept, some freed, one grown by realloc.
    let mut grown = Vec::new();
    for n in 0..(i % 50) {
        grown.push(n as u32);
    }
    let small: Vec<String> = (0..20).map(|n| format!("{i}-{n}")).collect();
    black_box(&small);
    if i.is_multiple_of(3) {
        lock(keep).push(vec![1; 100 + i % 3000]);
    }
    if i.is_multiple_of(7) {
        lock(keep).push(vec![2; 5000]);
    }
}

#[test]
fn the_owners_live_bytes_add_up_to_the_allocators_live_total() {
    let _serial = serial();
    // Enough names that the reading's own list of owners is a tagged block.
    for i in 0..200 {
        memtrack::start(format!("totals-name-{i}")).end();
    }
    let keep = Arc::new(Mutex::new(Vec::new()));
    let start = Arc::new(Barrier::new(4));
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let keep = Arc::clone(&keep);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for i in 0..2000 {
                    mixed(t * 10_000 + i, &keep);
                }
                // Some kept blocks are freed by another thread than their maker.
                let mut keep = lock(&keep);
                let half = keep.len() / 2;
                keep.truncate(half);
            })
        })
        .collect();
    for worker in workers {
        worker.join().expect("worker");
    }
    let reading = memtrack::retained::reading().expect("the allocator is installed");
    let sum: u64 = reading.holders.iter().map(|h| h.bytes).sum();
    assert_eq!(sum, reading.live_bytes, "{reading:#?}");
    let held = reading
        .holders
        .iter()
        .find(|h| h.name == "totals-mixed")
        .expect("totals-mixed holds the kept blocks");
    // Every kept block of at least 1 KiB is counted exactly.
    let tagged: u64 = lock(&keep)
        .iter()
        .filter(|b| b.capacity() >= memtrack::alloc::TAGGED_MIN)
        .map(|b| b.capacity() as u64)
        .sum();
    assert!(held.exact_bytes >= tagged, "{held:?} {tagged}");
    drop(keep);
}

#[memtrack("totals-maker")]
fn make(size: usize) -> Vec<u8> {
    vec![3; size]
}

#[test]
fn no_owner_goes_below_zero_when_blocks_are_freed_by_other_threads() {
    let _serial = serial();
    let queue = Arc::new(Mutex::new(Vec::<Vec<u8>>::with_capacity(1 << 16)));
    let makers: Vec<_> = (0..2)
        .map(|_| {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                for i in 0..5000 {
                    let block = make(1024 + i % 4096);
                    lock(&queue).push(block);
                }
            })
        })
        .collect();
    let freers: Vec<_> = (0..2)
        .map(|_| {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                let mut freed = 0;
                while freed < 5000 {
                    if let Some(block) = lock(&queue).pop() {
                        drop(block);
                        freed += 1;
                    } else {
                        std::thread::yield_now();
                    }
                }
            })
        })
        .collect();
    // While blocks change hands, every reading stays a valid figure.
    for _ in 0..200 {
        let reading = memtrack::retained::reading().expect("installed");
        for holder in &reading.holders {
            assert!(
                holder.exact_bytes <= reading.live_bytes.max(1 << 30),
                "{holder:?}"
            );
        }
    }
    for t in makers.into_iter().chain(freers) {
        t.join().expect("thread");
    }
    // Quiet again: the raw per-owner sums (which no clamping hides) are back to zero
    // for the maker, and none is negative.
    let owners = memtrack::alloc::owners_live(memtrack::alloc::MAX_OWNERS).expect("installed");
    for owner in &owners {
        assert!(owner.exact_bytes >= 0, "{owner:?}");
        assert!(owner.exact_blocks >= 0, "{owner:?}");
    }
    let maker = memtrack::retained()
        .expect("installed")
        .into_iter()
        .find(|h| h.name == "totals-maker");
    assert!(maker.is_none_or(|m| m.exact_bytes == 0), "{maker:?}");
}

// The boxes are the point: each is one small heap block.
#[allow(clippy::vec_box)]
#[memtrack("totals-small-keeper")]
fn keep_small(store: &mut Vec<Box<[u8; 96]>>, n: usize) {
    store.extend((0..n).map(|i| Box::new([i as u8; 96])));
}

#[allow(clippy::vec_box)]
#[memtrack("totals-small-other")]
fn keep_other(store: &mut Vec<Box<[u8; 160]>>, n: usize) {
    store.extend((0..n).map(|i| Box::new([i as u8; 160])));
}

#[memtrack("totals-small-churn")]
fn churn_small(n: usize) {
    for i in 0..n {
        black_box(Box::new([i as u8; 200]));
    }
}

/// The error model of the small-block estimate: with a sampling interval of `I`
/// bytes and `R` live small bytes of an owner (blocks much smaller than `I`), about
/// `R / I` of its blocks are sampled, and the estimate's relative standard error is
/// about `sqrt(I / R)` (the live small bytes of all owners are known exactly and
/// shared out in proportion to their samples, which can only narrow it). This test
/// measures it: 16 MiB of 96-byte blocks next to 16 MiB of another owner's 160-byte
/// blocks, at an interval of 64 KiB, gives ~256 samples each, a standard error of
/// ~6 %.
#[test]
fn the_estimate_of_small_blocks_is_within_its_error_model() {
    let _serial = serial();
    let interval = 64 * 1024;
    memtrack::alloc::set_sample_interval(interval);
    let rounds = 6;
    let mut errors = Vec::new();
    for _ in 0..rounds {
        let blocks = 16 * 1024 * 1024 / 96;
        let mut store = Vec::with_capacity(blocks);
        let mut other = Vec::with_capacity(16 * 1024 * 1024 / 160);
        // Interleave with another keeper and with a churning operation whose blocks
        // all die.
        for _ in 0..16 {
            keep_small(&mut store, blocks / 16);
            keep_other(&mut other, 16 * 1024 * 1024 / 160 / 16);
            churn_small(blocks / 16);
        }
        let truth = (store.len() * 96) as f64;
        let held = memtrack::retained()
            .expect("installed")
            .into_iter()
            .find(|h| h.name == "totals-small-keeper")
            .map_or(0, |h| h.bytes) as f64;
        let churn = memtrack::retained()
            .expect("installed")
            .into_iter()
            .find(|h| h.name == "totals-small-churn")
            .map_or(0, |h| h.bytes);
        // Nothing the churning operation made is alive.
        assert_eq!(churn, 0);
        errors.push((held - truth) / truth);
        drop(store);
        drop(other);
    }
    memtrack::alloc::set_sample_interval(memtrack::alloc::DEFAULT_SAMPLE_INTERVAL);
    eprintln!("small-block estimate errors: {errors:?}");
    let expected_se = (interval as f64 / (16.0 * 1024.0 * 1024.0)).sqrt();
    for e in &errors {
        // Four standard errors: a false alarm in fewer than one run in ten thousand.
        assert!(
            e.abs() < 4.0 * expected_se,
            "errors {errors:?}, model {expected_se}"
        );
    }
    let mean = errors.iter().sum::<f64>() / errors.len() as f64;
    assert!(
        mean.abs() < 2.0 * expected_se,
        "mean error {mean}, errors {errors:?}"
    );
}
