//! One reading of every cache's size: its jobs (one per size function), the
//! answers, and how long the caller waits for them.
//!
//! Reader threads claim jobs and answer them (a job whose size function is already
//! running for another reading joins that call, see `size_fn`); the caller waits
//! until every job is answered or the reading's time is up. Then the reading is
//! abandoned: a job not yet claimed is never run, and a size function still running
//! is marked hung, so that no later reading calls it again before it returns.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::Source;
pub(super) use super::size_fn::Answer;
use super::size_fn::Start;
use crate::support::named_registry::Entry;
use crate::support::panic_text;

/// Where one job stands.
#[derive(Debug)]
enum Slot {
    Waiting,
    Running,
    Answered(Answer),
}

#[derive(Debug)]
struct State {
    slots: Vec<Slot>,
    /// No job before this index is waiting. Jobs never go back to waiting, so the
    /// search for the next one resumes here: claiming every job of a reading costs
    /// one pass over its slots, not one per job.
    next_waiting: usize,
    answered: usize,
    /// The caller stopped waiting: nothing more is claimed.
    abandoned: bool,
}

impl State {
    /// The first job still waiting, if any.
    fn first_waiting(&mut self) -> Option<usize> {
        while let Some(slot) = self.slots.get(self.next_waiting) {
            if matches!(slot, Slot::Waiting) {
                return Some(self.next_waiting);
            }
            self.next_waiting += 1;
        }
        None
    }
}

/// One reading.
pub(super) struct Batch {
    entries: Vec<Entry<Source>>,
    /// Longest text kept from a size function's panic.
    max_chars: usize,
    state: Mutex<State>,
    changed: Condvar,
}

impl Batch {
    /// A reading of `entries`; a size function still hung from an earlier reading
    /// is answered at once, without a job.
    pub(super) fn new(entries: Vec<Entry<Source>>, max_chars: usize) -> Self {
        let slots: Vec<Slot> = entries
            .iter()
            .map(|(_, _, source)| {
                if source.state.is_hung() {
                    Slot::Answered(Err(STILL_RUNNING.to_owned()))
                } else {
                    Slot::Waiting
                }
            })
            .collect();
        let answered = slots
            .iter()
            .filter(|s| matches!(s, Slot::Answered(_)))
            .count();
        Self {
            entries,
            max_chars,
            state: Mutex::new(State {
                slots,
                next_waiting: 0,
                answered,
                abandoned: false,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the next job nobody runs yet; `None` when there is none left or the
    /// caller gave up.
    pub(super) fn claim(&self) -> Option<usize> {
        let mut state = self.lock();
        if state.abandoned {
            return None;
        }
        let next = state.first_waiting()?;
        state.slots[next] = Slot::Running;
        Some(next)
    }

    /// Whether a job is left to claim.
    pub(super) fn has_work(&self) -> bool {
        let mut state = self.lock();
        !state.abandoned && state.first_waiting().is_some()
    }

    /// Joins every call in flight for one of this reading's size functions (for
    /// another reading), so that their answers come without a job: a reading that
    /// arrives while reader threads are busy with those calls does not queue for a
    /// call of its own.
    pub(super) fn join_calls_in_flight(self: &Arc<Self>) {
        let mut state = self.lock();
        for (index, (_, _, source)) in self.entries.iter().enumerate() {
            if matches!(state.slots[index], Slot::Waiting)
                && source.state.join(self.answer_later(index))
            {
                state.slots[index] = Slot::Running;
            }
        }
    }

    /// What a call this reading joined does with its answer: gives it to job
    /// `index`, if the reading is still there.
    fn answer_later(self: &Arc<Self>, index: usize) -> impl FnOnce(&Answer) + Send + 'static {
        let reading = Arc::downgrade(self);
        move |answer: &Answer| {
            if let Some(reading) = reading.upgrade() {
                reading.answer(index, answer.clone());
            }
        }
    }

    /// Runs job `index` on the calling reader thread: calls its size function, or
    /// joins the call in flight for another reading (the job is then answered when
    /// that call returns, and the thread is free at once).
    pub(super) fn run(self: &Arc<Self>, index: usize) {
        let source = &self.entries[index].2;
        match source.state.start(self.answer_later(index)) {
            Start::Hung => self.answer(index, Err(STILL_RUNNING.to_owned())),
            Start::Joined => {}
            Start::Run => {
                let answer = panic_text::caught(|| (source.size)(), self.max_chars)
                    .map_err(|text| format!("size function panicked: {text}"));
                source.state.finish(&answer);
                self.answer(index, answer);
            }
        }
    }

    /// Job `index` has its answer (ignored once the caller gave up).
    fn answer(&self, index: usize, answer: Answer) {
        let mut state = self.lock();
        if state.abandoned || matches!(state.slots[index], Slot::Answered(_)) {
            return;
        }
        state.slots[index] = Slot::Answered(answer);
        state.answered += 1;
        drop(state);
        self.changed.notify_all();
    }

    /// Waits until every job is answered or `timeout` has passed; `stalled` is
    /// called whenever a slice of the time passes without a new answer while jobs
    /// wait to be claimed (a size function is slow: ask for another reader). Then
    /// gives every entry its answer, in registration order.
    pub(super) fn wait(
        &self,
        timeout: Duration,
        mut stalled: impl FnMut(),
    ) -> Vec<(Entry<Source>, Answer)> {
        let deadline = Instant::now().checked_add(timeout);
        let slice = (timeout / 5).max(Duration::from_millis(1));
        let mut state = self.lock();
        let mut seen = state.answered;
        while state.answered < state.slots.len() {
            let now = Instant::now();
            let left = deadline.map_or(slice, |d| d.saturating_duration_since(now));
            if left.is_zero() {
                break;
            }
            state = self
                .changed
                .wait_timeout(state, left.min(slice))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            let waiting = state.first_waiting().is_some();
            if state.answered == seen && waiting {
                drop(state);
                stalled();
                state = self.lock();
            }
            seen = state.answered;
        }
        state.abandoned = true;
        let slots = std::mem::take(&mut state.slots);
        for (entry, slot) in self.entries.iter().zip(&slots) {
            if matches!(slot, Slot::Running) {
                entry.2.state.timed_out();
            }
        }
        drop(state);
        let ms = timeout.as_millis();
        self.entries
            .iter()
            .zip(slots)
            .map(|(entry, slot)| {
                let answer = match slot {
                    Slot::Answered(answer) => answer,
                    Slot::Running => Err(format!("size function timed out after {ms} ms")),
                    Slot::Waiting => Err(format!(
                        "not read within {ms} ms: every cache reader thread was busy"
                    )),
                };
                (entry.clone(), answer)
            })
            .collect()
    }

    /// Answers every job not run with `error`, running nothing more.
    pub(super) fn refuse(&self, error: &str) -> Vec<(Entry<Source>, Answer)> {
        let mut state = self.lock();
        state.abandoned = true;
        let slots = std::mem::take(&mut state.slots);
        drop(state);
        self.entries
            .iter()
            .zip(slots)
            .map(|(entry, slot)| {
                let answer = match slot {
                    Slot::Answered(answer) => answer,
                    Slot::Waiting | Slot::Running => Err(error.to_owned()),
                };
                (entry.clone(), answer)
            })
            .collect()
    }
}

/// The answer for a size function that timed out in an earlier reading and has not
/// returned since: it is not called again meanwhile.
pub(super) const STILL_RUNNING: &str =
    "size function has not returned since it timed out; not called again until it does";

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::caches::SizeFnState;

    fn entry(id: u64, size: Option<usize>, calls: &Arc<AtomicUsize>) -> Entry<Source> {
        let calls = Arc::clone(calls);
        let source = Source {
            max_size: None,
            size: Arc::new(move || {
                calls.fetch_add(1, Ordering::SeqCst);
                size
            }),
            state: Arc::new(SizeFnState::default()),
        };
        (id, Arc::from(format!("c{id}")), source)
    }

    /// Entry 1, "slow": its size function counts its calls, waits for a message on
    /// the returned sender, then answers `size`.
    fn gated(
        calls: &Arc<AtomicUsize>,
        size: usize,
    ) -> (Entry<Source>, std::sync::mpsc::Sender<()>) {
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = std::sync::Mutex::new(gate);
        let counted = Arc::clone(calls);
        let slow = (
            1,
            Arc::from("slow"),
            Source {
                max_size: None,
                size: Arc::new(move || {
                    counted.fetch_add(1, Ordering::SeqCst);
                    let _ = gate.lock().unwrap().recv();
                    Some(size)
                }),
                state: Arc::new(SizeFnState::default()),
            },
        );
        (slow, release)
    }

    /// A reading of `slow` whose call runs on another thread, and that thread, once
    /// the call has begun.
    fn call_in_flight(
        slow: &Entry<Source>,
        calls: &AtomicUsize,
    ) -> (Arc<Batch>, std::thread::JoinHandle<()>) {
        let first = Arc::new(Batch::new(vec![slow.clone()], 10));
        assert_eq!(first.claim(), Some(0));
        let reader = {
            let first = Arc::clone(&first);
            std::thread::spawn(move || first.run(0))
        };
        while calls.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        (first, reader)
    }

    fn answers(read: Vec<(Entry<Source>, Answer)>) -> Vec<(u64, Answer)> {
        read.into_iter().map(|((id, _, _), a)| (id, a)).collect()
    }

    #[test]
    fn jobs_are_claimed_once_each_in_order_past_those_already_answered() {
        let calls = Arc::new(AtomicUsize::new(0));
        let batch = Arc::new(Batch::new(
            (1..=5).map(|id| entry(id, Some(1), &calls)).collect(),
            10,
        ));
        // Job 2 is answered before anyone claims it (as a joined call is).
        batch.answer(2, Ok(Some(7)));
        let mut claimed = Vec::new();
        while let Some(index) = batch.claim() {
            assert!(batch.has_work() || claimed.len() == 3);
            claimed.push(index);
            batch.run(index);
        }
        assert_eq!(claimed, [0, 1, 3, 4]);
        assert!(!batch.has_work());
        let read = answers(batch.wait(Duration::from_secs(5), || {}));
        assert_eq!(read.len(), 5);
        assert_eq!(read[2], (3, Ok(Some(7))));
        assert!(
            read.iter()
                .enumerate()
                .all(|(i, (_, a))| i == 2 || *a == Ok(Some(1)))
        );
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn jobs_answered_in_time_are_given_in_registration_order() {
        let calls = Arc::new(AtomicUsize::new(0));
        let batch = Arc::new(Batch::new(
            vec![entry(1, Some(4), &calls), entry(2, None, &calls)],
            10,
        ));
        assert_eq!(batch.claim(), Some(0));
        assert_eq!(batch.claim(), Some(1));
        assert_eq!(batch.claim(), None);
        batch.run(1);
        batch.run(0);
        assert!(!batch.has_work());
        let read = batch.wait(Duration::from_secs(60), || panic!("not stalled"));
        assert_eq!(answers(read), [(1, Ok(Some(4))), (2, Ok(None))]);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_reading_out_of_time_marks_the_running_function_and_skips_it_later() {
        let calls = Arc::new(AtomicUsize::new(0));
        let (slow, release) = gated(&calls, 7);
        let batch = Arc::new(Batch::new(
            vec![slow.clone(), entry(2, Some(1), &calls)],
            10,
        ));
        assert_eq!(batch.claim(), Some(0));
        let reader = {
            let batch = Arc::clone(&batch);
            std::thread::spawn(move || batch.run(0))
        };
        let mut stalled = 0;
        let read = batch.wait(Duration::from_millis(5), || stalled += 1);
        assert!(stalled >= 1);
        assert_eq!(
            answers(read),
            [
                (1, Err("size function timed out after 5 ms".to_owned())),
                (
                    2,
                    Err("not read within 5 ms: every cache reader thread was busy".to_owned())
                ),
            ]
        );
        assert!(slow.2.state.is_hung());
        assert_eq!(
            batch.claim(),
            None,
            "an abandoned reading runs nothing more"
        );

        // The next reading does not call it while it is hung: it is answered
        // without a job ...
        let next = Batch::new(vec![slow.clone()], 10);
        assert!(!next.has_work());
        assert_eq!(next.claim(), None);
        assert_eq!(
            answers(next.wait(Duration::ZERO, || {})),
            [(1, Err(STILL_RUNNING.to_owned()))]
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // ... and once the late call returns, it is read again.
        release.send(()).unwrap();
        reader.join().unwrap();
        assert!(!slow.2.state.is_hung());
        release.send(()).unwrap();
        let again = Arc::new(Batch::new(vec![slow], 10));
        assert_eq!(again.claim(), Some(0));
        again.run(0);
        assert_eq!(
            answers(again.wait(Duration::ZERO, || {})),
            [(1, Ok(Some(7)))]
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_reading_that_finds_the_function_running_joins_the_call() {
        let calls = Arc::new(AtomicUsize::new(0));
        let (slow, release) = gated(&calls, 9);
        let (first, reader) = call_in_flight(&slow, &calls);
        // A second reading joins the call in flight: this thread is not held.
        let second = Arc::new(Batch::new(vec![slow], 10));
        assert_eq!(second.claim(), Some(0));
        second.run(0);
        release.send(()).unwrap();
        reader.join().unwrap();
        for reading in [first, second] {
            assert_eq!(
                answers(reading.wait(Duration::from_secs(60), || {})),
                [(1, Ok(Some(9)))]
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_new_reading_joins_a_call_in_flight_without_a_job() {
        let calls = Arc::new(AtomicUsize::new(0));
        let (slow, release) = gated(&calls, 5);
        let (_first, reader) = call_in_flight(&slow, &calls);
        // Joined as it is made: nothing for a reader thread to claim.
        let second = Arc::new(Batch::new(vec![slow, entry(2, Some(1), &calls)], 10));
        second.join_calls_in_flight();
        assert_eq!(second.claim(), Some(1));
        assert_eq!(second.claim(), None);
        second.run(1);
        release.send(()).unwrap();
        reader.join().unwrap();
        assert_eq!(
            answers(second.wait(Duration::from_secs(60), || {})),
            [(1, Ok(Some(5))), (2, Ok(Some(1)))]
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn panics_are_answers_with_their_text_cut() {
        let source = Source {
            max_size: None,
            size: Arc::new(|| panic!("{}", "p".repeat(1000))),
            state: Arc::new(SizeFnState::default()),
        };
        let batch = Arc::new(Batch::new(vec![(1, Arc::from("p"), source)], 3));
        assert_eq!(batch.claim(), Some(0));
        batch.run(0);
        assert_eq!(
            answers(batch.wait(Duration::ZERO, || {})),
            [(1, Err("size function panicked: ppp…".to_owned()))]
        );
    }

    #[test]
    fn a_refused_reading_answers_every_entry_with_the_reason() {
        let calls = Arc::new(AtomicUsize::new(0));
        let batch = Batch::new(vec![entry(1, Some(1), &calls)], 10);
        assert_eq!(answers(batch.refuse("busy")), [(1, Err("busy".to_owned()))]);
        assert_eq!(batch.claim(), None);
    }
}
