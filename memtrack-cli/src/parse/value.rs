//! Lenient readers for one JSON value: each accepts the type it expects, treats
//! `null` as absent, and reports any other type as [`Read::Wrong`] after skipping the
//! value, so that one bad field never costs the rest of its line.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What was found where a value of type `T` was expected.
#[derive(Debug, Clone, PartialEq)]
pub enum Read<T> {
    /// The expected type.
    Value(T),
    /// `null`: treated like an absent field.
    Null,
    /// Another type (named for the message).
    Wrong(&'static str),
}

impl<T> Read<T> {
    /// The value when it had the expected type.
    pub fn ok(self) -> Option<T> {
        match self {
            Read::Value(v) => Some(v),
            Read::Null | Read::Wrong(_) => None,
        }
    }
}

/// A string borrowed from the line when it has no escapes.
pub type Text<'de> = Cow<'de, str>;

/// `null` as absent; an array or an object read through and reported wrong (for a
/// reader of one scalar type).
macro_rules! null_absent_containers_wrong {
    () => {
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Read::Null)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq).map(|()| Read::Wrong("an array"))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map).map(|()| Read::Wrong("an object"))
        }
    };
}

/// The reader as a seed (each reads one value of any JSON type).
macro_rules! seed_of_any_value {
    ($($reader:ty),* $(,)?) => {
        $(impl<'de> DeserializeSeed<'de> for $reader {
            type Value = <Self as Visitor<'de>>::Value;
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
        })*
    };
}

seed_of_any_value!(Number, Str, Bool, AnyNumber, Numbers);

/// The listed scalar visits reported wrong, each with the name of what it found.
macro_rules! wrong_for_the_rest {
    ($($method:ident($ty:ty) => $name:literal),* $(,)?) => {
        $(fn $method<E: serde::de::Error>(self, _: $ty) -> Result<Self::Value, E> {
            Ok(Read::Wrong($name))
        })*
    };
}

/// Skips a sequence or map whose contents are not wanted.
fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Reads a number (integer or float) as `f64`.
pub struct Number;

impl<'de> Visitor<'de> for Number {
    type Value = Read<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Read::Value(v as f64))
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Read::Value(v as f64))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Read::Value(v))
    }

    wrong_for_the_rest! {
        visit_bool(bool) => "a boolean",
        visit_str(&str) => "a string",
        visit_borrowed_str(&'de str) => "a string",
    }

    null_absent_containers_wrong!();
}

/// Reads a string, borrowed from the line when it holds no escape.
pub struct Str;

impl<'de> Visitor<'de> for Str {
    type Value = Read<Text<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Read::Value(Cow::Borrowed(v)))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Read::Value(Cow::Owned(v.to_owned())))
    }

    wrong_for_the_rest! {
        visit_bool(bool) => "a boolean",
        visit_u64(u64) => "a number",
        visit_i64(i64) => "a number",
        visit_f64(f64) => "a number",
    }

    null_absent_containers_wrong!();
}

/// Reads a boolean.
pub struct Bool;

impl<'de> Visitor<'de> for Bool {
    type Value = Read<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Read::Value(v))
    }

    wrong_for_the_rest! {
        visit_u64(u64) => "a number",
        visit_i64(i64) => "a number",
        visit_f64(f64) => "a number",
        visit_str(&str) => "a string",
        visit_borrowed_str(&'de str) => "a string",
    }

    null_absent_containers_wrong!();
}

/// Reads a value of a field nobody asked for: its number when it is one (cache sizes
/// are such fields), nothing otherwise.
pub struct AnyNumber;

impl<'de> Visitor<'de> for AnyNumber {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    #[allow(clippy::cast_precision_loss)]
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        drain_seq(seq).map(|()| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| None)
    }
}

/// Reads a JSON array of numbers (non-numbers inside make the whole value wrong).
pub struct Numbers;

impl<'de> Visitor<'de> for Numbers {
    type Value = Read<Vec<f64>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of numbers")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut values = Vec::new();
        let mut wrong = false;
        while let Some(item) = seq.next_element_seed(Number)? {
            match item {
                Read::Value(v) if values.len() < MAX_ARRAY => values.push(v),
                Read::Value(_) | Read::Null => {}
                Read::Wrong(_) => wrong = true,
            }
        }
        Ok(if wrong {
            Read::Wrong("an array with non-numbers")
        } else {
            Read::Value(values)
        })
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Read::Null)
    }

    wrong_for_the_rest! {
        visit_bool(bool) => "a boolean",
        visit_u64(u64) => "a number",
        visit_i64(i64) => "a number",
        visit_f64(f64) => "a number",
        visit_str(&str) => "a string",
        visit_borrowed_str(&'de str) => "a string",
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        drain_map(map).map(|()| Read::Wrong("an object"))
    }
}

/// Most array items kept from one field (the rest are read and dropped).
pub const MAX_ARRAY: usize = 64;
