//! Reading every registered cache's size.

use std::cell::Cell;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{CACHES, Source};
use crate::config;
use crate::support::panic_text;

/// One cache's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheStat {
    /// The name it was registered under.
    pub name: String,
    /// Its number of entries, or why it could not be read (its size function panicked).
    pub size: Result<usize, String>,
    /// Its bound, when it has one.
    pub max_size: Option<usize>,
}

impl CacheStat {
    /// Whether the cache is bounded and holds its maximum number of entries (or more).
    ///
    /// ```
    /// let stat = memtrack::caches::CacheStat { name: "c".into(), size: Ok(50), max_size: Some(50) };
    /// assert!(stat.at_capacity());
    /// ```
    #[must_use]
    pub fn at_capacity(&self) -> bool {
        matches!((&self.size, self.max_size), (Ok(size), Some(max)) if *size >= max)
    }
}

/// Every registered cache's size, and the number of active operations.
///
/// Serializes as one flat object, as the health report gives it: each cache's
/// name with its size (`{"error": "..."}` when it could not be read), then
/// `active_operations`.
///
/// ```
/// memtrack::caches::register("doc_stats_cache", Some(10), || 4).forget();
/// let json = serde_json::to_value(memtrack::caches::all_stats()).unwrap();
/// assert_eq!(json["doc_stats_cache"], 4);
/// assert!(json["active_operations"].is_u64());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// The caches, in registration order.
    pub caches: Vec<CacheStat>,
    /// Operations started and not yet ended.
    pub active_operations: u64,
}

impl CacheStats {
    /// The figures of the cache registered as `name`.
    ///
    /// ```
    /// assert!(memtrack::caches::all_stats().get("no such cache").is_none());
    /// ```
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&CacheStat> {
        self.caches.iter().find(|c| c.name == name)
    }
}

impl Serialize for CacheStats {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.caches.len() + 1))?;
        for cache in &self.caches {
            match &cache.size {
                Ok(size) => map.serialize_entry(&cache.name, size)?,
                Err(error) => map.serialize_entry(&cache.name, &ErrorEntry { error })?,
            }
        }
        map.serialize_entry("active_operations", &self.active_operations)?;
        map.end()
    }
}

#[derive(serde::Serialize)]
struct ErrorEntry<'a> {
    error: &'a str,
}

/// The JSON value of one cache's size: a number, or `{"error": "..."}`.
pub(crate) fn size_json(stat: &CacheStat) -> serde_json::Value {
    match &stat.size {
        Ok(size) => serde_json::Value::from(*size),
        Err(error) => serde_json::json!({ "error": error }),
    }
}

/// Every registered cache's size, and the number of active operations.
///
/// Each size function runs outside the registry lock and under `catch_unwind`: one
/// that panics gives an error entry, never a crash.
///
/// ```
/// memtrack::caches::register("doc_all_stats", None, || 7).forget();
/// memtrack::caches::register("doc_broken", None, || panic!("poisoned lock")).forget();
/// let stats = memtrack::caches::all_stats();
/// assert_eq!(stats.get("doc_all_stats").unwrap().size, Ok(7));
/// assert!(stats.get("doc_broken").unwrap().size.as_ref().unwrap_err().contains("poisoned lock"));
/// ```
#[must_use]
pub fn all_stats() -> CacheStats {
    CacheStats {
        caches: read_all(),
        active_operations: crate::sites::active_operations(),
    }
}

thread_local! {
    /// Set while this thread runs size functions, to refuse re-entry.
    static READING: Cell<bool> = const { Cell::new(false) };
}

/// Reads every cache, dropping (and unregistering) the ones that no longer exist.
pub(super) fn read_all() -> Vec<CacheStat> {
    let entries = CACHES.snapshot();
    let nested = READING.try_with(|r| r.replace(true)).unwrap_or(true);
    let mut stats = Vec::with_capacity(entries.len());
    for (id, name, source) in entries {
        let size = if nested {
            Err("cache stats requested from inside a size function".to_owned())
        } else {
            match read_one(&source) {
                Ok(Some(size)) => Ok(size),
                Ok(None) => {
                    CACHES.remove(id);
                    continue;
                }
                Err(error) => Err(error),
            }
        };
        stats.push(CacheStat {
            name: name.to_string(),
            size,
            max_size: source.max_size,
        });
    }
    if !nested {
        let _ = READING.try_with(|r| r.set(false));
    }
    stats
}

fn read_one(source: &Source) -> Result<Option<usize>, String> {
    panic_text::caught(|| (source.size)(), config::get().max_metadata_len())
        .map_err(|text| format!("size function panicked: {text}"))
}
