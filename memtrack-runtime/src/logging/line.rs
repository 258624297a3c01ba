//! Building one flat JSON line from a recorded event.
//!
//! Key order: `timestamp`, `level`, `target`, `event` (when present), `message`, the
//! event's fields in recording order, then the keys of `extra`. A key is never written
//! twice:
//!
//! - a recorded field named `timestamp`, `level` or `target` is written as
//!   `field_<name>`;
//! - a key of `extra` that is already taken (by the fixed keys, `event` included even
//!   when the event has none, by a field, or by an earlier `extra` key) is written as `extra_<key>` (and `extra_extra_<key>` if
//!   that is taken too, and so on);
//! - `extra` text that is not a JSON object is written as the string field `extra`
//!   after the other fields.

use std::collections::HashSet;

use serde::Serialize;
use tracing::Level;

use super::flatten::parse_object;
use super::record::{EVENT_FIELD, EXTRA_FIELD, FieldValue, MESSAGE_FIELD, Record};
use super::timestamp::write_rfc3339_millis;

/// Prefix of a recorded field whose name is one of the fixed keys.
const FIELD_PREFIX: &str = "field_";
/// Prefix of an `extra` key that is already taken.
const EXTRA_PREFIX: &str = "extra_";

/// The lowercase name of `level` as written in the `level` key.
pub(crate) fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Appends the JSON line (with its final `\n`) for one event to `out`.
pub(crate) fn write_line(
    out: &mut Vec<u8>,
    millis: i64,
    level: Level,
    target: &str,
    record: Record,
) {
    let mut line = LineWriter::new(out);
    line.open();

    line.key("timestamp");
    line.raw(b"\"");
    write_rfc3339_millis(line.out, millis);
    line.raw(b"\"");
    line.string_entry("level", level_name(level));
    line.string_entry("target", target);
    match &record.event {
        Some(event) => line.entry(EVENT_FIELD, event),
        // `event` is reserved even when absent, so that `extra` cannot fake it.
        None => line.reserve(EVENT_FIELD),
    }
    match &record.message {
        Some(message) => line.entry(MESSAGE_FIELD, message),
        None => line.string_entry(MESSAGE_FIELD, ""),
    }

    for (name, value) in &record.fields {
        if line.is_taken(name) {
            let renamed = line.free_key(FIELD_PREFIX, name);
            line.entry(&renamed, value);
        } else {
            line.entry(name, value);
        }
    }

    if let Some(text) = record.extra {
        if let Some(entries) = parse_object(&text) {
            for (key, value) in &entries {
                if line.is_taken(key) {
                    let renamed = line.free_key(EXTRA_PREFIX, key);
                    line.json_entry(&renamed, value);
                } else {
                    line.json_entry(key, value);
                }
            }
        } else {
            let key = if line.is_taken(EXTRA_FIELD) {
                line.free_key(EXTRA_PREFIX, EXTRA_FIELD)
            } else {
                EXTRA_FIELD.to_owned()
            };
            line.string_entry(&key, &text);
        }
    }

    line.close();
}

/// Writes the object's punctuation and remembers the keys already written.
struct LineWriter<'a> {
    out: &'a mut Vec<u8>,
    taken: HashSet<String>,
    first: bool,
}

impl<'a> LineWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        LineWriter {
            out,
            taken: HashSet::new(),
            first: true,
        }
    }

    fn open(&mut self) {
        self.out.push(b'{');
    }

    fn close(&mut self) {
        self.out.extend_from_slice(b"}\n");
    }

    fn raw(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
    }

    fn reserve(&mut self, key: &str) {
        self.taken.insert(key.to_owned());
    }

    fn is_taken(&self, key: &str) -> bool {
        self.taken.contains(key)
    }

    /// `prefix + key`, with the prefix repeated until the result is not taken.
    fn free_key(&self, prefix: &str, key: &str) -> String {
        let mut candidate = format!("{prefix}{key}");
        // Every round makes the candidate longer than the previous one, and only
        // finitely many keys are taken, so this ends.
        while self.is_taken(&candidate) {
            candidate.insert_str(0, prefix);
        }
        candidate
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        serialize_into(self.out, key);
        self.out.push(b':');
        self.taken.insert(key.to_owned());
    }

    fn string_entry(&mut self, key: &str, value: &str) {
        self.key(key);
        serialize_into(self.out, value);
    }

    fn json_entry(&mut self, key: &str, value: &serde_json::Value) {
        self.key(key);
        serialize_into(self.out, value);
    }

    fn entry(&mut self, key: &str, value: &FieldValue) {
        self.key(key);
        match value {
            FieldValue::Bool(v) => serialize_into(self.out, v),
            FieldValue::I64(v) => serialize_into(self.out, v),
            FieldValue::U64(v) => serialize_into(self.out, v),
            FieldValue::I128(v) => serialize_into(self.out, v),
            FieldValue::U128(v) => serialize_into(self.out, v),
            FieldValue::F64(v) if v.is_finite() => serialize_into(self.out, v),
            FieldValue::F64(_) => self.out.extend_from_slice(b"null"),
            FieldValue::Str(v) => serialize_into(self.out, v.as_str()),
        }
    }
}

/// Writes `value` as compact JSON. Strings, numbers, booleans and `serde_json::Value`s
/// cannot fail to serialize into a `Vec`; should one ever fail, `null` keeps the
/// line valid.
fn serialize_into<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn record(fields: Vec<(&'static str, FieldValue)>) -> Record {
        let mut record = Record::new(1 << 20);
        record.fields = fields;
        record
    }

    fn render(level: Level, record: Record) -> String {
        let mut out = Vec::new();
        write_line(&mut out, 1_795_766_462_345, level, "memtrack", record);
        String::from_utf8(out).unwrap()
    }

    fn keys(line: &str) -> Vec<String> {
        // Parse with key order preserved by reading the object as entries.
        let entries = parse_object(line.trim_end()).unwrap();
        entries.into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn minimal_line_is_exact() {
        let line = render(Level::INFO, record(Vec::new()));
        assert_eq!(
            line,
            "{\"timestamp\":\"2026-11-27T08:01:02.345Z\",\"level\":\"info\",\"target\":\"memtrack\",\"message\":\"\"}\n"
        );
    }

    #[test]
    fn header_then_fields_then_extra() {
        let mut rec = record(vec![
            ("op_id", FieldValue::Str("article-fetch-1".into())),
            ("duration_ms", FieldValue::U64(1200)),
            ("rss_delta_mb", FieldValue::I64(-3)),
            ("success", FieldValue::Bool(false)),
            ("ratio", FieldValue::F64(0.25)),
        ]);
        rec.event = Some(FieldValue::Str("memory_operation".into()));
        rec.message = Some(FieldValue::Str("memory_operation: article-fetch".into()));
        rec.extra = Some(r#"{"url_host":"example.com","zeroclick_client_cache":12}"#.into());
        let line = render(Level::WARN, rec);
        assert_eq!(
            keys(&line),
            [
                "timestamp",
                "level",
                "target",
                "event",
                "message",
                "op_id",
                "duration_ms",
                "rss_delta_mb",
                "success",
                "ratio",
                "url_host",
                "zeroclick_client_cache"
            ]
        );
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            value,
            json!({
                "timestamp": "2026-11-27T08:01:02.345Z",
                "level": "warn",
                "target": "memtrack",
                "event": "memory_operation",
                "message": "memory_operation: article-fetch",
                "op_id": "article-fetch-1",
                "duration_ms": 1200,
                "rss_delta_mb": -3,
                "success": false,
                "ratio": 0.25,
                "url_host": "example.com",
                "zeroclick_client_cache": 12
            })
        );
        // The README's grep patterns rely on compact output.
        assert!(line.contains("\"op_id\":\"article-fetch-1\""));
    }

    #[test]
    fn level_names_are_lowercase() {
        assert_eq!(level_name(Level::TRACE), "trace");
        assert_eq!(level_name(Level::DEBUG), "debug");
        assert_eq!(level_name(Level::INFO), "info");
        assert_eq!(level_name(Level::WARN), "warn");
        assert_eq!(level_name(Level::ERROR), "error");
    }

    #[test]
    fn non_finite_floats_are_null_and_big_integers_exact() {
        let rec = record(vec![
            ("nan", FieldValue::F64(f64::NAN)),
            ("inf", FieldValue::F64(f64::INFINITY)),
            ("neg_inf", FieldValue::F64(f64::NEG_INFINITY)),
            ("max_u64", FieldValue::U64(u64::MAX)),
            ("min_i64", FieldValue::I64(i64::MIN)),
            ("big", FieldValue::U128(u128::from(u64::MAX) + 1)),
            ("neg_big", FieldValue::I128(-(i128::from(u64::MAX)) - 1)),
        ]);
        let line = render(Level::INFO, rec);
        assert!(line.contains(
            "\"nan\":null,\"inf\":null,\"neg_inf\":null,\"max_u64\":18446744073709551615,\"min_i64\":-9223372036854775808,\"big\":18446744073709551616,\"neg_big\":-18446744073709551616}"
        ));
    }

    #[test]
    fn control_characters_and_quotes_are_escaped() {
        let weird = "a\"b\\c\nd\re\tf\u{0}g\u{1f}h\u{7f}é😀";
        let mut rec = record(vec![("we\"ird\nname", FieldValue::Str(weird.into()))]);
        rec.message = Some(FieldValue::Str("line1\nline2".into()));
        let line = render(Level::INFO, rec);
        assert_eq!(line.matches('\n').count(), 1, "only the final newline");
        assert!(line.ends_with('\n'));
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["we\"ird\nname"], json!(weird));
        assert_eq!(value["message"], json!("line1\nline2"));
    }

    #[test]
    fn extra_keys_colliding_with_fixed_keys_and_fields_get_a_prefix() {
        let mut rec = record(vec![("op_id", FieldValue::Str("real".into()))]);
        rec.event = Some(FieldValue::Str("memory_operation".into()));
        rec.extra = Some(
            r#"{"op_id":"fake","timestamp":"t","level":"l","target":"x","event":"e","message":"m","own":1,"own":2}"#
                .into(),
        );
        let line = render(Level::INFO, rec);
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            value,
            json!({
                "timestamp": "2026-11-27T08:01:02.345Z",
                "level": "info",
                "target": "memtrack",
                "event": "memory_operation",
                "message": "",
                "op_id": "real",
                "extra_op_id": "fake",
                "extra_timestamp": "t",
                "extra_level": "l",
                "extra_target": "x",
                "extra_event": "e",
                "extra_message": "m",
                "own": 1,
                "extra_own": 2
            })
        );
    }

    #[test]
    fn prefixed_names_that_are_taken_get_the_prefix_again() {
        let mut rec = record(vec![
            ("op_id", FieldValue::I64(1)),
            ("extra_op_id", FieldValue::I64(2)),
        ]);
        rec.extra = Some(r#"{"op_id":3,"extra_op_id":4}"#.into());
        let line = render(Level::INFO, rec);
        assert_eq!(
            keys(&line)[3..],
            [
                "message",
                "op_id",
                "extra_op_id",
                "extra_extra_op_id",
                "extra_extra_extra_op_id"
            ]
        );
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["op_id"], json!(1));
        assert_eq!(value["extra_op_id"], json!(2));
        assert_eq!(value["extra_extra_op_id"], json!(3));
        assert_eq!(value["extra_extra_extra_op_id"], json!(4));
    }

    #[test]
    fn fields_named_like_fixed_keys_get_field_prefix() {
        let rec = record(vec![
            ("timestamp", FieldValue::I64(5)),
            ("level", FieldValue::Str("mine".into())),
            ("target", FieldValue::Bool(true)),
        ]);
        let value: Value = serde_json::from_str(&render(Level::ERROR, rec)).unwrap();
        assert_eq!(value["timestamp"], json!("2026-11-27T08:01:02.345Z"));
        assert_eq!(value["level"], json!("error"));
        assert_eq!(value["target"], json!("memtrack"));
        assert_eq!(value["field_timestamp"], json!(5));
        assert_eq!(value["field_level"], json!("mine"));
        assert_eq!(value["field_target"], json!(true));
    }

    #[test]
    fn extra_cannot_fake_a_missing_event() {
        let mut rec = record(Vec::new());
        rec.extra = Some(r#"{"event":"memory_operation"}"#.into());
        let value: Value = serde_json::from_str(&render(Level::INFO, rec)).unwrap();
        assert_eq!(value.get("event"), None);
        assert_eq!(value["extra_event"], json!("memory_operation"));
    }

    #[test]
    fn extra_that_is_not_an_object_is_a_plain_string() {
        for text in ["not json", "[1,2,3]", "17", "{\"broken\":", ""] {
            let mut rec = record(vec![("a", FieldValue::I64(1))]);
            rec.extra = Some(text.into());
            let line = render(Level::INFO, rec);
            let value: Value = serde_json::from_str(&line).unwrap();
            assert_eq!(value["extra"], json!(text), "{text:?}");
            assert_eq!(keys(&line).last().map(String::as_str), Some("extra"));
        }
    }

    #[test]
    fn nested_extra_values_stay_nested() {
        let mut rec = record(Vec::new());
        rec.extra = Some(r#"{"caches":{"a":1,"b":[1,2]},"note":"x\ny"}"#.into());
        let value: Value = serde_json::from_str(&render(Level::INFO, rec)).unwrap();
        assert_eq!(value["caches"], json!({"a": 1, "b": [1, 2]}));
        assert_eq!(value["note"], json!("x\ny"));
    }

    #[test]
    fn non_string_event_and_message_keep_their_type() {
        let mut rec = record(Vec::new());
        rec.event = Some(FieldValue::I64(7));
        rec.message = Some(FieldValue::Bool(true));
        let value: Value = serde_json::from_str(&render(Level::INFO, rec)).unwrap();
        assert_eq!(value["event"], json!(7));
        assert_eq!(value["message"], json!(true));
    }

    #[test]
    fn huge_values_stay_one_valid_line() {
        let huge = "x\n".repeat(500_000);
        let mut rec = record(vec![("huge", FieldValue::Str(huge.clone()))]);
        rec.extra = Some(format!(
            "{{\"big\":{}}}",
            serde_json::to_string(&huge).unwrap()
        ));
        let line = render(Level::INFO, rec);
        assert_eq!(line.matches('\n').count(), 1);
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["huge"].as_str().map(str::len), Some(1_000_000));
        assert_eq!(value["big"].as_str().map(str::len), Some(1_000_000));
    }
}
