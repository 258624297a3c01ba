//! Unit tests of block ownership: tags after tagged blocks, owner tables, sampled
//! small blocks. The allocator is driven by hand (see `tests`), and these tests hold
//! the same lock, so the owner counters move only by what they do.

use std::alloc::{GlobalAlloc, Layout};

use super::owners::{OwnerTag, name_of, of_operation};
use super::sample_pages;
use super::sampling::{self, DEFAULT_SAMPLE_INTERVAL};
use super::stats::raw_owners_live;
use super::test_lock::serial;
use super::tests::ALLOC;
use super::thread_slot::{enter_owner, leave_owner, owner_bytes_here, unwatch_owner, watch_owner};
use super::{OwnerLive, TAGGED_MIN, set_sample_interval};

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).expect("valid layout")
}

fn owner(tag: OwnerTag) -> OwnerLive {
    raw_owners_live(tag as usize + 1)[tag as usize]
}

/// Runs `f` with `tag` as the calling thread's owner.
fn as_owner<R>(tag: OwnerTag, f: impl FnOnce() -> R) -> R {
    let before = enter_owner(tag);
    let result = f();
    leave_owner(before);
    result
}

/// A block passed to another thread.
struct Sent(*mut u8);
// SAFETY: plain heap memory used by one thread at a time.
unsafe impl Send for Sent {}
impl Sent {
    fn get(self) -> *mut u8 {
        self.0
    }
}

#[test]
fn a_tagged_block_is_credited_to_its_owner_whoever_frees_it() {
    let _serial = serial();
    let tag: OwnerTag = 41;
    let start = owner(tag);
    let here = owner_bytes_here(tag);
    // SAFETY: non-zero size.
    let block = as_owner(tag, || unsafe { ALLOC.alloc(layout(4096)) });
    assert!(!block.is_null());
    let held = owner(tag);
    assert_eq!(held.exact_bytes - start.exact_bytes, 4096);
    assert_eq!(held.exact_blocks - start.exact_blocks, 1);
    assert_eq!(owner_bytes_here(tag) - here, 4096);
    // Freed on another thread, inside another owner: still this owner's block.
    let sent = Sent(block);
    std::thread::spawn(move || {
        let block = sent.get();
        // SAFETY: allocated above with this layout, freed once.
        as_owner(77, || unsafe { ALLOC.dealloc(block, layout(4096)) });
    })
    .join()
    .expect("freer");
    let after = owner(tag);
    assert_eq!(after.exact_bytes, start.exact_bytes);
    assert_eq!(after.exact_blocks, start.exact_blocks);
    assert_eq!(owner(77).exact_blocks, 0);
}

#[test]
fn stamped_tags_count_by_name_and_a_thread_follows_each_operation_apart() {
    let _serial = serial();
    let name: OwnerTag = 43;
    let (first, second) = (of_operation(name, 1000), of_operation(name, 1001));
    assert_ne!(first, second);
    let start = owner(name);
    // The first operation allocates; the second, running later on the thread,
    // frees that block and allocates its own.
    assert_eq!(watch_owner(first), 0);
    // SAFETY: non-zero sizes; each block is freed once with its layout.
    let old = as_owner(first, || unsafe { ALLOC.alloc(layout(4096)) });
    assert_eq!(unwatch_owner(first), 4096);
    assert_eq!(watch_owner(second), 0);
    let new = as_owner(second, || unsafe {
        ALLOC.dealloc(old, layout(4096));
        ALLOC.alloc(layout(2048))
    });
    // The free was the first operation's block: the second keeps its own 2 KiB.
    assert_eq!(owner_bytes_here(second), 2048);
    assert_eq!(unwatch_owner(second), 2048);
    // The name's table counts both operations' blocks together.
    assert_eq!(owner(name).exact_bytes - start.exact_bytes, 2048);
    assert_eq!(owner(name).exact_blocks - start.exact_blocks, 1);
    assert_eq!(name_of(second), name);
    // SAFETY: allocated above with this layout.
    unsafe { ALLOC.dealloc(new, layout(2048)) };
    assert_eq!(owner(name).exact_bytes, start.exact_bytes);
}

#[test]
fn realloc_frees_the_old_owners_block_and_allocates_for_the_current_owner() {
    let _serial = serial();
    let (a, b): (OwnerTag, OwnerTag) = (51, 52);
    let (a0, b0) = (owner(a), owner(b));
    // Small (untagged) under `a`, grown to a tagged size under `b`.
    // SAFETY: non-zero sizes; every pointer is reallocated or freed with its layout.
    unsafe {
        let small = as_owner(a, || ALLOC.alloc(layout(100)));
        std::ptr::write_bytes(small, 7, 100);
        let grown = as_owner(b, || ALLOC.realloc(small, layout(100), 3000));
        assert!(!grown.is_null());
        assert!(
            std::slice::from_raw_parts(grown, 100)
                .iter()
                .all(|&x| x == 7)
        );
        assert_eq!(owner(b).exact_bytes - b0.exact_bytes, 3000);
        // Grown again under `a`: `b`'s block is freed, `a` owns the new one.
        let again = as_owner(a, || ALLOC.realloc(grown, layout(3000), 9000));
        assert_eq!(owner(b).exact_bytes, b0.exact_bytes);
        assert_eq!(owner(a).exact_bytes - a0.exact_bytes, 9000);
        assert!(
            std::slice::from_raw_parts(again, 100)
                .iter()
                .all(|&x| x == 7)
        );
        // Shrunk below the threshold: no tagged block is left.
        let shrunk = as_owner(b, || ALLOC.realloc(again, layout(9000), 200));
        assert_eq!(owner(a).exact_bytes, a0.exact_bytes);
        assert_eq!(owner(b).exact_bytes, b0.exact_bytes);
        assert!(
            std::slice::from_raw_parts(shrunk, 100)
                .iter()
                .all(|&x| x == 7)
        );
        ALLOC.dealloc(shrunk, layout(200));
    }
    assert_eq!(owner(a).exact_blocks, a0.exact_blocks);
    assert_eq!(owner(b).exact_blocks, b0.exact_blocks);
}

#[test]
fn the_threshold_is_where_tagging_starts() {
    let _serial = serial();
    let tag: OwnerTag = 61;
    let start = owner(tag);
    // SAFETY: non-zero sizes, freed with their layouts.
    unsafe {
        let below = as_owner(tag, || ALLOC.alloc(layout(TAGGED_MIN - 1)));
        assert_eq!(owner(tag).exact_bytes, start.exact_bytes);
        let at = as_owner(tag, || ALLOC.alloc_zeroed(layout(TAGGED_MIN)));
        assert_eq!(
            owner(tag).exact_bytes - start.exact_bytes,
            TAGGED_MIN as i64
        );
        assert!(
            std::slice::from_raw_parts(at, TAGGED_MIN)
                .iter()
                .all(|&x| x == 0)
        );
        ALLOC.dealloc(below, layout(TAGGED_MIN - 1));
        ALLOC.dealloc(at, layout(TAGGED_MIN));
    }
    assert_eq!(owner(tag), start);
}

#[test]
fn over_aligned_tagged_blocks_keep_their_alignment() {
    let _serial = serial();
    for align in [64usize, 4096, 1 << 16] {
        let layout = Layout::from_size_align(5000, align).expect("valid layout");
        // SAFETY: non-zero size; freed with its layout.
        unsafe {
            let block = as_owner(71, || ALLOC.alloc(layout));
            assert_eq!(block as usize % align, 0);
            std::ptr::write_bytes(block, 1, 5000);
            ALLOC.dealloc(block, layout);
        }
    }
    assert_eq!(owner(71).exact_bytes, 0);
}

#[test]
fn sampled_small_blocks_are_recorded_with_their_owner_and_weights() {
    let _serial = serial();
    // One sample point per byte: every small allocation is sampled.
    sampling::set_interval_unchecked(1);
    let tag: OwnerTag = 81;
    let start = owner(tag);
    // SAFETY: non-zero sizes; each block is freed (or reallocated) with its layout.
    unsafe {
        // The first allocation may still use the distance drawn before.
        let warm = ALLOC.alloc(layout(64));
        ALLOC.dealloc(warm, layout(64));
        let block = as_owner(tag, || ALLOC.alloc(layout(300)));
        assert_eq!(
            block as usize % sampling::SAMPLE_ALIGN,
            0,
            "sampled blocks start a page"
        );
        let held = owner(tag);
        let weights = sampling::weights(300, 1);
        assert_eq!(
            held.sampled_bytes - start.sampled_bytes,
            weights.bytes as i64
        );
        assert_eq!(
            held.sampled_blocks - start.sampled_blocks,
            weights.blocks as i64
        );
        std::ptr::write_bytes(block, 9, 300);
        // A reallocated sampled block moves and keeps its bytes.
        let moved = as_owner(tag, || ALLOC.realloc(block, layout(300), 500));
        assert!(
            std::slice::from_raw_parts(moved, 300)
                .iter()
                .all(|&x| x == 9)
        );
        let after_move = owner(tag);
        assert_eq!(
            after_move.sampled_bytes - start.sampled_bytes,
            sampling::weights(500, 1).bytes as i64
        );
        ALLOC.dealloc(moved, layout(500));
    }
    set_sample_interval(DEFAULT_SAMPLE_INTERVAL);
    assert_eq!(owner(tag), start);
}

#[test]
fn sampling_can_be_turned_off() {
    let _serial = serial();
    set_sample_interval(0);
    let tag: OwnerTag = 91;
    // SAFETY: non-zero sizes, freed with their layouts.
    unsafe {
        // The distance drawn before ends at the next sample at the latest.
        for _ in 0..2 {
            let big = ALLOC.alloc(layout(900));
            ALLOC.dealloc(big, layout(900));
        }
        let blocks: Vec<*mut u8> = (0..64)
            .map(|_| as_owner(tag, || ALLOC.alloc(layout(1000))))
            .collect();
        assert_eq!(owner(tag).sampled_blocks, 0);
        for block in blocks {
            ALLOC.dealloc(block, layout(1000));
        }
    }
    set_sample_interval(DEFAULT_SAMPLE_INTERVAL);
}

#[test]
fn a_thread_reuses_the_page_of_its_last_freed_sample_and_hands_it_back_at_exit() {
    let _serial = serial();
    sampling::set_interval_unchecked(1);
    let tag: OwnerTag = 95;
    let start = owner(tag);
    let (a, b) = std::thread::spawn(move || {
        // SAFETY: non-zero sizes; each block is freed once, with its layout.
        unsafe {
            // Claims the thread's slot and uses up the distance drawn before.
            let warm = ALLOC.alloc(layout(64));
            ALLOC.dealloc(warm, layout(64));
            let a = as_owner(tag, || ALLOC.alloc(layout(64)));
            let b = as_owner(tag, || ALLOC.alloc(layout(64)));
            assert!(sample_pages::is_sampled(a) && sample_pages::is_sampled(b));
            assert_ne!(a, b);
            // `a`'s page becomes the thread's spare, and its next sample takes it.
            ALLOC.dealloc(a, layout(64));
            let c = as_owner(tag, || ALLOC.alloc(layout(64)));
            assert_eq!(c, a);
            // `b`'s page is kept; `c`'s, freed with a spare already kept, is stacked.
            ALLOC.dealloc(b, layout(64));
            ALLOC.dealloc(c, layout(64));
            (Sent(a), Sent(b))
        }
    })
    .join()
    .expect("sampling thread");
    set_sample_interval(DEFAULT_SAMPLE_INTERVAL);
    assert_eq!(owner(tag), start, "every sample's weights were taken back");
    // The thread handed its spare (`b`'s page) back when it exited: it is now the top
    // of the shared stack, above `a`'s.
    let (a, b) = (a.get(), b.get());
    let record = sample_pages::Record {
        owner: tag,
        size: 1,
        weights: sampling::weights(1, 1),
    };
    assert_eq!(sample_pages::place(record, None), Some(b));
    assert_eq!(sample_pages::place(record, None), Some(a));
    assert!(sample_pages::release(b, None).is_some());
    assert!(sample_pages::release(a, None).is_some());
}
