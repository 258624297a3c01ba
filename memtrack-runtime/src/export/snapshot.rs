//! Everything one scrape exposes, read at once so that every encoding of it says
//! the same thing.

use super::{AlertCount, OperationMetrics, ProcessMetrics};
use crate::caches::CacheStat;
use crate::reclaim::ReclaimTotals;
use crate::retained::Retained;

/// The figures of one scrape.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// One entry per operation name, sorted by name.
    pub(crate) ops: Vec<OperationMetrics>,
    /// Whether heap figures exist (the counting allocator is installed).
    pub(crate) heap: bool,
    /// Whether the histograms are recorded.
    pub(crate) histograms: bool,
    /// Live heap per name, in owner-tag order (counting allocator only).
    pub(crate) retained: Option<Vec<Retained>>,
    pub(crate) process: ProcessMetrics,
    /// Registered caches, in registration order.
    pub(crate) caches: Vec<CacheStat>,
    pub(crate) alerts: [AlertCount; 5],
    pub(crate) reclaims: ReclaimTotals,
}

impl Snapshot {
    /// Reads every figure now.
    pub(crate) fn read() -> Self {
        let retained = crate::retained::unsorted();
        Snapshot {
            ops: super::operations(),
            heap: crate::alloc::is_counting(),
            histograms: super::histograms_enabled(),
            retained,
            process: super::process(),
            caches: crate::caches::all_stats().caches,
            alerts: super::alerts(),
            reclaims: crate::reclaim::totals(),
        }
    }

    /// The caches whose size could be read, with it.
    pub(crate) fn cache_entries(&self) -> impl Iterator<Item = (&str, usize)> {
        self.caches
            .iter()
            .filter_map(|c| c.size.as_ref().ok().map(|size| (c.name.as_str(), *size)))
    }

    /// The bounded caches, with their bound.
    pub(crate) fn cache_capacities(&self) -> impl Iterator<Item = (&str, usize)> {
        self.caches
            .iter()
            .filter_map(|c| c.max_size.map(|max| (c.name.as_str(), max)))
    }
}
