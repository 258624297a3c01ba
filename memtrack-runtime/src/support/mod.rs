//! Small helpers that belong to no domain, each used by several.
//!
//! - `named_registry`: named entries that handles add and remove (caches, reclaim
//!   hooks).
//! - `panic_text`: running user code whose panic must not escape, and the bounded
//!   text of a caught panic.
//! - `bounded_text`: a `fmt::Write` that stops at a bound, in characters or bytes.

pub(crate) mod bounded_text;
pub(crate) mod named_registry;
pub(crate) mod panic_text;
