//! Reading every registered cache's size.

use std::time::Duration;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{CACHES, reader};
use crate::bookkeeping;
use crate::config;

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

/// The key of the operations count beside the caches' sizes.
const ACTIVE_OPERATIONS: &str = "active_operations";

impl Serialize for CacheStats {
    /// `{"<cache>": size or {"error": ...}, ..., "active_operations": n}`. A cache
    /// whose name is taken by `active_operations` is written as
    /// `extra_active_operations` (prefixed again while that is taken too), as the
    /// logs write a field that clashes with one of theirs.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.caches.len() + 1))?;
        for cache in &self.caches {
            let mut key = cache.name.clone();
            while key == ACTIVE_OPERATIONS || (key != cache.name && self.get(&key).is_some()) {
                key = format!("extra_{key}");
            }
            match &cache.size {
                Ok(size) => map.serialize_entry(&key, size)?,
                Err(error) => map.serialize_entry(&key, &ErrorEntry { error })?,
            }
        }
        map.serialize_entry(ACTIVE_OPERATIONS, &self.active_operations)?;
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
/// The size functions run on memtrack's reader threads, never on the caller's (see
/// the [module docs](crate::caches)), and this waits at most the current config's
/// [`cache_size_timeout`](crate::Config::cache_size_timeout) for all of them: a
/// size function that panics, or has not returned by then, gives an error entry for
/// its cache; the others are still read.
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
    stats_within(config::get().cache_size_timeout())
}

/// [`all_stats`], waiting at most `timeout` for the size functions.
pub(crate) fn stats_within(timeout: Duration) -> CacheStats {
    CacheStats {
        caches: read_all(timeout),
        active_operations: crate::sites::active_operations(),
    }
}

/// Reads every cache within `timeout`, dropping (and unregistering) the ones that
/// no longer exist, and keeps the result as the last reading. memtrack's own work:
/// charged to no operation.
pub(super) fn read_all(timeout: Duration) -> Vec<CacheStat> {
    bookkeeping::untracked(|| {
        let entries = CACHES.snapshot();
        if reader::on_reader_thread() {
            // A size function asking for the sizes: it would wait for itself.
            return entries
                .into_iter()
                .map(|(_, name, source)| CacheStat {
                    name: name.to_string(),
                    size: Err("cache stats requested from inside a size function".to_owned()),
                    max_size: source.max_size,
                })
                .collect();
        }
        let answers = reader::read(entries, timeout, config::get().max_metadata_len());
        let mut read = Vec::with_capacity(answers.len());
        for ((id, name, source), answer) in answers {
            let size = match answer {
                Ok(Some(size)) => Ok(size),
                Ok(None) => {
                    CACHES.remove(id);
                    continue;
                }
                Err(error) => Err(error),
            };
            let stat = CacheStat {
                name: name.to_string(),
                size,
                max_size: source.max_size,
            };
            read.push((id, stat));
        }
        let stats = read.iter().map(|(_, stat)| stat.clone()).collect();
        last::keep(read);
        stats
    })
}

/// The last reading, for events that carry cache sizes without running a size
/// function (an operation's end must never call user code that can block).
pub(crate) mod last {
    use std::sync::{Arc, Mutex, PoisonError};

    use super::super::{CACHES, CacheStat};

    type Reading = Arc<[(u64, CacheStat)]>;

    static LAST: Mutex<Option<Reading>> = Mutex::new(None);

    pub(super) fn keep(reading: Vec<(u64, CacheStat)>) {
        let reading: Reading = reading.into();
        *LAST.lock().unwrap_or_else(PoisonError::into_inner) = Some(reading);
    }

    /// The caches of the last reading that are still registered, with the sizes
    /// read then; empty before the first reading.
    pub(crate) fn sizes() -> Vec<CacheStat> {
        let last = LAST.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let Some(last) = last else {
            return Vec::new();
        };
        // In registration order, so increasing: looked up by bisection.
        let registered = CACHES.ids();
        last.iter()
            .filter(|(id, _)| registered.binary_search(id).is_ok())
            .map(|(_, stat)| stat.clone())
            .collect()
    }
}
