//! What a scrape exposes, family by family, written once for both encoders (the
//! `prometheus-client` one and the direct text writer).

use std::fmt;

use super::super::catalogue::{self as def, Def};
use super::super::snapshot::Snapshot;
use super::super::{HistogramSnapshot, OperationMetrics};
use crate::metrics::ENDED_BY;

/// The type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Counter,
    Gauge,
    Histogram,
}

/// One or two labels.
#[derive(Debug, Clone, Copy)]
pub(super) struct Labels<'a> {
    pairs: [(&'static str, &'a str); 2],
    len: usize,
    /// Known to hold no character any format escapes (`\`, `"`, newline).
    plain: bool,
    /// When the first label is an operation's name: its index in the snapshot's
    /// operations (an encoder may render it once per scrape).
    op: Option<usize>,
}

impl<'a> Labels<'a> {
    const NONE: Labels<'static> = Labels {
        pairs: [("", ""); 2],
        len: 0,
        plain: true,
        op: None,
    };

    fn one(key: &'static str, value: &'a str, plain: bool) -> Self {
        Labels {
            pairs: [(key, value), ("", "")],
            len: 1,
            plain,
            op: None,
        }
    }

    /// The `operation` label of operation `index`, and maybe a second plain label.
    fn operation(index: usize, name: &'a str, second: Option<(&'static str, &'a str)>) -> Self {
        Labels {
            pairs: [("operation", name), second.unwrap_or(("", ""))],
            len: 1 + usize::from(second.is_some()),
            plain: false,
            op: Some(index),
        }
    }

    pub(super) fn as_slice(&self) -> &[(&'static str, &'a str)] {
        &self.pairs[..self.len]
    }

    /// Whether no value needs escaping (`false` means: check).
    pub(super) fn plain(&self) -> bool {
        self.plain
    }

    /// The index of the operation named by the first label, if it is one.
    pub(super) fn op(&self) -> Option<usize> {
        self.op
    }
}

/// A sample's value.
#[derive(Debug, Clone, Copy)]
pub(super) enum Value<'a> {
    Int(u64),
    Float(f64),
    Histogram(&'a HistogramSnapshot),
}

/// One sample: its labels and its value.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sample<'a> {
    pub(super) labels: Labels<'a>,
    pub(super) value: Value<'a>,
}

/// Writes metric families.
pub(super) trait Encoder {
    /// Writes the family `def` of type `kind` with `samples`.
    fn family<'a>(
        &mut self,
        def: &'static Def,
        kind: Kind,
        samples: &mut dyn Iterator<Item = Sample<'a>>,
    ) -> fmt::Result;

    /// Writes the family `def` of type `kind` with integer samples per operation:
    /// for each of `ops`, one sample per entry of `second` (a second label's key and
    /// plain values), or a single one when `second` is `None`. `value(op, j)` is the
    /// value of `op`'s sample `j`.
    ///
    /// The same as [`family`](Self::family) with those samples; an encoder may write
    /// them faster.
    fn ints_per_op(
        &mut self,
        def: &'static Def,
        kind: Kind,
        ops: &[OperationMetrics],
        second: Option<(&'static str, &[&'static str])>,
        value: &dyn Fn(&OperationMetrics, usize) -> u64,
    ) -> fmt::Result {
        let per_op = second.map_or(1, |(_, values)| values.len());
        self.family(
            def,
            kind,
            &mut ops.iter().enumerate().flat_map(|(i, o)| {
                (0..per_op).map(move |j| Sample {
                    labels: Labels::operation(
                        i,
                        o.name,
                        second.and_then(|(key, values)| Some((key, *values.get(j)?))),
                    ),
                    value: Value::Int(value(o, j)),
                })
            }),
        )
    }

    /// Writes the histogram family `def` with one histogram per operation,
    /// `histogram(op)`, labelled by the operation's name.
    ///
    /// The same as [`family`](Self::family) with those samples; an encoder may write
    /// them faster.
    fn histograms_per_op(
        &mut self,
        def: &'static Def,
        ops: &[OperationMetrics],
        histogram: &dyn Fn(&OperationMetrics) -> &HistogramSnapshot,
    ) -> fmt::Result {
        self.family(
            def,
            Kind::Histogram,
            &mut ops.iter().enumerate().map(|(i, o)| Sample {
                labels: Labels::operation(i, o.name, None),
                value: Value::Histogram(histogram(o)),
            }),
        )
    }
}

/// The `ended_by` label values, in [`ENDED_BY`] order.
const ENDED_BY_LABELS: [&str; ENDED_BY.len()] = {
    let mut labels = [""; ENDED_BY.len()];
    let mut i = 0;
    while i < ENDED_BY.len() {
        labels[i] = ENDED_BY[i].as_str();
        i += 1;
    }
    labels
};

/// Whether `value` holds no character any format escapes.
fn is_plain(value: &str) -> bool {
    !value.bytes().any(|b| matches!(b, b'\\' | b'"' | b'\n'))
}

/// Writes every family of `s` to `encoder`, in exposition order.
pub(super) fn write(s: &Snapshot, encoder: &mut impl Encoder) -> fmt::Result {
    let ops = &s.ops;
    encoder.ints_per_op(&def::STARTED, Kind::Counter, ops, None, &|o, _| o.started)?;
    encoder.ints_per_op(
        &def::ENDED,
        Kind::Counter,
        ops,
        Some(("ended_by", &ENDED_BY_LABELS)),
        &|o, j| o.ended.get(j).copied().unwrap_or(0),
    )?;
    encoder.ints_per_op(&def::ACTIVE, Kind::Gauge, ops, None, &|o, _| o.active)?;
    if s.heap {
        encoder.ints_per_op(&def::ALLOCATED, Kind::Counter, ops, None, &|o, _| {
            o.allocated_bytes
        })?;
        encoder.ints_per_op(&def::FREED, Kind::Counter, ops, None, &|o, _| o.freed_bytes)?;
        encoder.ints_per_op(&def::ALLOCATIONS, Kind::Counter, ops, None, &|o, _| {
            o.allocations
        })?;
    }
    encoder.ints_per_op(&def::RSS_GROWTH, Kind::Counter, ops, None, &|o, _| {
        o.rss_growth_bytes
    })?;
    if s.histograms {
        encoder.histograms_per_op(&def::DURATION, ops, &|o| &o.duration)?;
        if s.heap {
            encoder.histograms_per_op(&def::PEAK, ops, &|o| &o.peak)?;
        }
    }
    if let Some(held) = &s.retained {
        encoder.family(
            &def::RETAINED,
            Kind::Gauge,
            &mut held.iter().map(|r| Sample {
                labels: Labels::one("operation", r.name, is_plain(r.name)),
                value: Value::Int(r.bytes),
            }),
        )?;
    }
    let p = &s.process;
    for (def, value) in [
        (&def::RESIDENT, p.resident_bytes),
        (&def::HEAP_USED, p.heap_used_bytes),
        (&def::HEAP_TOTAL, p.heap_total_bytes),
        (&def::CRITICAL_RSS, Some(p.critical_rss_bytes)),
        (&def::UNHEALTHY_RSS, Some(p.unhealthy_rss_bytes)),
    ] {
        if let Some(value) = value {
            single(encoder, def, Kind::Gauge, Value::Int(value))?;
        }
    }
    per_cache(encoder, &def::CACHE_ENTRIES, s.cache_entries())?;
    per_cache(encoder, &def::CACHE_CAPACITY, s.cache_capacities())?;
    encoder.family(
        &def::ALERTS,
        Kind::Counter,
        &mut s.alerts.iter().map(|a| Sample {
            labels: Labels::one("event", a.event, true),
            value: Value::Int(a.count),
        }),
    )?;
    let r = &s.reclaims;
    single(encoder, &def::RECLAIMS, Kind::Counter, Value::Int(r.runs))?;
    single(
        encoder,
        &def::RECLAIM_FREED,
        Kind::Counter,
        Value::Int(r.freed_bytes),
    )?;
    single(
        encoder,
        &def::RECLAIM_TIME,
        Kind::Counter,
        Value::Float(r.time.as_secs_f64()),
    )
}

/// A family of one sample per cache, left out when there is none.
fn per_cache<'a>(
    encoder: &mut impl Encoder,
    def: &'static Def,
    caches: impl Iterator<Item = (&'a str, usize)>,
) -> fmt::Result {
    let mut caches = caches.peekable();
    if caches.peek().is_none() {
        return Ok(());
    }
    encoder.family(
        def,
        Kind::Gauge,
        &mut caches.map(|(name, size)| Sample {
            labels: Labels::one("cache", name, is_plain(name)),
            value: Value::Int(u64::try_from(size).unwrap_or(u64::MAX)),
        }),
    )
}

/// A family of one unlabelled sample.
fn single(
    encoder: &mut impl Encoder,
    def: &'static Def,
    kind: Kind,
    value: Value<'_>,
) -> fmt::Result {
    encoder.family(
        def,
        kind,
        &mut std::iter::once(Sample {
            labels: Labels::NONE,
            value,
        }),
    )
}
