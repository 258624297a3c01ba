//! The two process-wide flags: whether counting is switched on, and whether the
//! counting allocator has been seen doing its job.

use std::sync::atomic::{AtomicBool, Ordering};

/// Counting switch; read (relaxed) on every allocation, written only by
/// [`set_counting`].
static COUNTING: AtomicBool = AtomicBool::new(true);

/// Set when a thread first records an allocation through the counting path, which
/// only happens when an [`Allocator`](super::Allocator) actually serves allocations.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Whether allocations are counted right now (the runtime switch).
#[inline(always)]
pub(super) fn counting_enabled() -> bool {
    !cfg!(feature = "passthrough-alloc") && COUNTING.load(Ordering::Relaxed)
}

/// Whether an allocator has ever counted an allocation in this process.
#[inline]
pub(super) fn installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Records that the counting allocator serves allocations. Called once per thread
/// (when the thread first counts), never on the per-allocation path.
///
/// The runtime crate's own unit tests drive an `Allocator` by hand without it being
/// the global allocator; they leave the flag alone so that the public figures of that
/// test binary stay absent, as they are for any process without the allocator.
#[inline]
pub(super) fn mark_installed() {
    if cfg!(not(test)) && !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
}

/// Switches counting on or off for the whole process.
pub(super) fn set_counting(enabled: bool) {
    COUNTING.store(enabled, Ordering::Relaxed);
}

/// Whether the public figures are available: counting compiled in, switched on, and
/// the allocator installed.
#[inline]
pub(super) fn figures_available() -> bool {
    counting_enabled() && installed()
}
