//! A thread's cache of freed small blocks of the system allocator.
//!
//! [`Allocator::system`](super::Allocator::system) keeps the small blocks its thread
//! frees (under [`TAGGED_MIN`] bytes) in lists by size, a few of each size and at
//! most [`CACHED_BYTES_PER_THREAD`] in all, and serves the thread's next
//! allocations of the same sizes (alignment at most 8) from them. Taking or
//! keeping a block is a few instructions where `malloc` and `free` run a hundred,
//! which pays for the counting on small-block churn.
//!
//! A list holds the blocks of one class: sizes rounded up to a multiple of 8. So that
//! any block of a class fits any request of it, every small block with alignment at
//! most 8 is served by the system allocator with its size rounded the same way
//! ([`served`]), and freed and reallocated with that layout: the system allocator
//! then sees one consistent layout per block. (glibc's and the other common `malloc`s
//! round at least as far, so the rounding costs no memory.)
//!
//! A cached block keeps the next block of its list in its first bytes; nothing else is
//! written into it. Only the owning thread touches its lists; the thread's exit hook
//! hands every cached block back to the system allocator, and the cache stays empty
//! and closed afterwards, as it is on a thread off the fast path.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use super::tag::TAGGED_MIN;

/// Most freed blocks a thread keeps of one class: [`MOST_BLOCKS`], or fewer for
/// the larger sizes, as many as fit in [`CLASS_BYTES`] (at least one).
const fn most_blocks(size: usize) -> u32 {
    let fit = CLASS_BYTES / size;
    if fit > MOST_BLOCKS as usize {
        MOST_BLOCKS
    } else if fit == 0 {
        1
    } else {
        fit as u32
    }
}

/// Most bytes a thread's cache holds: every list full (sizes rounded to their
/// class). Less than glibc's own per-thread cache can hold (7 blocks of each of 64
/// sizes up to 1,032 bytes, about 236 KiB).
///
/// ```
/// assert_eq!(memtrack_runtime::alloc::CACHED_BYTES_PER_THREAD, 101_040);
/// ```
pub const CACHED_BYTES_PER_THREAD: usize = {
    let mut total = 0;
    let mut index = 0;
    while index < CLASSES {
        let size = (index + 1) * GRAIN;
        total += most_blocks(size) as usize * size;
        index += 1;
    }
    total
};

/// Most blocks of one size a thread keeps.
const MOST_BLOCKS: u32 = 8;

/// Bytes a class's list holds at most, for classes of more than
/// `CLASS_BYTES / MOST_BLOCKS` bytes.
const CLASS_BYTES: usize = 1024;

/// Sizes are grouped by this many bytes.
const GRAIN: usize = 8;

/// Number of classes: every size under [`TAGGED_MIN`].
const CLASSES: usize = TAGGED_MIN / GRAIN;

/// Whether a small block of `layout` (under [`TAGGED_MIN`] bytes) may be cached.
#[inline(always)]
pub(super) fn fits(layout: Layout) -> bool {
    layout.align() <= GRAIN
}

/// Whether a freed small block of `layout` may be cached. On Unix every block the
/// system allocator serves, whatever its alignment, is freed by `free` and aligned
/// to at least 8 bytes, so any of them can serve a request that [`fits`]; elsewhere
/// only those that [`fits`] themselves.
#[inline(always)]
pub(super) fn takes_freed(layout: Layout) -> bool {
    cfg!(unix) || fits(layout)
}

/// Serves a small block of `size` bytes with an alignment of at most 8, as the
/// system allocator would serve it with the [`served`] layout: on Unix that is
/// `malloc` of the rounded size (alignment at most `malloc`'s, and not above the size),
/// called directly.
///
/// # Safety
///
/// `size` is not zero and under `TAGGED_MIN`.
#[inline(always)]
pub(super) unsafe fn system_alloc(size: usize) -> *mut u8 {
    #[cfg(unix)]
    {
        // SAFETY: `malloc` may be called with any size.
        unsafe { libc::malloc(rounded(size)).cast() }
    }
    #[cfg(not(unix))]
    {
        // SAFETY: a valid, non-zero layout (the caller's size, rounded).
        unsafe { System.alloc(Layout::from_size_align_unchecked(rounded(size), GRAIN)) }
    }
}

/// `size` rounded up to its class's size.
#[inline(always)]
fn rounded(size: usize) -> usize {
    (size + (GRAIN - 1)) & !(GRAIN - 1)
}

/// The list of a size from 1 to `TAGGED_MIN - 1` (masked, so never out of bounds).
#[inline(always)]
fn class(size: usize) -> usize {
    (size.wrapping_sub(1) / GRAIN) & (CLASSES - 1)
}

/// The layout the system allocator serves a small block of `layout` with when the
/// cache is on: the size rounded up to its class, the alignment kept. (Blocks the
/// cache does not take are rounded too, which changes nothing for them and saves a
/// test.)
#[inline(always)]
pub(super) fn served(layout: Layout) -> Layout {
    // SAFETY: the rounded size is at most `TAGGED_MIN` plus 7 bytes, far under
    // `isize::MAX` less any alignment, and the alignment is the caller's, a valid one.
    unsafe { Layout::from_size_align_unchecked(rounded(layout.size()), layout.align()) }
}

/// One class's list: its first block and how many more it may hold.
struct Bin {
    head: Cell<*mut u8>,
    room: Cell<u32>,
}

/// A thread's lists of freed small blocks.
pub(super) struct SmallCache {
    bins: [Bin; CLASSES],
}

impl SmallCache {
    /// An empty, closed cache.
    pub(super) const fn new() -> Self {
        Self {
            bins: [const {
                Bin {
                    head: Cell::new(std::ptr::null_mut()),
                    room: Cell::new(0),
                }
            }; CLASSES],
        }
    }

    /// Opens the cache (the thread is on the fast path).
    pub(super) fn open(&self) {
        for (index, bin) in self.bins.iter().enumerate() {
            bin.room.set(most_blocks((index + 1) * GRAIN));
        }
    }

    /// Takes a cached block for a small allocation of `size` bytes; null when its list
    /// is empty.
    #[inline(always)]
    pub(super) fn pop(&self, size: usize) -> *mut u8 {
        let bin = &self.bins[class(size)];
        let block = bin.head.get();
        if !block.is_null() {
            // SAFETY: a cached block is a live system block of at least a pointer's
            // size (the class's rounded size), only this thread's list refers to it,
            // and `push` wrote the next block's address in its first bytes.
            bin.head
                .set(unsafe { block.cast::<*mut u8>().read_unaligned() });
            bin.room.set(bin.room.get() + 1);
        }
        block
    }

    /// Keeps the freed block `ptr` of `size` bytes (served with [`served`]); `false`
    /// when its list is full, and the block must go back to the system allocator.
    ///
    /// # Safety
    ///
    /// `ptr` is a block of the system allocator served with `served` for a layout of
    /// `size` bytes that [`fits`], which the caller gives up.
    #[inline(always)]
    pub(super) unsafe fn push(&self, ptr: *mut u8, size: usize) -> bool {
        let bin = &self.bins[class(size)];
        let room = bin.room.get();
        if room == 0 {
            return false;
        }
        bin.room.set(room - 1);
        // SAFETY: the block is the caller's to give up and at least 8 bytes long
        // (its rounded size); from now on only this list refers to it.
        unsafe { ptr.cast::<*mut u8>().write_unaligned(bin.head.get()) };
        bin.head.set(ptr);
        true
    }

    /// Blocks held, over every list.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        let mut blocks = 0;
        for bin in &self.bins {
            let mut block = bin.head.get();
            while !block.is_null() {
                blocks += 1;
                // SAFETY: as in `pop`.
                block = unsafe { block.cast::<*mut u8>().read_unaligned() };
            }
        }
        blocks
    }

    /// Hands every cached block back to the system allocator and closes the cache.
    pub(super) fn drain(&self) {
        for (index, bin) in self.bins.iter().enumerate() {
            bin.room.set(0);
            let size = (index + 1) * GRAIN;
            // SAFETY: the size is at most `TAGGED_MIN` and the alignment 8: valid.
            let layout = unsafe { Layout::from_size_align_unchecked(size, GRAIN) };
            let mut block = bin.head.replace(std::ptr::null_mut());
            while !block.is_null() {
                // SAFETY: as in `pop`: a cached block holds the next one's address.
                let next = unsafe { block.cast::<*mut u8>().read_unaligned() };
                // SAFETY: the block was served by the system allocator with this
                // class's size and an alignment of at most 8, for which `System`
                // frees through the same call as with this layout.
                unsafe { System.dealloc(block, layout) };
                block = next;
            }
        }
    }
}
