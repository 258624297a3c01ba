//! memtrack's metrics for Prometheus, on the official
//! [`prometheus-client`](https://docs.rs/prometheus-client) crate (feature
//! `prometheus`).
//!
//! Two ways in:
//!
//! - [`register`] (or [`Collector`]) adds memtrack's metrics to a `Registry` the
//!   application already serves: they are read on each scrape, next to its own.
//! - [`render`] answers a `/metrics` request on its own, in the Prometheus text
//!   format or OpenMetrics as the `Accept` header asks.
//!
//! Installing either starts the duration and peak histograms
//! ([`enable_histograms`](super::enable_histograms)). The metrics, their labels and
//! the cardinality bounds are listed in the [module above](super).
//!
//! ```
//! use memtrack::export::prometheus::{self, prometheus_client::registry::Registry};
//!
//! let mut registry = Registry::default();
//! prometheus::register(&mut registry);
//!
//! #[memtrack::memtrack("doc-prometheus-op")]
//! fn work() -> Vec<u8> {
//!     vec![0; 10]
//! }
//! work();
//!
//! let mut text = String::new();
//! prometheus::prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
//! assert!(text.contains(
//!     "memtrack_operations_ended_total{operation=\"doc-prometheus-op\",ended_by=\"ok\"} 1\n"
//! ));
//! ```

use std::fmt;

use prometheus_client::encoding::{
    DescriptorEncoder, MetricEncoder, NoLabelSet, prometheus_text, text,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use super::catalogue::{self as def, Base, Def};
use super::{HistogramSnapshot, MAX_BUCKETS, OperationMetrics, ProcessMetrics, site_metrics};
use crate::{alloc, caches, reclaim};

/// The `prometheus-client` crate memtrack builds on: use this one (or the same
/// version) for the `Registry` you pass to [`register`].
pub use prometheus_client;

/// The `Content-Type` of [`encode_text`]'s output (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// The `Content-Type` of [`encode_openmetrics`]'s output.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// memtrack's metrics as a `prometheus-client` collector: every figure is read
/// when the registry is encoded.
///
/// ```
/// use memtrack::export::prometheus::{Collector, prometheus_client::registry::Registry};
///
/// let mut registry = Registry::default();
/// registry.register_collector(Box::new(Collector::new()));
/// ```
#[derive(Debug)]
pub struct Collector {
    _private: (),
}

impl Collector {
    /// A collector; starts the histograms.
    #[must_use]
    pub fn new() -> Self {
        super::enable_histograms();
        Self { _private: () }
    }
}

impl Default for Collector {
    fn default() -> Self {
        Self::new()
    }
}

impl prometheus_client::collector::Collector for Collector {
    fn encode(&self, encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        encode_all(encoder)
    }
}

/// Registers memtrack's metrics in `registry` (a [`Collector`]).
///
/// ```
/// let mut registry = memtrack::export::prometheus::prometheus_client::registry::Registry::default();
/// memtrack::export::prometheus::register(&mut registry);
/// ```
pub fn register(registry: &mut Registry) {
    registry.register_collector(Box::new(Collector::new()));
}

/// memtrack's metrics alone, in the Prometheus text format (version 0.0.4), served
/// with [`CONTENT_TYPE`].
///
/// ```
/// let text = memtrack::export::prometheus::encode_text();
/// assert!(text.contains("# TYPE memtrack_alerts_total counter\n"));
/// ```
#[must_use]
pub fn encode_text() -> String {
    encode_with(|out, registry| prometheus_text::encode(out, registry))
}

/// memtrack's metrics alone, in the OpenMetrics text format (ending with `# EOF`),
/// served with [`OPENMETRICS_CONTENT_TYPE`].
///
/// ```
/// let text = memtrack::export::prometheus::encode_openmetrics();
/// assert!(text.ends_with("# EOF\n"));
/// ```
#[must_use]
pub fn encode_openmetrics() -> String {
    encode_with(|out, registry| text::encode(out, registry))
}

fn encode_with(encode: impl FnOnce(&mut String, &Registry) -> fmt::Result) -> String {
    let mut registry = Registry::default();
    register(&mut registry);
    let mut out = String::with_capacity(64 * 1024);
    // Writing to a String cannot fail, and the collector itself never fails.
    let _ = encode(&mut out, &registry);
    out
}

/// A `/metrics` answer: the body and its `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposition {
    /// The `Content-Type` header to send.
    pub content_type: &'static str,
    /// The metrics.
    pub body: String,
}

/// The answer to a scrape whose `Accept` header is `accept`: OpenMetrics when the
/// scraper asks for it (Prometheus does by default), else the Prometheus text
/// format.
///
/// ```
/// use memtrack::export::prometheus::{render, CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE};
///
/// assert_eq!(render(None).content_type, CONTENT_TYPE);
/// let om = render(Some("application/openmetrics-text;version=1.0.0,text/plain;q=0.5"));
/// assert_eq!(om.content_type, OPENMETRICS_CONTENT_TYPE);
/// ```
#[must_use]
pub fn render(accept: Option<&str>) -> Exposition {
    if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
        Exposition {
            content_type: OPENMETRICS_CONTENT_TYPE,
            body: encode_openmetrics(),
        }
    } else {
        Exposition {
            content_type: CONTENT_TYPE,
            body: encode_text(),
        }
    }
}

static BYTES: Unit = Unit::Bytes;
static SECONDS: Unit = Unit::Seconds;

fn unit(base: Base) -> Option<&'static Unit> {
    match base {
        Base::None => None,
        Base::Bytes => Some(&BYTES),
        Base::Seconds => Some(&SECONDS),
    }
}

/// Every metric, read now.
fn encode_all(mut encoder: DescriptorEncoder) -> fmt::Result {
    let ops = super::operations();
    let heap = alloc::is_counting();
    encode_operations(&mut encoder, &ops, heap)?;
    if heap {
        encode_retained(&mut encoder)?;
    }
    encode_process(&mut encoder, &super::process())?;
    encode_caches(&mut encoder)?;
    encode_alerts(&mut encoder)?;
    encode_reclaims(&mut encoder)
}

fn encode_operations(
    encoder: &mut DescriptorEncoder,
    ops: &[OperationMetrics],
    heap: bool,
) -> fmt::Result {
    counters(encoder, &def::STARTED, ops, |o| o.started)?;
    let mut ended = encoder.encode_descriptor(
        def::ENDED.prometheus,
        def::ENDED.help,
        None,
        MetricType::Counter,
    )?;
    for op in ops {
        for (by, count) in site_metrics::ENDED_BY.iter().zip(op.ended) {
            let labels = [("operation", op.name), ("ended_by", by.as_str())];
            counter(&mut ended.encode_family(&labels)?, count)?;
        }
    }
    gauges(encoder, &def::ACTIVE, ops, |o| o.active)?;
    if heap {
        counters(encoder, &def::ALLOCATED, ops, |o| o.allocated_bytes)?;
        counters(encoder, &def::FREED, ops, |o| o.freed_bytes)?;
        counters(encoder, &def::ALLOCATIONS, ops, |o| o.allocations)?;
    }
    counters(encoder, &def::RSS_GROWTH, ops, |o| o.rss_growth_bytes)?;
    if super::histograms_enabled() {
        histograms(encoder, &def::DURATION, ops, |o| &o.duration)?;
        if heap {
            histograms(encoder, &def::PEAK, ops, |o| &o.peak)?;
        }
    }
    Ok(())
}

fn encode_retained(encoder: &mut DescriptorEncoder) -> fmt::Result {
    let Some(mut held) = crate::retained() else {
        return Ok(());
    };
    held.sort_unstable_by(|a, b| a.name.cmp(b.name));
    let mut family = descriptor(encoder, &def::RETAINED, MetricType::Gauge)?;
    for r in &held {
        family
            .encode_family(&[("operation", r.name)])?
            .encode_gauge(&r.bytes)?;
    }
    Ok(())
}

fn encode_process(encoder: &mut DescriptorEncoder, p: &ProcessMetrics) -> fmt::Result {
    for (def, value) in [
        (&def::RESIDENT, p.resident_bytes),
        (&def::HEAP_USED, p.heap_used_bytes),
        (&def::HEAP_TOTAL, p.heap_total_bytes),
        (&def::CRITICAL_RSS, Some(p.critical_rss_bytes)),
        (&def::UNHEALTHY_RSS, Some(p.unhealthy_rss_bytes)),
    ] {
        if let Some(value) = value {
            descriptor(encoder, def, MetricType::Gauge)?.encode_gauge(&value)?;
        }
    }
    Ok(())
}

fn encode_caches(encoder: &mut DescriptorEncoder) -> fmt::Result {
    let stats = caches::all_stats();
    let sized: Vec<(&str, usize)> = stats
        .caches
        .iter()
        .filter_map(|c| c.size.as_ref().ok().map(|size| (c.name.as_str(), *size)))
        .collect();
    if !sized.is_empty() {
        let mut family = descriptor(encoder, &def::CACHE_ENTRIES, MetricType::Gauge)?;
        for (name, size) in sized {
            family
                .encode_family(&[("cache", name)])?
                .encode_gauge(&size)?;
        }
    }
    let bounded: Vec<(&str, usize)> = stats
        .caches
        .iter()
        .filter_map(|c| c.max_size.map(|max| (c.name.as_str(), max)))
        .collect();
    if !bounded.is_empty() {
        let mut family = descriptor(encoder, &def::CACHE_CAPACITY, MetricType::Gauge)?;
        for (name, max) in bounded {
            family
                .encode_family(&[("cache", name)])?
                .encode_gauge(&max)?;
        }
    }
    Ok(())
}

fn encode_alerts(encoder: &mut DescriptorEncoder) -> fmt::Result {
    let mut family = descriptor(encoder, &def::ALERTS, MetricType::Counter)?;
    for alert in super::alerts() {
        counter(
            &mut family.encode_family(&[("event", alert.event)])?,
            alert.count,
        )?;
    }
    Ok(())
}

fn encode_reclaims(encoder: &mut DescriptorEncoder) -> fmt::Result {
    let totals = reclaim::totals();
    counter(
        &mut descriptor(encoder, &def::RECLAIMS, MetricType::Counter)?,
        totals.runs,
    )?;
    counter(
        &mut descriptor(encoder, &def::RECLAIM_FREED, MetricType::Counter)?,
        totals.freed_bytes,
    )?;
    descriptor(encoder, &def::RECLAIM_TIME, MetricType::Counter)?
        .encode_counter::<NoLabelSet, f64, f64>(&totals.time.as_secs_f64(), None)
}

fn descriptor<'s>(
    encoder: &'s mut DescriptorEncoder,
    def: &'static Def,
    kind: MetricType,
) -> Result<MetricEncoder<'s>, fmt::Error> {
    encoder.encode_descriptor(def.prometheus, def.help, unit(def.base), kind)
}

fn counter(metric: &mut MetricEncoder, value: u64) -> fmt::Result {
    metric.encode_counter::<NoLabelSet, u64, u64>(&value, None)
}

/// One counter per operation name.
fn counters(
    encoder: &mut DescriptorEncoder,
    def: &'static Def,
    ops: &[OperationMetrics],
    value: impl Fn(&OperationMetrics) -> u64,
) -> fmt::Result {
    per_operation(encoder, def, MetricType::Counter, ops, |m, o| {
        counter(m, value(o))
    })
}

/// One gauge per operation name.
fn gauges(
    encoder: &mut DescriptorEncoder,
    def: &'static Def,
    ops: &[OperationMetrics],
    value: impl Fn(&OperationMetrics) -> u64,
) -> fmt::Result {
    per_operation(encoder, def, MetricType::Gauge, ops, |m, o| {
        m.encode_gauge(&value(o))
    })
}

/// One histogram per operation name.
fn histograms(
    encoder: &mut DescriptorEncoder,
    def: &'static Def,
    ops: &[OperationMetrics],
    value: impl Fn(&OperationMetrics) -> &HistogramSnapshot,
) -> fmt::Result {
    let mut buckets = [(0.0, 0); MAX_BUCKETS];
    per_operation(encoder, def, MetricType::Histogram, ops, |m, o| {
        let h = value(o);
        let counts = h.bucket_counts();
        for ((slot, bound), count) in buckets
            .iter_mut()
            .zip(h.bounds.iter().copied().chain([f64::INFINITY]))
            .zip(counts)
        {
            *slot = (bound, *count);
        }
        m.encode_histogram::<NoLabelSet>(h.sum, h.count, &buckets[..counts.len()], None)
    })
}

fn per_operation(
    encoder: &mut DescriptorEncoder,
    def: &'static Def,
    kind: MetricType,
    ops: &[OperationMetrics],
    mut write: impl FnMut(&mut MetricEncoder, &OperationMetrics) -> fmt::Result,
) -> fmt::Result {
    let mut family = descriptor(encoder, def, kind)?;
    for op in ops {
        write(&mut family.encode_family(&[("operation", op.name)])?, op)?;
    }
    Ok(())
}
