//! [`CaptureWriter`]: captures log lines in a buffer, for tests of instrumented code.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;

use super::writer::LineSink;

/// Keeps every line it is given in a buffer: the sink for tests of instrumented code.
///
/// Clones share the same buffer, so keep one clone and give another to the layer.
/// The buffer grows without bound (it is meant for tests); [`clear`](Self::clear)
/// empties it.
///
/// With a subscriber local to the current thread:
///
/// ```
/// use memtrack_runtime::logging::{JsonLayer, CaptureWriter};
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let logs = CaptureWriter::new();
/// let subscriber = tracing_subscriber::registry().with(JsonLayer::new(logs.clone()));
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!(target: "memtrack", event = "memory_operation", op_name = "job", success = false, "memory_operation: job");
/// });
///
/// let lines = logs.lines();
/// assert_eq!(lines.len(), 1);
/// assert_eq!(lines[0]["event"], "memory_operation");
/// assert_eq!(lines[0]["success"], false);
/// ```
///
/// For tests whose code runs on other threads (a multi-threaded `tokio` runtime),
/// use [`capture_global`](super::capture_global) instead.
#[derive(Debug, Clone, Default)]
pub struct CaptureWriter {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl CaptureWriter {
    /// An empty writer.
    ///
    /// ```
    /// let logs = memtrack_runtime::logging::CaptureWriter::new();
    /// assert!(logs.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        CaptureWriter::default()
    }

    /// Everything written so far (invalid UTF-8, which the layer never writes, is
    /// replaced by `U+FFFD`).
    ///
    /// ```
    /// use memtrack_runtime::logging::{LineSink, CaptureWriter};
    ///
    /// let logs = CaptureWriter::new();
    /// logs.write_line(b"{\"a\":1}\n").unwrap();
    /// assert_eq!(logs.contents(), "{\"a\":1}\n");
    /// ```
    #[must_use]
    pub fn contents(&self) -> String {
        let buffer = self.buffer.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&buffer).into_owned()
    }

    /// The lines written so far, without their final `\n`.
    ///
    /// ```
    /// use memtrack_runtime::logging::{LineSink, CaptureWriter};
    ///
    /// let logs = CaptureWriter::new();
    /// logs.write_line(b"one\n").unwrap();
    /// logs.write_line(b"two\n").unwrap();
    /// assert_eq!(logs.raw_lines(), ["one", "two"]);
    /// ```
    #[must_use]
    pub fn raw_lines(&self) -> Vec<String> {
        self.contents().lines().map(str::to_owned).collect()
    }

    /// Every line parsed as JSON. A line that does not parse (never one written by
    /// the layer) is returned as a JSON string holding the raw line, so the count
    /// always matches [`raw_lines`](Self::raw_lines).
    ///
    /// ```
    /// use memtrack_runtime::logging::{LineSink, CaptureWriter};
    ///
    /// let logs = CaptureWriter::new();
    /// logs.write_line(b"{\"n\":1}\n").unwrap();
    /// logs.write_line(b"not json\n").unwrap();
    /// let lines = logs.lines();
    /// assert_eq!(lines[0]["n"], 1);
    /// assert_eq!(lines[1], "not json");
    /// ```
    #[must_use]
    pub fn lines(&self) -> Vec<Value> {
        self.raw_lines()
            .into_iter()
            .map(|line| serde_json::from_str(&line).unwrap_or(Value::String(line)))
            .collect()
    }

    /// The parsed lines whose `event` key equals `event`.
    ///
    /// ```
    /// use memtrack_runtime::logging::{LineSink, CaptureWriter};
    ///
    /// let logs = CaptureWriter::new();
    /// logs.write_line(b"{\"event\":\"memory_operation\",\"op_name\":\"a\"}\n").unwrap();
    /// logs.write_line(b"{\"event\":\"fetch_response\"}\n").unwrap();
    /// let ops = logs.events("memory_operation");
    /// assert_eq!(ops.len(), 1);
    /// assert_eq!(ops[0]["op_name"], "a");
    /// ```
    #[must_use]
    pub fn events(&self, event: &str) -> Vec<Value> {
        self.lines()
            .into_iter()
            .filter(|line| line.get("event").and_then(Value::as_str) == Some(event))
            .collect()
    }

    /// Whether nothing has been written (or everything was cleared).
    ///
    /// ```
    /// use memtrack_runtime::logging::{LineSink, CaptureWriter};
    ///
    /// let logs = CaptureWriter::new();
    /// assert!(logs.is_empty());
    /// logs.write_line(b"x\n").unwrap();
    /// assert!(!logs.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// Forgets everything written so far (in every clone).
    ///
    /// ```
    /// use memtrack_runtime::logging::{LineSink, CaptureWriter};
    ///
    /// let logs = CaptureWriter::new();
    /// logs.write_line(b"x\n").unwrap();
    /// logs.clone().clear();
    /// assert!(logs.is_empty());
    /// ```
    pub fn clear(&self) {
        self.buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl LineSink for CaptureWriter {
    fn write_line(&self, line: &[u8]) -> io::Result<()> {
        self.buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(line);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_buffer() {
        let a = CaptureWriter::new();
        let b = a.clone();
        b.write_line(b"{\"x\":true}\n").unwrap();
        assert_eq!(a.lines(), vec![serde_json::json!({"x": true})]);
    }

    #[test]
    fn concurrent_lines_stay_whole() {
        let logs = CaptureWriter::new();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let logs = logs.clone();
                std::thread::spawn(move || {
                    for i in 0..250 {
                        let line =
                            format!("{{\"t\":{t},\"i\":{i},\"pad\":\"{}\"}}\n", "p".repeat(300));
                        logs.write_line(line.as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let lines = logs.lines();
        assert_eq!(lines.len(), 1000);
        assert!(lines.iter().all(Value::is_object));
    }
}
