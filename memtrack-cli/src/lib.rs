//! `memtrack report`: reads a memtrack JSON log and tells what happened to memory and
//! which operation did it.
//!
//! The log is streamed line by line ([`input`]), each line read into borrowed fields
//! ([`parse`]), folded into a [`model::Report`] whose memory is bounded by the
//! number of operation and cache names ([`model`]), then written as a terminal
//! summary, a JSON document, an SVG picture or an HTML page ([`render`]). [`run`]
//! ties them together for the `memtrack` binary; [`cli`] reads its arguments.
//!
//! ```
//! use memtrack_cli::input::LineReader;
//! use memtrack_cli::model::{Builder, Options};
//! use memtrack_cli::render::{style::Style, terminal};
//!
//! let log = concat!(
//!     r#"{"timestamp":"2026-11-27T08:00:00.000Z","event":"memory_operation","op_name":"fetch","alloc_bytes":4194304,"net_bytes":4194304}"#, "\n",
//!     r#"{"timestamp":"2026-11-27T08:00:30.000Z","event":"memory_snapshot","rss_mb":120.5,"heap_used_mb":80.25}"#, "\n",
//! );
//! let mut builder = Builder::new("app.log", Options::default());
//! let mut lines = LineReader::new(log.as_bytes());
//! while let Some(line) = lines.next_line().unwrap() {
//!     builder.feed(&line);
//! }
//! let report = builder.finish();
//! assert_eq!(report.culprits[0].operation, "fetch");
//! assert_eq!(report.memory.rss_mb.unwrap().end, 120.5);
//! let text = terminal::render(&report, Style::plain());
//! assert!(text.starts_with("memtrack report: app.log\n"));
//! ```

#![warn(missing_docs)]

pub mod cli;
pub mod input;
pub mod model;
pub mod parse;
pub mod render;
pub mod run;
