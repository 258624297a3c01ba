//! Cache size registry: the sizes every snapshot, health report and significant
//! operation event carries.
//!
//! An application registers each cache once with [`register`] (a size function) or
//! [`register_weak`] (a function of a cache held in an `Arc`, of which memtrack keeps
//! only a `Weak`, so it never keeps a cache alive). [`all_stats`] reads them all, and
//! the [monitor](crate::monitor) logs them as `cache_stats_snapshot` every
//! [`cache_stats_interval`](crate::Config::cache_stats_interval), with each cache's name
//! as a top-level field so that
//!
//! ```text
//! grep "cache_stats_snapshot" logs.json | jq '{time: .timestamp, zc_clients: .zeroclick_client_cache}'
//! ```
//!
//! reads each cache's size over time.
//!
//! - **Duplicate names**: a later registration replaces the earlier one of the same
//!   name (dropping the earlier handle then does nothing).
//! - **Failures**: a size function that panics gives an error entry for that cache
//!   (`{"error": "..."}` in JSON, the panic's text cut like metadata); the other
//!   caches are still read.
//! - **Where size functions run**: on memtrack's reader threads, never on the
//!   thread that asks. A size function may therefore take a lock that the asking
//!   thread holds, sleep or hang: a reading ([`all_stats`], [`log_snapshot`],
//!   [`health::report`](crate::health::report), each monitor tick) waits at most
//!   [`cache_size_timeout`](crate::Config::cache_size_timeout) (500 ms by default)
//!   for all of them together. A size function still running then is reported as
//!   `{"error": "size function timed out after 500 ms"}` and is not called again
//!   until it returns; meanwhile its cache reads as an error at once. At most four
//!   reader threads exist, so even size functions that never return cannot pile up
//!   threads.
//! - **Operation events** carry the cache sizes of the last reading (the monitor
//!   takes one every tick), with the caches still registered: ending an operation
//!   never runs a size function. Before the first reading they carry none.
//! - **Locking**: the registry lock is never held while a size function runs, so a
//!   size function may itself call memtrack. A size function that (indirectly) asks
//!   for the cache stats again gets error entries rather than waiting for itself.
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::{Arc, Mutex};
//!
//! let clients: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
//! let registration = memtrack::caches::register_weak(
//!     "zeroclick_client_cache",
//!     Some(50),
//!     &clients,
//!     |map| map.lock().map_or(0, |m| m.len()),
//! );
//! clients.lock().unwrap().insert("a".into(), 1);
//!
//! let stats = memtrack::caches::all_stats();
//! assert_eq!(stats.get("zeroclick_client_cache").unwrap().size, Ok(1));
//! drop(registration);
//! assert!(memtrack::caches::all_stats().get("zeroclick_client_cache").is_none());
//! ```

mod batch;
mod capacity;
mod events;
mod reader;
mod size_fn;
mod stats;

use std::sync::{Arc, Weak};

pub(crate) use capacity::CapacityWatch;
pub use events::log_snapshot;
pub(crate) use events::{insert_sizes, log_snapshot_with};
pub(crate) use size_fn::{SizeFnState, hung_functions};
pub(crate) use stats::stats_within;
pub use stats::{CacheStat, CacheStats, all_stats};

use crate::support::named_registry::Registry;

/// A size function: `None` when the cache no longer exists.
pub(crate) type SizeFn = dyn Fn() -> Option<usize> + Send + Sync;

/// A registered cache: its bound and how to read its size.
#[derive(Clone)]
pub(crate) struct Source {
    pub(crate) max_size: Option<usize>,
    pub(crate) size: Arc<SizeFn>,
    pub(crate) state: Arc<SizeFnState>,
}

pub(crate) static CACHES: Registry<Source> = Registry::new();

/// Registers a cache under `name`, with its bound (`None` when unbounded) and a
/// function returning its current number of entries.
///
/// The cache stays registered until the returned handle is dropped; call
/// [`CacheRegistration::forget`] for a cache that lives as long as the process. A
/// later registration with the same name replaces this one. A name longer than
/// [`MAX_NAME_LEN`](crate::metadata::MAX_NAME_LEN) characters is cut and ends in `…#`
/// and 16 hex digits of a hash of the whole name, so long names that differ past the
/// cut stay two caches.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// static BUFFERED: AtomicUsize = AtomicUsize::new(45);
/// memtrack::caches::register("clickhouse_buffer", Some(500), || {
///     BUFFERED.load(Ordering::Relaxed)
/// })
/// .forget();
/// assert_eq!(memtrack::caches::all_stats().get("clickhouse_buffer").unwrap().size, Ok(45));
/// ```
#[must_use = "the cache is unregistered when the handle is dropped; call .forget() to keep it"]
pub fn register<F>(name: impl AsRef<str>, max_size: Option<usize>, size_fn: F) -> CacheRegistration
where
    F: Fn() -> usize + Send + Sync + 'static,
{
    let size: Arc<SizeFn> = Arc::new(move || Some(size_fn()));
    add(name.as_ref(), max_size, size)
}

/// Registers a cache held in an `Arc`, keeping only a `Weak` to it: memtrack never
/// keeps the cache alive, and once the cache is dropped its entry disappears from the
/// stats.
///
/// ```
/// use std::sync::{Arc, Mutex};
///
/// let failures: Arc<Mutex<Vec<String>>> = Arc::default();
/// memtrack::caches::register_weak("zeroclick_session_failures", Some(200), &failures, |f| {
///     f.lock().map_or(0, |v| v.len())
/// })
/// .forget();
/// assert_eq!(memtrack::caches::all_stats().get("zeroclick_session_failures").unwrap().size, Ok(0));
/// drop(failures);
/// assert!(memtrack::caches::all_stats().get("zeroclick_session_failures").is_none());
/// ```
#[must_use = "the cache is unregistered when the handle is dropped; call .forget() to keep it"]
pub fn register_weak<T, F>(
    name: impl AsRef<str>,
    max_size: Option<usize>,
    cache: &Arc<T>,
    size_fn: F,
) -> CacheRegistration
where
    T: Send + Sync + 'static,
    F: Fn(&T) -> usize + Send + Sync + 'static,
{
    let weak: Weak<T> = Arc::downgrade(cache);
    let size: Arc<SizeFn> = Arc::new(move || weak.upgrade().map(|cache| size_fn(&cache)));
    add(name.as_ref(), max_size, size)
}

fn add(name: &str, max_size: Option<usize>, size: Arc<SizeFn>) -> CacheRegistration {
    let source = Source {
        max_size,
        size,
        state: Arc::default(),
    };
    let id = CACHES.add(name, source);
    CacheRegistration { id: Some(id) }
}

/// Keeps a cache registered; dropping it unregisters the cache.
///
/// ```
/// let registration = memtrack::caches::register("doc_registration", None, || 3);
/// assert!(registration.is_registered());
/// drop(registration);
/// assert!(memtrack::caches::all_stats().get("doc_registration").is_none());
/// ```
#[derive(Debug)]
pub struct CacheRegistration {
    id: Option<u64>,
}

impl CacheRegistration {
    /// Keeps the cache registered for the rest of the process.
    ///
    /// ```
    /// memtrack::caches::register("rate_limiter_ips", Some(10_000), || 1234).forget();
    /// ```
    pub fn forget(mut self) {
        self.id = None;
    }

    /// Whether this registration is still in the registry (not replaced by a later
    /// registration of the same name, and, for [`register_weak`], not yet found dead).
    ///
    /// ```
    /// let first = memtrack::caches::register("doc_replaced", None, || 1);
    /// let second = memtrack::caches::register("doc_replaced", None, || 2);
    /// assert!(!first.is_registered());
    /// assert!(second.is_registered());
    /// ```
    #[must_use]
    pub fn is_registered(&self) -> bool {
        self.id.is_some_and(|id| CACHES.contains(id))
    }
}

impl Drop for CacheRegistration {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            CACHES.remove(id);
        }
    }
}
