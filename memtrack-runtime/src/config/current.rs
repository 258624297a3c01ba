//! The process-wide current config: one atomic load to read.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::Config;

static DEFAULT: LazyLock<Config> = LazyLock::new(Config::default);
static CURRENT: AtomicPtr<Config> = AtomicPtr::new(std::ptr::null_mut());

/// The current config: the last one passed to [`set`], else the defaults.
///
/// ```
/// assert!(memtrack::config::get().max_metadata_len() > 0);
/// ```
#[must_use]
pub fn get() -> &'static Config {
    let ptr = CURRENT.load(Ordering::Acquire);
    if ptr.is_null() {
        &DEFAULT
    } else {
        // SAFETY: every non-null pointer stored in CURRENT comes from `Box::leak` in
        // `set` and is never freed, so it is valid for 'static and never mutated.
        unsafe { &*ptr }
    }
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
    let leaked: &'static mut Config = Box::leak(Box::new(config));
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
        set(before.clone());
        assert_eq!(*get(), before);
    }
}
