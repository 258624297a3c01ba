//! The monitor thread and the handle that controls it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::MonitorError;
use super::state::State;
use crate::config::Config;
use crate::support::panic_text;

/// Whether a monitor thread is running in this process.
static RUNNING: AtomicBool = AtomicBool::new(false);

/// Longest [`MonitorHandle::tick_now`] waits for the thread.
const TICK_WAIT: Duration = Duration::from_secs(10);

/// Longest stopping the monitor waits for a tick in progress to end.
const STOP_WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct Control {
    stop: bool,
    /// The thread has returned.
    finished: bool,
    /// Ticks requested by `tick_now` so far, and the last request served.
    requested: u64,
    served: u64,
}

#[derive(Debug, Default)]
struct Shared {
    control: Mutex<Control>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running monitor. Dropping it (or [`stop`](Self::stop)) stops the thread
/// within milliseconds, without waiting for the next tick; [`detach`](Self::detach)
/// lets it run for the rest of the process.
///
/// ```
/// use std::time::Duration;
///
/// let config = memtrack::Config::builder()
///     .monitor_interval(Duration::from_secs(30))
///     .build()
///     .unwrap();
/// let monitor = memtrack::monitor::start(config).expect("no other monitor runs");
/// assert!(memtrack::monitor::is_running());
/// monitor.stop();
/// assert!(!memtrack::monitor::is_running());
/// ```
#[derive(Debug)]
pub struct MonitorHandle {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// Starts the monitor thread with `config`'s intervals and thresholds.
pub(super) fn spawn(config: Config) -> Result<MonitorHandle, MonitorError> {
    let claim = Claim::take().ok_or(MonitorError::AlreadyRunning)?;
    let shared = Arc::new(Shared::default());
    let state = State::start(config);
    let thread_shared = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("memtrack-monitor".to_owned())
        .spawn(move || run(&thread_shared, state))
        .map_err(MonitorError::Spawn)?;
    claim.keep();
    Ok(MonitorHandle {
        shared,
        thread: Some(thread),
    })
}

/// The process's one monitor slot, taken by a start: given back when dropped, on
/// every way out of `spawn` (an error, a panic) but the one where the thread runs.
struct Claim;

impl Claim {
    fn take() -> Option<Claim> {
        RUNNING
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
            .then(|| Claim)
    }

    /// The thread runs: the slot stays taken until its handle stops it.
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        RUNNING.store(false, Ordering::Release);
    }
}

/// Whether a monitor is running in this process.
///
/// ```
/// assert!(!memtrack::monitor::is_running());
/// ```
#[must_use]
pub fn is_running() -> bool {
    RUNNING.load(Ordering::Acquire)
}

impl MonitorHandle {
    /// Takes a `memory_snapshot` and a `cache_stats_snapshot` now (with their alerts
    /// and, if due, a reclaim), and waits until they are logged. The periodic
    /// schedule is unchanged. Returns `false` if the thread did not answer within
    /// 10 seconds or has stopped, and at once when called on the monitor's own
    /// thread (from code a tick runs: a subscriber, a reclaim hook), which cannot
    /// take another tick while it runs this one.
    ///
    /// ```
    /// let monitor = memtrack::monitor::start(memtrack::Config::default()).unwrap();
    /// assert!(monitor.tick_now());
    /// ```
    pub fn tick_now(&self) -> bool {
        if self.is_current_thread() {
            return false;
        }
        let mut control = self.shared.lock();
        if control.finished {
            return false;
        }
        control.requested += 1;
        let target = control.requested;
        self.shared.wake.notify_all();
        let (control, _) = self
            .shared
            .wake
            .wait_timeout_while(control, TICK_WAIT, |c| c.served < target && !c.finished)
            .unwrap_or_else(PoisonError::into_inner);
        control.served >= target
    }

    /// Stops the monitor and waits for its thread to finish (it wakes at once; a
    /// tick in progress completes first). A tick held up by user code (a reclaim
    /// hook that blocks) is waited for at most 5 seconds; the thread then ends on
    /// its own when that code returns, and a new monitor may start meanwhile.
    ///
    /// ```
    /// let monitor = memtrack::monitor::start(memtrack::Config::default()).unwrap();
    /// monitor.stop();
    /// assert!(memtrack::monitor::start(memtrack::Config::default()).is_ok());
    /// ```
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Lets the monitor run for the rest of the process.
    ///
    /// ```no_run
    /// memtrack::monitor::start(memtrack::Config::default()).unwrap().detach();
    /// ```
    pub fn detach(mut self) {
        self.thread = None;
    }

    /// Whether the caller runs on the monitor's thread.
    fn is_current_thread(&self) -> bool {
        self.thread
            .as_ref()
            .is_some_and(|t| t.thread().id() == std::thread::current().id())
    }

    fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        let mut control = self.shared.lock();
        control.stop = true;
        self.shared.wake.notify_all();
        // Stopped from inside a tick (a reclaim hook that owned the handle): the
        // loop ends after this tick; waiting would wait on the current thread
        // itself. Otherwise wait for the thread, but not for ever: a tick stuck in
        // user code (a reclaim hook that blocks) must not hold the caller; the
        // thread then ends on its own once that code returns.
        if thread.thread().id() != std::thread::current().id() {
            control = self
                .shared
                .wake
                .wait_timeout_while(control, STOP_WAIT, |c| !c.finished)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            let finished = control.finished;
            drop(control);
            if finished {
                let _ = thread.join();
            }
        }
        RUNNING.store(false, Ordering::Release);
    }
}

impl Drop for MonitorHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Marks the thread finished however it returns, waking anyone in `tick_now`.
struct Finished<'a>(&'a Shared);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.lock().finished = true;
        self.0.wake.notify_all();
    }
}

/// The thread's loop: sleeps until the next tick is due, a tick is requested or
/// it is told to stop.
fn run(shared: &Shared, mut state: State) {
    let _finished = Finished(shared);
    let interval = state.config().monitor_interval();
    let cache_interval = state.config().cache_stats_interval();
    let start = Instant::now();
    let mut next_snapshot = later(start, interval);
    let mut next_cache = later(start, cache_interval);
    loop {
        let requested = {
            let mut control = shared.lock();
            loop {
                if control.stop {
                    return;
                }
                if control.requested > control.served {
                    break Some(control.requested);
                }
                let now = Instant::now();
                let due = next_snapshot.min(next_cache);
                if now >= due {
                    break None;
                }
                control = shared
                    .wake
                    .wait_timeout(control, due - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        };
        let now = Instant::now();
        if requested.is_some() || now >= next_snapshot {
            // A tick never takes the thread down: events and user size functions
            // are already guarded, this is the last line of defence.
            let _ = panic_text::quietly(|| state.snapshot());
            next_snapshot = advance(next_snapshot, interval, now);
        }
        if requested.is_some() || now >= next_cache {
            let _ = panic_text::quietly(|| state.cache_stats());
            next_cache = advance(next_cache, cache_interval, now);
        }
        if let Some(target) = requested {
            let mut control = shared.lock();
            control.served = control.served.max(target);
            shared.wake.notify_all();
        }
    }
}

/// The next deadline of a periodic tick: one period later, or one period from now
/// when the thread fell behind (no burst of catch-up ticks).
fn advance(deadline: Instant, period: Duration, now: Instant) -> Instant {
    if now < deadline {
        return deadline;
    }
    let next = later(deadline, period);
    if next > now { next } else { later(now, period) }
}

/// `t + period`, or as far as the clock goes for a period too long to add (a
/// configured interval of `u64::MAX` milliseconds must not panic the thread).
fn later(t: Instant, period: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    t.checked_add(period)
        .or_else(|| t.checked_add(CENTURY))
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::advance;
    use std::time::{Duration, Instant};

    #[test]
    fn deadlines_advance_by_one_period_without_catch_up() {
        let t0 = Instant::now();
        let p = Duration::from_secs(30);
        assert_eq!(advance(t0 + p, p, t0), t0 + p);
        assert_eq!(advance(t0, p, t0 + Duration::from_secs(1)), t0 + p);
        assert_eq!(
            advance(t0, p, t0 + Duration::from_secs(95)),
            t0 + Duration::from_secs(125)
        );
    }

    #[test]
    fn an_enormous_period_does_not_overflow() {
        let t0 = Instant::now();
        let huge = Duration::from_millis(u64::MAX);
        assert!(super::later(t0, huge) > t0);
        assert!(advance(t0, huge, t0) >= t0);
    }
}
