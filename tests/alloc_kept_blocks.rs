//! The freed small blocks `Allocator::system()` keeps per thread, seen from `malloc`:
//! a live thread holds them, and a thread that exits hands them back. One test, alone
//! in its binary. glibc only (`mallinfo2`), with a single arena so that its figures
//! cover every thread.
#![cfg(all(
    not(feature = "passthrough-alloc"),
    target_os = "linux",
    target_env = "gnu"
))]

use std::sync::mpsc;

use memtrack::alloc::CACHED_BYTES_PER_THREAD;

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

/// Bytes `malloc` has handed out and not had back (its one arena).
fn malloc_in_use() -> i64 {
    // SAFETY: `mallinfo2` only reads malloc's statistics.
    let info = unsafe { libc::mallinfo2() };
    i64::try_from(info.uordblks).expect("in-use bytes fit in i64")
}

/// Fills the calling thread's kept lists: more blocks of every small size than a
/// list keeps, allocated, then all freed.
fn fill_kept_lists() {
    let mut blocks = Vec::with_capacity(128 * 10);
    for size in (8..1024).step_by(8) {
        for _ in 0..10 {
            blocks.push(Vec::<u8>::with_capacity(size));
        }
    }
    drop(blocks);
}

#[test]
fn a_live_thread_holds_its_kept_blocks_and_an_exiting_thread_hands_them_back() {
    // SAFETY: `mallopt` only changes malloc's tuning; it is set before any thread
    // but this one exists.
    assert_eq!(unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) }, 1);
    let per_thread = i64::try_from(CACHED_BYTES_PER_THREAD).expect("fits");
    // Whatever spawning a thread and a channel allocate once, allocated before the
    // baseline.
    let (warm_tx, warm_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        fill_kept_lists();
        warm_tx.send(()).expect("send");
    })
    .join()
    .expect("thread ran");
    warm_rx.recv().expect("received");

    let baseline = malloc_in_use();
    let (filled_tx, filled_rx) = mpsc::channel::<()>();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        fill_kept_lists();
        filled_tx.send(()).expect("send");
        exit_rx.recv().expect("told to exit");
    });
    filled_rx.recv().expect("holder filled its lists");
    let held = malloc_in_use() - baseline;
    // The kept blocks themselves, plus whatever glibc's own per-thread cache keeps.
    assert!(
        held >= per_thread * 9 / 10,
        "a live thread with full lists: {held} bytes more in use, expected at least \
         {per_thread}"
    );
    exit_tx.send(()).expect("send");
    holder.join().expect("holder ran");

    for _ in 0..40 {
        std::thread::spawn(fill_kept_lists)
            .join()
            .expect("thread ran");
    }
    let left = malloc_in_use() - baseline;
    // Forty threads' lists left behind would be forty times `per_thread`.
    assert!(
        left < per_thread / 2,
        "41 threads that filled their lists and exited left {left} bytes in use"
    );
}
