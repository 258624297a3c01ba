//! One cache's size function and its calls: at most one at a time.
//!
//! Readings that want a size while the function is already running for another
//! reading join that call and are answered when it returns, so concurrent readings
//! share one call, and one reader thread, instead of each starting its own. A call
//! that a reading gave up on while it still ran marks the function hung: until it
//! returns, readings answer at once that it has not returned, and it is not called
//! again. A function that never returns thus holds exactly one reader thread.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// What one size function gave: a size, `None` for a cache that no longer exists,
/// or why there is no size.
pub(crate) type Answer = Result<Option<usize>, String>;

/// A reading waiting for a call in flight.
type Waiter = Box<dyn FnOnce(&Answer) + Send>;

/// The calls of one size function.
#[derive(Default)]
pub(crate) struct SizeFnState {
    call: Mutex<Call>,
}

#[derive(Default)]
struct Call {
    running: bool,
    /// A reading gave up on the call in flight.
    hung: bool,
    waiters: Vec<Waiter>,
}

/// What a reading that wants the size is to do.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// Call the function now, then [`SizeFnState::finish`].
    Run,
    /// A call is in flight for another reading: its answer will be passed on.
    Joined,
    /// The function has not returned since a reading gave up on it.
    Hung,
}

impl fmt::Debug for SizeFnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let call = self.lock();
        f.debug_struct("SizeFnState")
            .field("running", &call.running)
            .field("hung", &call.hung)
            .field("waiters", &call.waiters.len())
            .finish()
    }
}

impl SizeFnState {
    fn lock(&self) -> MutexGuard<'_, Call> {
        self.call.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a reading gave up on the call in flight, which has not returned.
    pub(crate) fn is_hung(&self) -> bool {
        self.lock().hung
    }

    /// A reading wants the size: run the function, join the call in flight
    /// (`waiter` then gets its answer), or answer that it is hung.
    pub(crate) fn start(&self, waiter: impl FnOnce(&Answer) + Send + 'static) -> Start {
        let mut call = self.lock();
        if call.hung {
            Start::Hung
        } else if call.running {
            call.waiters.push(Box::new(waiter));
            Start::Joined
        } else {
            call.running = true;
            Start::Run
        }
    }

    /// A new reading joins the call in flight, if there is one and the function is
    /// not hung (`waiter` then gets its answer); `false` otherwise.
    pub(crate) fn join(&self, waiter: impl FnOnce(&Answer) + Send + 'static) -> bool {
        let mut call = self.lock();
        let joined = call.running && !call.hung;
        if joined {
            call.waiters.push(Box::new(waiter));
        }
        joined
    }

    /// The call [`start`](Self::start) asked for returned `answer`: the readings
    /// that joined it get it, and the function is no longer hung.
    pub(crate) fn finish(&self, answer: &Answer) {
        let waiters = {
            let mut call = self.lock();
            call.running = false;
            if std::mem::take(&mut call.hung) {
                HUNG_FUNCTIONS.fetch_sub(1, Ordering::AcqRel);
            }
            std::mem::take(&mut call.waiters)
        };
        for waiter in waiters {
            waiter(answer);
        }
    }

    /// A reading gave up waiting for the size: the call in flight, if it has not
    /// returned meanwhile, marks the function hung.
    pub(crate) fn timed_out(&self) {
        let mut call = self.lock();
        if call.running && !call.hung {
            call.hung = true;
            HUNG_FUNCTIONS.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Size functions that are hung, each holding a reader thread.
static HUNG_FUNCTIONS: AtomicUsize = AtomicUsize::new(0);

/// How many size functions are hung (each holds one reader thread).
pub(crate) fn hung_functions() -> usize {
    HUNG_FUNCTIONS.load(Ordering::Acquire)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_call_in_flight_is_joined_and_its_answer_passed_on() {
        let state = SizeFnState::default();
        let got = Arc::new(Mutex::new(Vec::new()));
        let keep = |got: &Arc<Mutex<Vec<Answer>>>| {
            let got = Arc::clone(got);
            move |a: &Answer| got.lock().unwrap().push(a.clone())
        };
        assert!(!state.join(keep(&got)), "nothing in flight to join");
        assert_eq!(state.start(keep(&got)), Start::Run);
        assert_eq!(state.start(keep(&got)), Start::Joined);
        assert!(state.join(keep(&got)));
        state.finish(&Ok(Some(3)));
        assert_eq!(*got.lock().unwrap(), [Ok(Some(3)), Ok(Some(3))]);
        // The next reading calls it again.
        assert_eq!(state.start(keep(&got)), Start::Run);
        state.finish(&Ok(Some(4)));
        assert_eq!(got.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_call_given_up_on_makes_the_function_hung_until_it_returns() {
        let state = SizeFnState::default();
        let hung_before = hung_functions();
        // Giving up after the call returned marks nothing.
        assert_eq!(state.start(|_| {}), Start::Run);
        state.finish(&Ok(None));
        state.timed_out();
        assert!(!state.is_hung());
        assert_eq!(state.start(|_| {}), Start::Run);
        state.timed_out();
        state.timed_out();
        assert!(state.is_hung());
        assert!(hung_functions() > hung_before);
        assert_eq!(state.start(|_| panic!("not called")), Start::Hung);
        state.finish(&Ok(Some(1)));
        assert!(!state.is_hung());
        assert_eq!(state.start(|_| {}), Start::Run);
        state.finish(&Ok(Some(1)));
    }
}
