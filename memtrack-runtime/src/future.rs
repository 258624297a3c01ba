//! Tracking futures the attribute cannot wrap: spawned tasks, foreign futures.
//!
//! ```
//! use memtrack::future::Track;
//!
//! # futures_executor::block_on(async {
//! let body = async { vec![0_u8; 4096].len() }.track("download-body").await;
//! assert_eq!(body, 4096);
//! # });
//! ```
//!
//! With a multi-threaded runtime, `tokio::spawn(work.track("name"))` charges the
//! task's allocations to `name` poll by poll, whichever worker runs each poll.

use std::borrow::Cow;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sites;
use crate::tracker::frames;
use crate::tracker::{Kind, Outcome, Tracker};

/// Adds [`track`](Track::track) to every future.
pub trait Track: Future + Sized {
    /// Tracks this future as the operation `name`: the operation starts at the first
    /// poll (a future never polled starts nothing), every poll runs inside the
    /// operation's frame, and it ends when the future completes (`ok`), is dropped
    /// before completing (`cancelled`) or panics in a poll (`panic`).
    ///
    /// A future dropped before completing is dropped inside the operation's frame,
    /// before the operation ends: what its locals held is freed by the operation, and
    /// does not count as retained.
    fn track(self, name: impl Into<Cow<'static, str>>) -> Tracked<Self> {
        Tracked {
            name: Some(name.into()),
            tracker: None,
            future: ManuallyDrop::new(self),
            done: false,
        }
    }
}

impl<F: Future> Track for F {}

/// A future tracked as an operation; see [`Track::track`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Tracked<F> {
    name: Option<Cow<'static, str>>,
    tracker: Option<Tracker>,
    /// Dropped by `Drop`, inside the operation's frame when it has not completed.
    future: ManuallyDrop<F>,
    done: bool,
}

impl<F> Tracked<F> {
    /// The operation, once the future has been polled.
    pub fn tracker(&self) -> Option<&Tracker> {
        self.tracker.as_ref()
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is never moved out of `self`
        // and never handed out unpinned; the other fields are not pinned and are only
        // accessed through `&mut`, which does not move `future`.
        let this = unsafe { self.get_unchecked_mut() };
        let tracker = match (&this.tracker, this.name.take()) {
            (Some(t), _) => t,
            (None, name) => {
                let name = name.unwrap_or(Cow::Borrowed(sites::OVERFLOW_NAME));
                let (site, own_name) = sites::lookup(&name);
                this.tracker
                    .insert(Tracker::begin(site, own_name, Kind::Async))
            }
        };
        // SAFETY: see above; `future` stays in place for as long as `self` lives.
        let future = unsafe { Pin::new_unchecked(&mut *this.future) };
        let poll = frames::scoped(tracker, || future.poll(cx));
        if poll.is_ready() {
            this.done = true;
            tracker.end_with(Outcome::Ok);
        }
        poll
    }
}

impl<F> Drop for Tracked<F> {
    fn drop(&mut self) {
        let future = &mut self.future;
        // SAFETY: `future` is dropped in place (pinned or not) and exactly once, here;
        // nothing uses it afterwards.
        let mut drop_future = move || unsafe { ManuallyDrop::drop(future) };
        match (&self.tracker, self.done) {
            // Cancelled: the operation frees what the future holds, then the
            // tracker's own drop ends it as cancelled.
            (Some(tracker), false) => frames::scoped(tracker, drop_future),
            _ => drop_future(),
        }
    }
}

/// Polls a future inside an existing operation's frame (what `async`
/// `#[memtrack]` functions use). The operation is not ended here.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Scoped<'a, F> {
    tracker: &'a Tracker,
    /// Dropped by `Drop`, inside the operation's frame when it has not completed.
    future: ManuallyDrop<F>,
    done: bool,
}

impl<'a, F> Scoped<'a, F> {
    pub(crate) fn new(tracker: &'a Tracker, future: F) -> Self {
        Self {
            tracker,
            future: ManuallyDrop::new(future),
            done: false,
        }
    }
}

impl<F: Future> Future for Scoped<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned (never moved out, never exposed
        // unpinned); `tracker` is a shared reference, copied out.
        let this = unsafe { self.get_unchecked_mut() };
        let tracker = this.tracker;
        // SAFETY: see above.
        let future = unsafe { Pin::new_unchecked(&mut *this.future) };
        let poll = frames::scoped(tracker, || future.poll(cx));
        this.done = poll.is_ready();
        poll
    }
}

impl<F> Drop for Scoped<'_, F> {
    /// A future dropped before completing (the operation is being cancelled) is
    /// dropped inside the operation's frame, which is still open to it: its locals
    /// are freed by the operation before it ends.
    fn drop(&mut self) {
        let future = &mut self.future;
        // SAFETY: `future` is dropped in place (pinned or not) and exactly once, here;
        // nothing uses it afterwards.
        let mut drop_future = move || unsafe { ManuallyDrop::drop(future) };
        if self.done {
            drop_future();
        } else {
            frames::scoped(self.tracker, drop_future);
        }
    }
}
