//! The toolkit every event is written with: `tracing` events at target `memtrack`,
//! each with an `event` field holding its name and a message starting with it.
//! Metadata whose keys are only known at run time (user metadata, cache names)
//! travels as a JSON object in the `extra` field, which memtrack's JSON formatter
//! lays out flat.
//!
//! Each event itself lives next to its domain: the operation and checkpoint events
//! in `tracker/events.rs`, `large_allocation` in `large_allocation.rs`, the cache
//! events in `caches/`, the monitor's in `monitor/events.rs`, `memory_reclaim` in
//! `reclaim/event.rs` and `fetch_response` in `fetch/`.

use std::fmt;

use serde_json::{Map, Value as Json};

use crate::bookkeeping;
use crate::metadata::{Metadata, Value};
use crate::support::panic_text;

/// Emits a `tracing` event at target `memtrack` with a level chosen at run time,
/// through [`write`]: a subscriber that panics loses that one event and nothing
/// else, wherever the event is written from.
macro_rules! emit {
    ($level:expr, $($rest:tt)+) => {{
        let level: ::tracing::Level = $level;
        $crate::events::write(|| {
            if level == ::tracing::Level::ERROR {
                ::tracing::event!(target: "memtrack", ::tracing::Level::ERROR, $($rest)+);
            } else if level == ::tracing::Level::WARN {
                ::tracing::event!(target: "memtrack", ::tracing::Level::WARN, $($rest)+);
            } else {
                ::tracing::event!(target: "memtrack", ::tracing::Level::INFO, $($rest)+);
            }
        });
    }};
}
pub(crate) use emit;

/// [`emit!`] with the heap bytes charged to an operation appended to the given
/// fields: `alloc_bytes`, `freed_bytes`, `net_bytes`, `peak_bytes`, `retained_bytes`
/// and `allocs`, each
/// absent when `charged` (an `Option` of an operation's figures) is `None`. Then
/// the `extra` field and the message.
///
/// ```text
/// emit_charged!(level, charged, { event = "memory_checkpoint", op_name = name, }, extra, "fmt", args);
/// ```
macro_rules! emit_charged {
    ($level:expr, $charged:expr, { $($fields:tt)* }, $extra:expr, $($message:tt)+) => {{
        let charged = $charged;
        $crate::events::emit!(
            $level,
            $($fields)*
            alloc_bytes = charged.map(|c| c.allocated),
            freed_bytes = charged.map(|c| c.freed),
            net_bytes = charged.map(|c| c.net()),
            peak_bytes = charged.map(|c| c.peak),
            retained_bytes = charged.map(|c| c.retained()),
            allocs = charged.map(|c| c.allocs),
            extra = $extra,
            $($message)+
        );
    }};
}
pub(crate) use emit_charged;

/// Writes events, and builds them: memtrack's own bookkeeping, kept out of every
/// open operation's account, and shielded from a subscriber that panics (an event
/// may be written from a `Drop` while a panic unwinds, where a second panic would
/// abort the process). Such a panic loses that one event. Every event goes through
/// here ([`emit!`] does it); entry points also put the work that prepares an event
/// in it.
pub(crate) fn write(f: impl FnOnce()) {
    bookkeeping::untracked(|| {
        let _ = panic_text::quietly(f);
    });
}

/// An operation's id as every event and [`Tracker::id`](crate::Tracker::id) give it
/// (`op_id`): `<name>-<number>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpId<'a> {
    pub(crate) name: &'a str,
    pub(crate) number: u64,
}

impl fmt::Display for OpId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.number)
    }
}

/// Builds the `extra` field: a JSON object of run-time keys.
#[derive(Debug, Default)]
pub(crate) struct Extra(Map<String, Json>);

impl Extra {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn insert(&mut self, key: &str, value: &Value) {
        let json = serde_json::to_value(value).unwrap_or(Json::Null);
        self.0.insert(key.to_owned(), json);
    }

    /// Adds a JSON value as is (arrays and objects included), for the operational
    /// events (top operations, per-cache errors).
    pub(crate) fn insert_json(&mut self, key: &str, value: Json) {
        self.0.insert(key.to_owned(), value);
    }

    pub(crate) fn metadata(mut self, metadata: &Metadata) -> Self {
        for (k, v) in metadata.entries() {
            self.insert(k, v);
        }
        if metadata.dropped() > 0 {
            self.0.insert(
                "metadata_dropped".to_owned(),
                Json::from(metadata.dropped()),
            );
        }
        self
    }

    /// The JSON text, or `None` when there is nothing to carry.
    pub(crate) fn finish(self) -> Option<String> {
        (!self.0.is_empty()).then(|| Json::Object(self.0).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_ids_join_name_and_number() {
        let id = OpId {
            name: "article-fetch",
            number: 42,
        };
        assert_eq!(id.to_string(), "article-fetch-42");
    }
}
