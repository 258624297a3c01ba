//! The owners a thread follows for its open frames.
//!
//! A frame charges its operation what its thread did for the operation's owner:
//! the tagged blocks the thread allocated for it less those of them it freed,
//! during the frame. The owner tables cannot say that on their own: a thread
//! without a slot (all slots taken) changes the shared table, which every such
//! thread writes, and a thread's slot goes at its exit, frames still open or not.
//! So each thread keeps, for the owners of its open frames, what it changed of each
//! itself. Past [`WATCHES`] operations open at once on the thread, a frame reads the
//! thread's table (or the shared one) instead, which counts by name.

use std::cell::Cell;

use super::owners::OwnerTag;

thread_local! {
    /// The calling thread's followed owners: a thread-local of its own, apart from
    /// the counters the allocation fast paths use, so that it changes nothing in
    /// their layout. Const-initialised and without a destructor.
    static FOLLOWED: Watches = const { Watches::new() };
}

/// Runs `f` with the calling thread's followed owners; `None` when its thread-local
/// storage is gone (late in the thread's exit).
pub(super) fn with<R>(f: impl FnOnce(&Watches) -> R) -> Option<R> {
    FOLLOWED.try_with(f).ok()
}

/// Distinct owners followed at once: each open operation is an owner of its own
/// (its tag carries its stamp), so this is how deep operations may nest on a
/// thread, recursion through other operations included, with every frame exact.
pub(super) const WATCHES: usize = 32;

/// One followed owner.
#[derive(Debug)]
struct Watch {
    tag: Cell<OwnerTag>,
    /// Open frames following it (0: the entry is free).
    users: Cell<u32>,
    /// Exact bytes this thread added to the owner (less what it freed of it) since
    /// the entry was taken.
    exact_bytes: Cell<i64>,
}

/// A thread's followed owners: entries `0..len` are in use or free for reuse, the
/// rest unused, so that a thread with no open frame looks at none of them.
#[derive(Debug)]
pub(super) struct Watches {
    len: Cell<usize>,
    entries: [Watch; WATCHES],
}

impl Watches {
    pub(super) const fn new() -> Self {
        Self {
            len: Cell::new(0),
            entries: [const {
                Watch {
                    tag: Cell::new(0),
                    users: Cell::new(0),
                    exact_bytes: Cell::new(0),
                }
            }; WATCHES],
        }
    }

    fn in_use(&self) -> &[Watch] {
        &self.entries[..self.len.get().min(WATCHES)]
    }

    fn find(&self, tag: OwnerTag) -> Option<&Watch> {
        self.in_use()
            .iter()
            .find(|w| w.users.get() > 0 && w.tag.get() == tag)
    }

    /// Starts following `tag` for one more frame: what the thread changed of it so
    /// far while followed (0 when it starts now); `None` when every entry is taken by
    /// other owners.
    pub(super) fn watch(&self, tag: OwnerTag) -> Option<i64> {
        if let Some(w) = self.find(tag) {
            w.users.set(w.users.get().saturating_add(1));
            return Some(w.exact_bytes.get());
        }
        let free = match self.in_use().iter().find(|w| w.users.get() == 0) {
            Some(w) => w,
            None => match self.entries.get(self.len.get()) {
                Some(w) => {
                    self.len.set(self.len.get() + 1);
                    w
                }
                None => return None,
            },
        };
        free.tag.set(tag);
        free.users.set(1);
        free.exact_bytes.set(0);
        Some(0)
    }

    /// One frame fewer follows `tag`: what the thread changed of it while followed,
    /// as [`exact_bytes`](Self::exact_bytes) gave it just before.
    pub(super) fn unwatch(&self, tag: OwnerTag) -> Option<i64> {
        let bytes = self.find(tag).map(|w| {
            w.users.set(w.users.get() - 1);
            w.exact_bytes.get()
        });
        while let Some(last) = self.in_use().last()
            && last.users.get() == 0
        {
            self.len.set(self.len.get() - 1);
        }
        bytes
    }

    /// This thread changed `tag`'s exact bytes by `bytes`.
    pub(super) fn note(&self, tag: OwnerTag, bytes: i64) {
        if let Some(w) = self.find(tag) {
            w.exact_bytes.set(w.exact_bytes.get().wrapping_add(bytes));
        }
    }

    /// What this thread changed of `tag`'s exact bytes since it started following
    /// it; `None` when it does not follow it.
    pub(super) fn exact_bytes(&self, tag: OwnerTag) -> Option<i64> {
        self.find(tag).map(|w| w.exact_bytes.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followed_owners_count_their_own_changes_until_their_last_frame_closes() {
        let w = Watches::new();
        assert_eq!(w.exact_bytes(5), None);
        w.note(5, 100); // not followed: dropped
        assert_eq!(w.watch(5), Some(0));
        w.note(5, 10);
        assert_eq!(w.watch(5), Some(10));
        w.note(5, -10);
        w.note(5, 4096);
        w.note(6, 1 << 20);
        w.note(5, -1024);
        assert_eq!(w.exact_bytes(5), Some(3072));
        assert_eq!(w.exact_bytes(6), None);
        assert_eq!(w.unwatch(5), Some(3072));
        assert_eq!(w.exact_bytes(5), Some(3072));
        assert_eq!(w.unwatch(5), Some(3072));
        assert_eq!(w.exact_bytes(5), None);
        assert_eq!(w.unwatch(5), None);
        // A free entry starts again from zero.
        assert_eq!(w.watch(5), Some(0));
    }

    #[test]
    fn past_the_capacity_an_owner_is_not_followed() {
        let w = Watches::new();
        for tag in 0..WATCHES as OwnerTag {
            assert_eq!(w.watch(tag), Some(0));
        }
        assert_eq!(w.watch(100), None);
        assert_eq!(w.exact_bytes(100), None);
        assert_eq!(w.unwatch(100), None); // harmless
        w.unwatch(3);
        assert_eq!(w.watch(100), Some(0));
        assert_eq!(w.exact_bytes(100), Some(0));
    }

    #[test]
    fn entries_in_use_shrink_back_as_the_last_frames_close() {
        let w = Watches::new();
        for tag in 1..=3 {
            assert_eq!(w.watch(tag), Some(0));
        }
        assert_eq!(w.len.get(), 3);
        w.unwatch(2); // a hole, kept
        assert_eq!(w.len.get(), 3);
        assert_eq!(w.watch(4), Some(0)); // reuses the hole
        assert_eq!(w.len.get(), 3);
        w.unwatch(3);
        w.unwatch(4);
        assert_eq!(w.len.get(), 1);
        w.unwatch(1);
        assert_eq!(w.len.get(), 0);
        w.note(1, 5);
        assert_eq!(w.exact_bytes(1), None);
    }
}
