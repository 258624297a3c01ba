//! Lines the report could not use, counted by kind with the first line number of
//! each, so that every kind of problem becomes one clear line of output.

use std::collections::BTreeMap;

use serde::Serialize;

/// Distinct unknown event names (or wrong-type pairs) remembered; the rest are
/// counted under [`OTHER`].
const MAX_NAMES: usize = 64;
/// The name standing for every name past the 64 remembered.
pub const OTHER: &str = "(others)";

/// How many lines had one kind of problem, and the first of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Count {
    /// Lines with the problem.
    pub lines: u64,
    /// The first such line (1-based).
    pub first_line: u64,
}

impl Count {
    fn add(&mut self, line: u64) {
        if self.lines == 0 {
            self.first_line = line;
        }
        self.lines += 1;
    }

    /// Whether any line had the problem.
    #[must_use]
    pub fn any(&self) -> bool {
        self.lines > 0
    }
}

/// The problems of one log.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Problems {
    /// Lines holding only whitespace.
    pub blank: Count,
    /// Lines that are not JSON objects (plain text, other formats).
    pub not_json: Count,
    /// Lines that start like JSON but are not valid JSON.
    pub broken_json: Count,
    /// The last line when it ends without a newline and is not valid JSON.
    pub truncated_last_line: Option<u64>,
    /// Lines longer than the longest line kept.
    pub too_long: Count,
    /// JSON lines without an `event` field (other `tracing` output).
    pub not_memtrack: Count,
    /// memtrack lines without a `timestamp`.
    pub no_timestamp: Count,
    /// memtrack lines whose `timestamp` is not an RFC 3339 date-time.
    pub bad_timestamp: Count,
    /// Lines with at least one field of the wrong type (the field was ignored).
    pub wrong_type: Count,
    /// Lines with bytes that are not UTF-8, read with U+FFFD in their place.
    pub not_utf8: Count,
    /// `(field, what was found)` → lines.
    pub wrong_type_fields: BTreeMap<String, u64>,
    /// Lines whose `event` memtrack does not write.
    pub unknown_event: Count,
    /// Unknown event name → lines.
    pub unknown_event_names: BTreeMap<String, u64>,
    /// A read error ended the log early: after which line, and the error.
    pub read_error: Option<(u64, String)>,
}

fn count_name(map: &mut BTreeMap<String, u64>, name: &str) {
    if let Some(n) = map.get_mut(name) {
        *n += 1;
    } else if map.len() < MAX_NAMES {
        map.insert(name.to_owned(), 1);
    } else {
        *map.entry(OTHER.to_owned()).or_insert(0) += 1;
    }
}

impl Problems {
    pub(crate) fn blank(&mut self, line: u64) {
        self.blank.add(line);
    }
    pub(crate) fn not_json(&mut self, line: u64) {
        self.not_json.add(line);
    }
    pub(crate) fn broken_json(&mut self, line: u64) {
        self.broken_json.add(line);
    }
    pub(crate) fn truncated_last_line(&mut self, line: u64) {
        self.truncated_last_line = Some(line);
    }
    pub(crate) fn too_long(&mut self, line: u64) {
        self.too_long.add(line);
    }
    pub(crate) fn not_memtrack(&mut self, line: u64) {
        self.not_memtrack.add(line);
    }
    pub(crate) fn no_timestamp(&mut self, line: u64) {
        self.no_timestamp.add(line);
    }
    pub(crate) fn bad_timestamp(&mut self, line: u64) {
        self.bad_timestamp.add(line);
    }
    pub(crate) fn wrong_types(&mut self, line: u64, fields: &[(&'static str, &'static str)]) {
        if fields.is_empty() {
            return;
        }
        self.wrong_type.add(line);
        for (field, found) in fields {
            count_name(&mut self.wrong_type_fields, &format!("{field} as {found}"));
        }
    }
    pub(crate) fn not_utf8(&mut self, line: u64) {
        self.not_utf8.add(line);
    }
    pub(crate) fn unknown_event(&mut self, line: u64, name: &str) {
        self.unknown_event.add(line);
        count_name(
            &mut self.unknown_event_names,
            &super::names::bounded(name, super::names::MAX_EVENT_CHARS),
        );
    }
    pub(crate) fn read_error(&mut self, after_line: u64, error: String) {
        self.read_error = Some((after_line, error));
    }

    /// Lines skipped whole: every kind but fields of the wrong type (the rest of
    /// such a line is used).
    ///
    /// ```
    /// use memtrack_cli::model::problems::Problems;
    ///
    /// assert_eq!(Problems::default().skipped_lines(), 0);
    /// ```
    #[must_use]
    pub fn skipped_lines(&self) -> u64 {
        self.blank.lines
            + self.not_json.lines
            + self.broken_json.lines
            + u64::from(self.truncated_last_line.is_some())
            + self.too_long.lines
            + self.not_memtrack.lines
            + self.no_timestamp.lines
            + self.bad_timestamp.lines
            + self.unknown_event.lines
    }
}
