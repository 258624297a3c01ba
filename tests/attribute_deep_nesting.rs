//! A recursive `#[memtrack]` fn thousands of levels deep: every level is an
//! operation of its own, ends once, and is charged its own call.

mod support;

use memtrack::memtrack;
use support::{log_everything, operations};

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

#[memtrack("deep-walk")]
fn walk(depth: u32) -> u32 {
    if depth == 0 {
        return 0;
    }
    1 + walk(depth - 1)
}

#[test]
fn every_level_of_a_deep_recursion_ends_once() {
    let _logs = log_everything();
    const DEPTH: u32 = 3_000;
    // A stack of its own, deep enough for the recursion in a debug build.
    let levels = std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(|| walk(DEPTH))
        .expect("a thread")
        .join()
        .expect("no panic");
    assert_eq!(levels, DEPTH);
    let events = operations("deep-walk");
    assert_eq!(events.len(), DEPTH as usize + 1);
    assert!(events.iter().all(|e| e["ended_by"] == "ok"));
    // Innermost first; each level allocated nothing of its own.
    assert!(
        events.iter().all(|e| e["alloc_bytes"] == 0),
        "{:#?}",
        &events[..2]
    );
    assert_eq!(memtrack::active_operations(), 0);
}
