//! The public figures: process heap totals, the calling thread's counters and the
//! registry occupancy.

use super::owners::{MAX_OWNERS, OwnerTag};
use super::{installed, peak, registry, thread_slot};

/// Process-wide heap figures from the counting allocator.
///
/// ```
/// #[global_allocator]
/// static ALLOC: memtrack_runtime::alloc::Allocator = memtrack_runtime::alloc::Allocator::system();
///
/// if let Some(stats) = memtrack_runtime::alloc::heap_stats() {
///     assert_eq!(stats.live_bytes, stats.allocated_bytes - stats.freed_bytes);
///     assert!(stats.peak_bytes >= stats.live_bytes);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeapStats {
    /// Bytes currently allocated and not yet freed (`allocated_bytes - freed_bytes`,
    /// saturating at zero).
    pub live_bytes: u64,
    /// Bytes allocated since the process started.
    pub allocated_bytes: u64,
    /// Bytes freed since the process started.
    pub freed_bytes: u64,
    /// Number of allocation calls (`alloc`, `alloc_zeroed` and `realloc`) since the
    /// process started.
    pub allocs: u64,
    /// Highest live bytes read since start or the last [`reset_peak`], and at least
    /// `live_bytes`: never above the true peak (see the
    /// [module documentation](super)).
    pub peak_bytes: u64,
    /// Of `live_bytes`, the bytes of blocks under
    /// [`TAGGED_MIN`](super::TAGGED_MIN) (the ones attributed by sampling).
    pub small_live_bytes: u64,
}

/// Growth, in bytes, of a thread's live bytes after which the process peak is read
/// again: [`HeapStats::peak_bytes`] can miss the growth of a thread since its last
/// reading, under this much.
///
/// ```
/// assert_eq!(memtrack_runtime::alloc::PEAK_GRANULARITY, 256 * 1024);
/// ```
pub const PEAK_GRANULARITY: u64 = peak::STEP as u64;

/// Heap figures of the whole process, or `None` when the counting allocator is not
/// the global allocator (or is built as a pass-through).
///
/// Reads the counters of every thread in the registry (one cache line each). It never
/// allocates, and waits only while a thread is exiting (for microseconds).
///
/// ```
/// // Without the counting allocator installed, heap figures are absent (not zero).
/// assert_eq!(memtrack_runtime::alloc::heap_stats(), None);
/// ```
pub fn heap_stats() -> Option<HeapStats> {
    installed::figures_available().then(raw_heap_stats)
}

/// [`heap_stats`] whether or not the figures are available.
pub(super) fn raw_heap_stats() -> HeapStats {
    let counts = registry::process_counts();
    let live_bytes = counts.allocated.saturating_sub(counts.freed);
    peak::observe(live_bytes);
    HeapStats {
        live_bytes,
        allocated_bytes: counts.allocated,
        freed_bytes: counts.freed,
        allocs: counts.allocs,
        peak_bytes: peak::peak().max(live_bytes),
        small_live_bytes: counts.small_live().max(0) as u64,
    }
}

/// Resets the process peak to the current live bytes.
///
/// ```
/// memtrack_runtime::alloc::reset_peak(); // no effect without the allocator
/// ```
pub fn reset_peak() {
    if cfg!(not(feature = "passthrough-alloc")) {
        peak::reset(raw_heap_stats().live_bytes);
    }
}

/// Whether the counting allocator is installed and counting.
///
/// ```
/// assert!(!memtrack_runtime::alloc::is_counting());
/// ```
pub fn is_counting() -> bool {
    installed::figures_available()
}

/// The calling thread's own heap counters, since the thread started.
///
/// A thread that frees memory other threads allocated can have freed more than it
/// allocated; these are the raw per-thread counters, the process figures are in
/// [`HeapStats`].
///
/// ```
/// #[global_allocator]
/// static ALLOC: memtrack_runtime::alloc::Allocator = memtrack_runtime::alloc::Allocator::system();
///
/// use memtrack_runtime::alloc::thread_stats;
///
/// if let Some(before) = thread_stats() {
///     let v: Vec<u8> = Vec::with_capacity(1000);
///     let after = thread_stats().unwrap_or_default();
///     assert_eq!(after.allocated_bytes - before.allocated_bytes, 1000);
///     assert_eq!(after.allocs - before.allocs, 1);
///     drop(v);
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThreadStats {
    /// Bytes this thread allocated.
    pub allocated_bytes: u64,
    /// Bytes this thread freed (wherever they were allocated).
    pub freed_bytes: u64,
    /// Allocation calls this thread made.
    pub allocs: u64,
}

/// The calling thread's counters, `None` when the counting allocator is not counting.
///
/// ```
/// assert_eq!(memtrack_runtime::alloc::thread_stats(), None);
/// ```
pub fn thread_stats() -> Option<ThreadStats> {
    thread_slot::thread_counters().map(|c| ThreadStats {
        allocated_bytes: c.allocated,
        freed_bytes: c.freed,
        allocs: c.allocs,
    })
}

/// Occupancy of the per-thread slot registry.
///
/// ```
/// let r = memtrack_runtime::alloc::registry_stats();
/// assert!(r.slots_in_use <= r.capacity);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistryStats {
    /// Number of slots: threads alive at once beyond this count through shared atomic
    /// totals (correct, slower).
    pub capacity: usize,
    /// Slots held by live threads right now.
    pub slots_in_use: usize,
    /// Threads so far that found every slot taken.
    pub slotless_threads: u64,
}

/// Occupancy of the per-thread slot registry.
///
/// ```
/// assert_eq!(memtrack_runtime::alloc::registry_stats().capacity, 256);
/// ```
pub fn registry_stats() -> RegistryStats {
    RegistryStats {
        capacity: registry::SLOT_COUNT,
        slots_in_use: registry::slots_in_use(),
        slotless_threads: registry::slotless_threads(),
    }
}

/// The live blocks one owner holds, from [`owners_live`].
///
/// `exact_*` count its tagged blocks (at least [`TAGGED_MIN`](super::TAGGED_MIN)
/// bytes) to the byte; `sampled_*` are the summed weights of its live sampled small
/// blocks: an unbiased estimate of its live small bytes and blocks (see
/// [`set_sample_interval`](super::set_sample_interval)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OwnerLive {
    /// The owner.
    pub owner: OwnerTag,
    /// Live bytes of its tagged blocks (exact).
    pub exact_bytes: i64,
    /// Its live tagged blocks (exact).
    pub exact_blocks: i64,
    /// Estimated live bytes of its small blocks.
    pub sampled_bytes: i64,
    /// Estimated live small blocks, in 1/[`BLOCK_UNIT`](super::BLOCK_UNIT) blocks.
    pub sampled_blocks: i64,
}

/// The live blocks of owners `0..count` (every tag below `count`, at most
/// [`MAX_OWNERS`]), summed over every thread: `None` without the counting allocator.
///
/// Reading costs one pass over each thread's table for those owners: fine for a
/// monitor tick or a scrape, not for a hot path. Counters move while they are read,
/// so a reading taken while blocks change hands between threads can be off by those
/// blocks; a reading of quiet owners is exact.
///
/// ```
/// // Without the counting allocator there is nothing to read.
/// assert!(memtrack_runtime::alloc::owners_live(4).is_none());
/// ```
pub fn owners_live(count: usize) -> Option<Vec<OwnerLive>> {
    installed::figures_available().then(|| raw_owners_live(count))
}

/// [`owners_live`] whether or not the figures are available.
///
/// The list is allocated before the tables are read and is the only memory the
/// reading keeps, so a process total read after it includes the same bytes as the
/// owners do.
pub(super) fn raw_owners_live(count: usize) -> Vec<OwnerLive> {
    let len = count.min(MAX_OWNERS);
    let mut owners = Vec::with_capacity(len);
    registry::owner_sums_each(len, |c| {
        owners.push(OwnerLive {
            owner: owners.len() as OwnerTag,
            exact_bytes: c.exact_bytes,
            exact_blocks: c.exact_blocks,
            sampled_bytes: c.sampled_bytes,
            sampled_blocks: c.sampled_blocks,
        });
    });
    owners
}
