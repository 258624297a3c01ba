//! The metadata value type and conversions into it.

use std::borrow::Cow;
use std::fmt;

use super::bounded::truncate;
use crate::bookkeeping;
use crate::config;

/// One metadata value, already truncated.
///
/// ```
/// use memtrack::metadata::{ToValue, Value};
/// assert_eq!(42_usize.to_value(), Value::U64(42));
/// assert_eq!("a".repeat(500).to_value(), Value::Str(format!("{}…", "a".repeat(100))));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` in JSON: an absent `Option`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float (non-finite values are written as `null`).
    F64(f64),
    /// Text, cut to the configured length.
    Str(String),
}

impl Value {
    /// Text cut to the current config's
    /// [`max_metadata_len`](crate::Config::max_metadata_len). memtrack's copy, charged
    /// to no operation.
    #[must_use]
    pub fn text(s: &str) -> Self {
        bookkeeping::untracked(|| Value::Str(truncate(s, config::get().max_metadata_len())))
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::I64(v) => s.serialize_i64(*v),
            Value::U64(v) => s.serialize_u64(*v),
            Value::F64(v) if v.is_finite() => s.serialize_f64(*v),
            Value::F64(_) => s.serialize_none(),
            Value::Str(v) => s.serialize_str(v),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::U64(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::Str(v) => f.write_str(v),
        }
    }
}

/// Types that convert into a metadata [`Value`] without being moved.
///
/// Implemented for booleans, integers, floats, `char`, text types and `Option`s of
/// them. For anything else use `key = %expr` (its `Display`) or `key = ?expr` (its
/// `Debug`) in the macros, or [`Value::text`] in the explicit API.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be used as memtrack metadata directly",
    label = "not a number, bool or text",
    note = "write `key = %expr` to record its Display text or `key = ?expr` for its Debug text"
)]
pub trait ToValue {
    /// The value, truncated by the current config.
    fn to_value(&self) -> Value;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        match self {
            Value::Str(s) => Value::text(s),
            other => other.clone(),
        }
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue + ?Sized> ToValue for &mut T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue + ?Sized> ToValue for Box<T> {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue + ?Sized> ToValue for std::sync::Arc<T> {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::text(self)
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::text(self)
    }
}

impl ToValue for Cow<'_, str> {
    fn to_value(&self) -> Value {
        Value::text(self)
    }
}

impl ToValue for char {
    fn to_value(&self) -> Value {
        let mut buf = [0; 4];
        Value::text(self.encode_utf8(&mut buf))
    }
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                u64::try_from(*self).map_or_else(|_| Value::text(&self.to_string()), Value::U64)
            }
        }
    )*};
}
macro_rules! signed {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                i64::try_from(*self).map_or_else(|_| Value::text(&self.to_string()), Value::I64)
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64, u128, usize);
signed!(i8, i16, i32, i64, i128, isize);

impl ToValue for f32 {
    fn to_value(&self) -> Value {
        Value::F64(f64::from(*self))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::F64(*self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_kind() {
        assert_eq!(7_u8.to_value(), Value::U64(7));
        assert_eq!((-7_i32).to_value(), Value::I64(-7));
        assert_eq!(u128::MAX.to_value(), Value::Str(u128::MAX.to_string()));
        assert_eq!(i128::MIN.to_value(), Value::Str(i128::MIN.to_string()));
        assert_eq!(1.5_f32.to_value(), Value::F64(1.5));
    }

    #[test]
    fn text_and_options() {
        assert_eq!("abc".to_value(), Value::Str("abc".into()));
        assert_eq!(Some("x").to_value(), Value::Str("x".into()));
        assert_eq!(None::<u8>.to_value(), Value::Null);
        assert_eq!('é'.to_value(), Value::Str("é".into()));
        assert_eq!((&&String::from("r")).to_value(), Value::Str("r".into()));
    }

    #[test]
    fn serializes_to_plain_json() {
        let json = serde_json::to_string(&[
            Value::Null,
            Value::Bool(true),
            Value::I64(-1),
            Value::F64(f64::NAN),
            Value::Str("q\"".into()),
        ])
        .unwrap();
        assert_eq!(json, r#"[null,true,-1,null,"q\""]"#);
    }
}
