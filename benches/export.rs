//! What the metrics exporters cost: per call of `#[memtrack]`, with the histograms
//! off (no exporter installed) and on, side by side; and one Prometheus scrape's
//! encoding with 100 and 4,096 operation names, by `encode_text` (what `/metrics`
//! serves) and through a `prometheus-client` registry holding the collector. The counting allocator is installed,
//! so every heap figure (and the retained heap per name) is in the exposition.
//!
//! ```text
//! cargo bench --bench export --features prometheus,opentelemetry
//! ```
//!
//! The histograms cannot be turned off once on, so the per-call variants run in
//! order: off, on, then (with the `opentelemetry` feature) on with an
//! OpenTelemetry meter recording its own histograms too.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

#[global_allocator]
static ALLOC: memtrack::Allocator = memtrack::Allocator::system();

#[memtrack::memtrack("bench-export-call")]
#[inline(never)]
fn tracked(value: u64) -> u64 {
    black_box(value)
}

#[memtrack::memtrack("bench-export-allocating")]
#[inline(never)]
fn tracked_allocating(len: usize) -> usize {
    black_box(Vec::<u8>::with_capacity(len)).capacity()
}

fn calls(c: &mut Criterion, variant: &str) {
    let mut group = c.benchmark_group("export/call");
    group.bench_function(format!("memtrack_{variant}"), |b| {
        b.iter(|| tracked(black_box(1)));
    });
    group.bench_function(format!("memtrack_allocating_{variant}"), |b| {
        b.iter(|| tracked_allocating(black_box(64)));
    });
    group.finish();
}

/// Names `bench-name-{from}` .. `bench-name-{to - 1}`, each with one operation that
/// ended and one block it still holds, so each has every series.
fn add_names(from: usize, to: usize, held: &mut Vec<Vec<u8>>) {
    for i in from..to {
        let op = memtrack::start(format!("bench-name-{i}"));
        held.push(op.in_scope(|| vec![0_u8; 2048]));
        op.end();
    }
}

fn scrape(c: &mut Criterion, names: usize) {
    let text = memtrack::export::prometheus::encode_text();
    eprintln!(
        "scrape of {names} names: {} bytes, {} lines",
        text.len(),
        text.lines().count()
    );
    let mut group = c.benchmark_group("export/scrape");
    // What a scrape reads before it writes anything.
    group.bench_function(format!("read_operations_{names}_names"), |b| {
        b.iter(|| black_box(memtrack::export::operations()));
    });
    group.bench_function(format!("read_retained_{names}_names"), |b| {
        b.iter(|| black_box(memtrack::retained()));
    });
    group.bench_function(format!("prometheus_text_{names}_names"), |b| {
        b.iter(|| black_box(memtrack::export::prometheus::encode_text()));
    });
    // The same text through a prometheus-client registry holding the collector.
    let mut registry =
        memtrack::export::prometheus::prometheus_client::registry::Registry::default();
    memtrack::export::prometheus::register(&mut registry);
    group.bench_function(format!("prometheus_client_registry_{names}_names"), |b| {
        b.iter(|| {
            let mut out = String::new();
            let encoded =
                memtrack::export::prometheus::prometheus_client::encoding::prometheus_text::encode(
                    &mut out, &registry,
                );
            black_box((encoded, out))
        });
    });
    group.finish();
}

fn export(c: &mut Criterion) {
    assert!(memtrack::alloc::is_counting());
    calls(c, "histograms_off");
    memtrack::export::enable_histograms();
    calls(c, "histograms_on");
    #[cfg(feature = "opentelemetry")]
    let _instruments = {
        use opentelemetry::metrics::MeterProvider as _;
        use opentelemetry_sdk::metrics::{
            InMemoryMetricExporter, PeriodicReader, SdkMeterProvider,
        };
        let reader = PeriodicReader::builder(InMemoryMetricExporter::default()).build();
        let provider = SdkMeterProvider::builder().with_reader(reader).build();
        let instruments = memtrack::export::opentelemetry::register(&provider.meter("bench"));
        calls(c, "histograms_on_opentelemetry");
        (provider, instruments)
    };

    let mut held = Vec::new();
    add_names(0, 100, &mut held);
    scrape(c, 100);
    add_names(100, 4096, &mut held);
    scrape(c, 4096);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = export
}
criterion_main!(benches);
