//! An operation's metadata: ordered keys, shallow merge, bounded key count.

use std::borrow::Cow;

use super::Value;
use super::bounded::truncate;

/// Longest key kept, in characters.
const MAX_KEY_LEN: usize = 64;

/// Ordered `key -> value` pairs; setting an existing key replaces its value (a
/// shallow merge); keys beyond the limit are counted, not kept.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Metadata {
    entries: Vec<(Cow<'static, str>, Value)>,
    dropped: u32,
}

impl crate::bookkeeping::MayHoldHeap for Metadata {
    fn may_hold_heap(&self) -> bool {
        self.entries.capacity() > 0
    }
}

impl Metadata {
    pub(crate) const fn new() -> Self {
        Self {
            entries: Vec::new(),
            dropped: 0,
        }
    }

    pub(crate) fn insert(&mut self, key: Cow<'static, str>, value: Value, max_keys: usize) {
        let key = if key.chars().count() > MAX_KEY_LEN {
            Cow::Owned(truncate(&key, MAX_KEY_LEN))
        } else {
            key
        };
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else if self.entries.len() < max_keys {
            self.entries.push((key, value));
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    pub(crate) fn entries(&self) -> &[(Cow<'static, str>, Value)] {
        &self.entries
    }

    /// How many keys were refused because the limit was reached.
    pub(crate) fn dropped(&self) -> u32 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_bounds_keys() {
        let mut m = Metadata::new();
        m.insert("a".into(), Value::U64(1), 2);
        m.insert("b".into(), Value::U64(2), 2);
        m.insert("a".into(), Value::U64(3), 2);
        m.insert("c".into(), Value::U64(4), 2);
        m.insert("d".into(), Value::U64(5), 2);
        assert_eq!(
            m.entries(),
            &[("a".into(), Value::U64(3)), ("b".into(), Value::U64(2))]
        );
        assert_eq!(m.dropped(), 2);
    }

    #[test]
    fn long_keys_are_cut() {
        let mut m = Metadata::new();
        m.insert(Cow::Owned("k".repeat(100)), Value::Bool(true), 4);
        assert_eq!(m.entries()[0].0.chars().count(), MAX_KEY_LEN + 1);
    }
}
