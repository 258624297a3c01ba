//! The settings themselves: declared once, from which the struct, its getters, the
//! builder's setters and the environment parsing are all generated.

use std::ffi::OsString;
use std::time::Duration;

use super::error::{ConfigError, InvalidSetting};
use super::parse::{LeakIntervals, Megabytes, Millis, Period, SampleBytes, SettingValue};

impl From<f64> for Megabytes {
    fn from(v: f64) -> Self {
        Megabytes(v)
    }
}
impl From<Megabytes> for f64 {
    /// The value, with `-0` as `0` (it is accepted as not negative, and would
    /// otherwise be written `-0` in messages).
    fn from(v: Megabytes) -> Self {
        v.0 + 0.0
    }
}
/// Both conversions between a setting's wire type and the value it wraps.
macro_rules! wraps {
    ($($wire:ident($inner:ty)),* $(,)?) => {$(
        impl From<$inner> for $wire {
            fn from(v: $inner) -> Self {
                $wire(v)
            }
        }
        impl From<$wire> for $inner {
            fn from(v: $wire) -> Self {
                v.0
            }
        }
    )*};
}

wraps!(
    LeakIntervals(usize),
    SampleBytes(u64),
    Millis(Duration),
    Period(Duration),
);

macro_rules! settings {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident: $ty:ty as $wire:ty = $default:expr, env $env:literal;
    )*) => {
        /// memtrack's thresholds and switches. See the [module docs](crate::config)
        /// for the table of defaults and environment variables.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Config {
            $( $name: $ty, )*
        }

        impl Default for Config {
            /// The thresholds of the table in the [module docs](crate::config).
            fn default() -> Self {
                Self { $( $name: $default, )* }
            }
        }

        impl Config {
            $(
                $(#[doc = $doc])*
                #[doc = concat!("\n\nDefault: `", stringify!($default), "`; environment: `", $env, "`.")]
                #[must_use]
                pub fn $name(&self) -> $ty {
                    self.$name
                }
            )*

            /// The environment variables [`Config::from_env`] reads, in order.
            pub const ENV_VARS: &'static [&'static str] = &[$($env),*];

            /// Applies every variable `lookup` finds: a value that is not UTF-8
            /// (`Err`) is rejected like any value that does not parse.
            pub(crate) fn apply_env(
                mut self,
                lookup: &mut dyn FnMut(&str) -> Option<Result<String, OsString>>,
            ) -> Result<Self, ConfigError> {
                let mut invalid = Vec::new();
                $(
                    if let Some(raw) = lookup($env) {
                        let parsed = raw.as_deref().ok().and_then(<$wire as SettingValue>::parse);
                        match parsed {
                            Some(v) => self.$name = v.into(),
                            None => invalid.push(InvalidSetting::new(
                                $env,
                                &raw.unwrap_or_else(|os| os.to_string_lossy().into_owned()),
                                <$wire as SettingValue>::EXPECTED,
                            )),
                        }
                    }
                )*
                if invalid.is_empty() { Ok(self) } else { Err(ConfigError::new(invalid)) }
            }
        }

        impl ConfigBuilder {
            $(
                $(#[doc = $doc])*
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    let wire = <$wire>::from(value);
                    if SettingValue::is_valid(wire) {
                        self.config.$name = wire.into();
                    } else {
                        self.invalid.push(InvalidSetting::new(
                            concat!("ConfigBuilder::", stringify!($name)),
                            &SettingValue::show(wire),
                            <$wire as SettingValue>::EXPECTED,
                        ));
                    }
                    self
                }
            )*
        }
    };
}

settings! {
    /// An operation whose memory moved by at least this many megabytes is logged as
    /// `memory_operation` (heap figures when the counting allocator is installed, RSS
    /// otherwise).
    delta_threshold_mb: f64 as Megabytes = 5.0, env "MEMTRACK_DELTA_THRESHOLD_MB";
    /// An operation that ran at least this long is logged as `memory_operation`.
    operation_time_threshold: Duration as Millis = Duration::from_millis(1000), env "MEMTRACK_OPERATION_TIME_THRESHOLD_MS";
    /// Without the counting allocator: an RSS delta of at least this many megabytes
    /// makes the operation a `memory_spike_operation`.
    spike_rss_mb: f64 as Megabytes = 50.0, env "MEMTRACK_SPIKE_RSS_MB";
    /// With the counting allocator: a heap peak or net of at least this many megabytes
    /// makes the operation a `memory_spike_operation`.
    spike_heap_mb: f64 as Megabytes = 20.0, env "MEMTRACK_SPIKE_HEAP_MB";
    /// A checkpoint is logged when the operation's memory moved at least this many
    /// megabytes since it started.
    checkpoint_delta_mb: f64 as Megabytes = 5.0, env "MEMTRACK_CHECKPOINT_DELTA_MB";
    /// `large_alloc!` logs `large_allocation` from this many bytes on.
    large_allocation_bytes: u64 as u64 = 500_000, env "MEMTRACK_LARGE_ALLOCATION_BYTES";
    /// Log failed, panicked and cancelled operations whatever their size.
    log_failures: bool as bool = true, env "MEMTRACK_LOG_FAILURES";
    /// Read RSS (and process heap totals) at the start and end of every operation.
    /// Readings are shared for up to [`RSS_RESOLUTION`](crate::process::RSS_RESOLUTION)
    /// (1 ms), so a burst of short operations reads `/proc` once per millisecond.
    /// Off, an operation costs tens of nanoseconds and its events carry the exact heap
    /// figures only.
    sample_rss: bool as bool = true, env "MEMTRACK_SAMPLE_RSS";
    /// Longest metadata string kept, in characters; longer ones are cut on a character
    /// boundary and end with `…`.
    max_metadata_len: usize as usize = 100, env "MEMTRACK_MAX_METADATA_LEN";
    /// Most metadata keys kept per operation or event; later keys are dropped and
    /// counted in `metadata_dropped`.
    max_metadata_keys: usize as usize = 32, env "MEMTRACK_MAX_METADATA_KEYS";
    /// A fetch response of at least this many bytes is logged as `fetch_response`.
    large_response_bytes: u64 as u64 = 500_000, env "MEMTRACK_LARGE_RESPONSE_BYTES";
    /// A fetch slower than this is logged as `fetch_response`.
    slow_fetch_threshold: Duration as Millis = Duration::from_millis(1000), env "MEMTRACK_SLOW_FETCH_MS";
    /// How often the monitor logs a `memory_snapshot`.
    monitor_interval: Duration as Period = Duration::from_secs(30), env "MEMTRACK_MONITOR_INTERVAL_MS";
    /// How often the monitor logs a `cache_stats_snapshot`.
    cache_stats_interval: Duration as Period = Duration::from_secs(60), env "MEMTRACK_CACHE_STATS_INTERVAL_MS";
    /// Longest a reading of the cache sizes (a health report, a monitor tick,
    /// [`all_stats`](crate::caches::all_stats)) waits for the size functions, all
    /// of them together; a size function still running then is reported as
    /// `{"error": "..."}` and not called again until it returns (see
    /// [`caches`](crate::caches)).
    cache_size_timeout: Duration as Period = Duration::from_millis(500), env "MEMTRACK_CACHE_SIZE_TIMEOUT_MS";
    /// RSS above this many megabytes raises `critical_memory_exceeded`.
    critical_rss_mb: f64 as Megabytes = 1500.0, env "MEMTRACK_CRITICAL_RSS_MB";
    /// RSS growth above this many megabytes within one monitor interval raises
    /// `critical_rss_spike`.
    critical_rss_spike_mb: f64 as Megabytes = 400.0, env "MEMTRACK_CRITICAL_RSS_SPIKE_MB";
    /// Heap growth above this many megabytes within one interval raises
    /// `memory_growth_detected`.
    heap_growth_mb: f64 as Megabytes = 50.0, env "MEMTRACK_HEAP_GROWTH_MB";
    /// RSS growth since the last reclaim from which the monitor runs a reclaim.
    reclaim_rss_growth_mb: f64 as Megabytes = 100.0, env "MEMTRACK_RECLAIM_RSS_GROWTH_MB";
    /// A reclaim that freed more than this many megabytes is reported as effective.
    reclaim_effective_mb: f64 as Megabytes = 10.0, env "MEMTRACK_RECLAIM_EFFECTIVE_MB";
    /// How many operations each snapshot and alert names as the top memory users.
    top_operations: usize as usize = 5, env "MEMTRACK_TOP_OPERATIONS";
    /// RSS above this many megabytes makes the health report `unhealthy` (HTTP 503).
    unhealthy_rss_mb: f64 as Megabytes = 1500.0, env "MEMTRACK_UNHEALTHY_RSS_MB";
    /// An operation name whose held heap grew in this many consecutive monitor
    /// intervals (by more than [`leak_growth_mb`](Config::leak_growth_mb) in all)
    /// raises `memory_leak_suspect` (1 to 1000).
    leak_intervals: usize as LeakIntervals = 3, env "MEMTRACK_LEAK_INTERVALS";
    /// The growth, in megabytes over [`leak_intervals`](Config::leak_intervals)
    /// intervals, above which a steadily growing name raises `memory_leak_suspect`.
    leak_growth_mb: f64 as Megabytes = 10.0, env "MEMTRACK_LEAK_GROWTH_MB";
    /// Mean distance between sampled small blocks, in bytes of small allocations
    /// (see [`alloc::set_sample_interval`](crate::alloc::set_sample_interval)): 0
    /// turns sampling off; otherwise from 64 KiB to 1 TiB
    /// ([`alloc::SAMPLE_INTERVALS`](crate::alloc::SAMPLE_INTERVALS)). Applied by
    /// [`config::set`](crate::config::set).
    heap_sample_bytes: u64 as SampleBytes = crate::alloc::DEFAULT_SAMPLE_INTERVAL, env "MEMTRACK_HEAP_SAMPLE_BYTES";
}

/// Builds a [`Config`]; every setter validates its value and [`build`](Self::build)
/// reports all rejected ones at once.
///
/// ```
/// let err = memtrack::Config::builder().spike_rss_mb(-1.0).build().unwrap_err();
/// assert_eq!(err.invalid()[0].name, "ConfigBuilder::spike_rss_mb");
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConfigBuilder {
    config: Config,
    invalid: Vec<InvalidSetting>,
}

impl ConfigBuilder {
    /// The config, or every setting that was rejected.
    ///
    /// # Errors
    /// A [`ConfigError`] naming each setter that received an invalid value.
    pub fn build(self) -> Result<Config, ConfigError> {
        if self.invalid.is_empty() {
            Ok(self.config)
        } else {
            Err(ConfigError::new(self.invalid))
        }
    }
}

impl Config {
    /// A builder starting from the defaults.
    ///
    /// ```
    /// let config = memtrack::Config::builder().log_failures(false).build().unwrap();
    /// assert!(!config.log_failures());
    /// ```
    #[must_use]
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// A builder starting from this config.
    #[must_use]
    pub fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder {
            config: self.clone(),
            invalid: Vec::new(),
        }
    }

    /// The defaults overridden by every `MEMTRACK_*` variable that is set.
    ///
    /// # Errors
    /// A [`ConfigError`] naming every variable whose value does not parse (a value
    /// that is not UTF-8 included), with its value (cut to 64 characters) and the
    /// expected form; nothing is applied partially.
    ///
    /// ```
    /// let config = memtrack::Config::from_env().expect("MEMTRACK_* variables are valid");
    /// # let _ = config;
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::default().apply_env(&mut |name| std::env::var_os(name).map(OsString::into_string))
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup` (for
    /// tests, or configuration kept elsewhere).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    ///
    /// ```
    /// let config = memtrack::Config::from_lookup(|name| {
    ///     (name == "MEMTRACK_SPIKE_HEAP_MB").then(|| "64".to_owned())
    /// })
    /// .unwrap();
    /// assert_eq!(config.spike_heap_mb(), 64.0);
    /// ```
    pub fn from_lookup(
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        Self::default().apply_env(&mut |name| lookup(name).map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl FnMut(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn negative_zero_megabytes_are_zero() {
        let config =
            Config::from_lookup(env(&[("MEMTRACK_UNHEALTHY_RSS_MB", "-0")])).expect("accepted");
        assert!(config.unhealthy_rss_mb().is_sign_positive());
        let config = Config::builder()
            .unhealthy_rss_mb(-0.0)
            .build()
            .expect("accepted");
        assert!(config.unhealthy_rss_mb().is_sign_positive());
    }

    #[test]
    fn a_sample_interval_too_short_for_the_sample_pages_is_rejected() {
        for ok in ["0", "65536", "262_144", "1099511627776"] {
            let config = Config::from_lookup(env(&[("MEMTRACK_HEAP_SAMPLE_BYTES", ok)]))
                .unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(
                config.heap_sample_bytes(),
                ok.replace('_', "").parse::<u64>().unwrap()
            );
        }
        for bad in ["1", "65535", "1099511627777", "-1", "64k"] {
            let err =
                Config::from_lookup(env(&[("MEMTRACK_HEAP_SAMPLE_BYTES", bad)])).expect_err(bad);
            let setting = &err.invalid()[0];
            assert_eq!(setting.name, "MEMTRACK_HEAP_SAMPLE_BYTES");
            assert_eq!(setting.value, bad);
            assert!(err.to_string().contains("from 65536"), "{err}");
        }
        let err = Config::builder()
            .heap_sample_bytes(4096)
            .build()
            .unwrap_err();
        assert_eq!(err.invalid()[0].name, "ConfigBuilder::heap_sample_bytes");
    }

    #[test]
    fn a_leak_window_past_a_thousand_intervals_is_rejected() {
        let config = Config::from_lookup(env(&[("MEMTRACK_LEAK_INTERVALS", "1000")])).unwrap();
        assert_eq!(config.leak_intervals(), 1000);
        for bad in ["0", "1001", "1000000000", "-3"] {
            let err = Config::from_lookup(env(&[("MEMTRACK_LEAK_INTERVALS", bad)])).expect_err(bad);
            let setting = &err.invalid()[0];
            assert_eq!(setting.name, "MEMTRACK_LEAK_INTERVALS");
            assert!(err.to_string().contains("from 1 to 1000"), "{err}");
        }
        let err = Config::builder().leak_intervals(5000).build().unwrap_err();
        assert_eq!(err.invalid()[0].name, "ConfigBuilder::leak_intervals");
    }

    #[test]
    fn defaults_are_the_original_thresholds() {
        let c = Config::default();
        assert_eq!(c.delta_threshold_mb(), 5.0);
        assert_eq!(c.operation_time_threshold(), Duration::from_millis(1000));
        assert_eq!(c.spike_rss_mb(), 50.0);
        assert_eq!(c.spike_heap_mb(), 20.0);
        assert_eq!(c.large_allocation_bytes(), 500_000);
        assert_eq!(c.large_response_bytes(), 500_000);
        assert_eq!(c.critical_rss_mb(), 1500.0);
        assert_eq!(c.critical_rss_spike_mb(), 400.0);
        assert_eq!(c.monitor_interval(), Duration::from_secs(30));
        assert_eq!(c.cache_stats_interval(), Duration::from_secs(60));
        assert_eq!(c.max_metadata_len(), 100);
        assert!(c.log_failures());
    }

    #[test]
    fn environment_overrides_and_reports_every_bad_variable() {
        let c = Config::from_lookup(env(&[
            ("MEMTRACK_SPIKE_RSS_MB", "75.5"),
            ("MEMTRACK_LOG_FAILURES", "off"),
            ("MEMTRACK_MONITOR_INTERVAL_MS", "250"),
        ]))
        .unwrap();
        assert_eq!(c.spike_rss_mb(), 75.5);
        assert!(!c.log_failures());
        assert_eq!(c.monitor_interval(), Duration::from_millis(250));

        let err = Config::from_lookup(env(&[
            ("MEMTRACK_DELTA_THRESHOLD_MB", "-3"),
            ("MEMTRACK_MONITOR_INTERVAL_MS", "0"),
            ("MEMTRACK_SAMPLE_RSS", "sometimes"),
        ]))
        .unwrap_err();
        let names: Vec<&str> = err.invalid().iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "MEMTRACK_DELTA_THRESHOLD_MB",
                "MEMTRACK_SAMPLE_RSS",
                "MEMTRACK_MONITOR_INTERVAL_MS"
            ]
        );
        assert_eq!(
            err.invalid()[2].to_string(),
            "MEMTRACK_MONITOR_INTERVAL_MS=\"0\" is invalid: expected a whole number of \
             milliseconds greater than 0 (e.g. 30000)"
        );
    }

    #[test]
    fn builder_rejects_invalid_values_and_keeps_the_rest() {
        let err = Config::builder()
            .delta_threshold_mb(f64::NAN)
            .max_metadata_keys(0)
            .monitor_interval(Duration::ZERO)
            .build()
            .unwrap_err();
        assert_eq!(err.invalid().len(), 3);
        assert_eq!(err.invalid()[1].name, "ConfigBuilder::max_metadata_keys");
        assert_eq!(err.invalid()[1].value, "0");

        let c = Config::builder()
            .delta_threshold_mb(0.0)
            .operation_time_threshold(Duration::ZERO)
            .build()
            .unwrap();
        assert_eq!(c.delta_threshold_mb(), 0.0);
        assert_eq!(c.to_builder().build().unwrap(), c);
    }

    #[test]
    fn every_variable_is_listed_once() {
        let mut names = Config::ENV_VARS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Config::ENV_VARS.len());
        assert_eq!(Config::ENV_VARS.len(), 25);
    }
}
