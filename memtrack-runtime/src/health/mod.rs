//! The health report behind a `/health` endpoint, in this JSON shape:
//!
//! ```json
//! {
//!   "status": "ok",
//!   "timestamp": "2026-11-27T08:01:02.345Z",
//!   "memory": { "heapUsedMb": 245.0, "heapTotalMb": 512.0, "rssMb": 680.0 },
//!   "caches": { "zeroclick_client_cache": 12, "rate_limiter_ips": 1234, "active_operations": 3 },
//!   "retained": {
//!     "totalMb": 245.0,
//!     "top": [
//!       { "operation": "ad-context-request", "retainedMb": 120.5, "blocks": 3021 },
//!       { "operation": "untracked", "retainedMb": 98.2, "blocks": 51234 }
//!     ]
//!   }
//! }
//! ```
//!
//! `retained` (with the counting allocator; absent without it) names the operations
//! holding the most live heap now, the untracked bucket included, most first (at most
//! [`top_operations`](crate::Config::top_operations) of them), with the live heap it
//! was shared out of: see [`retained`](mod@crate::retained).
//!
//! Above [`unhealthy_rss_mb`](crate::Config::unhealthy_rss_mb) the status is
//! `"unhealthy"`, a `"reason"` says why and [`HealthReport::http_status`] is 503.
//!
//! Heap figures: `heapUsedMb` is the counting allocator's live heap, or without it
//! the C allocator's bytes in use (glibc `mallinfo2`); `heapTotalMb` is what the C
//! allocator holds from the system (`mallinfo2`), or the counting allocator's peak
//! where there is no `mallinfo2`; `null` where neither source exists.
//! Memory figures are megabytes with two decimals.
//!
//! Building a report reads memory and cache sizes and nothing else: it never moves the
//! [monitor](crate::monitor)'s baselines.

use serde::Serialize;

use crate::caches::{self, CacheStats};
use crate::config::{self, Config};
use crate::process;
use crate::units::{mb, mb_to_bytes};

/// `"ok"` or `"unhealthy"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// RSS at or below the unhealthy threshold (or unknown).
    Ok,
    /// RSS above [`unhealthy_rss_mb`](crate::Config::unhealthy_rss_mb).
    Unhealthy,
}

/// Process memory in megabytes; `null` where a figure is not available.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HealthMemory {
    /// Heap in use.
    #[serde(rename = "heapUsedMb")]
    pub heap_used_mb: Option<f64>,
    /// Heap total (see the [module docs](self)).
    #[serde(rename = "heapTotalMb")]
    pub heap_total_mb: Option<f64>,
    /// Resident set size.
    #[serde(rename = "rssMb")]
    pub rss_mb: Option<f64>,
}

/// The live heap one operation name holds, in a health report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthHolder {
    /// The operation name, or `untracked`.
    pub operation: &'static str,
    /// Live heap it holds, in megabytes.
    #[serde(rename = "retainedMb")]
    pub retained_mb: f64,
    /// Live blocks it holds.
    pub blocks: u64,
}

/// Who holds the live heap (counting allocator only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthRetained {
    /// Live heap of the whole process, in megabytes.
    #[serde(rename = "totalMb")]
    pub total_mb: f64,
    /// The largest holders, most first.
    pub top: Vec<HealthHolder>,
}

/// The health report. See the [module docs](self).
///
/// ```
/// let report = memtrack::health::report();
/// let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
/// assert_eq!(json["status"], "ok");
/// assert_eq!(report.http_status(), 200);
/// assert!(json["caches"]["active_operations"].is_u64());
/// assert!(json.get("reason").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthReport {
    /// `ok` or `unhealthy`.
    pub status: HealthStatus,
    /// When the report was made (RFC 3339, UTC, milliseconds).
    pub timestamp: String,
    /// Process memory.
    pub memory: HealthMemory,
    /// Every registered cache's size and `active_operations`.
    pub caches: CacheStats,
    /// Who holds the live heap; `None` (and absent from the JSON) without the
    /// counting allocator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retained: Option<HealthRetained>,
    /// Why the status is `unhealthy`; absent when it is `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl HealthReport {
    /// 503 when unhealthy, 200 otherwise.
    ///
    /// ```
    /// let config = memtrack::Config::builder().unhealthy_rss_mb(0.0).build().unwrap();
    /// let report = memtrack::health::report_with(&config);
    /// assert_eq!(report.http_status(), 503);
    /// assert_eq!(report.status, memtrack::health::HealthStatus::Unhealthy);
    /// ```
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self.status {
            HealthStatus::Ok => 200,
            HealthStatus::Unhealthy => 503,
        }
    }

    /// Whether the status is `ok`.
    ///
    /// ```
    /// assert!(memtrack::health::report().is_healthy());
    /// ```
    #[must_use]
    pub fn is_healthy(&self) -> bool {
        self.status == HealthStatus::Ok
    }

    /// The report as JSON text.
    ///
    /// ```
    /// assert!(memtrack::health::report().to_json().starts_with("{\"status\":\"ok\""));
    /// ```
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serializing plain numbers, strings and maps cannot fail; keep a valid
        // answer regardless.
        serde_json::to_string(self).unwrap_or_else(|_| {
            format!(
                r#"{{"status":"{}"}}"#,
                if self.is_healthy() { "ok" } else { "unhealthy" }
            )
        })
    }
}

/// The health report under the current [config](crate::config::get).
///
/// It reads the registered caches' sizes, so it can wait for a slow size function,
/// up to `MEMTRACK_CACHE_SIZE_TIMEOUT_MS` (500 ms by default). In an async handler,
/// call it through `tokio::task::spawn_blocking` (as the example service does), so
/// that no runtime worker stalls with it.
///
/// ```
/// let report = memtrack::health::report();
/// assert!(report.timestamp.ends_with('Z'));
/// ```
#[must_use]
pub fn report() -> HealthReport {
    report_with(config::get())
}

/// The health report under `config`'s [`unhealthy_rss_mb`](Config::unhealthy_rss_mb).
///
/// ```
/// let report = memtrack::health::report_with(&memtrack::Config::default());
/// assert_eq!(report.http_status(), 200);
/// ```
#[must_use]
pub fn report_with(config: &Config) -> HealthReport {
    crate::bookkeeping::untracked(|| build(config))
}

/// [`report_with`]'s work, memtrack's own: charged to no operation.
fn build(config: &Config) -> HealthReport {
    let rss = process::rss_bytes();
    let heap = process::heap();
    let caches = caches::stats_within(config.cache_size_timeout());
    let threshold = config.unhealthy_rss_mb();
    let unhealthy = rss.filter(|r| *r > mb_to_bytes(threshold));
    HealthReport {
        status: if unhealthy.is_some() {
            HealthStatus::Unhealthy
        } else {
            HealthStatus::Ok
        },
        timestamp: crate::logging::timestamp::now_rfc3339(),
        memory: HealthMemory {
            heap_used_mb: heap.map(|h| mb(h.used)),
            heap_total_mb: heap.map(|h| mb(h.total)),
            rss_mb: rss.map(mb),
        },
        caches,
        retained: holders(config.top_operations()),
        reason: unhealthy.map(|rss| {
            format!(
                "rss {} MB is above the unhealthy threshold of {threshold} MB",
                mb(rss)
            )
        }),
    }
}

/// The `limit` largest holders of live heap, with the process total.
fn holders(limit: usize) -> Option<HealthRetained> {
    let reading = crate::retained::reading()?;
    Some(HealthRetained {
        total_mb: mb(reading.live_bytes),
        top: reading
            .holders
            .iter()
            .take(limit)
            .map(|r| HealthHolder {
                operation: r.name,
                retained_mb: mb(r.bytes),
                blocks: r.blocks,
            })
            .collect(),
    })
}
