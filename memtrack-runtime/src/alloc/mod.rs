//! The counting global allocator and process heap figures.
//!
//! Install [`Allocator`] as the global allocator:
//!
//! ```
//! #[global_allocator]
//! static ALLOC: memtrack_runtime::alloc::Allocator = memtrack_runtime::alloc::Allocator::system();
//!
//! // `None` only when built with the `passthrough-alloc` feature.
//! if let Some(stats) = memtrack_runtime::alloc::heap_stats() {
//!     assert!(stats.allocs > 0);
//! }
//! ```
//!
//! # What is counted
//!
//! Every successful `alloc`, `alloc_zeroed` and `realloc` is one allocation call
//! (`allocs`). `alloc` and `alloc_zeroed` add the requested size to the allocated
//! bytes, `dealloc` adds it to the freed bytes. A `realloc` from `old` to `new` bytes
//! counts as freeing `old` and allocating `new` (one call): the figures are then the
//! same whether the inner allocator grows in place or moves the block, and the same as
//! for an allocator that uses the default `realloc` (allocate, copy, free). A
//! `Vec` grown by doubling to 1 MiB therefore shows about 2 MiB allocated and 1 MiB
//! freed; its live bytes are exact. Failed allocations are not counted.
//!
//! # Per-thread counters
//!
//! Each thread counts into its own thread-local counters and is their only writer: an
//! allocation costs a relaxed load and store per counter on the thread's own cache
//! line, no read-modify-write and no memory any other thread writes. The fast path of
//! an allocation or a free is the counter updates and one signed comparison (see
//! *Peak*); anything else (a thread's first count, a thread without a slot,
//! publishing to the process estimate) is out of line, reached through that same
//! comparison.
//!
//! For other threads to read them, a thread publishes the address of its counters in
//! a fixed static registry of 256 slots, claimed with a compare-and-swap on its first
//! counted allocation. Process totals ([`heap_stats`]) are the sum over the published
//! counters plus:
//!
//! - a retired total into which a thread's counters are folded when the thread exits
//!   (on Linux through a POSIX thread-specific key destructor, which runs while the
//!   thread's storage is still there, so no thread-local with a destructor is touched
//!   from inside the allocator), after which the slot is free for another thread.
//!   Readers and folds exclude each other, so a sum never reads counters that are
//!   going away and never counts an exiting thread twice or not at all: the totals
//!   only ever grow;
//! - a shared total, updated with atomic adds, for threads alive while all slots are
//!   taken, for whatever a thread allocates after its exit hook ran, and for every
//!   thread on platforms other than Linux (where the order of thread-local teardown
//!   and key destructors is not something to rely on).
//!
//! A thread may free memory another thread allocated, so one thread's live bytes can
//! be negative; the process `live_bytes` is `allocated - freed`, saturating at zero.
//!
//! Inside the allocator nothing locks, allocates or panics, and the only thread-local
//! is const-initialised, has no destructor and is read with `try_with` (with a
//! correct shared fallback should it ever be unavailable).
//!
//! # Peak
//!
//! The exact process live value at every instant would need a shared counter updated
//! on every allocation, which is what the slots avoid. Each thread instead publishes
//! its live bytes to a shared estimate in steps of [`PEAK_GRANULARITY`] bytes (when its
//! live bytes moved by that much since it last published), and the peak is the highest
//! estimate. The estimate never exceeds the real live bytes, and is below them by less
//! than `2 * PEAK_GRANULARITY` per thread holding a slot. So [`HeapStats::peak_bytes`]
//! is a lower bound of the true process peak, at most `2 * PEAK_GRANULARITY` per
//! counting thread below it (and never below the `live_bytes` of the same reading).
//!
//! Per operation, the tracker uses the thread-relative high-water mark instead, which
//! is exact: a thread raises its mark on every allocation that takes its live bytes
//! above it. The hot path folds both checks into one: a thread keeps its distance to
//! the lower of its mark and the top of its publishing window, so an allocation that
//! stays under both is one subtraction and a sign test.
//!
//! # Switching counting off
//!
//! The `passthrough-alloc` feature compiles the allocator down to plain forwarding:
//! [`heap_stats`] returns `None`, nothing is attributed. There is no run-time switch:
//! the fast path reads only memory its own thread writes, so another thread could
//! only reach it through a flag tested on every allocation and free, a cost paid
//! whether counting is on or off.
//!
//! # Checking
//!
//! The unit tests drive an `Allocator` by hand (it is not the global allocator of the
//! unit test binary) and exercise every `unsafe` block; the integration tests install
//! it globally. The unit tests also pass under miri
//! (`cargo +nightly miri test -p memtrack-runtime --lib alloc::`, run by CI), which
//! checks them for undefined behaviour and data races, including the reads of other
//! threads' counters while those threads exit.

mod allocator;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod exit_hook;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod installed;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod peak;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod registry;
mod stats;
#[cfg(all(test, not(feature = "passthrough-alloc")))]
mod tests;
#[cfg(all(test, feature = "passthrough-alloc"))]
mod tests_passthrough;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod thread_slot;

pub use allocator::Allocator;
pub use stats::{
    HeapStats, PEAK_GRANULARITY, RegistryStats, ThreadStats, heap_stats, is_counting,
    registry_stats, reset_peak, thread_stats,
};
#[allow(unused_imports)]
pub(crate) use thread_slot::{
    PeakMark, ThreadCounters, frame_begin, frame_end, thread_counters, without_peak,
};
