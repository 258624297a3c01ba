//! Flat JSON logs, one object per line, that `grep` and `jq` read directly.
//!
//! Every memtrack event is a `tracing` event with target `memtrack`, so it reaches
//! whatever subscriber the application has. This module adds the crate's own JSON
//! formatter, [`JsonLayer`]: one JSON object per line, with metadata whose keys are
//! only known at run time (carried in the `extra` field as JSON object text) laid out
//! at the top level, so that
//!
//! ```text
//! grep "memory_operation" logs.json | jq 'select(.success == false)'
//! grep "fetch_response" logs.json | jq 'select(.content_length_bytes > 1000000)'
//! grep "cache_stats_snapshot" logs.json | jq '{time: .timestamp, zc_clients: .zeroclick_client_cache}'
//! grep '"op_name":"article-fetch-smry-fast"' logs.json | jq .
//! ```
//!
//! find what they look for. A line looks like:
//!
//! ```text
//! {"timestamp":"2026-11-27T08:01:02.345Z","level":"info","target":"memtrack","event":"memory_operation","message":"memory_operation: article-fetch","op_id":"article-fetch-1","duration_ms":1200,"success":false,"url_host":"example.com"}
//! ```
//!
//! See [`JsonLayer`] for the key order and the rule for colliding keys.
//!
//! Setup, one call: [`init_json`] (standard output), [`init_json_file`],
//! [`init_from_env`] (`MEMTRACK_LOG_FILE`, `MEMTRACK_LOG_LEVEL`), or [`install`] for a
//! configured layer. Applications with their own subscriber add a [`JsonLayer`] to it.
//! Tests read lines back with [`CaptureWriter`] (thread-local subscriber) or
//! [`capture_global`] (global subscriber, for multi-threaded tests).
//!
//! ```
//! use memtrack_runtime::logging::{JsonLayer, CaptureWriter};
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let logs = CaptureWriter::new();
//! let subscriber = tracing_subscriber::registry().with(JsonLayer::new(logs.clone()));
//! tracing::subscriber::with_default(subscriber, || {
//!     tracing::info!(
//!         target: "memtrack",
//!         event = "fetch_response",
//!         content_length_bytes = 2_000_000_u64,
//!         extra = r#"{"url_host":"example.com"}"#,
//!         "fetch_response: example.com"
//!     );
//! });
//! let line = &logs.lines()[0];
//! assert_eq!(line["content_length_bytes"], 2_000_000);
//! assert_eq!(line["url_host"], "example.com");
//! ```

mod capture;
mod env;
mod error;
mod file_writer;
mod flatten;
mod init;
mod layer;
mod line;
mod record;
pub(crate) mod timestamp;
mod writer;

pub use capture::CaptureWriter;
pub use env::{LOG_FILE_ENV, LOG_LEVEL_ENV};
pub use error::LoggingError;
pub use file_writer::FileWriter;
pub use init::{
    capture_global, init_from_env, init_json, init_json_file, install, try_capture_global,
};
pub use layer::{DEFAULT_MAX_TEXT_BYTES, JsonLayer};
pub use writer::{LineSink, StdoutWriter};
