//! Unit tests of the `passthrough-alloc` build: the allocator only forwards.

use std::alloc::{GlobalAlloc, Layout};

use super::thread_slot::raw_thread_counters;
use super::{Allocator, heap_stats, is_counting, thread_stats};

#[test]
fn the_passthrough_allocator_forwards_and_counts_nothing() {
    let alloc = Allocator::system();
    let layout = Layout::from_size_align(256, 8).expect("valid layout");
    let before = raw_thread_counters();
    // SAFETY: non-zero size; every pointer is freed with the layout it has.
    unsafe {
        let a = alloc.alloc(layout);
        assert!(!a.is_null());
        let z = alloc.alloc_zeroed(layout);
        assert!(!z.is_null());
        assert_eq!(*z, 0);
        let r = alloc.realloc(a, layout, 512);
        assert!(!r.is_null());
        alloc.dealloc(r, Layout::from_size_align(512, 8).expect("valid layout"));
        alloc.dealloc(z, layout);
    }
    assert_eq!(raw_thread_counters(), before);
    assert_eq!(heap_stats(), None);
    assert_eq!(thread_stats(), None);
    assert!(!is_counting());
}
