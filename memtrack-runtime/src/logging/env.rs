//! Settings read from the environment: `MEMTRACK_LOG_FILE` and `MEMTRACK_LOG_LEVEL`.

use std::ffi::OsString;
use std::path::PathBuf;

use tracing::level_filters::LevelFilter;

use super::error::LoggingError;

/// Environment variable naming the file JSON logs are appended to; unset, empty or
/// blank means standard output.
pub const LOG_FILE_ENV: &str = "MEMTRACK_LOG_FILE";
/// Environment variable holding the level filter (`trace`, `debug`, `info`,
/// `warn`, `error` or `off`, any case); unset or empty means `info`.
pub const LOG_LEVEL_ENV: &str = "MEMTRACK_LOG_LEVEL";

const LEVEL_EXPECTED: &str = "one of trace, debug, info, warn, error, off";
/// Longest part of a bad value repeated in an error message.
const MAX_ECHOED_CHARS: usize = 64;

/// Where and what to log, as the environment says.
#[derive(Debug, PartialEq)]
pub(crate) struct EnvSettings {
    pub(crate) file: Option<PathBuf>,
    pub(crate) level: LevelFilter,
}

pub(crate) fn read_env() -> Result<EnvSettings, LoggingError> {
    settings_from(
        std::env::var_os(LOG_FILE_ENV),
        std::env::var_os(LOG_LEVEL_ENV),
    )
}

pub(crate) fn settings_from(
    file: Option<OsString>,
    level: Option<OsString>,
) -> Result<EnvSettings, LoggingError> {
    // Blank means unset, as for the level.
    let file = file
        .filter(|f| !f.to_string_lossy().trim().is_empty())
        .map(PathBuf::from);
    let level = match level {
        None => LevelFilter::INFO,
        Some(raw) => parse_level(&raw)?,
    };
    Ok(EnvSettings { file, level })
}

fn parse_level(raw: &OsString) -> Result<LevelFilter, LoggingError> {
    let text = raw.to_string_lossy();
    let level = match text.trim().to_ascii_lowercase().as_str() {
        "" | "info" => LevelFilter::INFO,
        "trace" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "warn" => LevelFilter::WARN,
        "error" => LevelFilter::ERROR,
        "off" => LevelFilter::OFF,
        _ => {
            return Err(LoggingError::InvalidEnv {
                variable: LOG_LEVEL_ENV,
                value: text.chars().take(MAX_ECHOED_CHARS).collect(),
                expected: LEVEL_EXPECTED,
            });
        }
    };
    Ok(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn defaults_are_stdout_and_info() {
        assert_eq!(
            settings_from(None, None).unwrap(),
            EnvSettings {
                file: None,
                level: LevelFilter::INFO
            }
        );
        assert_eq!(settings_from(os(""), os("")).unwrap().file, None);
        assert_eq!(settings_from(os(" \t"), os(" ")).unwrap().file, None);
    }

    #[test]
    fn file_and_levels() {
        let s = settings_from(os("/var/log/app.json"), os(" WARN ")).unwrap();
        assert_eq!(s.file, Some(PathBuf::from("/var/log/app.json")));
        assert_eq!(s.level, LevelFilter::WARN);
        for (text, level) in [
            ("trace", LevelFilter::TRACE),
            ("Debug", LevelFilter::DEBUG),
            ("info", LevelFilter::INFO),
            ("error", LevelFilter::ERROR),
            ("off", LevelFilter::OFF),
        ] {
            assert_eq!(settings_from(None, os(text)).unwrap().level, level);
        }
    }

    #[test]
    fn bad_level_names_variable_and_form() {
        let err = settings_from(None, os("loud")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid MEMTRACK_LOG_LEVEL=`loud`: expected one of trace, debug, info, warn, error, off"
        );
        let long = "x".repeat(1000);
        match settings_from(None, os(&long)).unwrap_err() {
            LoggingError::InvalidEnv { value, .. } => assert_eq!(value.len(), 64),
            other => panic!("unexpected {other:?}"),
        }
    }
}
