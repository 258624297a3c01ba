//! The [`Allocator`] type: a `GlobalAlloc` that forwards to an inner allocator,
//! counts what it served and records who owns it.

use std::alloc::{GlobalAlloc, Layout, System};

#[cfg(not(feature = "passthrough-alloc"))]
use super::{sample_pages, sampling, small_cache, tag, thread_slot};

/// A counting global allocator wrapping `A` (the system allocator by default).
///
/// Install it as the global allocator to get process heap figures
/// ([`heap_stats`](super::heap_stats)), exact per-operation heap attribution, and
/// the owner of every live block (see [`retained`](crate::retained::retained)):
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
/// the `passthrough-alloc` feature it only forwards. `Allocator::default()` is
/// `Allocator::new(A::default())`: it keeps no freed blocks.
#[derive(Debug, Default, Clone, Copy)]
pub struct Allocator<A = System> {
    inner: A,
    /// Whether freed small blocks are cached per thread (see `small_cache`): only
    /// over `System`, whose blocks every instance can serve.
    #[cfg_attr(feature = "passthrough-alloc", allow(dead_code))]
    small_cache: bool,
}

impl Allocator<System> {
    /// The counting allocator over the system allocator. It keeps a few freed small
    /// blocks per thread for that thread's next allocations of their size (see the
    /// [module documentation](super)); [`Allocator::new`]`(System)` counts the same
    /// and keeps nothing.
    ///
    /// ```
    /// #[global_allocator]
    /// static ALLOC: memtrack_runtime::alloc::Allocator = memtrack_runtime::alloc::Allocator::system();
    /// # fn main() { let _ = memtrack_runtime::alloc::is_counting(); }
    /// ```
    pub const fn system() -> Self {
        Self {
            inner: System,
            small_cache: true,
        }
    }
}

impl<A> Allocator<A> {
    /// The counting allocator over `inner`, to which it forwards every call (it keeps
    /// no freed blocks of its own).
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
        Self {
            inner,
            small_cache: false,
        }
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

#[cfg(not(feature = "passthrough-alloc"))]
impl<A: GlobalAlloc> Allocator<A> {
    /// The layout `inner` serves (and frees) an untagged block of `layout` with.
    #[inline(always)]
    fn served(&self, layout: Layout) -> Layout {
        if self.small_cache {
            small_cache::served(layout)
        } else {
            layout
        }
    }
}

/// Serves a block from `inner`, zeroed or not.
///
/// # Safety
///
/// The contract of [`GlobalAlloc::alloc`] for `layout`.
#[cfg(not(feature = "passthrough-alloc"))]
#[inline(always)]
unsafe fn serve<A: GlobalAlloc>(inner: &A, layout: Layout, zeroed: bool) -> *mut u8 {
    // SAFETY: the caller passes on the guarantees of `GlobalAlloc::alloc`.
    unsafe {
        if zeroed {
            inner.alloc_zeroed(layout)
        } else {
            inner.alloc(layout)
        }
    }
}

/// A tagged block: served with room for the tag, counted, tagged with its owner.
///
/// # Safety
///
/// The contract of [`GlobalAlloc::alloc`] for `layout`.
#[cfg(not(feature = "passthrough-alloc"))]
#[inline(never)]
unsafe fn alloc_tagged<A: GlobalAlloc>(inner: &A, layout: Layout, zeroed: bool) -> *mut u8 {
    let Some(longer) = tag::with_tag(layout) else {
        return std::ptr::null_mut();
    };
    // SAFETY: `longer` has the caller's alignment and a larger, valid size.
    let block = unsafe { serve(inner, longer, zeroed) };
    if !block.is_null() {
        let owner = thread_slot::count_large_alloc(layout.size() as u64);
        // SAFETY: the block is valid for `longer.size()` bytes.
        unsafe { tag::write(block, layout.size(), owner) };
    }
    block
}

/// A small allocation whose budget ran out on the fast path (or whose thread-local
/// is unavailable): finishes the counting and places the block, on a page of its
/// own when it is sampled.
///
/// A small allocation the inner allocator fails stays counted, on this path as on
/// the fast path (which hands over to the inner allocator with a tail call): the
/// system is then out of memory.
///
/// # Safety
///
/// The contract of [`GlobalAlloc::alloc`] for `layout`.
#[cfg(not(feature = "passthrough-alloc"))]
#[cold]
#[inline(never)]
unsafe fn alloc_small_slow<A: GlobalAlloc>(
    this: &Allocator<A>,
    layout: Layout,
    step: thread_slot::Step,
    zeroed: bool,
) -> *mut u8 {
    if let Some(block) = thread_slot::finish_small_alloc(layout.size() as u64, step)
        .and_then(|sample| place_sampled(layout, zeroed, sample))
    {
        return block;
    }
    // SAFETY: the caller's guarantees, passed on (the served layout is as valid).
    unsafe { serve(&this.inner, this.served(layout), zeroed) }
}

/// Places a sampled small block on a page of its own and records it; `None` when
/// it cannot be (an alignment above a page, or no page left).
#[cfg(not(feature = "passthrough-alloc"))]
fn place_sampled(layout: Layout, zeroed: bool, sample: thread_slot::Sample) -> Option<*mut u8> {
    if layout.align() > sample_pages::PAGE {
        return None;
    }
    let record = sample_pages::Record {
        owner: sample.owner,
        size: layout.size() as u32,
        weights: sample.weights,
    };
    let block = thread_slot::with_spare(|spare| sample_pages::place(record, spare))?;
    if zeroed {
        // SAFETY: the page is this block's alone and `layout.size()` bytes (under a
        // page) fit in it; a reused page holds the bytes of an earlier block.
        unsafe { std::ptr::write_bytes(block, 0, layout.size()) };
    }
    thread_slot::sampled_placed(sample);
    Some(block)
}

/// Frees a small block whose address starts a page: a sampled block goes back to
/// its page pool, and its weights stop counting for its owner; any other goes to
/// the inner allocator.
///
/// # Safety
///
/// The contract of [`GlobalAlloc::dealloc`] for `ptr` and `layout`.
#[cfg(not(feature = "passthrough-alloc"))]
#[cold]
#[inline(never)]
unsafe fn dealloc_page_aligned<A: GlobalAlloc>(this: &Allocator<A>, ptr: *mut u8, layout: Layout) {
    match thread_slot::with_spare(|spare| sample_pages::release(ptr, spare)) {
        Some(record) => thread_slot::sampled_freed(record.owner, record.weights),
        // SAFETY: the caller's guarantees: not a sampled block, so the inner
        // allocator's, served with `served`.
        None => unsafe { this.inner.dealloc(ptr, this.served(layout)) },
    }
}

/// A small free the fast path sent on: a block that starts a page (possibly a
/// sampled one), or a thread off the fast path.
///
/// # Safety
///
/// The contract of [`GlobalAlloc::dealloc`] for `ptr` and `layout`.
#[cfg(not(feature = "passthrough-alloc"))]
#[cold]
#[inline(never)]
unsafe fn dealloc_small_slow<A: GlobalAlloc>(this: &Allocator<A>, ptr: *mut u8, layout: Layout) {
    thread_slot::finish_small_free(layout.size() as u64);
    // SAFETY: the caller's guarantees, passed on; an untagged block was served with
    // `served`.
    unsafe {
        if sampling::may_be_sampled(ptr) {
            dealloc_page_aligned(this, ptr, layout);
        } else {
            this.inner.dealloc(ptr, this.served(layout));
        }
    }
}

/// Frees a tagged block: credits its owner, then hands it back with its tag.
///
/// # Safety
///
/// The contract of [`GlobalAlloc::dealloc`] for `ptr` and `layout`, where
/// `layout` is tagged.
#[cfg(not(feature = "passthrough-alloc"))]
#[inline(never)]
unsafe fn dealloc_tagged<A: GlobalAlloc>(inner: &A, ptr: *mut u8, layout: Layout) {
    // SAFETY: a block of this size was allocated tagged (by `alloc_tagged` or a
    // `realloc` to a tagged size), so the tag follows its bytes.
    let owner = unsafe { tag::read(ptr, layout.size()) };
    thread_slot::count_large_free(layout.size() as u64, owner);
    // SAFETY: the block was served with the tagged layout of `layout`.
    unsafe { inner.dealloc(ptr, tag::with_tag_unchecked(layout)) }
}

/// A reallocation done as an allocation, a copy and a free (for blocks whose
/// placement changes: sampled blocks, and blocks that become sampled).
///
/// # Safety
///
/// The contract of [`GlobalAlloc::realloc`].
#[cfg(not(feature = "passthrough-alloc"))]
#[cold]
#[inline(never)]
unsafe fn realloc_by_copy<A: GlobalAlloc>(
    this: &Allocator<A>,
    ptr: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    // SAFETY: the caller guarantees `new_size` with `layout.align()` is a valid,
    // non-zero layout.
    let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
    // SAFETY: as above.
    let new = unsafe { this.alloc(new_layout) };
    if !new.is_null() {
        // SAFETY: both blocks are valid for the smaller of their sizes and do not
        // overlap (the old one is still allocated); the old one is then freed with
        // its layout, as the caller guarantees.
        unsafe {
            std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            this.dealloc(ptr, layout);
        }
    }
    new
}

/// A reallocation involving a tagged block (on either side) or a block that starts
/// a page (possibly a sampled one).
///
/// # Safety
///
/// The contract of [`GlobalAlloc::realloc`].
#[cfg(not(feature = "passthrough-alloc"))]
#[inline(never)]
unsafe fn realloc_general<A: GlobalAlloc>(
    this: &Allocator<A>,
    ptr: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    let old_size = layout.size();
    let old_tagged = tag::is_tagged(old_size);
    let new_tagged = tag::is_tagged(new_size);
    let moves = (!old_tagged && sampling::may_be_sampled(ptr) && sample_pages::is_sampled(ptr))
        || (!new_tagged && thread_slot::would_sample(new_size as u64));
    if moves {
        // SAFETY: the caller's guarantees, passed on.
        return unsafe { realloc_by_copy(this, ptr, layout, new_size) };
    }
    let old_owner = old_tagged.then(|| {
        // SAFETY: a block of this size was allocated tagged.
        unsafe { tag::read(ptr, old_size) }
    });
    let served = if old_tagged {
        // SAFETY: the block was served with the tagged layout of `layout`.
        unsafe { tag::with_tag_unchecked(layout) }
    } else {
        this.served(layout)
    };
    let served_new = if new_tagged {
        match new_size.checked_add(tag::TAG_SIZE) {
            Some(size) if Layout::from_size_align(size, layout.align()).is_ok() => size,
            _ => return std::ptr::null_mut(),
        }
    } else {
        // SAFETY: a small size with the block's (valid) alignment.
        this.served(unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) })
            .size()
    };
    // SAFETY: `ptr` was served by `inner` with `served`; `served_new` is a
    // valid size for the block's alignment (checked above, or the caller's).
    let block = unsafe { this.inner.realloc(ptr, served, served_new) };
    if !block.is_null() {
        let owner = thread_slot::count_realloc(
            thread_slot::Side {
                size: old_size as u64,
                tagged: old_owner,
            },
            thread_slot::Side {
                size: new_size as u64,
                tagged: new_tagged.then_some(0),
            },
        );
        if new_tagged {
            // SAFETY: the new block is valid for `served_new` bytes.
            unsafe { tag::write(block, new_size, owner) };
        }
    }
    block
}

/// A small reallocation whose budget ran out on the fast path: finishes the
/// counting and, when the new block is the thread's next sample, moves it to a page
/// of its own.
///
/// # Safety
///
/// The contract of [`GlobalAlloc::realloc`], for a block that is neither tagged nor
/// sampled and a new size under the tagging threshold.
#[cfg(not(feature = "passthrough-alloc"))]
#[cold]
#[inline(never)]
unsafe fn realloc_small_slow<A: GlobalAlloc>(
    this: &Allocator<A>,
    ptr: *mut u8,
    layout: Layout,
    new_size: usize,
    step: thread_slot::Step,
) -> *mut u8 {
    if let Some(sample) = thread_slot::finish_small_alloc(new_size as u64, step) {
        // SAFETY: the caller guarantees `new_size` is valid with this alignment.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if let Some(block) = place_sampled(new_layout, false, sample) {
            // SAFETY: the page is the new block's alone; the old block is valid for
            // its size, then goes back to the inner allocator that served it.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, block, layout.size().min(new_size));
                this.inner.dealloc(ptr, this.served(layout));
            }
            return block;
        }
    }
    // SAFETY: the caller's guarantees, passed on.
    unsafe { realloc_small(this, ptr, layout, new_size) }
}

/// Reallocates a small untagged, unsampled block to a small size through `inner`,
/// both sides with their served layouts.
///
/// # Safety
///
/// The contract of [`GlobalAlloc::realloc`], for such a block and size.
#[cfg(not(feature = "passthrough-alloc"))]
#[inline(always)]
unsafe fn realloc_small<A: GlobalAlloc>(
    this: &Allocator<A>,
    ptr: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    // SAFETY: the caller guarantees `new_size` is valid with this alignment.
    let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
    // SAFETY: the block was served with `served(layout)`; the served new size is
    // valid with the same alignment.
    unsafe {
        this.inner
            .realloc(ptr, this.served(layout), this.served(new_layout).size())
    }
}

// SAFETY: every method serves and frees blocks through the inner allocator with
// layouts derived from the caller's: tagged blocks (`tag::is_tagged`) always with the
// tag's extra bytes, so each block is freed with the layout it was served with and
// the caller's block is the first `layout.size()` bytes of it. Sampled small blocks
// are pages of memtrack's own region, told apart by their address, given to one
// block at a time and never handed to the inner allocator. Other small blocks are
// served with `served` (the size rounded up to 8 when blocks are kept) and freed and
// reallocated with it; a kept block is a `System` block (only `Allocator::system`
// keeps any) that the program freed, held by one thread's list until that thread
// hands it out again or back to `System`. Counting touches only memory owned by the
// counters and tables (it never allocates through the global allocator, locks or
// panics).
unsafe impl<A: GlobalAlloc> GlobalAlloc for Allocator<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        #[cfg(not(feature = "passthrough-alloc"))]
        {
            let size = layout.size();
            if tag::is_tagged(size) {
                // SAFETY: the caller's guarantees, passed on.
                return unsafe { alloc_tagged(&self.inner, layout, false) };
            }
            let step = thread_slot::count_small_alloc(size as u64);
            if step != thread_slot::Step::Counted {
                // SAFETY: the caller's guarantees, passed on.
                return unsafe { alloc_small_slow(self, layout, step, false) };
            }
            if self.small_cache && small_cache::fits(layout) {
                let block = thread_slot::pop_cached(size);
                if !block.is_null() {
                    return block;
                }
                // SAFETY: a small, non-zero size; with blocks kept, `inner` is `System`
                // (only `Allocator::system` keeps them).
                return unsafe { small_cache::system_alloc(size) };
            }
            // SAFETY: the caller's guarantees; the served layout is as valid.
            unsafe { self.inner.alloc(self.served(layout)) }
        }
        #[cfg(feature = "passthrough-alloc")]
        // SAFETY: forwarded with the caller's guarantees about `layout`.
        unsafe {
            self.inner.alloc(layout)
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        #[cfg(not(feature = "passthrough-alloc"))]
        {
            let size = layout.size();
            if tag::is_tagged(size) {
                // SAFETY: the caller's guarantees, passed on.
                return unsafe { alloc_tagged(&self.inner, layout, true) };
            }
            let step = thread_slot::count_small_alloc(size as u64);
            if step != thread_slot::Step::Counted {
                // SAFETY: the caller's guarantees, passed on.
                return unsafe { alloc_small_slow(self, layout, step, true) };
            }
            // SAFETY: the caller's guarantees; the served layout is as valid.
            unsafe { self.inner.alloc_zeroed(self.served(layout)) }
        }
        #[cfg(feature = "passthrough-alloc")]
        // SAFETY: forwarded with the caller's guarantees about `layout`.
        unsafe {
            self.inner.alloc_zeroed(layout)
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Counted before the memory goes back. The common case is counted inline and
        // ends with the block kept, or in a tail call to the inner allocator.
        #[cfg(not(feature = "passthrough-alloc"))]
        {
            let size = layout.size();
            if tag::is_tagged(size) {
                // SAFETY: the caller's guarantees, passed on.
                return unsafe { dealloc_tagged(&self.inner, ptr, layout) };
            }
            if thread_slot::count_small_free(ptr, size as u64) {
                // SAFETY: the caller's guarantees, passed on.
                return unsafe { dealloc_small_slow(self, ptr, layout) };
            }
            // SAFETY: the block is small, untagged and not sampled, so the inner
            // allocator served it with `served(layout)`, and the caller gives it up.
            if self.small_cache
                && small_cache::takes_freed(layout)
                && unsafe { thread_slot::push_cached(ptr, size) }
            {
                return;
            }
            // SAFETY: as above.
            unsafe { self.inner.dealloc(ptr, self.served(layout)) }
        }
        #[cfg(feature = "passthrough-alloc")]
        // SAFETY: forwarded with the caller's guarantees: `ptr` was allocated by this
        // allocator (hence by `inner`) with `layout`.
        unsafe {
            self.inner.dealloc(ptr, layout)
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        #[cfg(not(feature = "passthrough-alloc"))]
        {
            let old_size = layout.size();
            if tag::is_tagged(old_size) || tag::is_tagged(new_size) || sampling::may_be_sampled(ptr)
            {
                // SAFETY: the caller's guarantees, passed on.
                return unsafe { realloc_general(self, ptr, layout, new_size) };
            }
            let step = thread_slot::count_small_realloc(old_size as u64, new_size as u64);
            if step != thread_slot::Step::Counted {
                // SAFETY: the caller's guarantees; a small block that does not start a
                // page is neither tagged nor sampled.
                return unsafe { realloc_small_slow(self, ptr, layout, new_size, step) };
            }
            // SAFETY: the caller's guarantees, for a small unsampled block.
            unsafe { realloc_small(self, ptr, layout, new_size) }
        }
        #[cfg(feature = "passthrough-alloc")]
        // SAFETY: forwarded with the caller's guarantees about `ptr`, `layout` and
        // `new_size`.
        unsafe {
            self.inner.realloc(ptr, layout, new_size)
        }
    }
}
