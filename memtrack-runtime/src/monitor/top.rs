//! The operations that made memory grow during one monitor interval.
//!
//! With the counting allocator, the names are ranked by the growth of the heap they
//! hold ([`retained`](mod@crate::retained)) over the interval, then by the bytes they
//! allocated: an operation that keeps what it allocates comes before one that only
//! churns through memory, however much that one allocates. Without it, by the RSS
//! growth of their operations, which concurrent operations share, so no name is ever
//! reported with more growth than the process had.
//!
//! Per-name totals ([`crate::sites::totals`]) are cumulative; the monitor keeps the
//! previous reading and ranks the differences.

use std::collections::HashMap;

use serde_json::{Value as Json, json};

use crate::retained::{self, Retained};
use crate::sites::{self, SiteTotals};
use crate::units::{mb, mb_signed};

/// What the ranking is based on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Basis {
    /// Heap held per name (counting allocator installed).
    Retained,
    /// RSS growth of each name's operations (no counting allocator).
    Rss,
}

impl Basis {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Basis::Retained => "retained",
            Basis::Rss => "rss",
        }
    }
}

/// A name that allocated nothing in an interval is listed only if the heap it holds
/// moved by at least this much (its blocks freed by others, or the untracked
/// bucket's own churn of log buffers and the like).
pub(crate) const RETAINED_NOISE: u64 = 64 * 1024;

/// One operation name's figures over an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct IntervalOp {
    pub(crate) name: &'static str,
    /// Heap it holds at the end of the interval (counting allocator only).
    pub(crate) retained_bytes: u64,
    /// How much that grew during the interval (negative: it shrank).
    pub(crate) retained_growth: i64,
    pub(crate) alloc_bytes: u64,
    pub(crate) rss_growth_bytes: u64,
    /// Operations of this name that ended during the interval.
    pub(crate) ended: u64,
    /// Operations of this name running at the end of the interval.
    pub(crate) active: u64,
}

impl IntervalOp {
    /// The JSON object of the `top_operations` array.
    pub(crate) fn to_json(self, basis: Basis) -> Json {
        match basis {
            Basis::Retained => json!({
                "operation": self.name,
                "retained_mb": mb(self.retained_bytes),
                "retained_growth_mb": mb_signed(self.retained_growth),
                "alloc_mb": mb(self.alloc_bytes),
                "count": self.ended,
                "active": self.active,
            }),
            Basis::Rss => json!({
                "operation": self.name,
                "rss_growth_mb": mb(self.rss_growth_bytes),
                "count": self.ended,
                "active": self.active,
            }),
        }
    }
}

/// The previous readings, by operation name.
#[derive(Debug, Default)]
pub(crate) struct TopOperations {
    previous: HashMap<&'static str, SiteTotals>,
    previous_retained: HashMap<&'static str, u64>,
}

/// One interval's ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Interval {
    pub(crate) basis: Basis,
    /// Every name with something to report, ranked.
    pub(crate) ranked: Vec<IntervalOp>,
}

impl Interval {
    /// The first `limit` entries.
    pub(crate) fn top(&self, limit: usize) -> &[IntervalOp] {
        &self.ranked[..self.ranked.len().min(limit)]
    }
}

impl TopOperations {
    /// A tracker whose first interval starts now.
    pub(crate) fn starting_now() -> Self {
        Self {
            previous: merge(sites::totals()),
            previous_retained: retained_by_name(retained::retained().as_deref()),
        }
    }

    /// The interval that ends now, ranked, and starts the next one. `rss_growth` is
    /// the process's RSS growth over the interval (the cap of any name's RSS figure).
    pub(crate) fn interval(&mut self, rss_growth: Option<i64>) -> Interval {
        let current = merge(sites::totals());
        let held = retained::retained();
        let retained_now = retained_by_name(held.as_deref());
        let basis = if held.is_some() {
            Basis::Retained
        } else {
            Basis::Rss
        };
        let ranked = rank(
            basis,
            &Readings {
                totals: &self.previous,
                retained: &self.previous_retained,
            },
            &Readings {
                totals: &current,
                retained: &retained_now,
            },
            u64::try_from(rss_growth.unwrap_or(0)).unwrap_or(0),
        );
        self.previous = current;
        self.previous_retained = retained_now;
        Interval { basis, ranked }
    }
}

/// Per-name totals and held bytes at one instant.
pub(crate) struct Readings<'a> {
    pub(crate) totals: &'a HashMap<&'static str, SiteTotals>,
    pub(crate) retained: &'a HashMap<&'static str, u64>,
}

fn retained_by_name(held: Option<&[Retained]>) -> HashMap<&'static str, u64> {
    held.unwrap_or(&[])
        .iter()
        .map(|r| (r.name, r.bytes))
        .collect()
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

/// The differences `current - previous`, ranked, without names that did nothing.
pub(crate) fn rank(
    basis: Basis,
    previous: &Readings<'_>,
    current: &Readings<'_>,
    process_rss_growth: u64,
) -> Vec<IntervalOp> {
    let mut names: Vec<&'static str> = current.totals.keys().copied().collect();
    names.extend(
        current
            .retained
            .keys()
            .chain(previous.retained.keys())
            .filter(|name| !current.totals.contains_key(*name)),
    );
    names.sort_unstable();
    names.dedup();
    let mut ops: Vec<IntervalOp> = names
        .into_iter()
        .map(|name| {
            let now = current.totals.get(name);
            let before = previous.totals.get(name);
            let since =
                |f: fn(&SiteTotals) -> u64| now.map_or(0, f).saturating_sub(before.map_or(0, f));
            let held = current.retained.get(name).copied().unwrap_or(0);
            let held_before = previous.retained.get(name).copied().unwrap_or(0);
            let alloc_bytes = since(|t| t.alloc_bytes);
            let mut retained_growth = crate::units::delta(held_before, held);
            // A name can hold no more than it allocated. When none of its operations
            // ran at either end of the interval, all it allocated in between is in
            // `alloc_bytes`, so growth past that is the small blocks' estimate moving
            // between holders (their share follows live samples), not growth.
            let idle = now.is_none_or(|t| t.active == 0) && before.is_none_or(|t| t.active == 0);
            if idle {
                retained_growth =
                    retained_growth.min(i64::try_from(alloc_bytes).unwrap_or(i64::MAX));
            }
            IntervalOp {
                name,
                retained_bytes: held,
                retained_growth,
                alloc_bytes,
                rss_growth_bytes: since(|t| t.rss_growth_bytes).min(process_rss_growth),
                ended: since(|t| t.ended),
                active: now.map_or(0, |t| t.active),
            }
        })
        .filter(|op| match basis {
            Basis::Retained => {
                op.alloc_bytes > 0 || op.retained_growth.unsigned_abs() >= RETAINED_NOISE
            }
            Basis::Rss => op.rss_growth_bytes > 0 || op.ended > 0,
        })
        .collect();
    match basis {
        Basis::Retained => ops.sort_by(|a, b| {
            (b.retained_growth, b.alloc_bytes)
                .cmp(&(a.retained_growth, a.alloc_bytes))
                .then_with(|| a.name.cmp(b.name))
        }),
        Basis::Rss => ops.sort_by(|a, b| {
            (b.rss_growth_bytes, b.ended)
                .cmp(&(a.rss_growth_bytes, a.ended))
                .then_with(|| a.name.cmp(b.name))
        }),
    }
    ops
}

/// The `top_operations` JSON array.
pub(crate) fn to_json(ops: &[IntervalOp], basis: Basis) -> Json {
    Json::Array(ops.iter().map(|op| op.to_json(basis)).collect())
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

    type Figures<'a> = (
        &'a HashMap<&'static str, SiteTotals>,
        &'a HashMap<&'static str, u64>,
    );

    /// `rank` by retained growth from the totals and held bytes `before` to `after`.
    fn ranked_by_retained(before: Figures<'_>, after: Figures<'_>) -> Vec<IntervalOp> {
        rank(
            Basis::Retained,
            &Readings {
                totals: before.0,
                retained: before.1,
            },
            &Readings {
                totals: after.0,
                retained: after.1,
            },
            0,
        )
    }

    #[test]
    fn the_name_that_keeps_memory_comes_before_the_one_that_churns() {
        let before_totals = map(&[totals("churn", 0, 0, 0), totals("keeper", 0, 0, 0)]);
        let before_held = HashMap::from([("churn", 0), ("keeper", 1 << 20)]);
        // churn allocated (and freed) 80 MB; keeper allocated 256 KB and kept it.
        let after_totals = map(&[
            totals("churn", 80 << 20, 0, 10),
            totals("keeper", 256 << 10, 0, 1),
        ]);
        let after_held = HashMap::from([("churn", 0), ("keeper", (1 << 20) + (256 << 10))]);
        let ranked =
            ranked_by_retained((&before_totals, &before_held), (&after_totals, &after_held));
        let names: Vec<_> = ranked.iter().map(|o| o.name).collect();
        assert_eq!(names, ["keeper", "churn"]);
        assert_eq!(ranked[0].retained_growth, 256 << 10);
        assert_eq!(ranked[0].retained_bytes, (1 << 20) + (256 << 10));
        assert_eq!(ranked[1].alloc_bytes, 80 << 20);
        assert_eq!(
            ranked[0].to_json(Basis::Retained),
            json!({"operation": "keeper", "retained_mb": 1.25, "retained_growth_mb": 0.25,
                   "alloc_mb": 0.25, "count": 1, "active": 1})
        );
    }

    #[test]
    fn a_name_that_ran_nothing_does_not_grow_by_the_estimates_drift() {
        let idle = |name, alloc| SiteTotals {
            active: 0,
            ..totals(name, alloc, 0, 1)
        };
        let before_totals = map(&[idle("dictionary", 0), totals("render", 0, 0, 0)]);
        let after_totals = map(&[idle("dictionary", 0), totals("render", 90 << 20, 0, 40)]);
        // The small heap's estimate moved 9 MB from `render` to `dictionary`,
        // which allocated nothing.
        let before_held = HashMap::from([("dictionary", 150 << 20), ("render", 100 << 20)]);
        let after_held = HashMap::from([("dictionary", 159 << 20), ("render", 91 << 20)]);
        let ranked =
            ranked_by_retained((&before_totals, &before_held), (&after_totals, &after_held));
        let dictionary = ranked.iter().find(|o| o.name == "dictionary");
        // Not listed: it did nothing and, capped at what it allocated, did not grow.
        assert_eq!(dictionary.map(|o| o.retained_growth), None);
        assert_eq!(ranked[0].name, "render");
        // A name that is running is not capped: its open frames have not been
        // charged yet.
        assert_eq!(ranked[0].retained_growth, -(9 << 20));
    }

    #[test]
    fn rss_growth_is_never_more_than_the_process_grew() {
        let before = map(&[totals("a", 0, 0, 0)]);
        // Concurrent operations each saw the same 100 MB of growth: 18 GB summed.
        let after = map(&[
            totals("a", 0, 18_000 << 20, 180),
            totals("b", 0, 5 << 20, 1),
        ]);
        let none = HashMap::new();
        let ranked = rank(
            Basis::Rss,
            &Readings {
                totals: &before,
                retained: &none,
            },
            &Readings {
                totals: &after,
                retained: &none,
            },
            100 << 20,
        );
        assert_eq!(ranked[0].name, "a");
        assert_eq!(ranked[0].rss_growth_bytes, 100 << 20);
        assert_eq!(ranked[1].rss_growth_bytes, 5 << 20);
        assert_eq!(
            ranked[1].to_json(Basis::Rss),
            json!({"operation": "b", "rss_growth_mb": 5.0, "count": 1, "active": 1})
        );
    }

    #[test]
    fn same_names_are_summed() {
        let merged = map(&[totals("x", 10, 1, 1), totals("x", 5, 2, 1)]);
        assert_eq!(merged["x"].alloc_bytes, 15);
        assert_eq!(merged["x"].rss_growth_bytes, 3);
    }
}
