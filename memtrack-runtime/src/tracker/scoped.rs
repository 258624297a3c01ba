//! Running code inside the operation, so its heap allocations are charged to it.

use super::Tracker;
use crate::attribution;

impl Tracker {
    /// Runs `f` as part of this operation: with the counting allocator installed,
    /// every byte `f` allocates or frees on this thread is charged to the operation,
    /// and `checkpoint!`, `large_alloc!` and `record!` inside `f` act on it. Calls
    /// nest: an operation run inside another is charged its own part, and the outer
    /// one is charged inclusively.
    ///
    /// If `f` panics, the operation ends as `panic` and the panic continues.
    ///
    /// ```
    /// let op = memtrack::start("parse-html");
    /// let words = op.in_scope(|| "a b c".split(' ').map(str::to_owned).collect::<Vec<_>>());
    /// assert_eq!(words.len(), 3);
    /// op.end();
    /// ```
    pub fn in_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        attribution::scoped(self, f)
    }
}
