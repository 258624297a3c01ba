//! The owner tag after a block of at least [`TAGGED_MIN`] bytes.
//!
//! A tagged block is served by the inner allocator [`TAG_SIZE`] bytes longer than
//! asked, and the tag of its owner is written in those last bytes (unaligned, so no
//! padding is needed whatever the block's alignment). `dealloc` and `realloc`
//! receive the block's layout, whose size says whether a tag is there and where.
//! Putting the tag after the block rather than before it keeps the block's address
//! as the inner allocator returned it, so over-aligned blocks need no padding and a
//! `realloc` the inner allocator does in place stays in place.

use std::alloc::Layout;

use super::owners::OwnerTag;

/// Blocks of at least this many bytes carry their owner's tag and are attributed
/// exactly; smaller ones are attributed by sampling (see
/// [`sample_interval`](super::sample_interval)).
///
/// ```
/// assert_eq!(memtrack_runtime::alloc::TAGGED_MIN, 1024);
/// ```
pub const TAGGED_MIN: usize = 1024;

/// Bytes added to a tagged block.
pub(super) const TAG_SIZE: usize = std::mem::size_of::<OwnerTag>();

/// Whether a block of `size` bytes is tagged.
#[inline(always)]
pub(super) fn is_tagged(size: usize) -> bool {
    size >= TAGGED_MIN
}

/// The layout the inner allocator serves for a tagged block of `layout`; `None`
/// when the longer block would not be a valid layout.
#[inline]
pub(super) fn with_tag(layout: Layout) -> Option<Layout> {
    Layout::from_size_align(layout.size().checked_add(TAG_SIZE)?, layout.align()).ok()
}

/// [`with_tag`] for a block that was allocated tagged (so the longer layout is
/// known to be valid).
///
/// # Safety
///
/// `with_tag(layout)` must have returned `Some` when the block was allocated.
#[inline(always)]
pub(super) unsafe fn with_tag_unchecked(layout: Layout) -> Layout {
    // SAFETY: the caller guarantees this layout was valid when the block was
    // allocated (same size, same alignment).
    unsafe { Layout::from_size_align_unchecked(layout.size() + TAG_SIZE, layout.align()) }
}

/// Writes `tag` after the first `size` bytes of `block`.
///
/// # Safety
///
/// `block` must be valid for writes of `size + TAG_SIZE` bytes.
#[inline(always)]
pub(super) unsafe fn write(block: *mut u8, size: usize, tag: OwnerTag) {
    // SAFETY: the caller guarantees the bytes `size..size + TAG_SIZE` are part of
    // the block; the write is unaligned.
    unsafe { block.add(size).cast::<OwnerTag>().write_unaligned(tag) }
}

/// Reads the tag after the first `size` bytes of `block`.
///
/// # Safety
///
/// `block` must be a tagged block of `size` bytes (valid for reads of
/// `size + TAG_SIZE` bytes, the tag written by [`write`]).
#[inline(always)]
pub(super) unsafe fn read(block: *mut u8, size: usize) -> OwnerTag {
    // SAFETY: as above; the read is unaligned.
    unsafe { block.add(size).cast::<OwnerTag>().read_unaligned() }
}
