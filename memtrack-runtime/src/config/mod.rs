//! Thresholds and switches, and their defaults.
//!
//! A [`Config`] is built with [`Config::builder`] or read from `MEMTRACK_*`
//! environment variables with [`Config::from_env`], then made current with [`set`].
//! Every tracker, the monitor, fetch tracking and the health report read the current
//! config through [`get`], which costs one atomic load.
//!
//! | setting | default | environment variable |
//! |---|---|---|
//! | [`delta_threshold_mb`](Config::delta_threshold_mb) | 5 | `MEMTRACK_DELTA_THRESHOLD_MB` |
//! | [`operation_time_threshold`](Config::operation_time_threshold) | 1000 ms | `MEMTRACK_OPERATION_TIME_THRESHOLD_MS` |
//! | [`spike_rss_mb`](Config::spike_rss_mb) | 50 | `MEMTRACK_SPIKE_RSS_MB` |
//! | [`spike_heap_mb`](Config::spike_heap_mb) | 20 | `MEMTRACK_SPIKE_HEAP_MB` |
//! | [`checkpoint_delta_mb`](Config::checkpoint_delta_mb) | 5 | `MEMTRACK_CHECKPOINT_DELTA_MB` |
//! | [`large_allocation_bytes`](Config::large_allocation_bytes) | 500000 | `MEMTRACK_LARGE_ALLOCATION_BYTES` |
//! | [`log_failures`](Config::log_failures) | true | `MEMTRACK_LOG_FAILURES` |
//! | [`sample_rss`](Config::sample_rss) | true | `MEMTRACK_SAMPLE_RSS` |
//! | [`max_metadata_len`](Config::max_metadata_len) | 100 | `MEMTRACK_MAX_METADATA_LEN` |
//! | [`max_metadata_keys`](Config::max_metadata_keys) | 32 | `MEMTRACK_MAX_METADATA_KEYS` |
//! | [`large_response_bytes`](Config::large_response_bytes) | 500000 | `MEMTRACK_LARGE_RESPONSE_BYTES` |
//! | [`slow_fetch_threshold`](Config::slow_fetch_threshold) | 1000 ms | `MEMTRACK_SLOW_FETCH_MS` |
//! | [`monitor_interval`](Config::monitor_interval) | 30000 ms | `MEMTRACK_MONITOR_INTERVAL_MS` |
//! | [`cache_stats_interval`](Config::cache_stats_interval) | 60000 ms | `MEMTRACK_CACHE_STATS_INTERVAL_MS` |
//! | [`cache_size_timeout`](Config::cache_size_timeout) | 500 ms | `MEMTRACK_CACHE_SIZE_TIMEOUT_MS` |
//! | [`critical_rss_mb`](Config::critical_rss_mb) | 1500 | `MEMTRACK_CRITICAL_RSS_MB` |
//! | [`critical_rss_spike_mb`](Config::critical_rss_spike_mb) | 400 | `MEMTRACK_CRITICAL_RSS_SPIKE_MB` |
//! | [`heap_growth_mb`](Config::heap_growth_mb) | 50 | `MEMTRACK_HEAP_GROWTH_MB` |
//! | [`reclaim_rss_growth_mb`](Config::reclaim_rss_growth_mb) | 100 | `MEMTRACK_RECLAIM_RSS_GROWTH_MB` |
//! | [`reclaim_effective_mb`](Config::reclaim_effective_mb) | 10 | `MEMTRACK_RECLAIM_EFFECTIVE_MB` |
//! | [`top_operations`](Config::top_operations) | 5 | `MEMTRACK_TOP_OPERATIONS` |
//! | [`unhealthy_rss_mb`](Config::unhealthy_rss_mb) | 1500 | `MEMTRACK_UNHEALTHY_RSS_MB` |
//! | [`leak_intervals`](Config::leak_intervals) | 3 | `MEMTRACK_LEAK_INTERVALS` |
//! | [`leak_growth_mb`](Config::leak_growth_mb) | 10 | `MEMTRACK_LEAK_GROWTH_MB` |
//! | [`heap_sample_bytes`](Config::heap_sample_bytes) | 262144 | `MEMTRACK_HEAP_SAMPLE_BYTES` |
//!
//! ```
//! use std::time::Duration;
//!
//! let config = memtrack::Config::builder()
//!     .delta_threshold_mb(2.5)
//!     .operation_time_threshold(Duration::from_millis(500))
//!     .build()
//!     .expect("valid thresholds");
//! memtrack::config::set(config);
//! assert_eq!(memtrack::config::get().operation_time_threshold(), Duration::from_millis(500));
//! ```

mod current;
mod error;
mod parse;
mod settings;

pub(crate) use current::{Limits, limits};
pub use current::{get, set};
pub use error::{ConfigError, InvalidSetting};
pub use settings::{Config, ConfigBuilder};
