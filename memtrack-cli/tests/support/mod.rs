//! Helpers shared by the tests: planted log lines and reports built from text.

#![allow(dead_code)]

use memtrack_cli::input::LineReader;
use memtrack_cli::model::{Builder, Options, Report};

/// `2026-11-27T08:MM:SS.000Z` for `seconds` after 08:00.
pub fn at(seconds: u64) -> String {
    format!(
        "2026-11-27T{:02}:{:02}:{:02}.000Z",
        8 + seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// A memtrack line: the fixed keys, then `fields` (JSON text without braces).
pub fn event(seconds: u64, event: &str, fields: &str) -> String {
    let sep = if fields.is_empty() { "" } else { "," };
    format!(
        "{{\"timestamp\":\"{}\",\"level\":\"info\",\"target\":\"memtrack\",\"event\":\"{event}\",\"message\":\"{event}\"{sep}{fields}}}\n",
        at(seconds)
    )
}

/// The report of `text` (a whole log).
pub fn report_of(text: &str, options: Options) -> Report {
    let mut builder = Builder::new("test.log", options);
    let mut lines = LineReader::new(text.as_bytes());
    while let Some(line) = lines.next_line().expect("read from memory") {
        builder.feed(&line);
    }
    builder.finish()
}

/// The culprits' names, best first.
pub fn ranking(report: &Report) -> Vec<&str> {
    report
        .culprits
        .iter()
        .map(|c| c.operation.as_str())
        .collect()
}
