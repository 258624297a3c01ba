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
//! # Who owns each block
//!
//! Every block has an *owner*: the operation name ([`OwnerTag`]) whose frame was the
//! innermost one running on the allocating thread, or [`UNTRACKED`] outside every
//! operation. A free credits the block's owner, whatever thread or operation runs it;
//! a `realloc` frees the old block (credited to its owner) and allocates the new one
//! (owned by the operation running now). How the owner is known:
//!
//! - a block of at least [`TAGGED_MIN`] bytes carries its owner's tag in 4 bytes
//!   after it: its owner is exact. The tag's bits above the owner's are a stamp of
//!   the operation that allocated it, so that an operation's frames can tell its
//!   blocks from those of other operations of its name (see [`OwnerTag`]);
//! - smaller blocks carry nothing (4 bytes on every small block would cost more time
//!   and memory than all the rest of the counting): a sample of them, about one per
//!   [`sample_interval`] bytes allocated, is placed on page boundaries and recorded
//!   with its owner, and each owner's live small bytes are estimated from its live
//!   samples. The estimate is unbiased; its error is measured in the tests and
//!   described with [`owners_live`].
//!
//! [`owners_live`] reads every owner's live bytes and blocks; the tracker turns them
//! into per-name figures ([`retained`](crate::retained::retained)). Per owner and per
//! thread the counters have one writer, as below, so frees on other threads serialise
//! nothing.
//!
//! # Per-thread counters
//!
//! Each thread counts into its own thread-local counters and is their only writer: an
//! allocation costs a relaxed load and store per counter on the thread's own cache
//! line (each compiles to one add to memory), no atomic read-modify-write and no
//! memory any other thread writes. The fast path of a small allocation adds its size
//! to the allocated bytes, counts one call and takes its size off the thread's
//! *budget* (the bytes it may allocate before anything else needs doing), with a sign
//! test on the budget, then takes a kept block of its size or hands over to the
//! inner allocator with a tail call; that of a small free adds its size to the freed
//! bytes and tests whether the address starts a page (a sampled block, or a thread
//! off the fast path), then keeps the block or hands it over. Anything else (a
//! thread's first count, a thread without a slot, a sample, a new high) is out of
//! line, reached through those same tests (see `thread_slot`). Tagged blocks take a
//! separate, still lock-free path that also reads or writes the tag and the owner's
//! counters.
//!
//! # Freed small blocks kept per thread
//!
//! [`Allocator::system`] keeps the small blocks a thread frees, a few of each size
//! (at most [`CACHED_BYTES_PER_THREAD`] bytes in all), in lists of its own and serves
//! the thread's next allocations of those sizes (alignment at most 8) from them,
//! without calling `malloc` or `free` (see `small_cache`). The counting happens
//! before, on the calls the program makes, so a kept block is freed in every figure.
//! Small blocks are served by the system allocator with their size rounded up to a
//! multiple of 8, so that a kept block fits any request of its size class. The
//! thread's exit hook gives the blocks back; a thread without a slot keeps none.
//! [`Allocator::new`] keeps nothing.
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
//! Owners' counters follow the same split: a thread with a slot counts its tagged
//! blocks per owner in its slot's table, one writer each; the others change a shared
//! table with atomic adds. For an operation's frame, its thread also follows what it
//! changes itself for the operations of its open frames (up to 32 at once; past that
//! a frame reads the thread's table, or for a thread without a slot the shared one,
//! which other threads' blocks move too).
//!
//! Inside the allocator nothing locks, allocates through the global allocator or
//! panics, and every thread-local it uses (the counters, the kept blocks, the followed
//! operations) is const-initialised, has no destructor and is read with `try_with`
//! (with a correct fallback should one ever be unavailable). The owner tables and the sample records are mapped from the system
//! on first use and never freed.
//!
//! A small allocation that the inner allocator fails on the fast path (which hands
//! over to it with a tail call, after counting) stays counted: the system is then out
//! of memory. Failures on every other path are not counted.
//!
//! # Peak
//!
//! Per operation, the tracker uses the thread-relative high-water mark, which is
//! exact: a thread raises its mark on every allocation that takes its live bytes
//! above it. [`HeapStats::peak_bytes`] is the highest process live value read: on
//! every [`heap_stats`] and whenever a thread's live bytes grew by
//! [`PEAK_GRANULARITY`] since it last read it. It is never above the true peak.

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
mod counters;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod exit_hook;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod exp_log;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod installed;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod owners;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod pages;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod peak;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod registry;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod sample_pages;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod sampling;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod small_cache;
mod stats;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod tag;
#[cfg(all(test, not(feature = "passthrough-alloc")))]
mod test_lock;
#[cfg(all(test, not(feature = "passthrough-alloc")))]
mod tests;
#[cfg(all(test, not(feature = "passthrough-alloc")))]
mod tests_owners;
#[cfg(all(test, feature = "passthrough-alloc"))]
mod tests_passthrough;
#[cfg(all(test, not(feature = "passthrough-alloc")))]
mod tests_small_cache;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod thread_slot;
#[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
mod watches;

pub use allocator::Allocator;
#[allow(unused_imports)]
pub(crate) use counters::Counts;
pub(crate) use owners::of_operation;
pub use owners::{MAX_OWNERS, OwnerTag, UNTRACKED};
pub use sampling::{
    BLOCK_UNIT, DEFAULT_SAMPLE_INTERVAL, SAMPLE_INTERVALS, sample_interval, set_sample_interval,
};
pub use small_cache::CACHED_BYTES_PER_THREAD;
pub use stats::{
    HeapStats, OwnerLive, PEAK_GRANULARITY, RegistryStats, ThreadStats, heap_stats, is_counting,
    owners_live, registry_stats, reset_peak, thread_stats,
};
pub use tag::TAGGED_MIN;
#[allow(unused_imports)]
pub(crate) use thread_slot::{
    PeakMark, enter_owner, frame_begin, frame_end, leave_owner, owner_bytes_here, thread_counters,
    unwatch_owner, watch_owner, without_peak,
};
