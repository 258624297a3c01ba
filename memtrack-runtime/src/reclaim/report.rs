//! What a reclaim did, and the running totals.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Why a reclaim ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReclaimReason {
    /// [`run`](super::run) was called.
    Manual,
    /// The monitor saw RSS grow by
    /// [`reclaim_rss_growth_mb`](crate::Config::reclaim_rss_growth_mb) since its last
    /// reclaim.
    RssGrowth,
    /// The monitor saw RSS above [`critical_rss_mb`](crate::Config::critical_rss_mb).
    CriticalMemory,
}

impl ReclaimReason {
    /// The name written in the `reason` field: `manual`, `rss_growth` or
    /// `critical_memory`.
    ///
    /// ```
    /// assert_eq!(memtrack::reclaim::ReclaimReason::RssGrowth.as_str(), "rss_growth");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ReclaimReason::Manual => "manual",
            ReclaimReason::RssGrowth => "rss_growth",
            ReclaimReason::CriticalMemory => "critical_memory",
        }
    }
}

/// A hook that panicked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HookFailure {
    /// The hook's name.
    pub name: String,
    /// The panic message.
    pub error: String,
}

/// Totals over every reclaim since the process started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReclaimTotals {
    /// Reclaims run.
    pub runs: u64,
    /// Time spent reclaiming.
    pub time: Duration,
    /// RSS given back, summed over the reclaims that lowered it.
    pub freed_bytes: u64,
}

/// What one reclaim did.
///
/// ```
/// let report = memtrack::reclaim::run();
/// if let (Some(before), Some(after)) = (report.rss_before, report.rss_after) {
///     assert_eq!(report.freed_bytes, Some(before as i64 - after as i64));
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReclaimReport {
    /// Why it ran.
    pub reason: ReclaimReason,
    /// How long the hooks and the trim took.
    pub duration: Duration,
    /// RSS before, when known.
    pub rss_before: Option<u64>,
    /// RSS after, when known.
    pub rss_after: Option<u64>,
    /// `rss_before - rss_after` (negative when RSS grew meanwhile).
    pub freed_bytes: Option<i64>,
    /// Whether it freed more than the configured
    /// [`reclaim_effective_mb`](crate::Config::reclaim_effective_mb).
    pub effective: bool,
    /// The hooks that ran to completion, in order.
    pub hooks_run: Vec<String>,
    /// The hooks that panicked.
    pub hooks_failed: Vec<HookFailure>,
    /// Whether `malloc_trim` released memory; `None` where it does not exist.
    pub trim_released: Option<bool>,
    /// The totals including this reclaim.
    pub totals: ReclaimTotals,
}

static TOTALS: Mutex<ReclaimTotals> = Mutex::new(ReclaimTotals {
    runs: 0,
    time: Duration::ZERO,
    freed_bytes: 0,
});

/// Totals over every reclaim since the process started.
///
/// ```
/// let before = memtrack::reclaim::totals().runs;
/// memtrack::reclaim::run();
/// assert!(memtrack::reclaim::totals().runs > before);
/// ```
#[must_use]
pub fn totals() -> ReclaimTotals {
    *TOTALS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Adds one run to the totals and returns them.
pub(super) fn add_run(duration: Duration, freed_bytes: i64) -> ReclaimTotals {
    let mut totals = TOTALS.lock().unwrap_or_else(PoisonError::into_inner);
    totals.runs = totals.runs.saturating_add(1);
    totals.time = totals.time.saturating_add(duration);
    if freed_bytes > 0 {
        totals.freed_bytes = totals
            .freed_bytes
            .saturating_add(freed_bytes.unsigned_abs());
    }
    *totals
}
