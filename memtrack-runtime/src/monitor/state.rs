//! The monitor thread's state: the baselines its deltas are measured from.
//!
//! They live only here, in the monitor thread, so nothing else (a health check,
//! cache stats, a manual reclaim) can move them: a health check that reset them
//! would hide the spikes they are there to show.

use std::time::Instant;

use super::events::{self, Tick};
use super::leaks::LeakWatch;
use super::top::TopOperations;
use crate::alloc::{self, HeapStats};
use crate::caches::{self, CapacityWatch};
use crate::config::Config;
use crate::process;
use crate::reclaim::{self, ReclaimReason};
use crate::sites;
use crate::units::{delta, mb_to_bytes};

pub(super) struct State {
    config: Config,
    started: Instant,
    /// RSS at the last snapshot (after its reclaim, if one ran).
    last_rss: Option<u64>,
    /// Live heap bytes at the last snapshot.
    last_heap: Option<u64>,
    /// Lowest RSS since the last reclaim (or start): growth is measured from here.
    reclaim_base: Option<u64>,
    top: TopOperations,
    leaks: LeakWatch,
    capacity: CapacityWatch,
}

impl State {
    /// Takes the initial readings and logs `memory_monitor_started`.
    pub(super) fn start(config: Config) -> Self {
        let rss = process::rss_bytes();
        let heap = alloc::heap_stats().map(|h| h.live_bytes);
        events::started(&config, rss, heap);
        Self {
            config,
            started: Instant::now(),
            last_rss: rss,
            last_heap: heap,
            reclaim_base: rss,
            top: TopOperations::starting_now(),
            leaks: LeakWatch::default(),
            capacity: CapacityWatch::default(),
        }
    }

    pub(super) fn config(&self) -> &Config {
        &self.config
    }

    /// One `memory_snapshot`, the alerts it calls for, then a reclaim if RSS grew
    /// enough since the last one (or is above the critical threshold).
    pub(super) fn snapshot(&mut self) {
        // A fresh reading of the cache sizes (bounded in time), which this
        // snapshot, its alerts and the operation events until the next tick carry.
        let _ = caches::stats_within(self.config.cache_size_timeout());
        let rss = process::rss_bytes();
        let heap: Option<HeapStats> = alloc::heap_stats();
        let heap_used = heap.map(|h| h.live_bytes);
        let rss_delta = self.last_rss.zip(rss).map(|(last, now)| delta(last, now));
        let interval = self.top.interval(rss_delta);
        let tick = Tick {
            uptime: self.started.elapsed(),
            rss,
            rss_delta,
            heap_used,
            heap_total: heap.as_ref().map(process::heap_total_bytes),
            heap_delta: self
                .last_heap
                .zip(heap_used)
                .map(|(last, now)| delta(last, now)),
            active_operations: sites::active_operations(),
            top: interval.top(self.config.top_operations()),
            basis: interval.basis,
        };
        events::snapshot(&tick);
        let suspects = self.leaks.observe(
            &interval.ranked,
            self.config.leak_intervals(),
            mb_to_bytes(self.config.leak_growth_mb()),
        );
        for suspect in &suspects {
            events::memory_leak_suspect(suspect, self.config.leak_growth_mb());
        }

        let c = &self.config;
        if above(tick.rss_delta, c.critical_rss_spike_mb()) {
            events::critical_rss_spike(&tick, c.critical_rss_spike_mb());
        }
        let critical = rss.is_some_and(|r| r > mb_to_bytes(c.critical_rss_mb()));
        if critical {
            events::critical_memory_exceeded(&tick, c.critical_rss_mb());
        }
        if above(tick.heap_delta, c.heap_growth_mb()) {
            events::memory_growth_detected(&tick, c.heap_growth_mb());
        }

        let base = match (self.reclaim_base, rss) {
            (Some(base), Some(now)) => Some(base.min(now)),
            (base, now) => base.or(now),
        };
        let grown = base.zip(rss).is_some_and(|(base, now)| {
            now.saturating_sub(base) >= mb_to_bytes(c.reclaim_rss_growth_mb())
        });
        let reason = if critical {
            Some(ReclaimReason::CriticalMemory)
        } else if grown {
            Some(ReclaimReason::RssGrowth)
        } else {
            None
        };
        match reason {
            Some(reason) => {
                let report = reclaim::run_for(reason, c.reclaim_effective_mb());
                let after = report.rss_after.or(rss);
                self.last_rss = after;
                self.reclaim_base = after;
                self.last_heap = alloc::heap_stats().map(|h| h.live_bytes);
            }
            None => {
                self.last_rss = rss;
                self.reclaim_base = base;
                self.last_heap = heap_used;
            }
        }
    }

    /// One `cache_stats_snapshot`, and `cache_at_capacity` for caches that reached
    /// their bound.
    pub(super) fn cache_stats(&mut self) {
        let stats = caches::stats_within(self.config.cache_size_timeout());
        caches::log_snapshot_with(&stats);
        self.capacity.check(&stats);
    }
}

/// Whether `delta` is a growth of more than `threshold_mb`.
fn above(delta: Option<i64>, threshold_mb: f64) -> bool {
    delta.is_some_and(|d| d > 0 && d.unsigned_abs() > mb_to_bytes(threshold_mb))
}

#[cfg(test)]
mod tests {
    use super::above;

    #[test]
    fn growth_must_exceed_the_threshold() {
        let mb = 1024 * 1024;
        assert!(above(Some(400 * mb + 1), 400.0));
        assert!(!above(Some(400 * mb), 400.0));
        assert!(!above(Some(-500 * mb), 400.0));
        assert!(!above(None, 400.0));
        assert!(above(Some(1), 0.0));
    }
}
