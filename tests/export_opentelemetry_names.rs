//! Many operation names through OpenTelemetry: with a view that raises the SDK's
//! cardinality limit for memtrack's instruments (as `register`'s documentation
//! shows), every name's figures are exported and nothing overflows. Its own binary:
//! the names it makes are process-wide and would crowd the other exporter tests.
#![cfg(all(feature = "opentelemetry", not(feature = "passthrough-alloc")))]

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{
    InMemoryMetricExporter, Instrument, PeriodicReader, SdkMeterProvider, Stream,
};

#[global_allocator]
static ALLOC: memtrack::Allocator = memtrack::Allocator::system();

const NAMES: usize = 1000;

#[test]
fn a_thousand_names_are_all_exported_with_a_raised_cardinality_limit() {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .with_view(|instrument: &Instrument| {
            instrument
                .name()
                .starts_with("memtrack.")
                .then(|| {
                    Stream::builder()
                        .with_cardinality_limit(25_000)
                        .build()
                        .ok()
                })
                .flatten()
        })
        .build();
    let instruments = memtrack::export::opentelemetry::register(&provider.meter("memtrack"));
    for i in 0..NAMES {
        memtrack::start(format!("otel-name-{i}")).end();
    }
    provider.force_flush().expect("flush");
    let collected = exporter
        .get_finished_metrics()
        .expect("metrics")
        .pop()
        .expect("one collection");
    let ended = collected
        .scope_metrics()
        .flat_map(|s| s.metrics())
        .find(|m| m.name() == "memtrack.operations.ended")
        .expect("the ended counter");
    let AggregatedMetrics::U64(MetricData::Sum(sum)) = ended.data() else {
        panic!("memtrack.operations.ended is not a u64 sum");
    };
    let mut ok_once = 0;
    for point in sum.data_points() {
        let attributes: Vec<(String, String)> = point
            .attributes()
            .map(|kv| (kv.key.to_string(), kv.value.to_string()))
            .collect();
        assert!(
            !attributes.iter().any(|(k, _)| k == "otel.metric.overflow"),
            "an overflow point: {attributes:?}"
        );
        let ours = attributes
            .iter()
            .any(|(k, v)| k == "operation" && v.starts_with("otel-name-"));
        let ok = attributes.iter().any(|(k, v)| k == "ended_by" && v == "ok");
        if ours && ok {
            assert_eq!(point.value(), 1, "{attributes:?}");
            ok_once += 1;
        }
    }
    assert_eq!(ok_once, NAMES);
    drop(instruments);
}
