//! The error a bad setting produces: which setting, what it was, what was expected.

use std::fmt;

use crate::support::bounded_text::truncate;

/// Longest part of a rejected value repeated in an error, in characters.
const MAX_ECHOED_CHARS: usize = 64;

/// One rejected setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidSetting {
    /// The environment variable (for [`Config::from_env`](super::Config::from_env)) or
    /// the builder method that received the value.
    pub name: String,
    /// The value as given, cut to 64 characters (then `…`); bytes that are not
    /// UTF-8 are shown as `\u{fffd}`.
    pub value: String,
    /// The form the value must take.
    pub expected: &'static str,
}

impl InvalidSetting {
    pub(crate) fn new(name: &str, value: &str, expected: &'static str) -> Self {
        Self {
            name: name.to_owned(),
            value: truncate(value, MAX_ECHOED_CHARS),
            expected,
        }
    }
}

impl fmt::Display for InvalidSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}={:?} is invalid: expected {}",
            self.name, self.value, self.expected
        )
    }
}

/// Every setting that was rejected (none is dropped silently), returned by
/// [`Config::from_env`](super::Config::from_env) and
/// [`ConfigBuilder::build`](super::ConfigBuilder::build).
///
/// ```
/// // SAFETY of the example: a single-threaded doctest.
/// unsafe { std::env::set_var("MEMTRACK_DELTA_THRESHOLD_MB", "five") };
/// let err = memtrack::Config::from_env().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid memtrack configuration: MEMTRACK_DELTA_THRESHOLD_MB=\"five\" is invalid: \
///      expected a non-negative number of megabytes (e.g. 5 or 2.5)"
/// );
/// # unsafe { std::env::remove_var("MEMTRACK_DELTA_THRESHOLD_MB") };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    invalid: Vec<InvalidSetting>,
}

impl ConfigError {
    pub(crate) fn new(invalid: Vec<InvalidSetting>) -> Self {
        Self { invalid }
    }

    /// The rejected settings, in declaration order.
    pub fn invalid(&self) -> &[InvalidSetting] {
        &self.invalid
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid memtrack configuration: ")?;
        for (i, setting) in self.invalid.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{setting}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}
