//! memtrack's metrics as OpenTelemetry instruments on a `Meter` you pass (feature
//! `opentelemetry`).
//!
//! Counters and gauges are observable instruments: their callbacks read memtrack's
//! figures when the meter provider collects, as the Prometheus exporter does on a
//! scrape. OpenTelemetry has no observable histogram, so the duration and peak
//! histograms are synchronous histograms recorded as each operation ends (with the
//! same bucket bounds as the Prometheus ones), only while [`Instruments`] is kept.
//! Recording one costs what the OpenTelemetry SDK's `Histogram::record` costs (an
//! attribute lookup and a lock inside the SDK), in addition to memtrack's own
//! lock-free histograms.
//!
//! Names follow the OpenTelemetry semantic conventions where one exists
//! (`process.memory.usage`, unit `By`) and are `memtrack.*` otherwise; units are
//! UCUM (`By`, `s`, `{operation}`). Attribute keys are the Prometheus label names
//! (`operation`, `ended_by`, `cache`, `event`), so dashboards read the same through
//! either path. The full list is in the [module above](super).
//!
//! ```
//! use opentelemetry::metrics::MeterProvider as _;
//! use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
//!
//! let exporter = InMemoryMetricExporter::default();
//! let provider = SdkMeterProvider::builder()
//!     .with_reader(PeriodicReader::builder(exporter.clone()).build())
//!     .build();
//! let instruments = memtrack::export::opentelemetry::register(&provider.meter("memtrack"));
//!
//! memtrack::start("doc-otel-op").end();
//! provider.force_flush().unwrap();
//! let exported = exporter.get_finished_metrics().unwrap();
//! assert!(!exported.is_empty());
//! drop(instruments);
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{AsyncInstrument, Histogram, Meter};

use super::catalogue::{self as def, Def};
use super::{DURATION_BUCKETS_SECONDS, ENDED_BY, OperationMetrics, PEAK_BUCKETS_BYTES};
use crate::{alloc, caches, reclaim};

/// memtrack's instruments on one meter. Dropping it stops them: the observable
/// callbacks observe nothing more (OpenTelemetry keeps them registered until the
/// meter provider shuts down) and the histograms are no longer recorded.
#[must_use = "the instruments stop when this is dropped; call .forget() to keep them for the process"]
#[derive(Debug)]
pub struct Instruments {
    alive: Arc<AtomicBool>,
    sink: Option<u64>,
}

impl Instruments {
    /// Keeps the instruments for the rest of the process.
    ///
    /// ```
    /// let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
    /// use opentelemetry::metrics::MeterProvider as _;
    /// memtrack::export::opentelemetry::register(&provider.meter("memtrack")).forget();
    /// ```
    pub fn forget(mut self) {
        self.sink = None;
        std::mem::forget(self);
    }
}

impl Drop for Instruments {
    fn drop(&mut self) {
        self.alive.store(false, Ordering::Relaxed);
        if let Some(id) = self.sink.take() {
            remove_sink(id);
        }
    }
}

/// Creates memtrack's instruments on `meter` and starts the histograms.
///
/// ```
/// use opentelemetry::metrics::MeterProvider as _;
/// let provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder().build();
/// let instruments = memtrack::export::opentelemetry::register(&provider.meter("memtrack"));
/// # drop(instruments);
/// ```
///
/// Register once per meter: the SDK hands a second registration on the same meter
/// the same histograms, and each operation would then be recorded in them twice.
///
/// **Many operation names.** The SDK keeps at most 2,000 attribute sets per
/// instrument by default and folds the rest into one `otel.metric.overflow` point,
/// whose value means nothing per operation. `memtrack.operations.ended` has five
/// per name (one per `ended_by`), so past 400 names, and every per-name instrument
/// past 2,000, names go missing. memtrack exports up to
/// [`MAX_INTERNED_NAMES`](crate::sites::MAX_INTERNED_NAMES) run-time names plus
/// the attribute's: raise the limit for memtrack's instruments with a view.
///
/// ```
/// use opentelemetry::metrics::MeterProvider as _;
/// use opentelemetry_sdk::metrics::{Instrument, SdkMeterProvider, Stream};
///
/// let provider = SdkMeterProvider::builder()
///     .with_view(|instrument: &Instrument| {
///         instrument
///             .name()
///             .starts_with("memtrack.")
///             .then(|| Stream::builder().with_cardinality_limit(25_000).build().ok())
///             .flatten()
///     })
///     .build();
/// let instruments = memtrack::export::opentelemetry::register(&provider.meter("memtrack"));
/// # drop(instruments);
/// ```
pub fn register(meter: &Meter) -> Instruments {
    let alive = Arc::new(AtomicBool::new(true));
    register_operations(meter, &alive);
    register_process(meter, &alive);
    register_caches_alerts_reclaims(meter, &alive);
    let sink = add_sink(Sink {
        duration: meter
            .f64_histogram(def::DURATION.otel)
            .with_description(def::DURATION.help)
            .with_unit(def::DURATION.otel_unit)
            .with_boundaries(DURATION_BUCKETS_SECONDS.to_vec())
            .build(),
        peak: meter
            .u64_histogram(def::PEAK.otel)
            .with_description(def::PEAK.help)
            .with_unit(def::PEAK.otel_unit)
            .with_boundaries(PEAK_BUCKETS_BYTES.to_vec())
            .build(),
    });
    crate::metrics::observe_ends(operation_ended);
    super::enable_histograms();
    Instruments {
        alive,
        sink: Some(sink),
    }
}

/// Runs `observe` at collection time while the instruments are alive; a panic in
/// it is contained (the collection goes on without these figures).
fn guarded<T>(
    alive: &Arc<AtomicBool>,
    observe: impl Fn(&dyn AsyncInstrument<T>) + Send + Sync + 'static,
) -> impl Fn(&dyn AsyncInstrument<T>) + Send + Sync + 'static {
    let alive = Arc::clone(alive);
    move |instrument| {
        if alive.load(Ordering::Relaxed) {
            let _ = catch_unwind(AssertUnwindSafe(|| observe(instrument)));
        }
    }
}

fn operation(name: &'static str) -> [KeyValue; 1] {
    [KeyValue::new("operation", name)]
}

/// A `u64` observable counter per operation name; `heap` ones only with the counting
/// allocator.
fn operation_counter(
    meter: &Meter,
    alive: &Arc<AtomicBool>,
    def: &'static Def,
    heap: bool,
    value: fn(&OperationMetrics) -> u64,
) {
    let _ = meter
        .u64_observable_counter(def.otel)
        .with_description(def.help)
        .with_unit(def.otel_unit)
        .with_callback(guarded(alive, move |observer| {
            if heap && !alloc::is_counting() {
                return;
            }
            for op in super::operations() {
                observer.observe(value(&op), &operation(op.name));
            }
        }))
        .build();
}

fn register_operations(meter: &Meter, alive: &Arc<AtomicBool>) {
    operation_counter(meter, alive, &def::STARTED, false, |o| o.started);
    operation_counter(meter, alive, &def::ALLOCATED, true, |o| o.allocated_bytes);
    operation_counter(meter, alive, &def::FREED, true, |o| o.freed_bytes);
    operation_counter(meter, alive, &def::ALLOCATIONS, true, |o| o.allocations);
    operation_counter(meter, alive, &def::RSS_GROWTH, false, |o| {
        o.rss_growth_bytes
    });
    let _ = meter
        .u64_observable_counter(def::ENDED.otel)
        .with_description(def::ENDED.help)
        .with_unit(def::ENDED.otel_unit)
        .with_callback(guarded(alive, |observer| {
            for op in super::operations() {
                for (by, count) in ENDED_BY.iter().zip(op.ended) {
                    observer.observe(
                        count,
                        &[
                            KeyValue::new("operation", op.name),
                            KeyValue::new("ended_by", by.as_str()),
                        ],
                    );
                }
            }
        }))
        .build();
    let _ = meter
        .i64_observable_up_down_counter(def::ACTIVE.otel)
        .with_description(def::ACTIVE.help)
        .with_unit(def::ACTIVE.otel_unit)
        .with_callback(guarded(alive, |observer| {
            for op in super::operations() {
                observer.observe(signed(op.active), &operation(op.name));
            }
        }))
        .build();
    let _ = meter
        .i64_observable_up_down_counter(def::RETAINED.otel)
        .with_description(def::RETAINED.help)
        .with_unit(def::RETAINED.otel_unit)
        .with_callback(guarded(alive, |observer| {
            for held in crate::retained().unwrap_or_default() {
                observer.observe(signed(held.bytes), &operation(held.name));
            }
        }))
        .build();
}

fn register_process(meter: &Meter, alive: &Arc<AtomicBool>) {
    let figures: [Figure<super::ProcessMetrics, Option<u64>>; 3] = [
        (&def::RESIDENT, |p| p.resident_bytes),
        (&def::HEAP_USED, |p| p.heap_used_bytes),
        (&def::HEAP_TOTAL, |p| p.heap_total_bytes),
    ];
    for (def, value) in figures {
        let _ = meter
            .i64_observable_up_down_counter(def.otel)
            .with_description(def.help)
            .with_unit(def.otel_unit)
            .with_callback(guarded(alive, move |observer| {
                if let Some(v) = value(&super::process()) {
                    observer.observe(signed(v), &[]);
                }
            }))
            .build();
    }
    let thresholds: [Figure<super::ProcessMetrics, u64>; 2] = [
        (&def::CRITICAL_RSS, |p| p.critical_rss_bytes),
        (&def::UNHEALTHY_RSS, |p| p.unhealthy_rss_bytes),
    ];
    for (def, value) in thresholds {
        let _ = meter
            .u64_observable_gauge(def.otel)
            .with_description(def.help)
            .with_unit(def.otel_unit)
            .with_callback(guarded(alive, move |observer| {
                observer.observe(value(&super::process()), &[]);
            }))
            .build();
    }
}

fn register_caches_alerts_reclaims(meter: &Meter, alive: &Arc<AtomicBool>) {
    let _ = meter
        .i64_observable_up_down_counter(def::CACHE_ENTRIES.otel)
        .with_description(def::CACHE_ENTRIES.help)
        .with_unit(def::CACHE_ENTRIES.otel_unit)
        .with_callback(guarded(alive, |observer| {
            for cache in caches::all_stats().caches {
                if let Ok(size) = cache.size {
                    let size = i64::try_from(size).unwrap_or(i64::MAX);
                    observer.observe(size, &[KeyValue::new("cache", cache.name)]);
                }
            }
        }))
        .build();
    let _ = meter
        .u64_observable_gauge(def::CACHE_CAPACITY.otel)
        .with_description(def::CACHE_CAPACITY.help)
        .with_unit(def::CACHE_CAPACITY.otel_unit)
        .with_callback(guarded(alive, |observer| {
            for cache in caches::all_stats().caches {
                if let Some(max) = cache.max_size {
                    let max = u64::try_from(max).unwrap_or(u64::MAX);
                    observer.observe(max, &[KeyValue::new("cache", cache.name)]);
                }
            }
        }))
        .build();
    let _ = meter
        .u64_observable_counter(def::ALERTS.otel)
        .with_description(def::ALERTS.help)
        .with_unit(def::ALERTS.otel_unit)
        .with_callback(guarded(alive, |observer| {
            for alert in super::alerts() {
                observer.observe(alert.count, &[KeyValue::new("event", alert.event)]);
            }
        }))
        .build();
    let reclaims: [Figure<reclaim::ReclaimTotals, u64>; 2] = [
        (&def::RECLAIMS, |t| t.runs),
        (&def::RECLAIM_FREED, |t| t.freed_bytes),
    ];
    for (def, value) in reclaims {
        let _ = meter
            .u64_observable_counter(def.otel)
            .with_description(def.help)
            .with_unit(def.otel_unit)
            .with_callback(guarded(alive, move |observer| {
                observer.observe(value(&reclaim::totals()), &[]);
            }))
            .build();
    }
    let _ = meter
        .f64_observable_counter(def::RECLAIM_TIME.otel)
        .with_description(def::RECLAIM_TIME.help)
        .with_unit(def::RECLAIM_TIME.otel_unit)
        .with_callback(guarded(alive, |observer| {
            observer.observe(reclaim::totals().time.as_secs_f64(), &[]);
        }))
        .build();
}

/// A metric and how to read it from a `T`.
type Figure<T, V> = (&'static Def, fn(&T) -> V);

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The synchronous histograms of one [`Instruments`].
struct Sink {
    duration: Histogram<f64>,
    peak: Histogram<u64>,
}

/// The histograms recorded as operations end; `SINK_COUNT` lets an ending
/// operation skip the lock when there are none.
static SINKS: RwLock<Vec<(u64, Arc<Sink>)>> = RwLock::new(Vec::new());
static SINK_COUNT: AtomicUsize = AtomicUsize::new(0);
static NEXT_SINK: AtomicU64 = AtomicU64::new(1);

fn add_sink(sink: Sink) -> u64 {
    let id = NEXT_SINK.fetch_add(1, Ordering::Relaxed);
    let mut sinks = SINKS.write().unwrap_or_else(PoisonError::into_inner);
    sinks.push((id, Arc::new(sink)));
    SINK_COUNT.store(sinks.len(), Ordering::Relaxed);
    id
}

fn remove_sink(id: u64) {
    let mut sinks = SINKS.write().unwrap_or_else(PoisonError::into_inner);
    sinks.retain(|(i, _)| *i != id);
    SINK_COUNT.store(sinks.len(), Ordering::Relaxed);
}

/// Records one ended operation in every registered meter's histograms. Runs
/// untracked (what the SDK allocates is charged to no operation) and contains any
/// panic of the SDK.
fn operation_ended(name: &'static str, duration: Duration, peak: Option<u64>) {
    if SINK_COUNT.load(Ordering::Relaxed) == 0 {
        return;
    }
    crate::bookkeeping::untracked(|| {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            let sinks = SINKS.read().unwrap_or_else(PoisonError::into_inner);
            let attributes = operation(name);
            for (_, sink) in sinks.iter() {
                sink.duration.record(duration.as_secs_f64(), &attributes);
                if let Some(peak) = peak {
                    sink.peak.record(peak, &attributes);
                }
            }
        }));
    });
}
