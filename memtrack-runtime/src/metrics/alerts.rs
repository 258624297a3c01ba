//! Alerts raised since the process started, counted by event name where they are
//! emitted (whether or not a subscriber records the event).

use std::sync::atomic::{AtomicU64, Ordering};

/// An alert memtrack raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alert {
    CriticalRssSpike,
    CriticalMemoryExceeded,
    MemoryGrowthDetected,
    MemoryLeakSuspect,
    CacheAtCapacity,
}

/// The event name of each alert, in [`Alert`] order.
const EVENTS: [&str; 5] = [
    "critical_rss_spike",
    "critical_memory_exceeded",
    "memory_growth_detected",
    "memory_leak_suspect",
    "cache_at_capacity",
];

static RAISED: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

/// Counts one `alert`.
pub(crate) fn raised(alert: Alert) {
    RAISED[alert as usize].fetch_add(1, Ordering::Relaxed);
}

/// How many times one alert was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertCount {
    /// The alert's event name (`critical_rss_spike`, `critical_memory_exceeded`,
    /// `memory_growth_detected`, `memory_leak_suspect`, `cache_at_capacity`).
    pub event: &'static str,
    /// Times raised since the process started.
    pub count: u64,
}

/// Every alert memtrack can raise, with the times each was raised (zero included,
/// so that a rate over the first one raised is right).
///
/// ```
/// let alerts = memtrack::export::alerts();
/// assert_eq!(alerts.len(), 5);
/// assert_eq!(alerts[0].event, "critical_rss_spike");
/// ```
#[must_use]
pub fn alerts() -> [AlertCount; 5] {
    std::array::from_fn(|i| AlertCount {
        event: EVENTS[i],
        count: RAISED[i].load(Ordering::Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_alert_has_its_own_counter() {
        let before = alerts();
        raised(Alert::CacheAtCapacity);
        raised(Alert::CacheAtCapacity);
        raised(Alert::MemoryLeakSuspect);
        let after = alerts();
        assert_eq!(after[4].event, "cache_at_capacity");
        assert!(after[4].count >= before[4].count + 2);
        assert_eq!(after[3].event, "memory_leak_suspect");
        assert!(after[3].count > before[3].count);
        assert_eq!(
            EVENTS[Alert::CriticalMemoryExceeded as usize],
            "critical_memory_exceeded"
        );
        assert_eq!(
            EVENTS[Alert::MemoryGrowthDetected as usize],
            "memory_growth_detected"
        );
        assert_eq!(
            EVENTS[Alert::CriticalRssSpike as usize],
            "critical_rss_spike"
        );
    }
}
