//! Bounded lists of findings: the largest N, or the first and last N.

use std::collections::VecDeque;

/// The `limit` items with the largest keys (ties: the earlier wins), and how many
/// were offered.
#[derive(Debug, Clone)]
pub struct Largest<T> {
    items: Vec<(f64, u64, T)>,
    limit: usize,
    seen: u64,
}

impl<T> Largest<T> {
    /// Keeps at most `limit` items.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Largest {
            items: Vec::new(),
            limit,
            seen: 0,
        }
    }

    /// Offers an item with its key.
    ///
    /// ```
    /// use memtrack_cli::model::keep::Largest;
    ///
    /// let mut big = Largest::new(2);
    /// for (key, name) in [(3.0, "c"), (9.0, "i"), (1.0, "a"), (5.0, "e")] {
    ///     big.offer(key, name);
    /// }
    /// assert_eq!(big.seen(), 4);
    /// assert_eq!(big.into_items(), ["i", "e"]);
    /// ```
    pub fn offer(&mut self, key: f64, item: T) {
        let order = self.seen;
        self.seen += 1;
        if self.limit == 0 {
            return;
        }
        let key = if key.is_finite() { key } else { 0.0 };
        if self.items.len() == self.limit {
            // The smallest kept key; an equal key does not displace an earlier item.
            let Some((min_index, min)) = self
                .items
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.0.total_cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)))
                .map(|(i, item)| (i, item.0))
            else {
                return;
            };
            if key <= min {
                return;
            }
            self.items.swap_remove(min_index);
        }
        self.items.push((key, order, item));
    }

    /// How many items were offered.
    #[must_use]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The kept items, largest key first.
    #[must_use]
    pub fn into_items(mut self) -> Vec<T> {
        self.items
            .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        self.items.into_iter().map(|(_, _, item)| item).collect()
    }
}

/// The first `limit` and the last `limit` items, and how many were offered.
#[derive(Debug, Clone)]
pub struct FirstLast<T> {
    first: Vec<T>,
    last: VecDeque<T>,
    limit: usize,
    seen: u64,
}

impl<T> FirstLast<T> {
    /// Keeps at most `2 * limit` items.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        FirstLast {
            first: Vec::new(),
            last: VecDeque::new(),
            limit,
            seen: 0,
        }
    }

    /// Adds an item.
    ///
    /// ```
    /// use memtrack_cli::model::keep::FirstLast;
    ///
    /// let mut fl = FirstLast::new(2);
    /// for i in 1..=7 {
    ///     fl.push(i);
    /// }
    /// assert_eq!(fl.seen(), 7);
    /// assert_eq!(fl.into_items(), [1, 2, 6, 7]);
    /// ```
    pub fn push(&mut self, item: T) {
        self.seen += 1;
        if self.first.len() < self.limit {
            self.first.push(item);
            return;
        }
        if self.limit == 0 {
            return;
        }
        if self.last.len() == self.limit {
            self.last.pop_front();
        }
        self.last.push_back(item);
    }

    /// How many items were added.
    #[must_use]
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The kept items in the order they came.
    #[must_use]
    pub fn into_items(self) -> Vec<T> {
        let mut items = self.first;
        items.extend(self.last);
        items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_keeps_the_earlier_of_equal_keys() {
        let mut big = Largest::new(2);
        for name in ["a", "b", "c"] {
            big.offer(1.0, name);
        }
        assert_eq!(big.into_items(), ["a", "b"]);
    }

    #[test]
    fn largest_with_nothing_and_no_room() {
        let none: Largest<u8> = Largest::new(3);
        assert!(none.into_items().is_empty());
        let mut zero = Largest::new(0);
        zero.offer(1.0, 1);
        assert_eq!(zero.seen(), 1);
        assert!(zero.into_items().is_empty());
    }

    #[test]
    fn first_last_short_and_long() {
        let mut fl = FirstLast::new(3);
        fl.push(1);
        fl.push(2);
        assert_eq!(fl.into_items(), [1, 2]);
        let mut fl = FirstLast::new(1);
        for i in 0..1000 {
            fl.push(i);
        }
        assert_eq!(fl.into_items(), [0, 999]);
    }
}
