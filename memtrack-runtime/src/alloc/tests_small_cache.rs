//! Unit tests of the per-thread cache of freed small blocks: which blocks it keeps,
//! which requests it serves, how much it holds, and that it gives every block back.
//! Each test runs on a thread of its own, so it starts with an empty cache.

use std::alloc::{GlobalAlloc, Layout, System};

use super::small_cache::{self, CACHED_BYTES_PER_THREAD, SmallCache};
use super::stats::raw_heap_stats;
use super::test_lock::serial;
use super::thread_slot::{cached_blocks, raw_thread_counters, retire_now};
use super::{Allocator, sampling};

static CACHING: Allocator = Allocator::system();
static PLAIN: Allocator = Allocator::new(System);

fn layout(size: usize, align: usize) -> Layout {
    Layout::from_size_align(size, align).expect("valid layout")
}

/// A block of `CACHING` that does not start a page (a block that does, possibly a
/// sample, is never cached): those are handed back and another is taken.
fn block(layout: Layout) -> *mut u8 {
    let mut starting_pages = Vec::new();
    let block = loop {
        // SAFETY: the layout has a non-zero size.
        let block = unsafe { CACHING.alloc(layout) };
        assert!(!block.is_null());
        if sampling::may_be_sampled(block) {
            starting_pages.push(block);
        } else {
            break block;
        }
    };
    for page in starting_pages {
        // SAFETY: allocated just above with this layout.
        unsafe { CACHING.dealloc(page, layout) };
    }
    block
}

fn free(block: *mut u8, layout: Layout) {
    // SAFETY: the tests free only blocks `CACHING` served with this layout.
    unsafe { CACHING.dealloc(block, layout) }
}

/// Runs `test` on a new thread (with a cache of its own) and waits for it.
fn on_new_thread(test: impl FnOnce() + Send + 'static) {
    std::thread::spawn(test).join().expect("test thread");
}

#[test]
fn a_freed_block_serves_the_next_request_of_its_class_and_counting_is_unchanged() {
    let _serial = serial();
    on_new_thread(|| {
        let first = block(layout(20, 8));
        // SAFETY: the block has 20 bytes.
        unsafe { first.write_bytes(0x5A, 20) };
        let before = raw_thread_counters();
        free(first, layout(20, 8));
        assert_eq!(cached_blocks(), 1);
        // 17 to 24 bytes are one class: the block is 24 bytes long for the system
        // allocator, so a request of 24 may have it.
        // SAFETY: a non-zero size.
        let second = unsafe { CACHING.alloc(layout(24, 4)) };
        assert!(!second.is_null());
        let after = raw_thread_counters();
        if !sampling::may_be_sampled(second) {
            // (Unless this allocation was drawn as a sample, placed on a page.)
            assert_eq!(second, first);
            assert_eq!(cached_blocks(), 0);
        }
        assert_eq!(after.freed - before.freed, 20);
        assert_eq!(after.allocated - before.allocated, 24);
        assert_eq!(after.allocs - before.allocs, 1);
        // SAFETY: the block has 24 bytes, all writable.
        unsafe { second.write_bytes(0xA5, 24) };
        free(second, layout(24, 4));
    });
}

#[test]
fn a_request_of_another_class_does_not_take_the_block() {
    let _serial = serial();
    on_new_thread(|| {
        let kept = block(layout(24, 8));
        free(kept, layout(24, 8));
        let other = block(layout(25, 8));
        assert_ne!(other, kept);
        assert_eq!(cached_blocks(), 1);
        free(other, layout(25, 8));
        assert_eq!(cached_blocks(), 2);
    });
}

#[test]
fn an_over_aligned_request_is_never_served_from_the_cache() {
    let _serial = serial();
    on_new_thread(|| {
        let kept = block(layout(64, 8));
        free(kept, layout(64, 8));
        for (freed, align) in [16, 32, 64, 128].into_iter().enumerate() {
            let aligned = block(layout(64, align));
            assert_eq!(aligned as usize % align, 0, "alignment {align}");
            assert_ne!(aligned, kept);
            let held = if cfg!(unix) { 1 + freed } else { 1 };
            assert_eq!(cached_blocks(), held);
            free(aligned, layout(64, align));
        }
        // The over-aligned blocks were kept too (on Unix): any of them serves an
        // ordinary request.
        let expected = if cfg!(unix) { 5 } else { 1 };
        assert_eq!(cached_blocks(), expected);
    });
}

#[test]
fn zeroed_allocations_are_zero_whatever_the_cache_holds() {
    let _serial = serial();
    on_new_thread(|| {
        let dirty = block(layout(48, 8));
        // SAFETY: the block has 48 bytes.
        unsafe { dirty.write_bytes(0xFF, 48) };
        free(dirty, layout(48, 8));
        // SAFETY: a non-zero size.
        let zeroed = unsafe { CACHING.alloc_zeroed(layout(48, 8)) };
        assert!(!zeroed.is_null());
        // SAFETY: the block has 48 bytes.
        let bytes = unsafe { std::slice::from_raw_parts(zeroed, 48) };
        assert!(bytes.iter().all(|&byte| byte == 0));
        free(zeroed, layout(48, 8));
    });
}

#[test]
fn a_class_keeps_at_most_its_room_and_serves_the_last_block_freed_first() {
    let _serial = serial();
    on_new_thread(|| {
        let blocks: Vec<*mut u8> = (0..20).map(|_| block(layout(8, 8))).collect();
        for &each in &blocks {
            free(each, layout(8, 8));
        }
        assert_eq!(cached_blocks(), 8);
        for expected in blocks[..8].iter().rev() {
            assert_eq!(block(layout(8, 8)), *expected);
        }
        assert_eq!(cached_blocks(), 0);
        for &each in &blocks[..8] {
            free(each, layout(8, 8));
        }
        // The largest sizes keep one block.
        let large: Vec<*mut u8> = (0..3).map(|_| block(layout(1000, 8))).collect();
        for &each in &large {
            free(each, layout(1000, 8));
        }
        assert_eq!(cached_blocks(), 8 + 1);
    });
}

#[test]
fn blocks_freed_on_another_thread_are_kept_by_the_thread_that_frees_them() {
    let _serial = serial();
    let address = block(layout(40, 8)) as usize;
    on_new_thread(move || {
        // The thread's first allocation opens its cache.
        let first = block(layout(8, 8));
        free(first, layout(8, 8));
        free(address as *mut u8, layout(40, 8));
        assert_eq!(cached_blocks(), 2);
        assert_eq!(block(layout(40, 8)) as usize, address);
        free(address as *mut u8, layout(40, 8));
    });
}

#[test]
fn reallocating_a_cached_block_keeps_its_bytes() {
    let _serial = serial();
    on_new_thread(|| {
        let first = block(layout(100, 8));
        free(first, layout(100, 8));
        let reused = block(layout(100, 8));
        assert_eq!(reused, first);
        let pattern: Vec<u8> = (0..100u8).collect();
        // SAFETY: the block has 100 bytes.
        unsafe { std::ptr::copy_nonoverlapping(pattern.as_ptr(), reused, 100) };
        // SAFETY: `reused` was served with this layout; the sizes are non-zero.
        let small = unsafe { CACHING.realloc(reused, layout(100, 8), 300) };
        assert!(!small.is_null());
        // SAFETY: as above, now for the 300-byte block.
        let large = unsafe { CACHING.realloc(small, layout(300, 8), 5000) };
        assert!(!large.is_null());
        // SAFETY: the block has at least 100 bytes.
        let kept = unsafe { std::slice::from_raw_parts(large, 100) };
        assert_eq!(kept, &pattern[..]);
        // SAFETY: as above, back to a small size.
        let back = unsafe { CACHING.realloc(large, layout(5000, 8), 60) };
        assert!(!back.is_null());
        // SAFETY: the block has 60 bytes.
        assert_eq!(
            unsafe { std::slice::from_raw_parts(back, 60) },
            &pattern[..60]
        );
        free(back, layout(60, 8));
        // Kept, unless the last reallocation made it a sample (or `malloc` put it at
        // the start of a page): such a block is never kept.
        let kept = usize::from(!sampling::may_be_sampled(back));
        assert_eq!(cached_blocks(), kept);
    });
}

#[test]
fn an_allocator_over_another_inner_allocator_keeps_nothing() {
    let _serial = serial();
    on_new_thread(|| {
        let layout = layout(32, 8);
        let by_default = Allocator::<System>::default();
        for plain in [&PLAIN, &by_default] {
            // SAFETY: a non-zero size; the block is freed by the allocator that
            // served it.
            unsafe {
                let block = plain.alloc(layout);
                assert!(!block.is_null());
                plain.dealloc(block, layout);
            }
            assert_eq!(cached_blocks(), 0);
        }
    });
}

#[test]
fn a_retired_thread_hands_every_block_back_and_keeps_nothing_more() {
    let _serial = serial();
    on_new_thread(|| {
        let blocks: Vec<(*mut u8, Layout)> = (1..=40)
            .map(|step| layout(step * 20, 8))
            .map(|layout| (block(layout), layout))
            .collect();
        for &(each, layout) in &blocks {
            free(each, layout);
        }
        assert_eq!(cached_blocks(), 40);
        let before = raw_heap_stats();
        retire_now();
        assert_eq!(cached_blocks(), 0);
        // What memtrack counted is unchanged: the blocks were freed when the program
        // gave them up.
        let after = raw_heap_stats();
        assert_eq!(after.live_bytes, before.live_bytes);
        let late = block(layout(20, 8));
        free(late, layout(20, 8));
        assert_eq!(cached_blocks(), 0);
    });
}

#[test]
fn the_cache_alone_keeps_the_documented_room_and_gives_back_what_it_holds() {
    let cache = SmallCache::new();
    let served = |size| small_cache::served(layout(size, 8));
    let take = |size| {
        // SAFETY: a non-zero size.
        let block = unsafe { System.alloc(served(size)) };
        assert!(!block.is_null());
        block
    };
    // Closed: nothing is kept.
    let refused = take(16);
    // SAFETY: a system block served with `served(16)`, given up.
    assert!(!unsafe { cache.push(refused, 16) });
    // SAFETY: refused above, so still the caller's, served with this layout.
    unsafe { System.dealloc(refused, served(16)) };
    cache.open();
    let mut held = 0;
    let mut pushed = 0;
    for size in (8..=super::TAGGED_MIN).step_by(8) {
        // SAFETY: system blocks served with `served(size)`, given up (or, refused,
        // handed back below).
        unsafe {
            loop {
                let each = take(size);
                if !cache.push(each, size) {
                    System.dealloc(each, served(size));
                    break;
                }
                held += size;
                pushed += 1;
            }
        }
    }
    assert_eq!(held, CACHED_BYTES_PER_THREAD);
    let popped = cache.pop(8);
    assert!(!popped.is_null());
    // SAFETY: taken from the cache, so the caller's again, served with `served(8)`.
    unsafe { System.dealloc(popped, served(8)) };
    assert_eq!(cache.len(), pushed - 1);
    cache.drain();
    assert_eq!(cache.len(), 0);
    assert!(cache.pop(8).is_null());
}
