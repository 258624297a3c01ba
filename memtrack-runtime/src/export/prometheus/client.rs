//! The exposition through `prometheus-client`'s encoders: what a user's `Registry`
//! serves, in the Prometheus text format or OpenMetrics.

use std::fmt;

use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use super::super::catalogue::{Base, Def};
use super::exposition::{Encoder, Kind, Sample, Value};

/// Writes families through a `prometheus-client` descriptor encoder.
pub(super) struct ClientEncoder<'e>(pub(super) DescriptorEncoder<'e>);

static BYTES: Unit = Unit::Bytes;
static SECONDS: Unit = Unit::Seconds;

fn unit(base: Base) -> Option<&'static Unit> {
    match base {
        Base::None => None,
        Base::Bytes => Some(&BYTES),
        Base::Seconds => Some(&SECONDS),
    }
}

impl Encoder for ClientEncoder<'_> {
    fn family<'a>(
        &mut self,
        def: &'static Def,
        kind: Kind,
        samples: &mut dyn Iterator<Item = Sample<'a>>,
    ) -> fmt::Result {
        let metric_type = match kind {
            Kind::Counter => MetricType::Counter,
            Kind::Gauge => MetricType::Gauge,
            Kind::Histogram => MetricType::Histogram,
        };
        let mut metric =
            self.0
                .encode_descriptor(def.prometheus, def.help, unit(def.base), metric_type)?;
        let mut buckets = Vec::new();
        for sample in samples {
            let labels = sample.labels.as_slice();
            if labels.is_empty() {
                value(&mut metric, kind, sample.value, &mut buckets)?;
            } else {
                value(
                    &mut metric.encode_family(&labels)?,
                    kind,
                    sample.value,
                    &mut buckets,
                )?;
            }
        }
        Ok(())
    }
}

fn value(
    metric: &mut MetricEncoder,
    kind: Kind,
    value: Value<'_>,
    buckets: &mut Vec<(f64, u64)>,
) -> fmt::Result {
    match (kind, value) {
        (Kind::Counter, Value::Int(v)) => metric.encode_counter::<NoLabelSet, u64, u64>(&v, None),
        (Kind::Counter, Value::Float(v)) => metric.encode_counter::<NoLabelSet, f64, f64>(&v, None),
        (Kind::Gauge, Value::Int(v)) => metric.encode_gauge(&v),
        (Kind::Gauge, Value::Float(v)) => metric.encode_gauge(&v),
        (_, Value::Histogram(h)) => {
            buckets.clear();
            buckets.extend(
                h.bounds
                    .iter()
                    .copied()
                    .chain([f64::INFINITY])
                    .zip(h.bucket_counts().iter().copied()),
            );
            metric.encode_histogram::<NoLabelSet>(h.sum, h.count, buckets, None)
        }
        (Kind::Histogram, _) => Err(fmt::Error),
    }
}
