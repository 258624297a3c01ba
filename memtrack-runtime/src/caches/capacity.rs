//! Warning once when a bounded cache reaches its maximum.

use std::collections::HashSet;

use super::CacheStats;
use super::events;

/// The caches currently known to sit at their bound; lives in the monitor thread.
#[derive(Debug, Default)]
pub(crate) struct CapacityWatch {
    full: HashSet<String>,
}

impl CapacityWatch {
    /// Logs `cache_at_capacity` for every cache that reached its bound since the last
    /// check (again after it dropped below and came back), and returns their names.
    pub(crate) fn check(&mut self, stats: &CacheStats) -> Vec<String> {
        let mut newly_full = Vec::new();
        let mut still_full = HashSet::new();
        for cache in stats.caches.iter().filter(|c| c.at_capacity()) {
            if !self.full.contains(&cache.name) {
                newly_full.push(cache.name.clone());
                events::at_capacity(cache);
            }
            still_full.insert(cache.name.clone());
        }
        self.full = still_full;
        newly_full
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::caches::CacheStat;

    fn stats(size: usize) -> CacheStats {
        CacheStats {
            caches: vec![
                CacheStat {
                    name: "bounded".into(),
                    size: Ok(size),
                    max_size: Some(3),
                },
                CacheStat {
                    name: "unbounded".into(),
                    size: Ok(1_000),
                    max_size: None,
                },
                CacheStat {
                    name: "broken".into(),
                    size: Err("x".into()),
                    max_size: Some(1),
                },
            ],
            active_operations: 0,
        }
    }

    #[test]
    fn warns_once_per_stay_at_capacity() {
        let mut watch = CapacityWatch::default();
        assert!(watch.check(&stats(2)).is_empty());
        assert_eq!(watch.check(&stats(3)), ["bounded"]);
        assert!(watch.check(&stats(3)).is_empty());
        assert!(watch.check(&stats(4)).is_empty());
        assert!(watch.check(&stats(1)).is_empty());
        assert_eq!(watch.check(&stats(3)), ["bounded"]);
    }
}
