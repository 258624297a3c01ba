//! Metadata values and the central truncation rules.
//!
//! Every value that reaches an event passes through here: strings are cut to
//! [`Config::max_metadata_len`](crate::Config::max_metadata_len) characters on a
//! character boundary, an operation keeps at most
//! [`Config::max_metadata_keys`](crate::Config::max_metadata_keys) keys, and text
//! produced by `Display`/`Debug` (error messages included) is written through a
//! bounded writer, so an implementation that fails, panics or writes megabytes costs
//! at most the limit.

mod bounded;
mod map;
mod value;

pub(crate) use bounded::bounded_name;
pub use bounded::{MAX_NAME_LEN, debug_bounded, display_bounded};
pub(crate) use map::Metadata;
pub use value::{ToValue, Value};
