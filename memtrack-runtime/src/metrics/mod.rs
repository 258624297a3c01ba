//! What the runtime gathers for the exporters as operations end and alerts are
//! raised: per-name counts by how operations ended, the duration and heap peak
//! histograms, and the alerts raised. The [`export`](crate::export) module reads
//! them (with the per-name totals and the live heap) when a scrape or a collection
//! happens.
//!
//! The histograms are fed only once an exporter is installed (or
//! [`enable_histograms`] was called): until then an ending operation pays one
//! relaxed load of a flag, and after it two lock-free histogram updates (a bucket
//! and a sum each). Counts by `ended_by` cost nothing on success: failures are
//! counted, successes derived.

mod alerts;
mod histogram;
mod site_metrics;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub(crate) use alerts::{Alert, raised as alert_raised};
pub use alerts::{AlertCount, alerts};
pub use histogram::{DURATION_BUCKETS_SECONDS, HistogramSnapshot, PEAK_BUCKETS_BYTES};
pub use site_metrics::ENDED_BY;
pub(crate) use site_metrics::SiteMetrics;

/// Whether ending operations feed the histograms.
static HISTOGRAMS: AtomicBool = AtomicBool::new(false);

/// Makes every operation that ends from now on feed the duration and peak
/// histograms. The exporters call it when they are installed; a custom exporter
/// reading [`operations`](crate::export::operations) calls it too. It cannot be undone.
///
/// ```
/// memtrack::export::enable_histograms();
/// assert!(memtrack::export::histograms_enabled());
/// ```
pub fn enable_histograms() {
    HISTOGRAMS.store(true, Ordering::Relaxed);
}

/// Whether [`enable_histograms`] was called (or an exporter installed).
#[must_use]
pub fn histograms_enabled() -> bool {
    HISTOGRAMS.load(Ordering::Relaxed)
}

/// Where an operation of `name` ends: feeds its name's histograms (`metrics`) when
/// an exporter wants them.
#[inline]
pub(crate) fn operation_ended(
    metrics: &SiteMetrics,
    name: &'static str,
    duration: Duration,
    peak: Option<u64>,
) {
    if HISTOGRAMS.load(Ordering::Relaxed) {
        record(metrics, name, duration, peak);
    }
}

/// With the counting allocator, an operation charged nothing peaked at zero bytes.
#[inline(never)]
fn record(metrics: &SiteMetrics, name: &'static str, duration: Duration, peak: Option<u64>) {
    let peak = peak.or_else(|| crate::alloc::is_counting().then_some(0));
    metrics.record_histograms(duration, peak);
    if let Some(observe) = OBSERVER.get() {
        observe(name, duration, peak);
    }
}

/// A function told of every operation that ends once the histograms are on (the
/// OpenTelemetry exporter's, which records into its own SDK histograms).
pub(crate) type Observer = fn(&'static str, Duration, Option<u64>);

static OBSERVER: OnceLock<Observer> = OnceLock::new();

/// Sets the [`Observer`] (once; later calls change nothing).
#[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
pub(crate) fn observe_ends(observer: Observer) {
    let _ = OBSERVER.set(observer);
}
