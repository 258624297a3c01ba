//! Operations: start, checkpoint, add metadata, end.
//!
//! [`start`] begins an operation. A [`Tracker`]
//! measures its operation's duration, RSS at start and end, the process heap (with
//! the counting allocator) and, for the code it runs through
//! [`Tracker::in_scope`], `#[memtrack]` or [`Track`](crate::future::Track), the exact
//! heap bytes that code allocated. It ends exactly once: the first `end*` call wins,
//! and dropping a tracker nobody ended ends it as `dropped` (or `panic` while a panic
//! that began after it started unwinds, `cancelled` for an `async fn` dropped before
//! it finished).
//!
//! Inside: `handle.rs` holds [`Tracker`] and [`start`], `record.rs` its metadata and
//! checkpoints, `end.rs` how it ends, `events.rs` the events it writes;
//! `charge.rs`, `significance.rs`, `outcome.rs` and `numbers.rs` the rules they use.

mod charge;
mod end;
mod events;
pub(crate) mod frames;
mod handle;
mod numbers;
mod outcome;
mod record;
mod significance;

pub use crate::sites::active_operations;
#[doc(hidden)]
pub use handle::Kind;
pub use handle::{Tracker, start};
pub use outcome::{EndedBy, Outcome};
#[doc(hidden)]
pub use outcome::{OutcomeDebug, OutcomeDisplay, OutcomePlain, OutcomeResult, Probe};
