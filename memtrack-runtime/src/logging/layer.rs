//! [`JsonLayer`]: the `tracing_subscriber::Layer` that writes flat JSON lines.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use tracing::level_filters::LevelFilter;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

use super::error::LoggingError;
use super::file_writer::FileWriter;
use super::line::write_line;
use super::record::Record;
use super::timestamp::now_millis;
use super::writer::{LineSink, StdoutWriter};

/// Longest text kept from a field recorded through `Debug`, `Display` or as an
/// error, unless changed with [`JsonLayer::with_max_text_bytes`] (1 MiB).
pub const DEFAULT_MAX_TEXT_BYTES: usize = 1 << 20;

/// A `tracing_subscriber` layer that writes every event it sees (memtrack's and
/// the application's) as one flat JSON object per line.
///
/// A line holds, in this order: `timestamp` (RFC 3339, UTC, milliseconds),
/// `level` (`"info"`, `"warn"`, ...), `target`, `event` (only when the event has
/// an `event` field), `message` (`""` when there is none), every other field with
/// its JSON type (booleans, integers, floats with non-finite values as `null`,
/// strings; values recorded with `?` or `%` as strings), then the keys of the
/// `extra` field laid out at the top level.
///
/// `extra` carries metadata whose keys are only known at run time, as the text of a
/// JSON object. Keys already written win: a colliding key of `extra` is written as
/// `extra_<key>` (`extra_extra_<key>` if that is taken too), and `event` is reserved
/// even for events without one. A field named `timestamp`, `level` or `target` is
/// written as `field_<name>`. When `extra` is not the text of a JSON object, it is
/// written as the string field `extra`.
///
/// Each line is formatted into its own buffer and handed to the [`LineSink`] in one
/// call, so lines from different threads never interleave. Write errors are
/// ignored: logging never fails the application.
///
/// Add it to an existing subscriber:
///
/// ```
/// use memtrack_runtime::logging::{JsonLayer, CaptureWriter};
/// use tracing::level_filters::LevelFilter;
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let logs = CaptureWriter::new();
/// let subscriber = tracing_subscriber::registry()
///     .with(JsonLayer::new(logs.clone()).with_level(LevelFilter::WARN));
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!("below the level: not written");
///     tracing::warn!(
///         target: "memtrack",
///         event = "memory_spike_operation",
///         op_name = "article-fetch",
///         rss_delta_mb = 64_i64,
///         extra = r#"{"url_host":"example.com"}"#,
///         "memory_spike_operation: article-fetch"
///     );
/// });
///
/// let lines = logs.lines();
/// assert_eq!(lines.len(), 1);
/// assert_eq!(lines[0]["level"], "warn");
/// assert_eq!(lines[0]["event"], "memory_spike_operation");
/// assert_eq!(lines[0]["rss_delta_mb"], 64);
/// assert_eq!(lines[0]["url_host"], "example.com");
/// ```
#[derive(Clone)]
pub struct JsonLayer {
    sink: Arc<dyn LineSink>,
    level: LevelFilter,
    max_text_bytes: usize,
}

impl JsonLayer {
    /// A layer writing to `sink`, at level `INFO` and above.
    ///
    /// ```
    /// use memtrack_runtime::logging::{JsonLayer, CaptureWriter};
    /// use tracing::level_filters::LevelFilter;
    ///
    /// let layer = JsonLayer::new(CaptureWriter::new());
    /// assert_eq!(layer.level(), LevelFilter::INFO);
    /// ```
    pub fn new(sink: impl LineSink) -> Self {
        JsonLayer {
            sink: Arc::new(sink),
            level: LevelFilter::INFO,
            max_text_bytes: DEFAULT_MAX_TEXT_BYTES,
        }
    }

    /// A layer writing to standard output (see [`StdoutWriter`]).
    ///
    /// ```
    /// use memtrack_runtime::logging::JsonLayer;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let subscriber = tracing_subscriber::registry().with(JsonLayer::stdout());
    /// # let _ = subscriber;
    /// ```
    #[must_use]
    pub fn stdout() -> Self {
        JsonLayer::new(StdoutWriter)
    }

    /// A layer appending to the file at `path`, created if missing (see [`FileWriter`]).
    ///
    /// # Errors
    ///
    /// [`LoggingError::OpenFile`] when the file cannot be opened.
    ///
    /// ```
    /// use memtrack_runtime::logging::JsonLayer;
    ///
    /// let path = std::env::temp_dir().join("memtrack-doc-layer.log");
    /// let layer = JsonLayer::file(&path)?;
    /// # let _ = layer;
    /// # Ok::<(), memtrack_runtime::logging::LoggingError>(())
    /// ```
    pub fn file(path: impl AsRef<Path>) -> Result<Self, LoggingError> {
        FileWriter::open(path).map(JsonLayer::new)
    }

    /// Writes only events at `level` or more severe (`INFO` unless set).
    /// [`LevelFilter::OFF`] writes nothing.
    ///
    /// ```
    /// use memtrack_runtime::logging::{JsonLayer, StdoutWriter};
    /// use tracing::level_filters::LevelFilter;
    ///
    /// let layer = JsonLayer::new(StdoutWriter).with_level(LevelFilter::DEBUG);
    /// assert_eq!(layer.level(), LevelFilter::DEBUG);
    /// ```
    #[must_use]
    pub fn with_level(mut self, level: LevelFilter) -> Self {
        self.level = level;
        self
    }

    /// The most verbose level this layer writes.
    ///
    /// ```
    /// use memtrack_runtime::logging::JsonLayer;
    /// use tracing::level_filters::LevelFilter;
    ///
    /// assert_eq!(JsonLayer::stdout().level(), LevelFilter::INFO);
    /// ```
    #[must_use]
    pub fn level(&self) -> LevelFilter {
        self.level
    }

    /// Keeps at most `max` bytes (cut on a character boundary) of a value recorded
    /// through `Debug` (`?value`), `Display` (`%value`) or as an error, so that a
    /// huge or endless formatting cannot exhaust memory. Values recorded as `&str`
    /// are written whole. Default: [`DEFAULT_MAX_TEXT_BYTES`].
    ///
    /// ```
    /// use memtrack_runtime::logging::{JsonLayer, CaptureWriter};
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let logs = CaptureWriter::new();
    /// let layer = JsonLayer::new(logs.clone()).with_max_text_bytes(4);
    /// tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
    ///     tracing::info!(list = ?vec![1, 2, 3], "m");
    /// });
    /// assert_eq!(logs.lines()[0]["list"], "[1, ");
    /// ```
    #[must_use]
    pub fn with_max_text_bytes(mut self, max: usize) -> Self {
        self.max_text_bytes = max;
        self
    }

    /// Formats one event into a complete line (ending in `\n`).
    fn format(&self, event: &Event<'_>) -> Vec<u8> {
        let metadata = event.metadata();
        let mut record = Record::new(self.max_text_bytes);
        event.record(&mut record);
        let mut line = Vec::with_capacity(256);
        write_line(
            &mut line,
            now_millis(),
            *metadata.level(),
            metadata.target(),
            record,
        );
        line
    }
}

impl fmt::Debug for JsonLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonLayer")
            .field("level", &self.level)
            .field("max_text_bytes", &self.max_text_bytes)
            .finish_non_exhaustive()
    }
}

impl<S: Subscriber> Layer<S> for JsonLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if *event.metadata().level() > self.level {
            return;
        }
        // Formatting happens before the sink's lock is taken, so a `Debug` impl
        // that logs does not deadlock.
        let line = self.format(event);
        let _ = self.sink.write_line(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::CaptureWriter;
    use serde_json::{Value, json};
    use tracing_subscriber::layer::SubscriberExt;

    fn capture(layer_level: LevelFilter, body: impl FnOnce()) -> Vec<Value> {
        let logs = CaptureWriter::new();
        let subscriber = tracing_subscriber::registry()
            .with(JsonLayer::new(logs.clone()).with_level(layer_level));
        tracing::subscriber::with_default(subscriber, body);
        logs.lines()
    }

    fn without_timestamp(mut line: Value) -> Value {
        let ts = line
            .as_object_mut()
            .and_then(|o| o.remove("timestamp"))
            .unwrap();
        let ts = ts.as_str().unwrap();
        assert_eq!(ts.len(), "2026-11-27T08:01:02.345Z".len(), "{ts}");
        assert!(ts.ends_with('Z'));
        line
    }

    #[test]
    fn typed_fields_and_flattened_extra() {
        let lines = capture(LevelFilter::INFO, || {
            tracing::event!(
                target: "memtrack",
                tracing::Level::INFO,
                event = "memory_operation",
                op_id = "article-fetch-3",
                op_name = "article-fetch",
                duration_ms = 1500_u64,
                rss_delta_mb = -2_i64,
                heap_delta_mb = 2.5_f64,
                nan = f64::NAN,
                success = false,
                error = %"timed out",
                kind = ?Some(3),
                extra = r#"{"url_host":"example.com","zeroclick_client_cache":12,"op_name":"shadow"}"#,
                "memory_operation: {}", "article-fetch"
            );
        });
        assert_eq!(lines.len(), 1);
        assert_eq!(
            without_timestamp(lines[0].clone()),
            json!({
                "level": "info",
                "target": "memtrack",
                "event": "memory_operation",
                "message": "memory_operation: article-fetch",
                "op_id": "article-fetch-3",
                "op_name": "article-fetch",
                "duration_ms": 1500,
                "rss_delta_mb": -2,
                "heap_delta_mb": 2.5,
                "nan": null,
                "success": false,
                "error": "timed out",
                "kind": "Some(3)",
                "url_host": "example.com",
                "zeroclick_client_cache": 12,
                "extra_op_name": "shadow"
            })
        );
    }

    #[test]
    fn extra_recorded_with_display_is_flattened_and_debug_is_not() {
        let json_text = String::from(r#"{"cache":1}"#);
        let lines = capture(LevelFilter::INFO, || {
            tracing::info!(extra = %json_text, "display");
            tracing::info!(extra = ?json_text, "debug");
            tracing::info!(extra = "user text", "plain");
            tracing::info!(extra = 5_i64, "number");
        });
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0]["cache"], json!(1));
        assert_eq!(lines[0].get("extra"), None);
        assert_eq!(lines[1]["extra"], json!(r#""{\"cache\":1}""#));
        assert_eq!(lines[2]["extra"], json!("user text"));
        assert_eq!(lines[3]["extra"], json!(5));
    }

    #[test]
    fn application_events_without_event_field() {
        let lines = capture(LevelFilter::INFO, || {
            tracing::error!(code = 7_u64, "boom");
        });
        let line = without_timestamp(lines[0].clone());
        assert_eq!(line["level"], json!("error"));
        assert_eq!(line["message"], json!("boom"));
        assert_eq!(line["code"], json!(7));
        assert_eq!(line.get("event"), None);
        assert_eq!(
            line["target"],
            json!(module_path!()),
            "target defaults to the module path"
        );
    }

    #[test]
    fn level_filter_applies() {
        let lines = capture(LevelFilter::WARN, || {
            tracing::trace!("t");
            tracing::debug!("d");
            tracing::info!("i");
            tracing::warn!("w");
            tracing::error!("e");
        });
        let levels: Vec<_> = lines.iter().map(|l| l["level"].clone()).collect();
        assert_eq!(levels, [json!("warn"), json!("error")]);

        let lines = capture(LevelFilter::TRACE, || {
            tracing::trace!("t");
            tracing::debug!("d");
        });
        assert_eq!(lines.len(), 2);

        let lines = capture(LevelFilter::OFF, || tracing::error!("e"));
        assert!(lines.is_empty());
    }

    #[test]
    fn failing_debug_and_display_do_not_panic() {
        struct Failing;
        impl fmt::Debug for Failing {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("part")?;
                Err(fmt::Error)
            }
        }
        impl fmt::Display for Failing {
            fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
                Err(fmt::Error)
            }
        }
        let lines = capture(LevelFilter::INFO, || {
            tracing::info!(a = ?Failing, b = %Failing, "m");
        });
        assert_eq!(lines[0]["a"], json!("part"));
        assert_eq!(lines[0]["b"], json!(""));
    }

    #[test]
    fn errors_are_recorded_with_display() {
        let err = std::io::Error::other("disk full");
        let lines = capture(LevelFilter::INFO, || {
            tracing::info!(error = &err as &(dyn std::error::Error + 'static), "m");
        });
        assert_eq!(lines[0]["error"], json!("disk full"));
    }

    #[test]
    fn a_debug_impl_that_logs_does_not_deadlock() {
        struct Chatty;
        impl fmt::Debug for Chatty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                tracing::info!("inner");
                f.write_str("chatty")
            }
        }
        let lines = capture(LevelFilter::INFO, || tracing::info!(v = ?Chatty, "outer"));
        // tracing does not dispatch an event from inside the dispatch of another on
        // the same thread; either way both lines would be whole and nothing hangs.
        assert!(lines.iter().any(|l| l["message"] == json!("outer")));
        assert!(lines.iter().all(Value::is_object));
    }

    #[test]
    fn debug_output_names_settings() {
        let text = format!("{:?}", JsonLayer::new(CaptureWriter::new()));
        assert_eq!(
            text,
            "JsonLayer { level: LevelFilter::INFO, max_text_bytes: 1048576, .. }"
        );
    }
}
