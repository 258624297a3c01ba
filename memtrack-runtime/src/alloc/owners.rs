//! Who holds the live blocks: per-owner live bytes and blocks, kept per registry
//! slot so that no two threads ever write the same counter.
//!
//! An *owner* is a small number ([`OwnerTag`]) naming an operation name: the
//! tracker gives each operation name one tag when it first runs, and tag
//! [`UNTRACKED`] owns what is allocated outside every operation. The allocator
//! keeps, for every owner:
//!
//! - the exact live bytes and blocks of the blocks it tags (those of at least
//!   [`TAGGED_MIN`](super::TAGGED_MIN) bytes): `+size` when one is allocated,
//!   `-size` when it is freed, whatever thread frees it;
//! - the weights of the live sampled small blocks it owns (see `sampling`), from
//!   which smaller blocks are estimated.
//!
//! Each registry slot has its own table of these counters, written only by the
//! thread that holds the slot (plain loads and stores, like the thread's other
//! counters), so a block allocated on one thread and freed on another adds on the
//! first thread's table and subtracts on the second's: no counter is shared between
//! threads, and the sum over the tables is exact. A table stays with its slot when
//! the thread exits, and the next thread to claim the slot goes on adding to it, so
//! exiting threads fold nothing. Threads without a slot use one shared table,
//! updated with atomic adds.

use std::sync::atomic::{AtomicI64, AtomicPtr, Ordering};

use super::pages;

/// The number that names an owner in a tagged block and in the tables.
///
/// Its low bits (as many as it takes to number [`MAX_OWNERS`]) name the owner, an
/// operation name; the bits above are a stamp of the operation that allocated the
/// block, drawn from its number, so that an operation's frames can tell its own
/// blocks from those of other operations of the same name. The tables count by
/// name only.
pub type OwnerTag = u32;

/// The owner of blocks allocated outside every operation.
pub const UNTRACKED: OwnerTag = 0;

/// The bits of an [`OwnerTag`] that name its owner. (7 under miri, which backs
/// each slot's table with real memory.)
pub(crate) const OWNER_BITS: u32 = if cfg!(miri) { 7 } else { 14 };

/// Number of owner tags. Operation names beyond this many share the last tag.
pub const MAX_OWNERS: usize = 1 << OWNER_BITS;

/// The owner named by `tag`, without the stamp of the operation that allocated.
#[inline(always)]
pub(crate) const fn name_of(tag: OwnerTag) -> OwnerTag {
    tag & (MAX_OWNERS as OwnerTag - 1)
}

/// The tag the blocks of operation number `number`, whose name is owner `name`,
/// are written with: the name, and in the bits above it a stamp drawn from the
/// number by a 64-bit mixing function (the finaliser of SplitMix64), so that two
/// operations share a stamp with probability 1 in 2^(32 - `OWNER_BITS`) (262,144)
/// whatever distance separates their numbers.
#[inline]
pub(crate) const fn of_operation(name: OwnerTag, number: u64) -> OwnerTag {
    let mut x = number;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    let stamp = (x >> (32 + OWNER_BITS)) as OwnerTag;
    name_of(name) | stamp << OWNER_BITS
}

/// One owner's counters in one table.
#[repr(C)]
pub(super) struct Entry {
    exact_bytes: AtomicI64,
    exact_blocks: AtomicI64,
    sampled_bytes: AtomicI64,
    sampled_blocks: AtomicI64,
}

// SAFETY: every field is an atomic integer, valid at zero.
unsafe impl pages::AllZeroValid for Entry {}

/// A change to one owner's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Change {
    pub(super) exact_bytes: i64,
    pub(super) exact_blocks: i64,
    pub(super) sampled_bytes: i64,
    pub(super) sampled_blocks: i64,
}

impl Change {
    /// A tagged block of `size` bytes appearing (`sign` 1) or going away (`-1`).
    pub(super) fn exact(size: u64, sign: i64) -> Self {
        Self {
            exact_bytes: sign.wrapping_mul(size as i64),
            exact_blocks: sign,
            ..Self::default()
        }
    }

    /// A sampled block with the given weights appearing (`sign` 1) or going away.
    pub(super) fn sampled(weight_bytes: u64, weight_blocks: u64, sign: i64) -> Self {
        Self {
            sampled_bytes: sign.wrapping_mul(weight_bytes as i64),
            sampled_blocks: sign.wrapping_mul(weight_blocks as i64),
            ..Self::default()
        }
    }
}

/// Owner-only update: a relaxed load and store (the table has one writer).
#[inline(always)]
fn add_owned(counter: &AtomicI64, by: i64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

impl Entry {
    /// Applies `change`; the caller is the table's only writer.
    #[inline]
    fn apply_owned(&self, change: Change) {
        add_owned(&self.exact_bytes, change.exact_bytes);
        add_owned(&self.exact_blocks, change.exact_blocks);
        if change.sampled_blocks != 0 {
            add_owned(&self.sampled_bytes, change.sampled_bytes);
            add_owned(&self.sampled_blocks, change.sampled_blocks);
        }
    }

    /// Applies `change` with atomic adds (the shared table has many writers).
    fn apply_shared(&self, change: Change) {
        self.exact_bytes
            .fetch_add(change.exact_bytes, Ordering::Relaxed);
        self.exact_blocks
            .fetch_add(change.exact_blocks, Ordering::Relaxed);
        if change.sampled_blocks != 0 {
            self.sampled_bytes
                .fetch_add(change.sampled_bytes, Ordering::Relaxed);
            self.sampled_blocks
                .fetch_add(change.sampled_blocks, Ordering::Relaxed);
        }
    }

    fn read(&self) -> Change {
        Change {
            exact_bytes: self.exact_bytes.load(Ordering::Relaxed),
            exact_blocks: self.exact_blocks.load(Ordering::Relaxed),
            sampled_bytes: self.sampled_bytes.load(Ordering::Relaxed),
            sampled_blocks: self.sampled_blocks.load(Ordering::Relaxed),
        }
    }
}

/// A table of [`MAX_OWNERS`] entries.
#[derive(Clone, Copy)]
pub(super) struct Table(&'static [Entry; MAX_OWNERS]);

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Table")
    }
}

impl Table {
    /// A new zeroed table (see [`pages::zeroed`]: only the pages of the owners a
    /// thread touches become resident); `None` if the system is out of memory.
    /// Tables are never freed: each belongs to a registry slot for the life of the
    /// process.
    pub(super) fn new() -> Option<Self> {
        pages::zeroed::<[Entry; MAX_OWNERS]>().map(Self)
    }

    /// The table's entry for the owner `tag` names.
    #[inline(always)]
    fn entry(self, tag: OwnerTag) -> &'static Entry {
        &self.0[name_of(tag) as usize]
    }

    /// Applies `change` to `tag`'s entry; the caller holds the table's slot.
    #[inline]
    pub(super) fn apply_owned(self, tag: OwnerTag, change: Change) {
        self.entry(tag).apply_owned(change);
    }

    /// The exact live bytes `tag` has in this table.
    pub(super) fn exact_bytes(self, tag: OwnerTag) -> i64 {
        self.entry(tag).exact_bytes.load(Ordering::Relaxed)
    }
}

/// The table of threads without a slot.
static SHARED: [Entry; MAX_OWNERS] = [const {
    Entry {
        exact_bytes: AtomicI64::new(0),
        exact_blocks: AtomicI64::new(0),
        sampled_bytes: AtomicI64::new(0),
        sampled_blocks: AtomicI64::new(0),
    }
}; MAX_OWNERS];

/// Applies `change` to the entry of the owner `tag` names in the shared table.
pub(super) fn apply_shared(tag: OwnerTag, change: Change) {
    SHARED[name_of(tag) as usize].apply_shared(change);
}

/// The exact live bytes the owner `tag` names has in the shared table.
pub(super) fn shared_exact_bytes(tag: OwnerTag) -> i64 {
    SHARED[name_of(tag) as usize]
        .exact_bytes
        .load(Ordering::Relaxed)
}

/// Every slot's table, by slot index (null until the slot is first claimed).
pub(super) struct Tables<const N: usize>([AtomicPtr<[Entry; MAX_OWNERS]>; N]);

impl<const N: usize> Tables<N> {
    pub(super) const fn new() -> Self {
        Self([const { AtomicPtr::new(std::ptr::null_mut()) }; N])
    }

    /// Slot `index`'s table, created on first use; `None` if it cannot be created.
    /// Only the thread claiming slot `index` calls this, so creation never races.
    pub(super) fn for_slot(&self, index: usize) -> Option<Table> {
        let cell = self.0.get(index)?;
        let ptr = cell.load(Ordering::Acquire);
        // SAFETY: a non-null pointer was stored below from a `Table`, whose memory
        // is never freed.
        if let Some(table) = unsafe { ptr.as_ref() } {
            return Some(Table(table));
        }
        let table = Table::new()?;
        cell.store(std::ptr::from_ref(table.0).cast_mut(), Ordering::Release);
        Some(table)
    }

    /// Adds every table's counters for tags `first..first + sums.len()` into `sums`.
    fn add_into(&self, first: usize, sums: &mut [Change]) {
        for cell in &self.0 {
            // SAFETY: as in `for_slot`.
            let Some(table) = (unsafe { cell.load(Ordering::Acquire).as_ref() }) else {
                continue;
            };
            for (sum, entry) in sums.iter_mut().zip(table.iter().skip(first)) {
                add_change(sum, entry.read());
            }
        }
    }
}

fn add_change(sum: &mut Change, c: Change) {
    sum.exact_bytes = sum.exact_bytes.wrapping_add(c.exact_bytes);
    sum.exact_blocks = sum.exact_blocks.wrapping_add(c.exact_blocks);
    sum.sampled_bytes = sum.sampled_bytes.wrapping_add(c.sampled_bytes);
    sum.sampled_blocks = sum.sampled_blocks.wrapping_add(c.sampled_blocks);
}

/// Tags summed at a time by [`sum_each`], on the stack.
const SUM_CHUNK: usize = 64;

/// Calls `f` with the counters of each tag `0..len` in turn, summed over every
/// table. Allocates nothing: a caller that collects the sums into memory it
/// allocated before (and keeps after) sees that memory in the sums, as in the
/// process totals it reads next.
pub(super) fn sum_each<const N: usize>(tables: &Tables<N>, len: usize, mut f: impl FnMut(Change)) {
    let len = len.min(MAX_OWNERS);
    let mut first = 0;
    while first < len {
        let mut chunk = [Change::default(); SUM_CHUNK];
        let sums = &mut chunk[..SUM_CHUNK.min(len - first)];
        tables.add_into(first, sums);
        for (sum, entry) in sums.iter_mut().zip(SHARED.iter().skip(first)) {
            add_change(sum, entry.read());
        }
        sums.iter().for_each(|&c| f(c));
        first += sums.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamped_tag_keeps_its_name_in_the_low_bits() {
        for name in [UNTRACKED, 1, 5, MAX_OWNERS as OwnerTag - 1] {
            for number in [0, 1, 2, 1 << 18, u64::MAX] {
                assert_eq!(name_of(of_operation(name, number)), name);
            }
        }
    }

    #[test]
    fn stamps_collide_about_as_often_as_random_ones_at_every_distance() {
        let stamps = 1u64 << (32 - OWNER_BITS);
        let pairs: u64 = if cfg!(miri) { 200 } else { 1 << 20 };
        // Fixed distances between operation numbers (an LRU evicting the entry of
        // the operation `distance` before), round and otherwise.
        for distance in [1, 2, 3, 1000, stamps, 3 * stamps, 121_393, 196_418, 317_811] {
            let same = (0..pairs)
                .filter(|&n| of_operation(3, n) == of_operation(3, n + distance))
                .count() as u64;
            // About pairs / stamps (4 here) expected; a distance aligned with the
            // mixing would give far more.
            assert!(
                same <= 4 * (pairs / stamps).max(1) + 4,
                "distance {distance}: {same}"
            );
        }
    }
}
