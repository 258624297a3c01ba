//! Cache sizes over time, from `cache_stats_snapshot` (every field that is not one
//! of its fixed ones is a cache's size) and `cache_at_capacity`.

use std::collections::HashMap;

use serde::Serialize;

use crate::parse::line::LogLine;

/// Caches followed; more are counted but not followed.
const MAX_CACHES: usize = 256;
/// Snapshot rows kept for "over time" (thinned by half when full).
const MAX_ROWS: usize = 256;
/// Fields of `cache_stats_snapshot` that are not caches.
const FIXED: [&str; 5] = [
    "cache_count",
    "active_operations",
    "rss_mb",
    "heap_used_mb",
    "heap_total_mb",
];

/// One cache's sizes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheSummary {
    /// The cache's name.
    pub name: String,
    /// Size at its first snapshot.
    pub first: f64,
    /// Size at its last snapshot.
    pub last: f64,
    /// Smallest size.
    pub min: f64,
    /// Largest size.
    pub max: f64,
    /// `last - first`.
    pub growth: f64,
    /// Its bound (`cache_max`), when it has one.
    pub max_size: Option<f64>,
    /// `cache_at_capacity` warnings.
    pub at_capacity: u64,
    /// Snapshots that gave its size.
    pub snapshots: u64,
}

/// Sizes of every cache at one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheRow {
    /// Milliseconds since the epoch.
    pub t: i64,
    /// Size per cache, in the order of [`Caches::names`].
    pub sizes: Vec<Option<f64>>,
}

/// Every cache seen.
#[derive(Debug, Clone, Default)]
pub struct Caches {
    index: HashMap<String, usize>,
    caches: Vec<CacheSummary>,
    rows: Vec<CacheRow>,
    /// Snapshots per kept row.
    stride: u64,
    /// The latest row when it is not among `rows`.
    latest: Option<CacheRow>,
    /// `cache_stats_snapshot` events.
    pub snapshots: u64,
}

impl Caches {
    fn slot(&mut self, name: &str) -> Option<usize> {
        let name = &*super::names::bounded(name, super::names::MAX_NAME_CHARS);
        if let Some(&i) = self.index.get(name) {
            return Some(i);
        }
        if self.caches.len() >= MAX_CACHES {
            return None;
        }
        let i = self.caches.len();
        self.index.insert(name.to_owned(), i);
        self.caches.push(CacheSummary {
            name: name.to_owned(),
            first: 0.0,
            last: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            growth: 0.0,
            max_size: None,
            at_capacity: 0,
            snapshots: 0,
        });
        Some(i)
    }

    /// A `cache_stats_snapshot`.
    ///
    /// ```
    /// use memtrack_cli::model::caches::Caches;
    /// use memtrack_cli::parse::line::parse_line;
    ///
    /// let mut caches = Caches::default();
    /// for (t, size) in [(0, 3), (1, 9)] {
    ///     let text = format!(r#"{{"event":"cache_stats_snapshot","cache_count":1,"articles":{size},"cache_max":{{"articles":50}}}}"#);
    ///     caches.snapshot(t, &parse_line(text.as_bytes()).unwrap());
    /// }
    /// let s = &caches.summaries()[0];
    /// assert_eq!((s.name.as_str(), s.first, s.last, s.growth, s.max_size), ("articles", 3.0, 9.0, 6.0, Some(50.0)));
    /// ```
    pub fn snapshot(&mut self, t: i64, line: &LogLine<'_>) {
        self.snapshots += 1;
        let mut row = CacheRow {
            t,
            sizes: Vec::new(),
        };
        for (name, size) in &line.other_numbers {
            if FIXED.contains(&name.as_ref()) {
                continue;
            }
            let Some(i) = self.slot(name) else { continue };
            let c = &mut self.caches[i];
            if c.snapshots == 0 {
                c.first = *size;
            }
            c.snapshots += 1;
            c.last = *size;
            c.min = c.min.min(*size);
            c.max = c.max.max(*size);
            c.growth = c.last - c.first;
            if row.sizes.len() <= i {
                row.sizes.resize(i + 1, None);
            }
            row.sizes[i] = Some(*size);
        }
        for (name, max) in &line.cache_max {
            if let Some(i) = self.slot(name) {
                self.caches[i].max_size = Some(*max);
            }
        }
        self.keep_row(row);
    }

    /// Keeps every `stride`-th row, halving the kept rows when they are too many;
    /// the latest row is kept aside so the last snapshot is always shown.
    fn keep_row(&mut self, row: CacheRow) {
        let stride = self.stride.max(1);
        if !(self.snapshots - 1).is_multiple_of(stride) {
            self.latest = Some(row);
            return;
        }
        self.latest = None;
        if self.rows.len() == MAX_ROWS {
            let mut index = 0;
            self.rows.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.stride = stride * 2;
        }
        self.rows.push(row);
    }

    /// A `cache_at_capacity` warning.
    pub fn at_capacity(&mut self, line: &LogLine<'_>) {
        if let Some(name) = line.text.cache.as_deref()
            && let Some(i) = self.slot(name)
        {
            let c = &mut self.caches[i];
            c.at_capacity += 1;
            if let Some(max) = line.number.max_size {
                c.max_size = Some(max);
            }
        }
    }

    /// The caches in the order first seen.
    #[must_use]
    pub fn names(&self) -> Vec<String> {
        self.caches.iter().map(|c| c.name.clone()).collect()
    }

    /// Every cache's summary, largest growth first (then by name).
    #[must_use]
    pub fn summaries(&self) -> Vec<CacheSummary> {
        let mut out: Vec<CacheSummary> = self
            .caches
            .iter()
            .filter(|c| c.snapshots > 0 || c.at_capacity > 0)
            .cloned()
            .map(|mut c| {
                if c.snapshots == 0 {
                    c.min = 0.0;
                    c.max = 0.0;
                }
                c
            })
            .collect();
        out.sort_by(|a, b| {
            b.growth
                .total_cmp(&a.growth)
                .then_with(|| a.name.cmp(&b.name))
        });
        out
    }

    /// The kept snapshot rows (evenly spread, the last snapshot always among them),
    /// every row as long as [`Caches::names`].
    #[must_use]
    pub fn rows(&self) -> Vec<CacheRow> {
        let mut rows = self.rows.clone();
        rows.extend(self.latest.clone());
        for row in &mut rows {
            row.sizes.resize(self.caches.len(), None);
        }
        rows
    }
}
