//! Collecting the fields of one `tracing` event with their JSON types.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};

use crate::support::bounded_text::{Bound, BoundedWriter};

/// Name of the field that carries run-time keyed metadata as JSON object text.
pub(crate) const EXTRA_FIELD: &str = "extra";
/// Name of the field that carries the event name (`memory_operation`, ...).
pub(crate) const EVENT_FIELD: &str = "event";
/// Name of the field `tracing` uses for the formatted message.
pub(crate) const MESSAGE_FIELD: &str = "message";

/// One recorded value, keeping the JSON type it was recorded with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldValue {
    Bool(bool),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    /// Non-finite values are written as `null`.
    F64(f64),
    Str(String),
}

/// The fields of one event, sorted into the parts the line is built from.
#[derive(Debug)]
pub(crate) struct Record {
    /// The `event` field, when the event has one.
    pub(crate) event: Option<FieldValue>,
    /// The `message` field, when the event has one.
    pub(crate) message: Option<FieldValue>,
    /// The text of the `extra` field (object text to flatten), when recorded as text.
    pub(crate) extra: Option<String>,
    /// Every other field, in recording order.
    pub(crate) fields: Vec<(&'static str, FieldValue)>,
    /// Longest text kept from a value recorded through `Debug`, `Display` or an error.
    max_text_bytes: usize,
}

impl Record {
    pub(crate) fn new(max_text_bytes: usize) -> Self {
        Record {
            event: None,
            message: None,
            extra: None,
            fields: Vec::new(),
            max_text_bytes,
        }
    }

    fn put(&mut self, field: &Field, value: FieldValue) {
        match field.name() {
            EVENT_FIELD => self.event = Some(value),
            MESSAGE_FIELD => self.message = Some(value),
            EXTRA_FIELD => match value {
                FieldValue::Str(text) => self.extra = Some(text),
                other => self.fields.push((EXTRA_FIELD, other)),
            },
            name => self.fields.push((name, value)),
        }
    }

    fn put_formatted(&mut self, field: &Field, args: fmt::Arguments<'_>) {
        let mut text = BoundedWriter::new(Bound::Bytes(self.max_text_bytes));
        // A `Debug`/`Display` impl that fails (or hits the bound) leaves the text
        // written so far; the error itself is not a reason to lose the field.
        let _ = text.write_fmt(args);
        self.put(field, FieldValue::Str(text.into_string()));
    }
}

impl Visit for Record {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, FieldValue::F64(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, FieldValue::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, FieldValue::U64(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.put(field, FieldValue::I128(value));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.put(field, FieldValue::U128(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, FieldValue::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, FieldValue::Str(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put_formatted(field, format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put_formatted(field, format_args!("{value:?}"));
    }
}
