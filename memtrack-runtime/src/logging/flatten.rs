//! Reading the `extra` field: JSON object text whose keys are laid out flat.
//!
//! Keys are kept in the order they appear in the text (a `serde_json::Map` would sort
//! them), so a line lists them as they were written.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// The entries of a JSON object, in text order (duplicates kept).
#[derive(Debug, PartialEq)]
pub(crate) struct ObjectEntries(pub(crate) Vec<(String, Value)>);

impl<'de> Deserialize<'de> for ObjectEntries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;

        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = ObjectEntries;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(ObjectEntries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// The entries of `text` when it is the text of one JSON object, `None` otherwise
/// (an array, a scalar, invalid JSON, trailing characters, nesting deeper than
/// `serde_json`'s recursion limit).
pub(crate) fn parse_object(text: &str) -> Option<Vec<(String, Value)>> {
    serde_json::from_str::<ObjectEntries>(text)
        .ok()
        .map(|entries| entries.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_text_order_and_types() {
        let entries = parse_object(r#"{"z":1,"a":"x","m":true,"n":null,"f":1.5,"o":{"k":[1]}}"#);
        assert_eq!(
            entries,
            Some(vec![
                ("z".to_owned(), json!(1)),
                ("a".to_owned(), json!("x")),
                ("m".to_owned(), json!(true)),
                ("n".to_owned(), Value::Null),
                ("f".to_owned(), json!(1.5)),
                ("o".to_owned(), json!({"k": [1]})),
            ])
        );
    }

    #[test]
    fn empty_object_has_no_entries() {
        assert_eq!(parse_object(" {} "), Some(Vec::new()));
    }

    #[test]
    fn duplicate_keys_are_kept() {
        assert_eq!(
            parse_object(r#"{"a":1,"a":2}"#),
            Some(vec![("a".to_owned(), json!(1)), ("a".to_owned(), json!(2))])
        );
    }

    #[test]
    fn anything_but_an_object_is_rejected() {
        for text in [
            "",
            "plain words",
            "[1,2]",
            "42",
            "\"{}\"",
            "null",
            "{\"a\":1",
            "{\"a\":1} trailing",
            "{a:1}",
        ] {
            assert_eq!(parse_object(text), None, "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_rejected_without_panicking() {
        let text = format!("{{\"a\":{}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(parse_object(&text), None);
    }
}
