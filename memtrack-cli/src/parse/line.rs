//! One log line read into the fields the report uses, borrowing its strings from the
//! line. Unknown fields are skipped (their numbers kept, since cache sizes are
//! fields named after the caches); a known field of the wrong type is noted and
//! treated as absent.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::value::{AnyNumber, Bool, MAX_ARRAY, Number, Numbers, Read, Str, Text};

/// Declares a struct of optional fields of one kind, with a lookup by JSON key.
macro_rules! fields {
    ($(#[$doc:meta])* $name:ident, $ty:ty, $id:ident { $($field:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Default, Clone, PartialEq)]
        #[allow(missing_docs)]
        pub struct $name<'de> {
            $(pub $field: Option<$ty>,)*
            #[doc(hidden)]
            pub _borrow: std::marker::PhantomData<&'de ()>,
        }

        /// The key of one field of that struct.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types, missing_docs)]
        pub enum $id { $($field,)* }

        impl $id {
            /// Every key.
            #[allow(dead_code)]
            const ALL: &'static [$id] = &[$($id::$field,)*];


            /// The JSON key.
            #[must_use]
            pub fn name(self) -> &'static str {
                match self {
                    $($id::$field => stringify!($field),)*
                }
            }
        }

        impl<'de> $name<'de> {
            fn set(&mut self, id: $id, value: $ty) {
                match id {
                    $($id::$field => self.$field = Some(value),)*
                }
            }
        }
    };
}

/// The numeric fields of every memtrack event.
pub type NumberFields<'de> = Numbers_<'de>;

/// What a key of a log line is.
enum Key {
    Number(NumberKey),
    Text(TextKey),
    Flag(FlagKey),
    Timestamp,
    Event,
    Target,
    TopOperations,
    GrowthPerInterval,
    CacheMax,
    Other,
}

/// Declares the structs of numeric, string and boolean fields and the one lookup
/// from a JSON key to [`Key`], from one list of each.
macro_rules! event_fields {
    (number { $($n:ident),* $(,)? } text { $($t:ident),* $(,)? } flag { $($f:ident),* $(,)? }) => {
        fields!(
            /// The numeric fields of every memtrack event.
            Numbers_, f64, NumberKey { $($n),* }
        );

        fields!(
            /// The string fields the report uses.
            Texts, Text<'de>, TextKey { $($t),* }
        );

        fields!(
            /// The boolean fields the report uses.
            Flags, bool, FlagKey { $($f),* }
        );

        fn key_of(key: &str) -> Key {
            match key {
                $(stringify!($n) => Key::Number(NumberKey::$n),)*
                $(stringify!($t) => Key::Text(TextKey::$t),)*
                $(stringify!($f) => Key::Flag(FlagKey::$f),)*
                "timestamp" => Key::Timestamp,
                "event" => Key::Event,
                "target" => Key::Target,
                "top_operations" => Key::TopOperations,
                "growth_mb_per_interval" => Key::GrowthPerInterval,
                "cache_max" => Key::CacheMax,
                _ => Key::Other,
            }
        }
    };
}

event_fields! {
    number {
        duration_ms, rss_start_mb, rss_end_mb, rss_delta_mb, heap_start_mb, heap_end_mb,
        heap_delta_mb, alloc_bytes, freed_bytes, net_bytes, peak_bytes, allocs,
        retained_bytes, elapsed_ms, rss_mb, heap_used_mb, heap_total_mb,
        heap_used_delta_mb, uptime_minutes, active_operations, initial_heap_mb,
        initial_rss_mb, critical_rss_threshold_mb, critical_spike_threshold_mb,
        threshold_mb, delta_mb, current_heap_mb, content_length_bytes, status,
        estimated_bytes, reclaim_duration_ms, rss_before_mb, rss_after_mb, freed_mb,
        size, max_size, intervals, retained_mb, total_growth_mb, threshold_bytes,
        cache_count,
    }
    text {
        op_name, ended_by, error, url_host, source, checkpoint, context, operation,
        reason, cache, top_operations_basis, top_operation, action,
    }
    flag { success, effective, large, slow }
}

/// One entry of `top_operations`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TopOperation<'de> {
    /// `operation`: the name.
    pub operation: Option<Text<'de>>,
    /// `retained_mb`: live MB owned by the name now (counting allocator).
    pub retained_mb: Option<f64>,
    /// `retained_growth_mb`: growth of that over the interval.
    pub retained_growth_mb: Option<f64>,
    /// `alloc_mb`: allocated over the interval.
    pub alloc_mb: Option<f64>,
    /// `net_mb`: allocated minus freed over the interval.
    pub net_mb: Option<f64>,
    /// `rss_growth_mb`: RSS growth charged over the interval (without the allocator).
    pub rss_growth_mb: Option<f64>,
    /// `count`: operations of the name that ended in the interval.
    pub count: Option<f64>,
    /// `active`: operations of the name running at its end.
    pub active: Option<f64>,
}

/// A log line's fields, borrowed from the line where possible.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LogLine<'de> {
    /// `timestamp`, as written.
    pub timestamp: Option<Text<'de>>,
    /// `event`: memtrack's event name.
    pub event: Option<Text<'de>>,
    /// `target`.
    pub target: Option<Text<'de>>,
    /// The numeric fields.
    pub number: NumberFields<'de>,
    /// The string fields.
    pub text: Texts<'de>,
    /// The boolean fields.
    pub flag: Flags<'de>,
    /// `growth_mb_per_interval` (leak suspects).
    pub growth_mb_per_interval: Option<Vec<f64>>,
    /// `top_operations` (snapshots and alerts).
    pub top_operations: Option<Vec<TopOperation<'de>>>,
    /// `cache_max`: each bounded cache's maximum.
    pub cache_max: Vec<(Text<'de>, f64)>,
    /// Fields not listed above whose values are numbers (cache sizes among them).
    pub other_numbers: Vec<(Text<'de>, f64)>,
    /// Known fields that held another type: `(field, what was found)`.
    pub wrong: Vec<(&'static str, &'static str)>,
}

/// Why a line is not a [`LogLine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    /// Only whitespace.
    Blank,
    /// Does not start with `{`: plain text or another format.
    NotJsonObject,
    /// Starts with `{` but is not valid JSON (cut short, corrupt, invalid UTF-8).
    BrokenJson,
}

/// Reads one line (without its newline).
///
/// # Errors
///
/// [`LineError`] when the line is blank, is not a JSON object, or is broken JSON.
///
/// ```
/// use memtrack_cli::parse::line::{parse_line, LineError};
///
/// let line = parse_line(br#"{"timestamp":"2026-11-27T08:01:02.345Z","event":"memory_operation","op_name":"fetch","duration_ms":1200,"success":false}"#).unwrap();
/// assert_eq!(line.event.as_deref(), Some("memory_operation"));
/// assert_eq!(line.number.duration_ms, Some(1200.0));
/// assert_eq!(line.flag.success, Some(false));
/// assert_eq!(parse_line(b"starting up"), Err(LineError::NotJsonObject));
/// assert_eq!(parse_line(b"{\"event\":\"memory_op"), Err(LineError::BrokenJson));
/// ```
pub fn parse_line(bytes: &[u8]) -> Result<LogLine<'_>, LineError> {
    let Some(first) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Err(LineError::Blank);
    };
    if bytes[first] != b'{' {
        return Err(LineError::NotJsonObject);
    }
    // Validating the whole line once is faster than validating string by string.
    let text = std::str::from_utf8(bytes).map_err(|_| LineError::BrokenJson)?;
    let mut de = serde_json::Deserializer::from_str(text);
    let mut line = LogLine::default();
    LineSeed(&mut line)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|_| LineError::BrokenJson)?;
    Ok(line)
}

struct LineSeed<'a, 'de>(&'a mut LogLine<'de>);

impl<'de> DeserializeSeed<'de> for LineSeed<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let line = self.0;
        while let Some(key) = map.next_key_seed(Str)? {
            let Read::Value(key) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            match key_of(&key) {
                Key::Number(id) => match map.next_value_seed(Number)? {
                    Read::Value(v) => line.number.set(id, v),
                    Read::Null => {}
                    Read::Wrong(found) => line.wrong.push((id.name(), found)),
                },
                Key::Text(id) => match map.next_value_seed(Str)? {
                    Read::Value(v) => line.text.set(id, v),
                    Read::Null => {}
                    Read::Wrong(found) => line.wrong.push((id.name(), found)),
                },
                Key::Flag(id) => match map.next_value_seed(Bool)? {
                    Read::Value(v) => line.flag.set(id, v),
                    Read::Null => {}
                    Read::Wrong(found) => line.wrong.push((id.name(), found)),
                },
                Key::Timestamp => match map.next_value_seed(Str)? {
                    Read::Value(v) => line.timestamp = Some(v),
                    Read::Null => {}
                    Read::Wrong(found) => line.wrong.push(("timestamp", found)),
                },
                Key::Event => match map.next_value_seed(Str)? {
                    Read::Value(v) => line.event = Some(v),
                    Read::Null => {}
                    Read::Wrong(found) => line.wrong.push(("event", found)),
                },
                Key::Target => line.target = map.next_value_seed(Str)?.ok(),
                Key::TopOperations => match map.next_value_seed(TopOperations)? {
                    Read::Value(v) => line.top_operations = Some(v),
                    Read::Null => {}
                    Read::Wrong(found) => line.wrong.push(("top_operations", found)),
                },
                Key::GrowthPerInterval => match map.next_value_seed(Numbers)? {
                    Read::Value(v) => line.growth_mb_per_interval = Some(v),
                    Read::Null => {}
                    Read::Wrong(found) => line.wrong.push(("growth_mb_per_interval", found)),
                },
                Key::CacheMax => line.cache_max = map.next_value_seed(NumberMap)?,
                // Numbers of other fields are kept only where they are cache sizes
                // (or before the event is known); elsewhere they are skipped unread.
                Key::Other if collects_numbers(line.event.as_deref()) => {
                    if let Some(v) = map.next_value_seed(AnyNumber)?
                        && line.other_numbers.len() < MAX_ARRAY
                    {
                        line.other_numbers.push((key, v));
                    }
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Whether the fields not listed are worth keeping on a line of `event`.
fn collects_numbers(event: Option<&str>) -> bool {
    matches!(event, None | Some("cache_stats_snapshot"))
}

/// `top_operations`: an array of objects.
struct TopOperations;

impl<'de> DeserializeSeed<'de> for TopOperations {
    type Value = Read<Vec<TopOperation<'de>>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopOperations {
    type Value = Read<Vec<TopOperation<'de>>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut ops = Vec::new();
        let mut wrong = false;
        while let Some(item) = seq.next_element_seed(TopOperationSeed)? {
            match item {
                Some(op) if ops.len() < MAX_ARRAY => ops.push(op),
                Some(_) => {}
                None => wrong = true,
            }
        }
        Ok(if wrong {
            Read::Wrong("an array with entries that are not operations")
        } else {
            Read::Value(ops)
        })
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Read::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Read::Wrong("a boolean"))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Read::Wrong("a number"))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Read::Wrong("a number"))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Read::Wrong("a number"))
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Read::Wrong("a string"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Read::Wrong("an object"))
    }
}

/// One `top_operations` entry; `None` when it is not an object with a string
/// `operation` (its other fields of the wrong type are dropped silently).
struct TopOperationSeed;

impl<'de> DeserializeSeed<'de> for TopOperationSeed {
    type Value = Option<TopOperation<'de>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopOperationSeed {
    type Value = Option<TopOperation<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an operation object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut op = TopOperation::default();
        while let Some(key) = map.next_key_seed(Str)? {
            let Read::Value(key) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let slot = match key.as_ref() {
                "operation" => {
                    op.operation = map.next_value_seed(Str)?.ok();
                    continue;
                }
                "retained_mb" => &mut op.retained_mb,
                "retained_growth_mb" => &mut op.retained_growth_mb,
                "alloc_mb" => &mut op.alloc_mb,
                "net_mb" => &mut op.net_mb,
                "rss_growth_mb" => &mut op.rss_growth_mb,
                "count" => &mut op.count,
                "active" => &mut op.active,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value_seed(Number)?.ok();
        }
        Ok(op.operation.is_some().then_some(op))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// An object of numbers (`cache_max`); other values are skipped.
struct NumberMap;

impl<'de> DeserializeSeed<'de> for NumberMap {
    type Value = Vec<(Text<'de>, f64)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NumberMap {
    type Value = Vec<(Text<'de>, f64)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of numbers")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key_seed(Str)? {
            let value = map.next_value_seed(AnyNumber)?;
            if let (Read::Value(key), Some(value)) = (key, value)
                && entries.len() < MAX_ARRAY
            {
                entries.push((key, value));
            }
        }
        Ok(entries)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_runtime_operation_line() {
        let text = br#"{"timestamp":"2026-11-27T08:01:02.345Z","level":"warn","target":"memtrack","event":"memory_spike_operation","message":"memory_spike_operation: ad","op_id":"ad-3","op_name":"ad","duration_ms":12,"ended_by":"ok","success":true,"rss_start_mb":40.5,"rss_end_mb":66.0,"rss_delta_mb":25.5,"alloc_bytes":26214400,"freed_bytes":0,"net_bytes":26214400,"peak_bytes":26214400,"allocs":1,"retained_bytes":26214400,"article_cache":3,"session_id":"s-42"}"#;
        let line = parse_line(text).unwrap();
        assert_eq!(line.timestamp.as_deref(), Some("2026-11-27T08:01:02.345Z"));
        assert_eq!(line.event.as_deref(), Some("memory_spike_operation"));
        assert_eq!(line.target.as_deref(), Some("memtrack"));
        assert_eq!(line.text.op_name.as_deref(), Some("ad"));
        assert_eq!(line.text.ended_by.as_deref(), Some("ok"));
        assert_eq!(line.number.net_bytes, Some(26_214_400.0));
        assert_eq!(line.number.retained_bytes, Some(26_214_400.0));
        assert_eq!(line.number.rss_delta_mb, Some(25.5));
        assert_eq!(line.flag.success, Some(true));
        // Cache sizes on operation events are not read (only cache stats'); the
        // value is skipped.
        assert!(line.other_numbers.is_empty());
        assert!(line.wrong.is_empty());
        assert!(matches!(line.text.op_name, Some(Text::Borrowed(_))));
    }

    #[test]
    fn every_declared_field_is_looked_up() {
        for id in NumberKey::ALL {
            assert!(
                matches!(key_of(id.name()), Key::Number(k) if k == *id),
                "{}",
                id.name()
            );
        }
        for id in TextKey::ALL {
            assert!(
                matches!(key_of(id.name()), Key::Text(k) if k == *id),
                "{}",
                id.name()
            );
        }
        for id in FlagKey::ALL {
            assert!(
                matches!(key_of(id.name()), Key::Flag(k) if k == *id),
                "{}",
                id.name()
            );
        }
        assert!(matches!(key_of("message"), Key::Other));
    }

    #[test]
    fn reads_top_operations_in_both_forms() {
        let text = br#"{"event":"memory_snapshot","top_operations":[{"operation":"a","retained_mb":12.5,"retained_growth_mb":2.0,"alloc_mb":3,"net_mb":2,"count":4,"active":1},{"operation":"b","rss_growth_mb":7.25,"count":1,"active":0},{"no_name":1},"junk"],"top_operations_basis":"retained"}"#;
        let line = parse_line(text).unwrap();
        let ops = line.top_operations;
        assert_eq!(
            ops, None,
            "entries that are not operations make the field wrong"
        );
        assert_eq!(
            line.wrong,
            [(
                "top_operations",
                "an array with entries that are not operations"
            )]
        );

        let text = br#"{"event":"memory_snapshot","top_operations":[{"operation":"a","retained_mb":12.5,"retained_growth_mb":2.0,"alloc_mb":3,"net_mb":2,"count":4,"active":1},{"operation":"b","rss_growth_mb":7.25,"count":"x","active":0}],"top_operations_basis":"retained"}"#;
        let line = parse_line(text).unwrap();
        let ops = line.top_operations.unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].operation.as_deref(), Some("a"));
        assert_eq!(ops[0].retained_mb, Some(12.5));
        assert_eq!(ops[0].retained_growth_mb, Some(2.0));
        assert_eq!(ops[1].rss_growth_mb, Some(7.25));
        assert_eq!(ops[1].count, None);
        assert_eq!(line.text.top_operations_basis.as_deref(), Some("retained"));
    }

    #[test]
    fn wrong_types_are_noted_and_the_rest_kept() {
        let text = br#"{"timestamp":17,"event":"memory_operation","op_name":["x"],"duration_ms":"slow","success":"no","net_bytes":5,"rss_mb":null}"#;
        let line = parse_line(text).unwrap();
        assert_eq!(line.timestamp, None);
        assert_eq!(line.number.duration_ms, None);
        assert_eq!(line.number.net_bytes, Some(5.0));
        assert_eq!(line.number.rss_mb, None);
        assert_eq!(
            line.wrong,
            [
                ("timestamp", "a number"),
                ("op_name", "an array"),
                ("duration_ms", "a string"),
                ("success", "a string")
            ]
        );
    }

    #[test]
    fn escaped_strings_are_owned_and_exact() {
        let line = parse_line(br#"{"error":"HTTP \"502\"\n","event":"memory_operation"}"#).unwrap();
        assert_eq!(line.text.error.as_deref(), Some("HTTP \"502\"\n"));
    }

    #[test]
    fn leak_suspect_fields() {
        let text = br#"{"event":"memory_leak_suspect","operation":"ad","intervals":3,"growth_mb_per_interval":[1.5,2,2.5],"retained_mb":30,"total_growth_mb":6,"threshold_mb":1}"#;
        let line = parse_line(text).unwrap();
        assert_eq!(line.text.operation.as_deref(), Some("ad"));
        assert_eq!(line.number.intervals, Some(3.0));
        assert_eq!(line.growth_mb_per_interval, Some(vec![1.5, 2.0, 2.5]));
        assert_eq!(line.number.total_growth_mb, Some(6.0));
    }

    #[test]
    fn cache_stats_fields() {
        let text = br#"{"event":"cache_stats_snapshot","cache_count":2,"a_cache":3,"b_cache":{"error":"x"},"cache_max":{"a_cache":50,"bad":"x"}}"#;
        let line = parse_line(text).unwrap();
        assert_eq!(line.other_numbers, vec![(Text::Borrowed("a_cache"), 3.0)]);
        assert_eq!(line.cache_max, vec![(Text::Borrowed("a_cache"), 50.0)]);
    }

    #[test]
    fn what_is_not_a_line() {
        assert_eq!(parse_line(b"").unwrap_err(), LineError::Blank);
        assert_eq!(parse_line(b"  \t").unwrap_err(), LineError::Blank);
        assert_eq!(
            parse_line(b"INFO started").unwrap_err(),
            LineError::NotJsonObject
        );
        assert_eq!(parse_line(b"[1,2]").unwrap_err(), LineError::NotJsonObject);
        assert_eq!(
            parse_line(b"{\"a\":1} x").unwrap_err(),
            LineError::BrokenJson
        );
        assert_eq!(
            parse_line(b"{\"a\":\"\xff\"}").unwrap_err(),
            LineError::BrokenJson
        );
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        // Deeply nested values nobody reads are skipped without recursion.
        assert!(parse_line(deep.as_bytes()).is_ok());
        let deep = format!(
            "{{\"top_operations\":{}1{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(parse_line(deep.as_bytes()).is_ok());
    }
}
