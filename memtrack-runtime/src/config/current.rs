//! The process-wide current config: one atomic load to read.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::Config;
use crate::units::mb_to_bytes;

/// The byte thresholds the tracker compares against on every operation, converted
/// from the config's megabytes once, when the config is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) delta_bytes: u64,
    pub(crate) spike_heap_bytes: u64,
    pub(crate) spike_rss_bytes: u64,
    pub(crate) checkpoint_delta_bytes: u64,
}

impl Limits {
    pub(crate) fn of(config: &Config) -> Self {
        Limits {
            delta_bytes: mb_to_bytes(config.delta_threshold_mb()),
            spike_heap_bytes: mb_to_bytes(config.spike_heap_mb()),
            spike_rss_bytes: mb_to_bytes(config.spike_rss_mb()),
            checkpoint_delta_bytes: mb_to_bytes(config.checkpoint_delta_mb()),
        }
    }
}

/// A config with its derived limits.
#[derive(Debug)]
struct Current {
    config: Config,
    limits: Limits,
}

impl Current {
    fn new(config: Config) -> Self {
        let limits = Limits::of(&config);
        Current { config, limits }
    }
}

static DEFAULT: LazyLock<Current> = LazyLock::new(|| Current::new(Config::default()));
static CURRENT: AtomicPtr<Current> = AtomicPtr::new(std::ptr::null_mut());

fn current() -> &'static Current {
    let ptr = CURRENT.load(Ordering::Acquire);
    if ptr.is_null() {
        &DEFAULT
    } else {
        // SAFETY: every non-null pointer stored in CURRENT comes from `Box::leak` in
        // `set` and is never freed, so it is valid for 'static and never mutated.
        unsafe { &*ptr }
    }
}

/// The current config's byte thresholds.
pub(crate) fn limits() -> &'static Limits {
    &current().limits
}

/// The current config: the last one passed to [`set`], else the defaults.
///
/// ```
/// assert!(memtrack::config::get().max_metadata_len() > 0);
/// ```
#[must_use]
pub fn get() -> &'static Config {
    &current().config
}

/// Makes `config` the current config for every tracker, monitor tick and report that
/// starts after this call.
///
/// Each call keeps its config alive for the rest of the process (a few hundred
/// bytes) so that readers never wait or copy; set it at startup or a bounded number of
/// times, not per request.
///
/// ```
/// let config = memtrack::Config::builder().large_allocation_bytes(1 << 20).build().unwrap();
/// memtrack::config::set(config);
/// assert_eq!(memtrack::config::get().large_allocation_bytes(), 1 << 20);
/// ```
pub fn set(config: Config) {
    crate::alloc::set_sample_interval(config.heap_sample_bytes());
    let leaked: &'static mut Current = Box::leak(Box::new(Current::new(config)));
    CURRENT.store(leaked, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replaces_the_current_config() {
        let before = get().clone();
        set(Config::builder().top_operations(9).build().unwrap());
        assert_eq!(get().top_operations(), 9);
        set(Config::builder().delta_threshold_mb(2.0).build().unwrap());
        assert_eq!(limits().delta_bytes, 2 << 20);
        set(before.clone());
        assert_eq!(*get(), before);
    }
}
