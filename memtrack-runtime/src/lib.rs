//! Runtime of [memtrack](https://docs.rs/memtrack): everything that runs.
//!
//! Users depend on the `memtrack` facade crate, which re-exports this crate and the
//! macros. The modules, one concept each:
//!
//! - [`config`]: thresholds with their defaults, a builder, `from_env()`.
//! - [`metadata`]: metadata values and the central truncation rules.
//! - [`tracker`]: start / checkpoint / add metadata / end, active operation count;
//!   its frames (one per call or poll) charge heap memory to the operation that
//!   allocated it and make it the owner of what it allocates.
//! - [`sites`]: per-operation-name totals (what the monitor ranks).
//! - [`retained`](mod@retained): which operation name holds the live heap.
//! - `bookkeeping`: memtrack's own work inside an operation, charged to none.
//! - `ended_by` and `metrics`: how operations end, and what the exporters read of it
//!   (counts by path, histograms, alerts).
//! - [`future`]: the `.track("name")` adapter for futures the attribute cannot wrap.
//! - [`alloc`]: the counting global allocator and process heap figures.
//! - [`process`]: resident set size and heap figures of the process.
//! - [`monitor`], [`reclaim`], [`caches`], [`fetch`], [`health`]: the operational half.
//! - [`export`]: per-operation metrics for Prometheus and OpenTelemetry, read at
//!   collection time.
//! - [`logging`]: flat JSON logs that the README's `jq` workflow reads directly.
//! - `events`: the toolkit every event is written with (`emit!`, the `extra` field,
//!   the `op_id` rule); each event lives next to its domain.
//! - `support`: small helpers of no domain (a named registry, a bounded writer,
//!   panic text); `units` and `clock`: conversions and the operation clock.
#![warn(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod alloc;
mod bookkeeping;
pub mod caches;
mod clock;
pub mod config;
mod ended_by;
mod events;
pub mod export;
pub mod fetch;
pub mod future;
pub mod health;
mod large_allocation;
pub mod logging;
pub mod metadata;
mod metrics;
pub mod monitor;
pub mod process;
pub mod reclaim;
pub mod retained;
pub mod sites;
mod support;
pub mod tracker;
mod units;

/// The `tracing` target of every event memtrack emits.
pub const TARGET: &str = "memtrack";

pub use alloc::Allocator;
pub use config::Config;
pub use fetch::track_fetch_response;
pub use large_allocation::large_allocation;
pub use metadata::{ToValue, Value};
pub use retained::{Retained, retained};
pub use tracker::{EndedBy, Outcome, Tracker, active_operations, start};

#[doc(hidden)]
pub mod __private;
