//! The pages sampled small blocks live on, each with the record of its block.
//!
//! A sampled block is placed at the start of a page of a region reserved for them
//! ([`PAGES`] pages of [`PAGE`] bytes, mapped on the first sample and never unmapped;
//! a page becomes resident when first used). Keeping them apart from the inner
//! allocator's memory matters twice: a free can tell a sampled block by its address
//! (it starts a page of the region), and the inner allocator never hands a
//! page-aligned chunk it got back from a sampled block to ordinary allocations,
//! whose frees would all take the page-aligned path.
//!
//! Pages are handed out from a lock-free stack of free pages (index and a
//! generation in one atomic word, so a page popped and pushed back meanwhile cannot
//! be mistaken for the old head), or fresh from the end of the used part of the
//! region. Besides, a counting thread keeps one free page of its own (a [`Spare`]):
//! the page of the last sampled block it freed, which its next sample takes. In the
//! common case where a thread frees its own short-lived samples, that page and its
//! record stay in the thread's cache and the shared stack, whose cache line moves
//! between the threads that touch it, is left alone. A thread hands its spare back
//! to the stack when it stops counting (its exit hook). A page's record
//! is written by the thread that places the block and taken by the thread that frees
//! it; a page holds one block at a time, so never by two threads at once. When every
//! page is in use the allocation is simply not sampled.
//!
//! Memory cost: one page per live sampled block, about `PAGE / sample_interval` of
//! the live small bytes (1.6 % at the default interval), plus the pages of the
//! largest number of sampled blocks ever live at once, which are reused, and at
//! most one spare page per counting thread.

use std::cell::Cell;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use super::owners::OwnerTag;
use super::pages;
use super::sampling::Weights;

/// Size and alignment of a page for one sampled block.
pub(super) const PAGE: usize = super::sampling::SAMPLE_ALIGN;

/// Pages in the region (1 GiB of address space; 1 MiB under miri, which backs a
/// mapping with real memory).
pub(super) const PAGES: usize = if cfg!(miri) { 1 << 8 } else { 1 << 18 };

/// A thread's own free page: its index + 1, 0 for none.
pub(super) type Spare = Cell<u32>;

/// What is recorded for a sampled block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Record {
    pub(super) owner: OwnerTag,
    pub(super) size: u32,
    pub(super) weights: Weights,
}

/// One page's bookkeeping: its record and its link in the free stack.
struct PageInfo {
    /// `(owner + 1) << 32 | size`, 0 while no block is on the page.
    key: AtomicU64,
    /// The block's weights, whole: at long sample intervals they pass `u32::MAX`
    /// (the byte weight is about the interval), and what a free takes off its
    /// owner must be what placing it added.
    weight_bytes: AtomicU64,
    weight_blocks: AtomicU64,
    /// The next free page (index + 1, 0 for none) while this one is free.
    next: AtomicU32,
}

// SAFETY: atomic integers, valid at zero.
unsafe impl pages::AllZeroValid for PageInfo {}

/// The region and its bookkeeping, once created.
struct Region {
    /// The first of `PAGES` pages (a raw pointer: the pages are handed out to be
    /// written by their blocks' users, so no reference to them is ever made here).
    base: *mut u8,
    info: &'static [PageInfo; PAGES],
}

static PAGES_BASE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static INFO_BASE: AtomicPtr<[PageInfo; PAGES]> = AtomicPtr::new(std::ptr::null_mut());

/// The pages' allocation state, which every thread that samples writes: on cache
/// lines of its own, so that it does not slow down the reading of the region's
/// addresses (or of other statics the linker puts next to them).
#[repr(C, align(128))]
struct Stack {
    /// Top of the free stack: `generation << 32 | (index + 1)`, index + 1 = 0 for
    /// empty.
    top: AtomicU64,
    /// Pages never handed out start here.
    fresh: AtomicUsize,
}

static STACK: Stack = Stack {
    top: AtomicU64::new(0),
    fresh: AtomicUsize::new(0),
};

/// The region if it exists.
fn region() -> Option<Region> {
    let base = PAGES_BASE.load(Ordering::Acquire);
    let info = INFO_BASE.load(Ordering::Acquire);
    if base.is_null() {
        return None;
    }
    // SAFETY: a non-null pointer was stored by `region_or_create` from a
    // `&'static` mapping that is never unmapped.
    let info = unsafe { info.as_ref()? };
    Some(Region { base, info })
}

/// The region, created by the first caller; `None` if the system cannot map it.
fn region_or_create() -> Option<Region> {
    if let Some(region) = region() {
        return Some(region);
    }
    // Bookkeeping first: a reader that sees the pages also sees it.
    if INFO_BASE.load(Ordering::Acquire).is_null() {
        let info: &'static [PageInfo; PAGES] = pages::zeroed()?;
        // The loser of a race leaves its mapping unused (address space only).
        let _ = INFO_BASE.compare_exchange(
            std::ptr::null_mut(),
            std::ptr::from_ref(info).cast_mut(),
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }
    if PAGES_BASE.load(Ordering::Acquire).is_null() {
        let base = pages::zeroed_bytes(PAGES * PAGE)?;
        let _ = PAGES_BASE.compare_exchange(
            std::ptr::null_mut(),
            base,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }
    region()
}

/// The index of the region page `ptr` starts, if it starts one.
fn index_of(region: &Region, ptr: *mut u8) -> Option<usize> {
    let offset = (ptr as usize).checked_sub(region.base as usize)?;
    (offset % PAGE == 0 && offset / PAGE < PAGES).then_some(offset / PAGE)
}

/// A free page: popped from the free stack, or fresh.
fn take_page(region: &Region) -> Option<usize> {
    let mut top = STACK.top.load(Ordering::Acquire);
    loop {
        let index = (top & u64::from(u32::MAX)) as usize;
        if index == 0 {
            break;
        }
        let next = region.info[index - 1].next.load(Ordering::Relaxed);
        let generation = (top >> 32).wrapping_add(1);
        match STACK.top.compare_exchange_weak(
            top,
            generation << 32 | u64::from(next),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return Some(index - 1),
            Err(now) => top = now,
        }
    }
    let fresh = STACK.fresh.fetch_add(1, Ordering::Relaxed);
    if fresh < PAGES {
        Some(fresh)
    } else {
        STACK.fresh.store(PAGES, Ordering::Relaxed);
        None
    }
}

/// Puts page `index` back on the free stack.
fn give_back(region: &Region, index: usize) {
    let mut top = STACK.top.load(Ordering::Acquire);
    loop {
        region.info[index]
            .next
            .store((top & u64::from(u32::MAX)) as u32, Ordering::Relaxed);
        let generation = (top >> 32).wrapping_add(1);
        match STACK.top.compare_exchange_weak(
            top,
            generation << 32 | (index as u64 + 1),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return,
            Err(now) => top = now,
        }
    }
}

/// Places a sampled block with `record` on a page of its own, the calling thread's
/// `spare` if it has one; its address, or `None` when no page is available.
pub(super) fn place(record: Record, spare: Option<&Spare>) -> Option<*mut u8> {
    let region = region_or_create()?;
    let index = match spare.map(Cell::take) {
        Some(kept) if kept != 0 => kept as usize - 1,
        _ => take_page(&region)?,
    };
    let info = &region.info[index];
    info.weight_bytes
        .store(record.weights.bytes, Ordering::Relaxed);
    info.weight_blocks
        .store(record.weights.blocks, Ordering::Relaxed);
    info.key.store(
        (u64::from(record.owner) + 1) << 32 | u64::from(record.size),
        Ordering::Release,
    );
    // SAFETY: `index < PAGES`, so the page lies inside the mapping of `PAGES * PAGE`
    // bytes that `base` starts.
    Some(unsafe { region.base.add(index * PAGE) })
}

/// Whether `ptr` is a sampled block.
pub(super) fn is_sampled(ptr: *mut u8) -> bool {
    region().is_some_and(|region| {
        index_of(&region, ptr).is_some_and(|i| region.info[i].key.load(Ordering::Acquire) != 0)
    })
}

/// Takes back the page of the sampled block at `ptr` (being freed), as the calling
/// thread's `spare` if it has none yet, and returns its record; `None` when `ptr` is
/// not a sampled block.
pub(super) fn release(ptr: *mut u8, spare: Option<&Spare>) -> Option<Record> {
    let region = region()?;
    let index = index_of(&region, ptr)?;
    let info = &region.info[index];
    let key = info.key.swap(0, Ordering::AcqRel);
    if key == 0 {
        return None;
    }
    let weights = Weights {
        bytes: info.weight_bytes.load(Ordering::Relaxed),
        blocks: info.weight_blocks.load(Ordering::Relaxed),
    };
    match spare {
        // `index < PAGES`, which fits in a `u32` with room for the + 1.
        Some(spare) if spare.get() == 0 => spare.set(index as u32 + 1),
        _ => give_back(&region, index),
    }
    Some(Record {
        owner: ((key >> 32) - 1) as OwnerTag,
        size: key as u32,
        weights,
    })
}

/// Hands the calling thread's spare page, if any, back to the free stack.
pub(super) fn give_back_spare(spare: &Spare) {
    let kept = spare.take();
    if kept != 0
        && let Some(region) = region()
    {
        give_back(&region, kept as usize - 1);
    }
}

#[cfg(all(test, not(feature = "passthrough-alloc")))]
mod tests {
    use super::*;

    fn place_shared(record: Record) -> Option<*mut u8> {
        place(record, None)
    }

    fn record(owner: OwnerTag, size: u32) -> Record {
        Record {
            owner,
            size,
            weights: Weights {
                bytes: 1000,
                blocks: 3000,
            },
        }
    }

    #[test]
    fn weights_past_32_bits_come_back_whole() {
        let _serial = super::super::test_lock::serial();
        let heavy = Record {
            owner: 9,
            size: 1000,
            weights: Weights {
                bytes: 1 << 40,
                blocks: (1 << 40) / 1000 * 1024,
            },
        };
        let page = place_shared(heavy).expect("a page");
        assert_eq!(release(page, None), Some(heavy));
    }

    #[test]
    fn a_page_is_used_by_one_block_at_a_time_and_reused() {
        let _serial = super::super::test_lock::serial();
        let a = place_shared(record(3, 100)).expect("a page");
        let b = place_shared(record(4, 200)).expect("another page");
        assert_ne!(a, b);
        assert_eq!(a as usize % PAGE, 0);
        assert!(is_sampled(a));
        // SAFETY: the page is ours until released; 100 bytes fit.
        unsafe { std::ptr::write_bytes(a, 5, 100) };
        assert_eq!(release(a, None), Some(record(3, 100)));
        assert_eq!(release(a, None), None, "taken once");
        assert!(!is_sampled(a));
        // The freed page is the next one handed out.
        let c = place_shared(record(5, 300)).expect("a page");
        assert_eq!(c, a);
        assert_eq!(release(c, None).map(|r| r.owner), Some(5));
        assert_eq!(release(b, None).map(|r| r.owner), Some(4));
        // An address of the inner allocator is not a sampled block.
        let boxed = Box::new([0u8; 64]);
        assert_eq!(
            release(std::ptr::from_ref(&boxed[0]).cast_mut(), None),
            None
        );
    }

    #[test]
    fn a_thread_reuses_its_spare_page_and_hands_it_back() {
        let _serial = super::super::test_lock::serial();
        let spare = Spare::new(0);
        let a = place(record(3, 100), Some(&spare)).expect("a page");
        let b = place(record(4, 100), Some(&spare)).expect("another page");
        // Freed with a spare slot empty: kept by the thread, not stacked.
        assert_eq!(release(a, Some(&spare)).map(|r| r.owner), Some(3));
        assert_ne!(spare.get(), 0);
        // The slot is taken: the next page freed goes to the shared stack.
        assert_eq!(release(b, Some(&spare)).map(|r| r.owner), Some(4));
        assert_eq!(place_shared(record(5, 10)), Some(b), "b was stacked");
        // The thread's next sample takes its spare.
        assert_eq!(place(record(6, 10), Some(&spare)), Some(a));
        assert_eq!(spare.get(), 0);
        assert_eq!(release(a, Some(&spare)).map(|r| r.owner), Some(6));
        // Handed back, the spare is the next page anyone gets.
        give_back_spare(&spare);
        assert_eq!(spare.get(), 0);
        assert_eq!(place_shared(record(7, 10)), Some(a));
        assert_eq!(release(a, None).map(|r| r.owner), Some(7));
        assert_eq!(release(b, None).map(|r| r.owner), Some(5));
        give_back_spare(&spare);
    }
}
