//! The two process-wide flags: whether counting is switched on, and whether the
//! counting allocator has been seen doing its job.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::registry;

/// Counting switch, written only by [`set_counting`]. The allocation path reads it
/// only for changes a thread's `divert` flag sent to the slow path; threads with a
/// registry slot see the switch through that flag.
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

/// The switch, read with the ordering that [`set_counting`] and a thread claiming a
/// slot rely on to agree on the thread's `divert` flag.
pub(super) fn counting_enabled_seqcst() -> bool {
    !cfg!(feature = "passthrough-alloc") && COUNTING.load(Ordering::SeqCst)
}

/// Serialises [`set_counting`], so the flags always end up as the last call asked.
/// Never taken on the allocation path.
static SWITCHING: Mutex<()> = Mutex::new(());

/// Switches counting on or off for the whole process: the switch itself, read by
/// threads without a registry slot, then the `divert` flag of every thread with one.
pub(super) fn set_counting(enabled: bool) {
    let _serial = SWITCHING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    COUNTING.store(enabled, Ordering::SeqCst);
    // Kept out only while threads exit, each for microseconds: try until it is in.
    while !registry::divert_all(!enabled) {
        std::thread::yield_now();
    }
}

/// Whether the public figures are available: counting compiled in, switched on, and
/// the allocator installed.
#[inline]
pub(super) fn figures_available() -> bool {
    counting_enabled() && installed()
}
