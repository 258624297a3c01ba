//! The cache events: `cache_stats_snapshot`, `cache_at_capacity`, and the cache
//! sizes that operation events and the monitor's events carry.

use serde_json::{Map, Value as Json};

use super::stats::{last, size_json};
use super::{CacheStat, CacheStats, all_stats};
use crate::alloc;
use crate::events::{Extra, emit};
use crate::metadata::Value;
use crate::process;
use crate::units::mb;

/// Adds every registered cache's size as of the last reading to `extra`, each under
/// the cache's name; a size that could not be read is given as an error text. Runs
/// no size function: operation ends and alerts must never wait on user code.
pub(crate) fn insert_sizes(extra: &mut Extra) {
    for stat in last::sizes() {
        let value = match stat.size {
            Ok(size) => u64::try_from(size).map_or(Value::Null, Value::U64),
            Err(error) => Value::text(&format!("error: {error}")),
        };
        extra.insert(&stat.name, &value);
    }
}

/// Logs one `cache_stats_snapshot` now (the monitor does it every
/// [`cache_stats_interval`](crate::Config::cache_stats_interval)): each cache's name as
/// a top-level field with its size, `cache_max` (the bounds), `active_operations` and
/// the process memory figures. Returns the stats it logged.
///
/// ```
/// memtrack::caches::register("doc_logged_cache", Some(50), || 12).forget();
/// let stats = memtrack::caches::log_snapshot();
/// assert_eq!(stats.get("doc_logged_cache").unwrap().size, Ok(12));
/// ```
pub fn log_snapshot() -> CacheStats {
    let stats = all_stats();
    log_snapshot_with(&stats);
    stats
}

/// Logs `cache_stats_snapshot` for stats already read.
pub(crate) fn log_snapshot_with(stats: &CacheStats) {
    crate::events::write(|| snapshot_event(stats));
}

fn snapshot_event(stats: &CacheStats) {
    let mut extra = Extra::new();
    let mut bounds = Map::new();
    for cache in &stats.caches {
        extra.insert_json(&cache.name, size_json(cache));
        if let Some(max) = cache.max_size {
            bounds.insert(cache.name.clone(), Json::from(max));
        }
    }
    if !bounds.is_empty() {
        extra.insert_json("cache_max", Json::Object(bounds));
    }
    let extra = extra.finish();
    let heap = alloc::heap_stats();
    emit!(
        tracing::Level::INFO,
        event = "cache_stats_snapshot",
        cache_count = stats.caches.len(),
        active_operations = stats.active_operations,
        rss_mb = process::rss_bytes().map(mb),
        heap_used_mb = heap.map(|h| mb(h.live_bytes)),
        heap_total_mb = heap.as_ref().map(|h| mb(process::heap_total_bytes(h))),
        extra = extra.as_deref(),
        "cache_stats_snapshot: {} caches",
        stats.caches.len()
    );
}

/// `cache_at_capacity`: `cache` reached its bound.
pub(super) fn at_capacity(cache: &CacheStat) {
    crate::metrics::alert_raised(crate::metrics::Alert::CacheAtCapacity);
    emit!(
        tracing::Level::WARN,
        event = "cache_at_capacity",
        cache = cache.name.as_str(),
        size = cache.size.as_ref().ok().copied(),
        max_size = cache.max_size,
        "cache_at_capacity: {}",
        cache.name
    );
}
