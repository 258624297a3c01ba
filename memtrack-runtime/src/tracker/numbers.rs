//! Operation numbers: unique per process, handed out in per-thread blocks so that
//! starting an operation touches no shared cache line.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

const BLOCK: u64 = 1024;
static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// (next number, end of this thread's block)
    static LOCAL: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

/// A new operation number, never zero, never repeated within the process.
pub(crate) fn next() -> u64 {
    LOCAL
        .try_with(|cell| {
            let (next, end) = cell.get();
            if next < end {
                cell.set((next + 1, end));
                next
            } else {
                let start = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
                cell.set((start + 1, start + BLOCK));
                start
            }
        })
        .unwrap_or_else(|_| NEXT_BLOCK.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn numbers_are_unique_across_threads() {
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..3000).map(|_| next()).collect::<Vec<_>>()))
            .collect();
        let mut all = HashSet::new();
        for h in handles {
            for n in h.join().unwrap() {
                assert!(n > 0);
                assert!(all.insert(n), "repeated {n}");
            }
        }
        assert_eq!(all.len(), 12_000);
    }
}
