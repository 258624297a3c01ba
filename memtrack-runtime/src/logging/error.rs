//! The error type of the logging setup functions.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why JSON logging could not be set up.
///
/// ```
/// use memtrack_runtime::logging::{JsonLayer, LoggingError};
///
/// let dir = std::env::temp_dir().join("memtrack-doc-missing-dir/none/such");
/// match JsonLayer::file(dir.join("app.log")) {
///     Err(LoggingError::OpenFile { path, .. }) => assert!(path.ends_with("app.log")),
///     other => panic!("unexpected: {other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum LoggingError {
    /// The log file could not be created or opened for appending.
    OpenFile {
        /// The path as given.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A global `tracing` subscriber is already installed in this process. Add a
    /// [`JsonLayer`](super::JsonLayer) to that subscriber instead.
    GlobalAlreadySet,
    /// An environment variable holds a value that cannot be used.
    InvalidEnv {
        /// The variable's name.
        variable: &'static str,
        /// The value found (shortened when long).
        value: String,
        /// What the variable accepts.
        expected: &'static str,
    },
}

impl fmt::Display for LoggingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoggingError::OpenFile { path, source } => write!(
                f,
                "cannot open log file `{}` for appending: {source}",
                shown(&path.to_string_lossy())
            ),
            LoggingError::GlobalAlreadySet => f.write_str(
                "a global tracing subscriber is already set; add memtrack's JsonLayer to it instead",
            ),
            LoggingError::InvalidEnv {
                variable,
                value,
                expected,
            } => write!(
                f,
                "invalid {variable}=`{}`: expected {expected}",
                shown(value)
            ),
        }
    }
}

impl std::error::Error for LoggingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoggingError::OpenFile { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Longest part of a path or value repeated in a message, in characters.
const MAX_SHOWN_CHARS: usize = 256;

/// `text` as a message shows it: on one line, control characters escaped, cut to
/// [`MAX_SHOWN_CHARS`] characters (with `…`).
fn shown(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX_SHOWN_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn values_and_paths_in_messages_are_escaped_and_cut() {
        let err = LoggingError::InvalidEnv {
            variable: "MEMTRACK_LOG_LEVEL",
            value: "war\nn\u{1b}[31mRED".to_owned(),
            expected: "a level",
        };
        assert_eq!(
            err.to_string(),
            "invalid MEMTRACK_LOG_LEVEL=`war\\nn\\u{1b}[31mRED`: expected a level"
        );
        let long = "d/".repeat(1_500);
        let err = LoggingError::OpenFile {
            path: PathBuf::from(&long),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        let message = err.to_string();
        assert!(message.len() < 400, "{message}");
        assert!(
            message.contains(&format!("`{}…`", &long[..256])),
            "{message}"
        );
    }

    #[test]
    fn open_file_names_path_and_cause() {
        let err = LoggingError::OpenFile {
            path: PathBuf::from("/no/such/dir/app.log"),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert_eq!(
            err.to_string(),
            "cannot open log file `/no/such/dir/app.log` for appending: entity not found"
        );
        assert!(err.source().is_some());
    }

    #[test]
    fn other_messages() {
        assert_eq!(
            LoggingError::GlobalAlreadySet.to_string(),
            "a global tracing subscriber is already set; add memtrack's JsonLayer to it instead"
        );
        let err = LoggingError::InvalidEnv {
            variable: "MEMTRACK_LOG_LEVEL",
            value: "loud".into(),
            expected: "one of trace, debug, info, warn, error, off",
        };
        assert_eq!(
            err.to_string(),
            "invalid MEMTRACK_LOG_LEVEL=`loud`: expected one of trace, debug, info, warn, error, off"
        );
        assert!(err.source().is_none());
    }
}
