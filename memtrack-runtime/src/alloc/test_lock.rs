//! The lock the allocator's unit tests hold while they drive it by hand, so that the
//! exact process and owner deltas they assert are not disturbed by another test.

use std::sync::{Mutex, MutexGuard};

static SERIAL: Mutex<()> = Mutex::new(());

/// Holds the allocator's tests one at a time (a test that panicked does not block
/// the others).
pub(super) fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
