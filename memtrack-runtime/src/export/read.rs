//! Reading the figures at collection time: per operation name, and for the process.

use crate::config;
use crate::ended_by::EndedBy;
use crate::metrics::{ENDED_BY, HistogramSnapshot};
use crate::process;
use crate::sites::{self, Site};
use crate::units;

/// The figures of one operation name, summed over every site of that name (two
/// functions annotated with the same name share one set of figures).
///
/// ```
/// #[memtrack::memtrack("doc-export-op")]
/// fn work() -> Result<(), String> {
///     Err("no".into())
/// }
/// let _ = work();
/// let ops = memtrack::export::operations();
/// let op = ops.iter().find(|o| o.name == "doc-export-op").unwrap();
/// assert_eq!(op.started, 1);
/// assert_eq!(op.ended_by(memtrack::EndedBy::Err), 1);
/// assert_eq!(op.ended_by(memtrack::EndedBy::Ok), 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OperationMetrics {
    /// The operation name.
    pub name: &'static str,
    /// Operations started.
    pub started: u64,
    /// Operations ended, by path, in [`ENDED_BY`] order.
    pub ended: [u64; 5],
    /// Operations started and not yet ended.
    pub active: u64,
    /// Heap bytes allocated while they ran (counting allocator only).
    pub allocated_bytes: u64,
    /// Heap bytes freed while they ran (counting allocator only).
    pub freed_bytes: u64,
    /// Heap allocations made while they ran (counting allocator only).
    pub allocations: u64,
    /// Sum of the RSS growth of those whose RSS grew.
    pub rss_growth_bytes: u64,
    /// Durations of the operations that ended while histograms were recorded
    /// ([`histograms_enabled`](super::histograms_enabled)), in seconds.
    pub duration: HistogramSnapshot,
    /// Heap peaks (bytes) of the same operations, when the counting allocator is
    /// installed.
    pub peak: HistogramSnapshot,
}

impl OperationMetrics {
    /// Operations that ended by `by`.
    #[must_use]
    pub fn ended_by(&self, by: EndedBy) -> u64 {
        ENDED_BY
            .iter()
            .position(|b| *b == by)
            .map_or(0, |i| self.ended[i])
    }

    fn of(site: &Site) -> Self {
        let totals = site.totals();
        let (ended, allocations) = site.outcomes_and_allocs();
        Self {
            name: totals.name,
            started: totals.started,
            ended,
            active: totals.active,
            allocated_bytes: totals.alloc_bytes,
            freed_bytes: totals.freed_bytes,
            allocations,
            rss_growth_bytes: totals.rss_growth_bytes,
            duration: site.metrics().duration(),
            peak: site.metrics().peak(),
        }
    }

    fn merge(&mut self, other: &Self) {
        self.started = self.started.saturating_add(other.started);
        for (mine, theirs) in self.ended.iter_mut().zip(other.ended) {
            *mine = mine.saturating_add(theirs);
        }
        self.active = self.active.saturating_add(other.active);
        self.allocated_bytes = self.allocated_bytes.saturating_add(other.allocated_bytes);
        self.freed_bytes = self.freed_bytes.saturating_add(other.freed_bytes);
        self.allocations = self.allocations.saturating_add(other.allocations);
        self.rss_growth_bytes = self.rss_growth_bytes.saturating_add(other.rss_growth_bytes);
        self.duration.merge(&other.duration);
        self.peak.merge(&other.peak);
    }
}

/// Every operation name that started at least one operation, sorted by name, one
/// entry per name. Reads atomics only: no lock is taken and nothing is charged to any
/// operation.
#[must_use]
pub fn operations() -> Vec<OperationMetrics> {
    crate::bookkeeping::untracked(|| {
        let sites = sites::by_name();
        let mut list: Vec<OperationMetrics> = Vec::with_capacity(sites.len());
        for site in sites {
            let op = OperationMetrics::of(site);
            match list.last_mut() {
                Some(last) if last.name == op.name => last.merge(&op),
                _ => list.push(op),
            }
        }
        list
    })
}

/// The process's memory figures and the thresholds they are judged by.
///
/// ```
/// let p = memtrack::export::process();
/// assert_eq!(p.critical_rss_bytes, 1500 * 1024 * 1024);
/// # #[cfg(target_os = "linux")]
/// assert!(p.resident_bytes.unwrap() > 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessMetrics {
    /// Resident set size, where the platform says.
    pub resident_bytes: Option<u64>,
    /// Heap bytes in use: the counting allocator's live bytes, else the C library's
    /// figure where it has one.
    pub heap_used_bytes: Option<u64>,
    /// What the heap holds from the system.
    pub heap_total_bytes: Option<u64>,
    /// The current config's [`critical_rss_mb`](crate::Config::critical_rss_mb), in
    /// bytes.
    pub critical_rss_bytes: u64,
    /// The current config's [`unhealthy_rss_mb`](crate::Config::unhealthy_rss_mb), in
    /// bytes.
    pub unhealthy_rss_bytes: u64,
}

/// The process's memory figures now.
#[must_use]
pub fn process() -> ProcessMetrics {
    let heap = process::heap();
    let config = config::get();
    ProcessMetrics {
        resident_bytes: process::rss_bytes(),
        heap_used_bytes: heap.map(|h| h.used),
        heap_total_bytes: heap.map(|h| h.total),
        critical_rss_bytes: units::mb_to_bytes(config.critical_rss_mb()),
        unhealthy_rss_bytes: units::mb_to_bytes(config.unhealthy_rss_mb()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_of_one_name_are_merged() {
        static A: Site = Site::new("export-read-merged");
        static B: Site = Site::new("export-read-merged");
        A.on_start();
        B.on_start();
        B.on_start();
        A.charge(100, 10, 2);
        B.charge(50, 5, 1);
        A.on_end(EndedBy::Ok, 0);
        B.on_end(EndedBy::Panic, 0);
        let ops = operations();
        let merged: Vec<_> = ops
            .iter()
            .filter(|o| o.name == "export-read-merged")
            .collect();
        assert_eq!(merged.len(), 1);
        let op = merged[0];
        assert_eq!(op.started, 3);
        assert_eq!(op.ended, [1, 0, 1, 0, 0]);
        assert_eq!(op.active, 1);
        assert_eq!(
            (op.allocated_bytes, op.freed_bytes, op.allocations),
            (150, 15, 3)
        );
        assert!(ops.windows(2).all(|w| w[0].name < w[1].name));
    }
}
