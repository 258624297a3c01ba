//! The operations charged the most memory during one monitor interval.
//!
//! Per-name totals ([`crate::sites::totals`]) are cumulative; the monitor keeps the
//! previous reading and ranks the differences.

use std::collections::HashMap;

use serde_json::{Value as Json, json};

use crate::sites::{self, SiteTotals};
use crate::units::{mb, mb_signed};

/// One operation name's figures over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct IntervalOp {
    pub(crate) name: &'static str,
    pub(crate) alloc_bytes: u64,
    pub(crate) freed_bytes: u64,
    pub(crate) rss_growth_bytes: u64,
    /// Operations of this name that ended during the interval.
    pub(crate) ended: u64,
    /// Operations of this name running at the end of the interval.
    pub(crate) active: u64,
}

impl IntervalOp {
    /// The JSON object of the `top_operations` array; the heap figures only when the
    /// counting allocator counts.
    pub(crate) fn to_json(self, counting: bool) -> Json {
        let mut object = json!({
            "operation": self.name,
            "rss_growth_mb": mb(self.rss_growth_bytes),
            "count": self.ended,
            "active": self.active,
        });
        if let (true, Some(map)) = (counting, object.as_object_mut()) {
            map.insert("alloc_mb".to_owned(), Json::from(mb(self.alloc_bytes)));
            let net = crate::units::delta(self.freed_bytes, self.alloc_bytes);
            map.insert("net_mb".to_owned(), Json::from(mb_signed(net)));
        }
        object
    }
}

/// The previous cumulative totals, by operation name.
#[derive(Debug, Default)]
pub(crate) struct TopOperations {
    previous: HashMap<&'static str, SiteTotals>,
}

impl TopOperations {
    /// A tracker whose first interval starts now.
    pub(crate) fn starting_now() -> Self {
        Self {
            previous: merge(sites::totals()),
        }
    }

    /// The `limit` operations charged the most during the interval that ends now
    /// (heap bytes allocated first, then RSS growth), and starts the next interval.
    pub(crate) fn interval(&mut self, limit: usize) -> Vec<IntervalOp> {
        let current = merge(sites::totals());
        let ranked = rank(&self.previous, &current, limit);
        self.previous = current;
        ranked
    }
}

/// Totals summed by name (two static sites may carry the same name).
fn merge(totals: Vec<SiteTotals>) -> HashMap<&'static str, SiteTotals> {
    let mut by_name: HashMap<&'static str, SiteTotals> = HashMap::with_capacity(totals.len());
    for t in totals {
        by_name
            .entry(t.name)
            .and_modify(|m| {
                m.started = m.started.saturating_add(t.started);
                m.ended = m.ended.saturating_add(t.ended);
                m.active = m.active.saturating_add(t.active);
                m.failed = m.failed.saturating_add(t.failed);
                m.alloc_bytes = m.alloc_bytes.saturating_add(t.alloc_bytes);
                m.freed_bytes = m.freed_bytes.saturating_add(t.freed_bytes);
                m.rss_growth_bytes = m.rss_growth_bytes.saturating_add(t.rss_growth_bytes);
            })
            .or_insert(t);
    }
    by_name
}

/// The differences `current - previous`, ranked, without operations charged nothing.
pub(crate) fn rank(
    previous: &HashMap<&'static str, SiteTotals>,
    current: &HashMap<&'static str, SiteTotals>,
    limit: usize,
) -> Vec<IntervalOp> {
    let mut ops: Vec<IntervalOp> = current
        .values()
        .map(|now| {
            let before = previous.get(now.name);
            let since = |f: fn(&SiteTotals) -> u64| f(now).saturating_sub(before.map_or(0, f));
            IntervalOp {
                name: now.name,
                alloc_bytes: since(|t| t.alloc_bytes),
                freed_bytes: since(|t| t.freed_bytes),
                rss_growth_bytes: since(|t| t.rss_growth_bytes),
                ended: since(|t| t.ended),
                active: now.active,
            }
        })
        .filter(|op| op.alloc_bytes > 0 || op.rss_growth_bytes > 0)
        .collect();
    ops.sort_by(|a, b| {
        (b.alloc_bytes, b.rss_growth_bytes)
            .cmp(&(a.alloc_bytes, a.rss_growth_bytes))
            .then_with(|| a.name.cmp(b.name))
    });
    ops.truncate(limit);
    ops
}

/// The `top_operations` JSON array.
pub(crate) fn to_json(ops: &[IntervalOp], counting: bool) -> Json {
    Json::Array(ops.iter().map(|op| op.to_json(counting)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(name: &'static str, alloc: u64, rss: u64, ended: u64) -> SiteTotals {
        SiteTotals {
            name,
            started: ended + 1,
            ended,
            active: 1,
            failed: 0,
            alloc_bytes: alloc,
            freed_bytes: alloc / 2,
            rss_growth_bytes: rss,
        }
    }

    fn map(list: &[SiteTotals]) -> HashMap<&'static str, SiteTotals> {
        merge(list.to_vec())
    }

    #[test]
    fn ranks_interval_differences_by_heap_then_rss() {
        let before = map(&[totals("a", 100, 0, 1), totals("b", 50, 10, 1)]);
        let after = map(&[
            totals("a", 150, 0, 3),
            totals("b", 250, 10, 2),
            totals("c", 0, 500, 1),
            totals("idle", 0, 0, 0),
        ]);
        let ranked = rank(&before, &after, 5);
        let names: Vec<_> = ranked.iter().map(|o| o.name).collect();
        assert_eq!(names, ["b", "a", "c"]);
        assert_eq!((ranked[0].alloc_bytes, ranked[0].ended), (200, 1));
        assert_eq!((ranked[1].alloc_bytes, ranked[1].ended), (50, 2));
        assert_eq!(ranked[2].rss_growth_bytes, 500);
        assert_eq!(rank(&before, &after, 1).len(), 1);
    }

    #[test]
    fn same_names_are_summed() {
        let merged = map(&[totals("x", 10, 1, 1), totals("x", 5, 2, 1)]);
        assert_eq!(merged["x"].alloc_bytes, 15);
        assert_eq!(merged["x"].rss_growth_bytes, 3);
    }

    #[test]
    fn json_has_heap_figures_only_when_counting() {
        let op = IntervalOp {
            name: "n",
            alloc_bytes: 3 << 20,
            freed_bytes: 1 << 20,
            rss_growth_bytes: 1 << 20,
            ended: 2,
            active: 0,
        };
        assert_eq!(
            op.to_json(true),
            json!({"operation": "n", "alloc_mb": 3.0, "net_mb": 2.0, "rss_growth_mb": 1.0, "count": 2, "active": 0})
        );
        assert_eq!(
            op.to_json(false),
            json!({"operation": "n", "rss_growth_mb": 1.0, "count": 2, "active": 0})
        );
    }
}
