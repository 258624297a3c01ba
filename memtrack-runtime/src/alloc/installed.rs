//! Whether the counting allocator serves this process, which decides whether the
//! public figures exist.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set when a thread first counts a change, which only happens when an
/// [`Allocator`](super::Allocator) actually serves allocations.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Records that the counting allocator serves allocations. Called once per thread
/// (on its first counted change), never on the per-allocation path.
///
/// The runtime crate's own unit tests drive an `Allocator` by hand without it being
/// the global allocator; they leave the flag alone so that the public figures of that
/// test binary stay absent, as they are for any process without the allocator.
#[inline]
pub(super) fn mark() {
    if cfg!(not(test)) && !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
}

/// Whether the public figures are available: counting compiled in (no
/// `passthrough-alloc` feature) and the allocator installed.
#[inline]
pub(super) fn figures_available() -> bool {
    cfg!(not(feature = "passthrough-alloc")) && INSTALLED.load(Ordering::Relaxed)
}
