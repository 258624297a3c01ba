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
//! region. Samples are rare (one per [`sample_interval`](super::sample_interval)
//! bytes), so these atomic operations cost nothing per allocation. A page's record
//! is written by the thread that places the block and taken by the thread that frees
//! it; a page holds one block at a time, so never by two threads at once. When every
//! page is in use the allocation is simply not sampled.
//!
//! Memory cost: one page per live sampled block, about `PAGE / sample_interval` of
//! the live small bytes (1.6 % at the default interval), plus the pages of the
//! largest number of sampled blocks ever live at once, which are reused.

use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

use super::owners::OwnerTag;
use super::pages;
use super::sampling::Weights;

/// Size and alignment of a page for one sampled block.
pub(super) const PAGE: usize = super::sampling::SAMPLE_ALIGN;

/// Pages in the region (1 GiB of address space; 1 MiB under miri, which backs a
/// mapping with real memory).
pub(super) const PAGES: usize = if cfg!(miri) { 1 << 8 } else { 1 << 18 };

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
    /// `bytes << 32 | blocks`.
    weights: AtomicU64,
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
/// Pages never handed out start here.
static FRESH: AtomicUsize = AtomicUsize::new(0);
/// Top of the free stack: `generation << 32 | (index + 1)`, index + 1 = 0 for empty.
static FREE: AtomicU64 = AtomicU64::new(0);

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
    let mut top = FREE.load(Ordering::Acquire);
    loop {
        let index = (top & u64::from(u32::MAX)) as usize;
        if index == 0 {
            break;
        }
        let next = region.info[index - 1].next.load(Ordering::Relaxed);
        let generation = (top >> 32).wrapping_add(1);
        match FREE.compare_exchange_weak(
            top,
            generation << 32 | u64::from(next),
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => return Some(index - 1),
            Err(now) => top = now,
        }
    }
    let fresh = FRESH.fetch_add(1, Ordering::Relaxed);
    if fresh < PAGES {
        Some(fresh)
    } else {
        FRESH.store(PAGES, Ordering::Relaxed);
        None
    }
}

/// Puts page `index` back on the free stack.
fn give_back(region: &Region, index: usize) {
    let mut top = FREE.load(Ordering::Acquire);
    loop {
        region.info[index]
            .next
            .store((top & u64::from(u32::MAX)) as u32, Ordering::Relaxed);
        let generation = (top >> 32).wrapping_add(1);
        match FREE.compare_exchange_weak(
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

/// Places a sampled block with `record` on a page of its own; its address, or `None`
/// when no page is available.
pub(super) fn place(record: Record) -> Option<*mut u8> {
    let region = region_or_create()?;
    let index = take_page(&region)?;
    let info = &region.info[index];
    info.weights.store(
        (record.weights.bytes.min(u64::from(u32::MAX)) << 32)
            | record.weights.blocks.min(u64::from(u32::MAX)),
        Ordering::Relaxed,
    );
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

/// Takes back the page of the sampled block at `ptr` (being freed) and returns its
/// record, or `None` when `ptr` is not a sampled block.
pub(super) fn release(ptr: *mut u8) -> Option<Record> {
    let region = region()?;
    let index = index_of(&region, ptr)?;
    let info = &region.info[index];
    let key = info.key.swap(0, Ordering::AcqRel);
    if key == 0 {
        return None;
    }
    let weights = info.weights.load(Ordering::Relaxed);
    give_back(&region, index);
    Some(Record {
        owner: ((key >> 32) - 1) as OwnerTag,
        size: key as u32,
        weights: Weights {
            bytes: weights >> 32,
            blocks: weights & u64::from(u32::MAX),
        },
    })
}

#[cfg(all(test, not(feature = "passthrough-alloc")))]
mod tests {
    use super::*;

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
    fn a_page_is_used_by_one_block_at_a_time_and_reused() {
        let _serial = super::super::tests::serial();
        let a = place(record(3, 100)).expect("a page");
        let b = place(record(4, 200)).expect("another page");
        assert_ne!(a, b);
        assert_eq!(a as usize % PAGE, 0);
        assert!(is_sampled(a));
        // SAFETY: the page is ours until released; 100 bytes fit.
        unsafe { std::ptr::write_bytes(a, 5, 100) };
        assert_eq!(release(a), Some(record(3, 100)));
        assert_eq!(release(a), None, "taken once");
        assert!(!is_sampled(a));
        // The freed page is the next one handed out.
        let c = place(record(5, 300)).expect("a page");
        assert_eq!(c, a);
        assert_eq!(release(c).map(|r| r.owner), Some(5));
        assert_eq!(release(b).map(|r| r.owner), Some(4));
        // An address of the inner allocator is not a sampled block.
        let boxed = Box::new([0u8; 64]);
        assert_eq!(release(std::ptr::from_ref(&boxed[0]).cast_mut()), None);
    }
}
