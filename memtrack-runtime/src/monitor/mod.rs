//! The periodic memory monitor: one background thread (no async runtime needed).
//!
//! [`start`] logs `memory_monitor_started` once, then every
//! [`monitor_interval`](crate::Config::monitor_interval) (30 s by default):
//!
//! - `memory_snapshot`: `uptime_minutes` (since the monitor started), `rss_mb`,
//!   `rss_delta_mb`, with the counting allocator `heap_used_mb` (live bytes),
//!   `heap_total_mb` (what the C allocator holds from the system, glibc `mallinfo2`,
//!   else the peak of live bytes) and `heap_used_delta_mb` (absent
//!   without it), `active_operations`, every registered cache's size as a top-level
//!   field, and `top_operations`: the operation names that made memory grow during
//!   the interval (see `top`). With the counting allocator they are ranked by the
//!   growth of the heap each holds (its live blocks, whoever frees them), then by
//!   bytes allocated, each as `{"operation", "retained_mb", "retained_growth_mb",
//!   "alloc_mb", "count", "active"}`; without it by the RSS growth of their
//!   operations, capped at the process's growth, as `{"operation",
//!   "rss_growth_mb", "count", "active"}`. `top_operations_basis` says which
//!   (`"retained"` or `"rss"`), `count` is the number that ended in the interval,
//!   `active` the number still running, and `top_operation` names the first one.
//! - `memory_leak_suspect` (warn) for a name whose held heap grew in each of the
//!   last [`leak_intervals`](crate::Config::leak_intervals) intervals, by more
//!   than [`leak_growth_mb`](crate::Config::leak_growth_mb) over them (checked
//!   every interval; a name reported goes quiet for `leak_intervals` intervals):
//!   `operation`, `intervals` (how many in a row it grew),
//!   `growth_mb_per_interval`, `retained_mb`, `total_growth_mb`, `threshold_mb`.
//! - `critical_rss_spike` (error) when RSS grew by more than
//!   [`critical_rss_spike_mb`](crate::Config::critical_rss_spike_mb) within the
//!   interval; `critical_memory_exceeded` (error) while RSS is above
//!   [`critical_rss_mb`](crate::Config::critical_rss_mb); `memory_growth_detected`
//!   (warn) when the heap grew by more than
//!   [`heap_growth_mb`](crate::Config::heap_growth_mb). Each carries the interval's
//!   `top_operations`.
//! - then a [reclaim](crate::reclaim) (`memory_reclaim`) when RSS grew by at least
//!   [`reclaim_rss_growth_mb`](crate::Config::reclaim_rss_growth_mb) above its lowest
//!   value since the last reclaim (or since the start), or RSS is above
//!   `critical_rss_mb`. The next interval's deltas start from RSS after the reclaim.
//!
//! and every [`cache_stats_interval`](crate::Config::cache_stats_interval) (60 s) a
//! `cache_stats_snapshot`, with `cache_at_capacity` (warn) for each bounded cache
//! that reached its maximum since the previous one.
//!
//! The delta baselines live only in the monitor thread: health reports, cache stats
//! and manual reclaims read memory without moving them.
//!
//! One monitor runs per process: [`start`] while one runs returns
//! [`MonitorError::AlreadyRunning`] (stop the running one first to change its
//! config). The thread stops within milliseconds when its [`MonitorHandle`] is
//! dropped or [stopped](MonitorHandle::stop); a tick held up by user code (a
//! reclaim hook that blocks) is waited for at most 5 seconds. Cache size functions
//! never hold a tick longer than
//! [`cache_size_timeout`](crate::Config::cache_size_timeout) (see
//! [`caches`](crate::caches)).
//!
//! ```
//! use std::time::Duration;
//!
//! let config = memtrack::Config::builder()
//!     .monitor_interval(Duration::from_secs(30))
//!     .cache_stats_interval(Duration::from_secs(60))
//!     .build()
//!     .unwrap();
//! let monitor = memtrack::monitor::start(config)?;
//! assert!(matches!(
//!     memtrack::monitor::start(memtrack::Config::default()),
//!     Err(memtrack::monitor::MonitorError::AlreadyRunning)
//! ));
//! drop(monitor);
//! # Ok::<(), memtrack::monitor::MonitorError>(())
//! ```

mod events;
mod handle;
mod leaks;
mod state;
mod top;

use std::fmt;

pub use handle::{MonitorHandle, is_running};

use crate::config::Config;

/// Starts the monitor thread with `config`'s intervals and thresholds (not the
/// process-wide current config, which it does not change).
///
/// # Errors
///
/// [`MonitorError::AlreadyRunning`] when a monitor already runs in this process,
/// [`MonitorError::Spawn`] when the thread could not be created.
///
/// ```
/// let monitor = memtrack::monitor::start(memtrack::config::get().clone())?;
/// monitor.stop();
/// # Ok::<(), memtrack::monitor::MonitorError>(())
/// ```
pub fn start(config: Config) -> Result<MonitorHandle, MonitorError> {
    handle::spawn(config)
}

/// Why [`start`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum MonitorError {
    /// A monitor already runs in this process; stop it first.
    AlreadyRunning,
    /// The operating system refused to create the thread.
    Spawn(std::io::Error),
}

impl fmt::Display for MonitorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MonitorError::AlreadyRunning => f.write_str(
                "a memtrack monitor is already running in this process; stop it before starting another",
            ),
            MonitorError::Spawn(err) => write!(f, "could not start the memtrack monitor thread: {err}"),
        }
    }
}

impl std::error::Error for MonitorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MonitorError::AlreadyRunning => None,
            MonitorError::Spawn(err) => Some(err),
        }
    }
}
