//! Giving freed memory back to the operating system.
//!
//! A reclaim runs, in order, every hook the application registered with
//! [`register_hook`] (drop caches, shrink buffers), then `malloc_trim(0)` where the
//! C library is glibc (musl and other systems have no such call), and records whether
//! it helped: RSS before and after, and whether it freed more than
//! [`reclaim_effective_mb`](crate::Config::reclaim_effective_mb). Every reclaim logs
//! `memory_reclaim` with those figures and the running totals.
//!
//! The [monitor](crate::monitor) reclaims when RSS grew by
//! [`reclaim_rss_growth_mb`](crate::Config::reclaim_rss_growth_mb) since its last
//! reclaim (or since it started) and while RSS is above
//! [`critical_rss_mb`](crate::Config::critical_rss_mb); [`run`] reclaims on demand.
//!
//! A hook that panics is caught and reported in the event and the [`ReclaimReport`];
//! the other hooks still run. Hooks run outside any memtrack lock. A reclaim started
//! from inside a hook runs no hooks (only the trim), so hooks never recurse.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//!
//! let cache: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
//! cache.lock().unwrap().push(vec![0; 1 << 20]);
//!
//! let shared = Arc::clone(&cache);
//! let hook = memtrack::reclaim::register_hook("drop-render-cache", move || {
//!     shared.lock().map(|mut c| c.clear()).ok();
//! });
//! let report = memtrack::reclaim::run();
//! assert!(report.hooks_run.contains(&"drop-render-cache".to_owned()));
//! assert!(cache.lock().unwrap().is_empty());
//! drop(hook);
//! ```

mod event;
mod hooks;
mod report;
mod trim;

use std::cell::Cell;
use std::time::Instant;

pub use hooks::{ReclaimHook, register_hook};
pub use report::{HookFailure, ReclaimReason, ReclaimReport, ReclaimTotals, totals};
pub use trim::TRIM_SUPPORTED;

use crate::config;
use crate::process;
use crate::units;

thread_local! {
    /// Set while this thread runs reclaim hooks.
    static IN_HOOKS: Cell<bool> = const { Cell::new(false) };
}

/// Reclaims now: runs the registered hooks and `malloc_trim(0)` (glibc), logs
/// `memory_reclaim` and returns what it did. An operation counted as
/// [`ReclaimReason::Manual`]; "effective" uses the current config's
/// [`reclaim_effective_mb`](crate::Config::reclaim_effective_mb).
///
/// ```
/// let report = memtrack::reclaim::run();
/// assert_eq!(report.reason, memtrack::reclaim::ReclaimReason::Manual);
/// assert!(report.totals.runs >= 1);
/// ```
pub fn run() -> ReclaimReport {
    run_for(ReclaimReason::Manual, config::get().reclaim_effective_mb())
}

/// Reclaims for `reason`, reporting it effective when RSS fell by more than
/// `effective_mb` megabytes.
pub(crate) fn run_for(reason: ReclaimReason, effective_mb: f64) -> ReclaimReport {
    let started = Instant::now();
    let rss_before = process::rss_bytes();
    let nested = IN_HOOKS.try_with(|f| f.replace(true)).unwrap_or(true);
    let (hooks_run, hooks_failed) = if nested {
        (Vec::new(), Vec::new())
    } else {
        let outcome = hooks::run_all();
        let _ = IN_HOOKS.try_with(|f| f.set(false));
        outcome
    };
    let trim_released = trim::trim();
    let rss_after = process::rss_bytes();
    let duration = started.elapsed();

    let freed_bytes = rss_before.zip(rss_after).map(|(b, a)| units::delta(a, b));
    let effective = freed_bytes
        .is_some_and(|freed| freed > 0 && freed.unsigned_abs() > units::mb_to_bytes(effective_mb));
    let totals = report::add_run(duration, freed_bytes.unwrap_or(0));
    let report = ReclaimReport {
        reason,
        duration,
        rss_before,
        rss_after,
        freed_bytes,
        effective,
        hooks_run,
        hooks_failed,
        trim_released,
        totals,
    };
    event::log(&report);
    report
}
