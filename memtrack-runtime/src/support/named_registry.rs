//! A small registry of named entries, shared by the cache and reclaim-hook
//! registries.
//!
//! Entries are identified by a process-unique id so that a handle removes exactly the
//! entry it added, even after a later entry of the same name replaced it. The lock is
//! held only to copy or edit the list, never while user code runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::bounded_text::{MAX_NAME_LEN, truncate};

/// One entry: its id, its name and its value.
pub(crate) type Entry<T> = (u64, Arc<str>, T);

/// Named entries; a name appears at most once (a later `add` replaces the earlier one).
pub(crate) struct Registry<T> {
    inner: Mutex<Inner<T>>,
    next_id: AtomicU64,
}

struct Inner<T> {
    /// In registration order, which is the order of their ids.
    entries: Vec<Entry<T>>,
    /// The id registered under each name.
    by_name: BTreeMap<Arc<str>, u64>,
}

impl<T> Inner<T> {
    fn position(&self, id: u64) -> Option<usize> {
        self.entries.binary_search_by_key(&id, |(i, _, _)| *i).ok()
    }
}

/// How many hex digits of the whole name's hash follow a cut name: all 64 bits, so
/// that names which differ past the cut do not meet by chance.
const NAME_HASH_DIGITS: usize = 16;

/// `name` as the registry keeps it: whole when it has at most
/// [`MAX_NAME_LEN`](crate::metadata::MAX_NAME_LEN) characters; else cut, marked
/// with `…`, and followed by `#` and the 16 hex digits of a hash of the whole name, so
/// that long names that differ only past the cut stay apart (the result has
/// `MAX_NAME_LEN + 1` characters, like any other cut name).
pub(crate) fn registry_name(name: &str) -> Arc<str> {
    if name.len() <= MAX_NAME_LEN || name.chars().nth(MAX_NAME_LEN).is_none() {
        return Arc::from(name);
    }
    // FNV-1a: stable from run to run, which a name in the logs needs.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let kept = truncate(name, MAX_NAME_LEN - NAME_HASH_DIGITS - 1);
    Arc::from(format!("{kept}#{hash:016x}"))
}

impl<T: Clone> Registry<T> {
    pub(crate) const fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: Vec::new(),
                by_name: BTreeMap::new(),
            }),
            next_id: AtomicU64::new(1),
        }
    }

    /// Adds `value` under `name` (see [`registry_name`]), replacing an entry of
    /// that name, and returns its id.
    pub(crate) fn add(&self, name: &str, value: T) -> u64 {
        let name = registry_name(name);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.lock();
        if let Some(replaced) = inner.by_name.insert(Arc::clone(&name), id)
            && let Some(at) = inner.position(replaced)
        {
            inner.entries.remove(at);
        }
        inner.entries.push((id, name, value));
        id
    }

    /// Removes the entry with this id, if it is still there.
    pub(crate) fn remove(&self, id: u64) {
        let mut inner = self.lock();
        if let Some(at) = inner.position(id) {
            let (_, name, _) = inner.entries.remove(at);
            if inner.by_name.get(&name) == Some(&id) {
                inner.by_name.remove(&name);
            }
        }
    }

    /// Whether the entry with this id is still registered.
    pub(crate) fn contains(&self, id: u64) -> bool {
        self.lock().position(id).is_some()
    }

    /// The ids of every entry, in registration order (which is increasing).
    pub(crate) fn ids(&self) -> Vec<u64> {
        self.lock().entries.iter().map(|(id, _, _)| *id).collect()
    }

    /// A copy of every entry, in registration order.
    pub(crate) fn snapshot(&self) -> Vec<Entry<T>> {
        self.lock().entries.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<T>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
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

    #[test]
    fn long_names_that_differ_past_the_cut_stay_apart() {
        let registry: Registry<u32> = Registry::new();
        let prefix = "x".repeat(MAX_NAME_LEN);
        let sessions = registry.add(&format!("{prefix}_sessions"), 1);
        let clients = registry.add(&format!("{prefix}_clients"), 2);
        assert!(registry.contains(sessions));
        assert!(registry.contains(clients));
        let names: Vec<Arc<str>> = registry.snapshot().into_iter().map(|(_, n, _)| n).collect();
        assert_eq!(names.len(), 2);
        assert_ne!(names[0], names[1]);
        for name in &names {
            assert_eq!(name.chars().count(), MAX_NAME_LEN + 1);
            assert!(name.starts_with(&"x".repeat(MAX_NAME_LEN - NAME_HASH_DIGITS - 1)));
        }
        // The same long name gives the same name, from run to run.
        assert_eq!(registry_name(&format!("{prefix}_sessions")), names[0]);
        assert_eq!(&*registry_name("short"), "short");
    }

    #[test]
    fn many_entries_replace_and_remove_by_id() {
        let registry: Registry<usize> = Registry::new();
        let ids: Vec<u64> = (0..1000)
            .map(|i| registry.add(&format!("n{i}"), i))
            .collect();
        let again = registry.add("n500", 5000);
        assert!(!registry.contains(ids[500]));
        assert!(registry.contains(again));
        registry.remove(ids[500]); // already replaced: nothing happens
        assert!(registry.contains(again));
        registry.remove(again);
        assert_eq!(registry.snapshot().len(), 999);
        assert_eq!(
            registry.ids().windows(2).filter(|w| w[0] >= w[1]).count(),
            0
        );
    }
}
