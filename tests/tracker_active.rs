//! `active_operations()` returns to zero after any mix of end paths (its own binary:
//! the count is process-wide).

use std::panic::{AssertUnwindSafe, catch_unwind};

use memtrack::future::Track;

#[test]
fn active_operations_return_to_zero_after_every_path() {
    assert_eq!(memtrack::active_operations(), 0);

    let a = memtrack::start("active-a");
    let b = memtrack::start("active-b");
    let c = memtrack::start("active-a");
    assert_eq!(memtrack::active_operations(), 3);
    a.end();
    b.end_with_error(&"failed");
    drop(c);
    assert_eq!(memtrack::active_operations(), 0);

    let op = memtrack::start("active-panic");
    let _ = catch_unwind(AssertUnwindSafe(|| op.in_scope(|| panic!("boom"))));
    assert_eq!(memtrack::active_operations(), 0);
    drop(op);

    let threads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let op = memtrack::start(format!("active-thread-{}", i % 3));
                if i % 2 == 0 {
                    op.end();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(memtrack::active_operations(), 0);

    // A tracked future never polled starts nothing; one dropped mid-way is ended.
    let never = async { 1 }.track("active-never");
    assert_eq!(memtrack::active_operations(), 0);
    drop(never);
    assert_eq!(memtrack::active_operations(), 0);
    let by_site: u64 = memtrack::sites::totals()
        .iter()
        .filter(|s| s.name == "active-never")
        .map(|s| s.started)
        .sum();
    assert_eq!(by_site, 0);
}
