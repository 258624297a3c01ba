//! The [`Allocator`] type: a `GlobalAlloc` that forwards to an inner allocator and
//! counts what it served.

use std::alloc::{GlobalAlloc, Layout, System};

#[cfg(not(feature = "passthrough-alloc"))]
use super::thread_slot;

/// A counting global allocator wrapping `A` (the system allocator by default).
///
/// Install it as the global allocator to get process heap figures
/// ([`heap_stats`](super::heap_stats)) and exact per-operation heap attribution:
///
/// ```
/// #[global_allocator]
/// static ALLOC: memtrack_runtime::alloc::Allocator = memtrack_runtime::alloc::Allocator::system();
///
/// let v: Vec<u8> = Vec::with_capacity(4096);
/// // `None` only when built with the `passthrough-alloc` feature.
/// if let Some(stats) = memtrack_runtime::alloc::heap_stats() {
///     assert!(stats.allocated_bytes >= 4096);
/// }
/// # drop(v);
/// ```
///
/// Every allocation is counted on the calling thread with plain loads and stores
/// to memory only that thread writes, and no atomic read-modify-write; see the
/// [module documentation](super) for what the figures mean and what it costs. With
/// the `passthrough-alloc` feature it only forwards.
#[derive(Debug, Default, Clone, Copy)]
pub struct Allocator<A = System> {
    inner: A,
}

impl Allocator<System> {
    /// The counting allocator over the system allocator.
    ///
    /// ```
    /// #[global_allocator]
    /// static ALLOC: memtrack_runtime::alloc::Allocator = memtrack_runtime::alloc::Allocator::system();
    /// # fn main() { let _ = memtrack_runtime::alloc::is_counting(); }
    /// ```
    pub const fn system() -> Self {
        Self { inner: System }
    }
}

impl<A> Allocator<A> {
    /// The counting allocator over `inner`.
    ///
    /// ```
    /// use std::alloc::System;
    /// use memtrack_runtime::alloc::Allocator;
    ///
    /// #[global_allocator]
    /// static ALLOC: Allocator<System> = Allocator::new(System);
    /// # fn main() {}
    /// ```
    pub const fn new(inner: A) -> Self {
        Self { inner }
    }

    /// The wrapped allocator.
    ///
    /// ```
    /// use std::alloc::System;
    /// let alloc = memtrack_runtime::alloc::Allocator::new(System);
    /// let _system: &System = alloc.inner();
    /// ```
    pub const fn inner(&self) -> &A {
        &self.inner
    }
}

/// `dealloc` for a free the fast path did not count. The inner allocator comes last,
/// so `ptr` and `layout` stay in the registers `dealloc` received them in.
///
/// # Safety
///
/// The contract of [`GlobalAlloc::dealloc`], for `inner`.
#[cfg(not(feature = "passthrough-alloc"))]
#[cold]
#[inline(never)]
unsafe fn dealloc_slow<A: GlobalAlloc>(ptr: *mut u8, layout: Layout, inner: &A) {
    thread_slot::on_free(layout.size() as u64);
    // SAFETY: the caller passes on the guarantees of `GlobalAlloc::dealloc`.
    unsafe { inner.dealloc(ptr, layout) }
}

// SAFETY: every method forwards to the inner allocator with the caller's arguments
// unchanged and returns its result unchanged; counting only reads the layout sizes and
// touches memory owned by the counters (it never allocates, locks or panics).
unsafe impl<A: GlobalAlloc> GlobalAlloc for Allocator<A> {
    // Allocation is kept out of line, as the system allocator's is (its inlined
    // part is a jump to `malloc`): inlined, the counting after the call grows every
    // caller, and callers that are themselves inlined (`RawVec` growth, say) stop
    // being so. `benches/count_instructions.sh` measured fewer instructions this way;
    // the free path, which has no call to wait for, is cheapest inlined.
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees about `layout`.
        let ptr = unsafe { self.inner.alloc(layout) };
        #[cfg(not(feature = "passthrough-alloc"))]
        if !ptr.is_null() {
            thread_slot::on_alloc(layout.size() as u64);
        }
        ptr
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees about `layout`.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        #[cfg(not(feature = "passthrough-alloc"))]
        if !ptr.is_null() {
            thread_slot::on_alloc(layout.size() as u64);
        }
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Counted before the memory goes back, so the process estimate never exceeds
        // what is really held. The common case is counted inline; the rest goes
        // through `dealloc_slow`, so that both end in a tail call to the inner
        // allocator.
        #[cfg(not(feature = "passthrough-alloc"))]
        if !thread_slot::free_fast(layout.size() as u64) {
            // SAFETY: the caller's guarantees, passed on unchanged.
            return unsafe { dealloc_slow(ptr, layout, &self.inner) };
        }
        // SAFETY: forwarded with the caller's guarantees: `ptr` was allocated by this
        // allocator (hence by `inner`) with `layout`.
        unsafe { self.inner.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees about `ptr`, `layout` and
        // `new_size`.
        let new_ptr = unsafe { self.inner.realloc(ptr, layout, new_size) };
        #[cfg(not(feature = "passthrough-alloc"))]
        if !new_ptr.is_null() {
            thread_slot::on_realloc(layout.size() as u64, new_size as u64);
        }
        new_ptr
    }
}
