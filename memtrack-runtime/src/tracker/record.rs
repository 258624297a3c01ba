//! What an operation records while it runs: metadata and checkpoints.

use std::borrow::Cow;
use std::sync::PoisonError;

use super::Tracker;
use super::events::{self, CheckpointEvent};
use super::frames::Charged;
use crate::alloc;
use crate::bookkeeping;
use crate::config;
use crate::metadata::{Metadata, ToValue, Value};
use crate::process;
use crate::units;

impl Tracker {
    /// Adds metadata to the operation (a shallow merge: an existing key is replaced).
    /// Strings are truncated and the number of keys is bounded by the current
    /// [`Config`](crate::Config). Does nothing after the operation ended.
    ///
    /// ```
    /// let op = memtrack::start("ad-context-request");
    /// op.add_metadata("session_id", "a-very-long-session-id");
    /// op.add_metadata("ad_count", 3_u32);
    /// op.end();
    /// ```
    pub fn add_metadata(&self, key: impl Into<Cow<'static, str>>, value: impl ToValue) {
        bookkeeping::untracked(|| self.add_value(key.into(), value.to_value()));
    }

    /// Adds one metadata value already converted and truncated: what `#[memtrack]`
    /// and `record!` call.
    #[doc(hidden)]
    #[inline]
    pub fn add(&self, key: &'static str, value: Value) {
        self.add_value(Cow::Borrowed(key), value);
    }

    /// Stores one value: memtrack's bookkeeping (the map, the truncated copy, and
    /// dropping a value refused), charged to no operation.
    pub(crate) fn add_value(&self, key: Cow<'static, str>, value: Value) {
        bookkeeping::untracked(|| {
            if self.is_ended() {
                return;
            }
            let max_keys = config::get().max_metadata_keys();
            let value = match value {
                Value::Str(s) => Value::text(&s),
                other => other,
            };
            self.metadata
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key, value, max_keys);
        });
    }

    /// A copy of the metadata, for an event: call it inside `events::write`.
    pub(crate) fn metadata_snapshot(&self) -> Metadata {
        Metadata::clone(&self.metadata.lock().unwrap_or_else(PoisonError::into_inner))
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
        let charged = self.charged_now();
        bookkeeping::untracked(|| {
            let fields = fields
                .iter()
                .map(|(k, v)| (Cow::Owned((*k).to_owned()), v.to_value()))
                .collect();
            self.checkpoint_values(name, fields, charged);
        });
    }

    /// A checkpoint with its fields converted, charged `charged` so far; memtrack's
    /// bookkeeping, run under `bookkeeping::untracked` by its callers (the fields
    /// are dropped here, logged or not).
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
        crate::events::write(|| {
            let mut metadata = self.metadata_snapshot();
            for (k, v) in fields {
                metadata.insert(k, v, config.max_metadata_keys().saturating_add(16));
            }
            let checkpoint = Value::text(name);
            events::checkpoint(&CheckpointEvent {
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
