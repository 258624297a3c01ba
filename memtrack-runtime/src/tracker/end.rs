//! Ending an operation: the first `end*` call, or its drop, logs it.

use std::fmt;
use std::sync::atomic::Ordering;

use super::events::{self, OperationEvent};
use super::significance::{self, Figures, Verdict};
use super::{EndedBy, Kind, Outcome, Tracker};
use crate::alloc;
use crate::bookkeeping::Kept;
use crate::clock;
use crate::config;
use crate::metadata::{debug_bounded, display_bounded};
use crate::process;
use crate::units;

impl Tracker {
    /// Ends the operation as a success. A second `end*` call does nothing.
    ///
    /// ```
    /// let op = memtrack::start("zeroclick-fetch-offers");
    /// op.end();
    /// op.end(); // no effect
    /// assert!(op.is_ended());
    /// ```
    pub fn end(&self) {
        self.finish(EndedBy::Ok, None);
    }

    /// Ends the operation with `outcome`; an error's text is captured through a
    /// bounded writer and truncated like metadata.
    ///
    /// ```
    /// let op = memtrack::start("wayback-fetch");
    /// op.end_with(memtrack::Outcome::Ok);
    /// ```
    pub fn end_with(&self, outcome: Outcome<'_>) {
        let max = config::get().max_metadata_len();
        // memtrack's copy of the error text: made and freed charged to no operation.
        let error = Kept::new(match outcome {
            Outcome::Ok => None,
            Outcome::Err(e) => Some(display_bounded(e, max)),
            Outcome::ErrDebug(e) => Some(debug_bounded(e, max)),
        });
        let ended_by = if error.is_some() {
            EndedBy::Err
        } else {
            EndedBy::Ok
        };
        self.finish(ended_by, error.as_deref());
    }

    /// Ends the operation as failed with `error`'s text.
    ///
    /// ```
    /// let op = memtrack::start("diffbot-api-call");
    /// op.end_with_error(&"HTTP 502 from upstream");
    /// ```
    pub fn end_with_error(&self, error: &dyn fmt::Display) {
        self.end_with(Outcome::Err(error));
    }

    /// Ends the operation with a `Result`'s outcome: `Ok` is success, `Err` a failure
    /// whose text is captured.
    ///
    /// ```
    /// let op = memtrack::start("parse-number");
    /// let parsed = "42".parse::<u32>();
    /// op.end_result(&parsed);
    /// ```
    pub fn end_result<T, E: fmt::Display>(&self, result: &Result<T, E>) {
        self.end_with(result.into());
    }

    pub(crate) fn end_panicked(&self) {
        self.finish(EndedBy::Panic, None);
    }

    fn finish(&self, ended_by: EndedBy, error: Option<&str>) {
        if self.ended.swap(true, Ordering::AcqRel) {
            return;
        }
        let now = clock::now();
        let duration = clock::between(self.started, now);
        let charged = self.charged_now();
        let rss_end = self.rss_start.and_then(|_| process::rss_bytes_at(now));
        let heap_end = self
            .heap_start
            .and_then(|_| alloc::heap_stats().map(|h| h.live_bytes));
        let rss_delta = self.rss_start.zip(rss_end).map(|(s, e)| units::delta(s, e));
        let heap_delta = self
            .heap_start
            .zip(heap_end)
            .map(|(s, e)| units::delta(s, e));
        let failed = !ended_by.is_success();
        self.site.on_end(
            ended_by,
            rss_delta.map_or(0, |d| u64::try_from(d).unwrap_or(0)),
        );
        crate::metrics::operation_ended(
            self.site.metrics(),
            self.site.name(),
            duration,
            charged.map(|c| c.peak),
        );

        let figures = Figures {
            duration,
            charged,
            heap_delta,
            rss_delta,
            failed,
        };
        let verdict = significance::judge(&figures, config::get(), config::limits());
        if verdict == Verdict::Quiet {
            return;
        }
        crate::events::write(|| {
            let metadata = self.metadata_snapshot();
            events::operation(&OperationEvent {
                spike: verdict == Verdict::Spike,
                op_id: self.op_id(),
                duration,
                ended_by,
                error,
                rss_start: self.rss_start,
                rss_end,
                heap_start: self.heap_start,
                heap_end,
                charged,
                metadata: &metadata,
            });
        });
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if self.is_ended() {
            return;
        }
        // A panic that began before the operation (it started in a `Drop` that runs
        // while the panic unwinds) is not how it ended.
        let by = if std::thread::panicking() && !self.panicking_at_start {
            EndedBy::Panic
        } else {
            match self.kind {
                Kind::Async => EndedBy::Cancelled,
                Kind::Explicit | Kind::Sync => EndedBy::Dropped,
            }
        };
        self.finish(by, None);
    }
}
