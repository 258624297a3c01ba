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

mod client;
mod exposition;
mod line_buffer;
mod text;

use std::fmt;

use prometheus_client::encoding::{DescriptorEncoder, prometheus_text};
use prometheus_client::registry::Registry;

use super::snapshot::Snapshot;

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
        crate::bookkeeping::untracked(|| {
            exposition::write(&Snapshot::read(), &mut client::ClientEncoder(encoder))
        })
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
/// with [`CONTENT_TYPE`]: the same text as a registry holding only a [`Collector`]
/// encodes with `prometheus_client::encoding::prometheus_text`, written directly
/// (several times faster). Starts the histograms.
///
/// ```
/// let text = memtrack::export::prometheus::encode_text();
/// assert!(text.contains("# TYPE memtrack_alerts_total counter\n"));
/// ```
#[must_use]
pub fn encode_text() -> String {
    crate::bookkeeping::untracked(|| {
        super::enable_histograms();
        let snapshot = Snapshot::read();
        // About 3.6 KB per operation name with the histograms, plus the process
        // figures.
        let mut encoder =
            text::TextEncoder::new(&snapshot.ops, 8 * 1024 + snapshot.ops.len() * 3_700);
        // Writing to memory cannot fail.
        let _ = exposition::write(&snapshot, &mut encoder);
        encoder.finish()
    })
}

/// memtrack's metrics alone, in the OpenMetrics text format (ending with `# EOF`),
/// served with [`OPENMETRICS_CONTENT_TYPE`], through `prometheus-client`'s encoder.
///
/// ```
/// let text = memtrack::export::prometheus::encode_openmetrics();
/// assert!(text.ends_with("# EOF\n"));
/// ```
#[must_use]
pub fn encode_openmetrics() -> String {
    crate::bookkeeping::untracked(|| {
        let mut registry = Registry::default();
        register(&mut registry);
        // Sized as the text format's body (about 3.6 KB per operation name), so that
        // a large exposition is not copied over and over as it grows.
        let names = crate::sites::tags::count();
        let mut out = String::with_capacity(8 * 1024 + names * 3_700);
        // Writing to a String cannot fail, and the collector never fails.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    })
}

/// A `/metrics` answer: the body and its `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposition {
    /// The `Content-Type` header to send.
    pub content_type: &'static str,
    /// The metrics.
    pub body: String,
}

/// The answer to a scrape whose `Accept` header is `accept`: the Prometheus text
/// format whenever the scraper accepts it (Prometheus always does), OpenMetrics for
/// a scraper that accepts only OpenMetrics.
///
/// The answer includes the registered caches' sizes, so it can wait for a slow
/// size function, up to `MEMTRACK_CACHE_SIZE_TIMEOUT_MS` (500 ms by default). In an
/// async handler, call it through `tokio::task::spawn_blocking` (as the README's
/// handler does), so that no runtime worker stalls with it.
///
/// ```
/// use memtrack::export::prometheus::{render, CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE};
///
/// assert_eq!(render(None).content_type, CONTENT_TYPE);
/// // What Prometheus sends: the text format is acceptable.
/// let prometheus = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// assert_eq!(render(Some(prometheus)).content_type, CONTENT_TYPE);
/// let om = render(Some("application/openmetrics-text;version=1.0.0"));
/// assert_eq!(om.content_type, OPENMETRICS_CONTENT_TYPE);
/// ```
#[must_use]
pub fn render(accept: Option<&str>) -> Exposition {
    if accept.is_some_and(only_openmetrics) {
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

/// Whether an `Accept` header asks for OpenMetrics and accepts neither
/// `text/plain` nor any type. Media types are compared without regard to case, and a
/// type given `q=0` is refused, not accepted.
fn only_openmetrics(accept: &str) -> bool {
    let accepted = || {
        accept.split(',').filter_map(|entry| {
            let mut parts = entry.split(';');
            let media_type = parts.next().unwrap_or("").trim();
            let refused = parts.any(|param| {
                param.trim().split_once('=').is_some_and(|(name, q)| {
                    name.trim().eq_ignore_ascii_case("q")
                        && q.trim().parse::<f64>().is_ok_and(|q| q <= 0.0)
                })
            });
            (!refused).then_some(media_type)
        })
    };
    accepted().any(|t| t.eq_ignore_ascii_case("application/openmetrics-text"))
        && !accepted().any(|t| {
            ["text/plain", "text/*", "*/*"]
                .iter()
                .any(|text| t.eq_ignore_ascii_case(text))
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use prometheus_client::encoding::prometheus_text;

    use super::*;
    use crate::ended_by::EndedBy;
    use crate::sites::Site;

    /// A collector of one fixed snapshot.
    #[derive(Debug)]
    struct Fixed(Snapshot);

    impl prometheus_client::collector::Collector for Fixed {
        fn encode(&self, encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
            exposition::write(&self.0, &mut client::ClientEncoder(encoder))
        }
    }

    #[test]
    fn the_direct_writer_writes_what_prometheus_client_writes() {
        static PLAIN: Site = Site::new("prom-same-plain");
        static ODD: Site = Site::new("prom-same \"odd\"\nname\\");
        super::super::enable_histograms();
        for site in [&PLAIN, &ODD] {
            site.on_start();
            site.charge(3_000_000, 1_000, 7);
            site.on_end(EndedBy::Cancelled, 4096);
            site.metrics()
                .record_histograms(Duration::from_micros(1_234), Some(3_000_000));
            site.on_start();
        }
        crate::caches::register("prom_same_cache", Some(9), || 2).forget();
        crate::reclaim::run();

        let mut snapshot = Snapshot::read();
        // With and without heap figures and the histograms, each shape once.
        for (heap, histograms) in [(true, true), (false, false)] {
            snapshot.heap = heap;
            snapshot.histograms = histograms;
            let mut registry = Registry::default();
            registry.register_collector(Box::new(Fixed(snapshot.clone())));
            let mut via_client = String::new();
            prometheus_text::encode(&mut via_client, &registry).unwrap();
            let mut encoder = text::TextEncoder::new(&snapshot.ops, 0);
            exposition::write(&snapshot, &mut encoder).unwrap();
            let direct = encoder.finish();
            assert_eq!(direct, via_client);
            assert!(direct.contains(
                "memtrack_operation_peak_bytes_bucket{operation=\"prom-same-plain\",le=\"4.194304e+06\"} 1\n"
            ) == (heap && histograms));
            assert!(direct.contains("memtrack_cache_capacity{cache=\"prom_same_cache\"} 9\n"));
        }
    }

    #[test]
    fn only_a_scraper_refusing_text_gets_openmetrics() {
        assert!(only_openmetrics(
            "application/openmetrics-text;version=1.0.0"
        ));
        assert!(!only_openmetrics(
            "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"
        ));
        assert!(!only_openmetrics("application/openmetrics-text, */*;q=0.1"));
        assert!(!only_openmetrics("text/plain"));
        assert!(!only_openmetrics(""));
        // Case does not matter; `q=0` refuses a type.
        assert!(only_openmetrics(
            "Application/OpenMetrics-Text; version=1.0.0"
        ));
        assert!(!only_openmetrics("application/openmetrics-text;q=0"));
        assert!(!only_openmetrics(
            "application/openmetrics-text;q=0.0,text/plain"
        ));
        assert!(only_openmetrics(
            "application/openmetrics-text,text/plain;q=0, */*; Q=0"
        ));
        assert!(!only_openmetrics("application/openmetrics-text,TEXT/PLAIN"));
    }
}
