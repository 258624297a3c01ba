//! Ending an operation, and its checkpoints.

use std::borrow::Cow;
use std::fmt;
use std::ptr;
use std::sync::atomic::Ordering;

use super::events::{CheckpointEvent, OperationEvent};
use super::significance::{self, Figures, Verdict};
use super::{EndedBy, Kind, Outcome, Tracker};
use crate::alloc;
use crate::attribution::{self, Charged};
use crate::clock;
use crate::config;
use crate::events;
use crate::metadata::{ToValue, Value, debug_bounded, display_bounded};
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
        match outcome {
            Outcome::Ok => self.finish(EndedBy::Ok, None),
            Outcome::Err(e) => self.finish(EndedBy::Err, Some(display_bounded(e, max))),
            Outcome::ErrDebug(e) => self.finish(EndedBy::Err, Some(debug_bounded(e, max))),
        }
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

    /// What this operation has been charged, including its open frame when that frame
    /// is the innermost one on this thread.
    fn charged_now(&self) -> Option<Charged> {
        match attribution::with_current(|t, charged| ptr::eq(t, self).then_some(charged)) {
            Some(Some(open)) => open,
            _ => self.charged_with(None),
        }
    }

    fn finish(&self, ended_by: EndedBy, error: Option<String>) {
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
            failed,
            rss_delta.map_or(0, |d| u64::try_from(d).unwrap_or(0)),
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
        let metadata = self.metadata_snapshot();
        events::write(|| {
            super::events::operation(&OperationEvent {
                spike: verdict == Verdict::Spike,
                op_id: self.op_id(),
                duration,
                ended_by,
                error: error.as_deref(),
                rss_start: self.rss_start,
                rss_end,
                heap_start: self.heap_start,
                heap_end,
                charged,
                metadata: &metadata,
            });
        });
    }

    /// Marks a step of the operation (`memory_checkpoint`), logged when the
    /// operation's memory moved by at least
    /// [`checkpoint_delta_mb`](crate::Config::checkpoint_delta_mb) since it started.
    ///
    /// ```
    /// let op = memtrack::start("article-fetch-smry-slow");
    /// op.checkpoint("response-received");
    /// op.end();
    /// ```
    pub fn checkpoint(&self, name: &str) {
        self.checkpoint_with(name, &[]);
    }

    /// [`checkpoint`](Self::checkpoint) with extra fields for this checkpoint only.
    ///
    /// ```
    /// let op = memtrack::start("diffbot-api-call");
    /// op.checkpoint_with("dom-parsed", &[("nodes", &1200_u32), ("method", &"readability")]);
    /// op.end();
    /// ```
    pub fn checkpoint_with(&self, name: &str, fields: &[(&str, &dyn ToValue)]) {
        let fields = fields
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), v.to_value()))
            .collect();
        self.checkpoint_values(name, fields, self.charged_now());
    }

    pub(crate) fn checkpoint_values(
        &self,
        name: &str,
        fields: Vec<(Cow<'static, str>, Value)>,
        charged: Option<Charged>,
    ) {
        if self.is_ended() {
            return;
        }
        let config = config::get();
        let rss = process::rss_bytes();
        let heap = alloc::heap_stats().map(|h| h.live_bytes);
        let rss_delta = self.rss_start.zip(rss).map(|(s, e)| units::delta(s, e));
        let heap_delta = self.heap_start.zip(heap).map(|(s, e)| units::delta(s, e));
        let moved = if let Some(c) = charged {
            c.peak.max(c.net().unsigned_abs())
        } else {
            heap_delta.or(rss_delta).map_or(0, i64::unsigned_abs)
        };
        if moved < config::limits().checkpoint_delta_bytes {
            return;
        }
        let mut metadata = self.metadata_snapshot();
        for (k, v) in fields {
            metadata.insert(k, v, config.max_metadata_keys().saturating_add(16));
        }
        let checkpoint = Value::text(name);
        events::write(|| {
            super::events::checkpoint(&CheckpointEvent {
                op_id: self.op_id(),
                checkpoint: &checkpoint.to_string(),
                elapsed: self.elapsed(),
                rss,
                rss_delta,
                heap,
                heap_delta,
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
        let by = if std::thread::panicking() {
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
