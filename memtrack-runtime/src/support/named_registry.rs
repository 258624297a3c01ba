//! A small registry of named entries, shared by the cache and reclaim-hook
//! registries.
//!
//! Entries are identified by a process-unique id so that a handle removes exactly the
//! entry it added, even after a later entry of the same name replaced it. The lock is
//! held only to copy or edit the list, never while user code runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::bounded_text::bounded_name;

/// One entry: its id, its name and its value.
pub(crate) type Entry<T> = (u64, Arc<str>, T);

/// Named entries; a name appears at most once (a later `add` replaces the earlier one).
pub(crate) struct Registry<T> {
    entries: Mutex<Vec<Entry<T>>>,
    next_id: AtomicU64,
}

impl<T: Clone> Registry<T> {
    pub(crate) const fn new() -> Self {
        Self {
            entries: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Adds `value` under `name` (cut to [`MAX_NAME_LEN`](crate::metadata::MAX_NAME_LEN)
    /// characters), replacing an entry of that name, and returns its id.
    pub(crate) fn add(&self, name: &str, value: T) -> u64 {
        let name: Arc<str> = Arc::from(bounded_name(name));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.lock();
        entries.retain(|(_, n, _)| *n != name);
        entries.push((id, name, value));
        id
    }

    /// Removes the entry with this id, if it is still there.
    pub(crate) fn remove(&self, id: u64) {
        self.lock().retain(|(i, _, _)| *i != id);
    }

    /// Whether the entry with this id is still registered.
    pub(crate) fn contains(&self, id: u64) -> bool {
        self.lock().iter().any(|(i, _, _)| *i == id)
    }

    /// The ids of every entry, in registration order.
    pub(crate) fn ids(&self) -> Vec<u64> {
        self.lock().iter().map(|(id, _, _)| *id).collect()
    }

    /// A copy of every entry, in registration order.
    pub(crate) fn snapshot(&self) -> Vec<Entry<T>> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry<T>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_entries_replace_earlier_ones_of_the_same_name() {
        let registry: Registry<u32> = Registry::new();
        let first = registry.add("a", 1);
        let other = registry.add("b", 2);
        let second = registry.add("a", 3);
        let names: Vec<(String, u32)> = registry
            .snapshot()
            .into_iter()
            .map(|(_, n, v)| (n.to_string(), v))
            .collect();
        assert_eq!(names, [("b".to_owned(), 2), ("a".to_owned(), 3)]);
        registry.remove(first);
        assert!(registry.contains(second));
        registry.remove(second);
        registry.remove(other);
        assert!(registry.snapshot().is_empty());
    }

    #[test]
    fn names_are_bounded() {
        let registry: Registry<u32> = Registry::new();
        let long = "c".repeat(1 << 20);
        registry.add(&long, 1);
        registry.add(&long, 2);
        let entries = registry.snapshot();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            entries[0].1.chars().count(),
            crate::support::bounded_text::MAX_NAME_LEN + 1
        );
        assert_eq!(entries[0].2, 2);
    }
}
