//! The threads that run size functions, so that no caller ever does.
//!
//! A size function is user code: it may take a lock the caller holds (the README's
//! `c.lock()` pattern), sleep, or never return. Readings therefore hand their jobs
//! to reader threads (`memtrack-cache-reader`) and wait a bounded time for them.
//!
//! - One reader thread is started when a reading finds none idle; a reading whose
//!   jobs wait while a size function runs slowly asks for another, up to
//!   [`MAX_READERS`] threads in the process.
//! - A size function runs once at a time: a reading that finds it running for
//!   another reading joins that call (see `size_fn`). One that does not return
//!   within its reading's time keeps its thread, and is not called again until it
//!   returns (its cache is reported with an error meanwhile), so a function that
//!   never returns holds one thread for good, never more than [`MAX_READERS`] in
//!   all.
//! - When every reader thread is held by a function that timed out, a reading
//!   answers at once with an error for every cache it could not read; so does one
//!   that finds [`MAX_QUEUED`] readings already waiting for a thread.
//! - A reader thread idle for [`IDLE_EXIT`] ends.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::Source;
use super::batch::{Answer, Batch};
use crate::support::named_registry::Entry;
use crate::support::panic_text;

/// Most reader threads in the process.
pub(super) const MAX_READERS: usize = 4;
/// Most readings waiting for a reader thread (each one's caller waits too, so this
/// bounds nothing a service would reach, only what a runaway caller could).
const MAX_QUEUED: usize = 4096;
/// How long an idle reader thread waits for work before it ends.
const IDLE_EXIT: Duration = Duration::from_secs(60);

struct Pool {
    /// Readings with jobs left to claim, oldest first.
    queue: VecDeque<Arc<Batch>>,
    /// Reader threads waiting for work.
    idle: usize,
    /// Reader threads alive (idle, running a size function, or stuck in one).
    threads: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool {
    queue: VecDeque::new(),
    idle: 0,
    threads: 0,
});
static WORK: Condvar = Condvar::new();

thread_local! {
    /// Set on reader threads.
    static ON_READER: Cell<bool> = const { Cell::new(false) };
}

fn lock() -> MutexGuard<'static, Pool> {
    POOL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whether the calling thread is a reader thread (a size function asking for the
/// cache sizes: it must not wait for readers, itself among them).
pub(super) fn on_reader_thread() -> bool {
    ON_READER.try_with(Cell::get).unwrap_or(false)
}

/// Reads every entry's size on reader threads, waiting at most `timeout` for all of
/// them; a panic's text is cut to `max_chars` characters.
pub(super) fn read(
    entries: Vec<Entry<Source>>,
    timeout: Duration,
    max_chars: usize,
) -> Vec<(Entry<Source>, Answer)> {
    if entries.is_empty() {
        return Vec::new();
    }
    let batch = Arc::new(Batch::new(entries, max_chars));
    batch.join_calls_in_flight();
    if batch.has_work()
        && let Err(error) = submit(&batch)
    {
        return batch.refuse(error);
    }
    batch.wait(timeout, more_readers)
}

/// Queues a reading and makes sure a reader thread will take it.
fn submit(batch: &Arc<Batch>) -> Result<(), &'static str> {
    let mut pool = lock();
    pool.queue.retain(|b| b.has_work());
    let all_blocked =
        pool.idle == 0 && pool.threads >= MAX_READERS && super::hung_functions() >= pool.threads;
    if all_blocked {
        return Err("not read: every cache reader thread is blocked in a size function");
    }
    if pool.queue.len() >= MAX_QUEUED {
        return Err("not read: too many readings are waiting for a cache reader thread");
    }
    pool.queue.push_back(Arc::clone(batch));
    wake_or_start(&mut pool);
    if pool.threads == 0 {
        pool.queue.retain(|b| !Arc::ptr_eq(b, batch));
        return Err("not read: no cache reader thread could be started");
    }
    Ok(())
}

/// A reading's jobs wait while a size function runs: wake an idle reader thread,
/// or start one more.
fn more_readers() {
    wake_or_start(&mut lock());
}

fn wake_or_start(pool: &mut Pool) {
    if pool.idle > 0 {
        WORK.notify_one();
        return;
    }
    if pool.threads >= MAX_READERS {
        return;
    }
    let started = std::thread::Builder::new()
        .name("memtrack-cache-reader".to_owned())
        .spawn(work);
    if started.is_ok() {
        pool.threads += 1;
    }
}

/// A reader thread: runs jobs until it has been idle for [`IDLE_EXIT`].
fn work() {
    ON_READER.set(true);
    while let Some((batch, index)) = next_job() {
        // `run` catches the size function's panic; this catches anything else, so
        // that the thread count stays right.
        let _ = panic_text::quietly(|| batch.run(index));
    }
}

/// The next job, waiting for one; `None` when the thread should end (it is then
/// no longer counted).
fn next_job() -> Option<(Arc<Batch>, usize)> {
    let mut pool = lock();
    loop {
        while let Some(batch) = pool.queue.front() {
            if let Some(index) = batch.claim() {
                return Some((Arc::clone(batch), index));
            }
            pool.queue.pop_front();
        }
        pool.idle += 1;
        let (guard, waited) = WORK
            .wait_timeout(pool, IDLE_EXIT)
            .unwrap_or_else(PoisonError::into_inner);
        pool = guard;
        pool.idle -= 1;
        if waited.timed_out() && pool.queue.is_empty() {
            pool.threads -= 1;
            return None;
        }
    }
}
