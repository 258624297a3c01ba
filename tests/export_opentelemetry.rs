//! The OpenTelemetry instruments, read back through the SDK's in-memory exporter:
//! names, units, exact per-operation figures, the histograms and their bounds,
//! process figures under their semantic-convention name, and what dropping the
//! instruments stops.
#![cfg(all(feature = "opentelemetry", not(feature = "passthrough-alloc")))]

use memtrack::memtrack;
use opentelemetry::KeyValue;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, Metric, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

#[global_allocator]
static ALLOC: memtrack::Allocator = memtrack::Allocator::system();

struct Pipeline {
    exporter: InMemoryMetricExporter,
    provider: SdkMeterProvider,
}

impl Pipeline {
    fn new() -> Self {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        Pipeline { exporter, provider }
    }

    /// Everything the meter provider reports now (`None` when nothing was observed).
    fn try_collect(&self) -> Option<ResourceMetrics> {
        self.exporter.reset();
        self.provider.force_flush().expect("flush");
        self.exporter.get_finished_metrics().expect("metrics").pop()
    }

    fn collect(&self) -> ResourceMetrics {
        self.try_collect().expect("one collection")
    }
}

fn metric<'a>(collected: &'a ResourceMetrics, name: &str) -> Option<&'a Metric> {
    collected
        .scope_metrics()
        .flat_map(|s| s.metrics())
        .find(|m| m.name() == name)
}

fn has(attributes: &mut dyn Iterator<Item = &KeyValue>, wanted: &[(&str, &str)]) -> bool {
    let attributes: Vec<(String, String)> = attributes
        .map(|kv| (kv.key.to_string(), kv.value.to_string()))
        .collect();
    wanted
        .iter()
        .all(|(k, v)| attributes.iter().any(|(key, value)| key == k && value == v))
}

/// The value of a `u64` sum (counter) point with `attributes`.
fn u64_sum(collected: &ResourceMetrics, name: &str, attributes: &[(&str, &str)]) -> Option<u64> {
    match metric(collected, name)?.data() {
        AggregatedMetrics::U64(MetricData::Sum(sum)) => sum
            .data_points()
            .find(|p| has(&mut p.attributes(), attributes))
            .map(|p| p.value()),
        other => panic!("{name} is not a u64 sum: {other:?}"),
    }
}

/// The value of an `i64` sum (up-down counter) point with `attributes`.
fn i64_sum(collected: &ResourceMetrics, name: &str, attributes: &[(&str, &str)]) -> Option<i64> {
    match metric(collected, name)?.data() {
        AggregatedMetrics::I64(MetricData::Sum(sum)) => sum
            .data_points()
            .find(|p| has(&mut p.attributes(), attributes))
            .map(|p| p.value()),
        other => panic!("{name} is not an i64 sum: {other:?}"),
    }
}

#[memtrack("otel-allocates")]
fn allocates(bytes: usize) -> Vec<u8> {
    Vec::with_capacity(bytes)
}

#[memtrack("otel-fails")]
fn fails() -> Result<(), &'static str> {
    Err("refused")
}

#[test]
fn per_operation_figures_are_exact() {
    let pipeline = Pipeline::new();
    let instruments =
        memtrack::export::opentelemetry::register(&pipeline.provider.meter("memtrack"));
    let kept = allocates(50_000);
    drop(allocates(2_000));
    let _ = fails();
    let _ = fails();

    let collected = pipeline.collect();
    let op = [("operation", "otel-allocates")];
    assert_eq!(
        u64_sum(&collected, "memtrack.operations.started", &op),
        Some(2)
    );
    assert_eq!(
        u64_sum(
            &collected,
            "memtrack.operations.ended",
            &[("operation", "otel-allocates"), ("ended_by", "ok")]
        ),
        Some(2)
    );
    assert_eq!(
        u64_sum(
            &collected,
            "memtrack.operations.ended",
            &[("operation", "otel-fails"), ("ended_by", "err")]
        ),
        Some(2)
    );
    assert_eq!(
        u64_sum(
            &collected,
            "memtrack.operations.ended",
            &[("operation", "otel-fails"), ("ended_by", "ok")]
        ),
        Some(0)
    );
    assert_eq!(
        i64_sum(&collected, "memtrack.operations.active", &op),
        Some(0)
    );
    assert_eq!(
        u64_sum(&collected, "memtrack.operation.heap.allocated", &op),
        Some(52_000)
    );
    assert_eq!(
        u64_sum(&collected, "memtrack.operation.heap.allocations", &op),
        Some(2)
    );
    assert_eq!(
        i64_sum(&collected, "memtrack.operation.heap.retained", &op),
        Some(50_000)
    );
    let allocated = metric(&collected, "memtrack.operation.heap.allocated").unwrap();
    assert_eq!(allocated.unit(), "By");
    drop(kept);
    drop(instruments);
}

#[memtrack("otel-histogram")]
fn peaks(bytes: usize) {
    drop(Vec::<u8>::with_capacity(bytes));
}

#[test]
fn histograms_use_the_documented_bounds() {
    let pipeline = Pipeline::new();
    let instruments =
        memtrack::export::opentelemetry::register(&pipeline.provider.meter("memtrack"));
    peaks(100_000);
    peaks(3_000);
    let collected = pipeline.collect();

    let peak = metric(&collected, "memtrack.operation.heap.peak").expect("peak histogram");
    assert_eq!(peak.unit(), "By");
    let AggregatedMetrics::U64(MetricData::Histogram(h)) = peak.data() else {
        panic!("peak is not a u64 histogram: {:?}", peak.data());
    };
    let point = h
        .data_points()
        .find(|p| has(&mut p.attributes(), &[("operation", "otel-histogram")]))
        .expect("a point for the operation");
    assert_eq!(point.count(), 2);
    assert_eq!(point.sum(), 103_000);
    assert_eq!(
        point.bounds().collect::<Vec<_>>(),
        memtrack::export::PEAK_BUCKETS_BYTES
    );
    let counts: Vec<u64> = point.bucket_counts().collect();
    assert_eq!(counts[1], 1, "3,000 bytes in (1 KiB, 4 KiB]: {counts:?}");
    assert_eq!(
        counts[4], 1,
        "100,000 bytes in (64 KiB, 256 KiB]: {counts:?}"
    );

    let duration = metric(&collected, "memtrack.operation.duration").expect("duration");
    assert_eq!(duration.unit(), "s");
    let AggregatedMetrics::F64(MetricData::Histogram(h)) = duration.data() else {
        panic!("duration is not an f64 histogram");
    };
    let point = h
        .data_points()
        .find(|p| has(&mut p.attributes(), &[("operation", "otel-histogram")]))
        .expect("a point for the operation");
    assert_eq!(point.count(), 2);
    assert_eq!(
        point.bounds().collect::<Vec<_>>(),
        memtrack::export::DURATION_BUCKETS_SECONDS
    );
    drop(instruments);
}

#[test]
fn process_caches_alerts_and_reclaims_are_observed() {
    let pipeline = Pipeline::new();
    let instruments =
        memtrack::export::opentelemetry::register(&pipeline.provider.meter("memtrack"));
    memtrack::caches::register("otel_cache", Some(20), || 6).forget();
    memtrack::reclaim::run();
    let collected = pipeline.collect();

    let usage = metric(&collected, "process.memory.usage").expect("process.memory.usage");
    assert_eq!(usage.unit(), "By");
    assert!(i64_sum(&collected, "process.memory.usage", &[]).unwrap() > 0);
    assert!(i64_sum(&collected, "memtrack.process.heap.used", &[]).unwrap() > 0);
    assert_eq!(
        i64_sum(
            &collected,
            "memtrack.cache.entries",
            &[("cache", "otel_cache")]
        ),
        Some(6)
    );
    let capacity = metric(&collected, "memtrack.cache.capacity").expect("capacity");
    let AggregatedMetrics::U64(MetricData::Gauge(g)) = capacity.data() else {
        panic!("capacity is not a u64 gauge");
    };
    assert_eq!(
        g.data_points()
            .find(|p| has(&mut p.attributes(), &[("cache", "otel_cache")]))
            .map(|p| p.value()),
        Some(20)
    );
    for event in [
        "critical_rss_spike",
        "critical_memory_exceeded",
        "memory_growth_detected",
        "memory_leak_suspect",
        "cache_at_capacity",
    ] {
        assert!(
            u64_sum(&collected, "memtrack.alerts", &[("event", event)]).is_some(),
            "{event}"
        );
    }
    assert!(u64_sum(&collected, "memtrack.reclaims", &[]).unwrap() >= 1);
    drop(instruments);
}

#[memtrack("otel-after-drop")]
fn after_drop() {}

#[test]
fn dropped_instruments_observe_and_record_nothing() {
    let pipeline = Pipeline::new();
    let instruments =
        memtrack::export::opentelemetry::register(&pipeline.provider.meter("memtrack"));
    drop(instruments);
    after_drop();
    // Nothing at all may be exported; if something is, it is not this operation.
    let Some(collected) = pipeline.try_collect() else {
        return;
    };
    assert_eq!(
        u64_sum(
            &collected,
            "memtrack.operations.started",
            &[("operation", "otel-after-drop")]
        ),
        None
    );
    let recorded = metric(&collected, "memtrack.operation.duration").is_some_and(|m| {
        matches!(m.data(), AggregatedMetrics::F64(MetricData::Histogram(h))
            if h.data_points().any(|p| has(&mut p.attributes(), &[("operation", "otel-after-drop")])))
    });
    assert!(!recorded);
}
