//! Per-operation metrics for monitoring systems: Prometheus (feature `prometheus`)
//! and OpenTelemetry (feature `opentelemetry`).
//!
//! Every figure is read when a scrape or a collection happens, from what memtrack
//! keeps anyway: the per-name totals of [`sites`](crate::sites), the live heap per
//! name of [`retained`](crate::retained()), the process figures, the registered
//! [`caches`](crate::caches), the [`reclaim`](crate::reclaim) totals and the alerts
//! raised. Nothing is read from inside the allocator or an operation.
//!
//! The only figures gathered as operations end are the two histograms (duration and
//! heap peak), and only once an exporter is installed (or
//! [`enable_histograms`] was called): until then an ending operation pays one
//! relaxed load of a flag, and after it two lock-free histogram updates (a bucket
//! and a sum each). Counts by `ended_by` cost nothing on success: failures are
//! counted, successes derived.
//!
//! # The metrics
//!
//! | Prometheus | OpenTelemetry | labels |
//! |---|---|---|
//! | `memtrack_operations_started_total` | `memtrack.operations.started` | `operation` |
//! | `memtrack_operations_ended_total` | `memtrack.operations.ended` | `operation`, `ended_by` |
//! | `memtrack_operations_active` | `memtrack.operations.active` | `operation` |
//! | `memtrack_operation_allocated_bytes_total` | `memtrack.operation.heap.allocated` | `operation` |
//! | `memtrack_operation_freed_bytes_total` | `memtrack.operation.heap.freed` | `operation` |
//! | `memtrack_operation_allocations_total` | `memtrack.operation.heap.allocations` | `operation` |
//! | `memtrack_operation_rss_growth_bytes_total` | `memtrack.operation.rss.growth` | `operation` |
//! | `memtrack_operation_retained_bytes` | `memtrack.operation.heap.retained` | `operation` |
//! | `memtrack_operation_duration_seconds` (histogram) | `memtrack.operation.duration` | `operation` |
//! | `memtrack_operation_peak_bytes` (histogram) | `memtrack.operation.heap.peak` | `operation` |
//! | `memtrack_process_resident_memory_bytes` | `process.memory.usage` | |
//! | `memtrack_process_heap_used_bytes` | `memtrack.process.heap.used` | |
//! | `memtrack_process_heap_total_bytes` | `memtrack.process.heap.total` | |
//! | `memtrack_rss_critical_threshold_bytes` | `memtrack.rss.critical_threshold` | |
//! | `memtrack_rss_unhealthy_threshold_bytes` | `memtrack.rss.unhealthy_threshold` | |
//! | `memtrack_cache_entries` | `memtrack.cache.entries` | `cache` |
//! | `memtrack_cache_capacity` | `memtrack.cache.capacity` | `cache` |
//! | `memtrack_alerts_total` | `memtrack.alerts` | `event` |
//! | `memtrack_reclaims_total` | `memtrack.reclaims` | |
//! | `memtrack_reclaim_freed_bytes_total` | `memtrack.reclaim.freed` | |
//! | `memtrack_reclaim_duration_seconds_total` | `memtrack.reclaim.duration` | |
//!
//! Heap figures (allocated, freed, allocations, retained, peak, and heap used when
//! the C library does not say) exist only with the counting
//! [`Allocator`](crate::Allocator) installed; without it they are left out, not
//! reported as zero. Every `ended_by` value and every alert event is reported from
//! the start, zero included, so that a rate over the first failure is right.
//!
//! The histograms' buckets are fixed: [`DURATION_BUCKETS_SECONDS`] (1 ms to 60 s)
//! and [`PEAK_BUCKETS_BYTES`] (1 KiB to 4 GiB, powers of four), each followed by
//! `+Inf`. They count the operations that ended after an exporter was installed.
//!
//! # Cardinality
//!
//! The `operation` label takes one value per operation name: the names written in
//! `#[memtrack("...")]` (fixed when the program is compiled), plus at most
//! [`MAX_INTERNED_NAMES`](crate::sites::MAX_INTERNED_NAMES) names passed to
//! [`start`](crate::start) at run time, past which operations are counted under
//! [`OVERFLOW_NAME`](crate::sites::OVERFLOW_NAME) (`"other"`); the retained gauge
//! adds `"untracked"`. Each name gives 45 series (12 counters and gauges, 5 of them
//! `ended_by` values, and 33 histogram series). Names built from request data (URLs, ids) belong in
//! metadata, never in an operation name. `cache` takes one value per registered
//! cache, `event` five values.
//!
//! ```
//! memtrack::export::enable_histograms();
//! assert!(memtrack::export::histograms_enabled());
//!
//! #[memtrack::memtrack("doc-export-histogram")]
//! fn work() {}
//! work();
//! let ops = memtrack::export::operations();
//! let op = ops.iter().find(|o| o.name == "doc-export-histogram").unwrap();
//! assert_eq!(op.duration.count, 1);
//! ```

#[cfg(any(feature = "prometheus", feature = "opentelemetry", test))]
mod catalogue;
mod read;
#[cfg(feature = "prometheus")]
mod snapshot;

#[cfg(feature = "opentelemetry")]
pub mod opentelemetry;
#[cfg(feature = "prometheus")]
pub mod prometheus;

pub use crate::metrics::{
    AlertCount, DURATION_BUCKETS_SECONDS, ENDED_BY, HistogramSnapshot, PEAK_BUCKETS_BYTES, alerts,
    enable_histograms, histograms_enabled,
};
pub use read::{OperationMetrics, ProcessMetrics, operations, process};
