//! Operations: start, checkpoint, add metadata, end.
//!
//! [`start`] is the counterpart of the original `startMemoryTrack`. A [`Tracker`]
//! measures its operation's duration, RSS at start and end, the process heap (with
//! the counting allocator) and, for the code it runs through
//! [`Tracker::in_scope`], `#[memtrack]` or [`Track`](crate::future::Track), the exact
//! heap bytes that code allocated. It ends exactly once: the first `end*` call wins,
//! and dropping a tracker nobody ended ends it as `dropped` (or `panic` while a panic
//! unwinds, `cancelled` for an `async fn` dropped before it finished).

mod charge;
mod end;
mod events;
mod handle;
mod ids;
mod outcome;
mod scoped;
mod significance;

pub use crate::sites::active_operations;
#[doc(hidden)]
pub use handle::Kind;
pub use handle::{Tracker, start};
pub use outcome::{EndedBy, Outcome};
#[doc(hidden)]
pub use outcome::{OutcomeDebug, OutcomeDisplay, OutcomePlain, Probe};
