//! Which operation holds the memory: the live heap per operation name.
//!
//! With [`Allocator`](crate::Allocator) installed, every live block has an owner:
//! the operation name whose code allocated it (the innermost operation when they
//! nest), or the untracked bucket ([`UNTRACKED_NAME`]) for blocks allocated outside
//! every operation. A block keeps its owner until it is freed, whoever frees it: an
//! operation that fills a cache evicted by a timer thread holds exactly the entries
//! still in the cache, and a buffer made by one operation and dropped by another is
//! held by nobody once dropped.
//!
//! [`retained`] reads every owner's live bytes. For blocks of at least
//! [`TAGGED_MIN`](crate::alloc::TAGGED_MIN) bytes the figure is exact
//! ([`Retained::exact_bytes`]); smaller blocks are attributed by sampling (about one
//! sample per [`sample_interval`](crate::alloc::sample_interval) bytes allocated),
//! and the process's live small bytes, which are known exactly, are shared among the
//! owners in proportion to their live samples. So the figures of all names, the
//! untracked bucket included, add up to the allocator's live bytes.
//!
//! ```
//! // Without the counting allocator there is no owner to report.
//! assert!(memtrack::retained().is_none());
//! ```

use std::collections::HashMap;

use crate::alloc::{self, BLOCK_UNIT, OwnerLive, UNTRACKED};
use crate::sites::{OVERFLOW_NAME, tags};

/// The name under which blocks allocated outside every operation are reported.
pub const UNTRACKED_NAME: &str = "untracked";

/// The live heap one operation name holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retained {
    /// The operation name, or [`UNTRACKED_NAME`].
    pub name: &'static str,
    /// Live bytes it owns: [`exact_bytes`](Self::exact_bytes) plus its share of the
    /// live small blocks.
    pub bytes: u64,
    /// Live blocks it owns (tagged blocks counted, small ones estimated).
    pub blocks: u64,
    /// Live bytes of its blocks of at least
    /// [`TAGGED_MIN`](crate::alloc::TAGGED_MIN) bytes, to the byte.
    pub exact_bytes: u64,
    /// Its live blocks of at least [`TAGGED_MIN`](crate::alloc::TAGGED_MIN) bytes.
    pub exact_blocks: u64,
}

/// Every operation name that holds live heap now, the untracked bucket included,
/// most bytes first (then by name); `None` without the counting allocator.
///
/// The figures of all entries add up to [`HeapStats::live_bytes`] of a reading taken
/// at the same time (exactly, when no thread allocates or frees during the two
/// readings).
///
/// [`HeapStats::live_bytes`]: crate::alloc::HeapStats::live_bytes
///
/// ```
/// #[global_allocator]
/// static ALLOC: memtrack::Allocator = memtrack::Allocator::system();
///
/// #[memtrack::memtrack("keeper")]
/// fn keep(store: &mut Vec<Vec<u8>>) {
///     store.push(vec![1; 64 * 1024]);
/// }
///
/// let mut store = Vec::new();
/// keep(&mut store);
/// let held = memtrack::retained().expect("the allocator is installed");
/// let keeper = held.iter().find(|r| r.name == "keeper").expect("it holds a block");
/// assert_eq!(keeper.exact_bytes, 64 * 1024);
/// ```
#[must_use]
pub fn retained() -> Option<Vec<Retained>> {
    reading().map(|r| r.holders)
}

/// A reading of who holds the live heap, with the total it shares out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The allocator's live bytes at the reading.
    pub live_bytes: u64,
    /// Every holder, as [`retained`] lists them; their bytes add up to `live_bytes`
    /// when no thread allocates or frees during the reading.
    pub holders: Vec<Retained>,
}

/// [`retained`] with the live total its figures add up to; `None` without the
/// counting allocator.
///
/// ```
/// #[global_allocator]
/// static ALLOC: memtrack::Allocator = memtrack::Allocator::system();
///
/// let reading = memtrack::retained::reading().expect("the allocator is installed");
/// let sum: u64 = reading.holders.iter().map(|h| h.bytes).sum();
/// // Equal on a quiet process; other threads may be allocating while a doc test runs.
/// assert!(sum.abs_diff(reading.live_bytes) < 1 << 20);
/// ```
#[must_use]
pub fn reading() -> Option<Reading> {
    // The owners first: the memory this reading allocates for them is then live in
    // both figures.
    let owners = alloc::owners_live(tags::count())?;
    let heap = alloc::heap_stats()?;
    let mut holders = by_name(&owners, heap.small_live_bytes);
    sort(&mut holders);
    Some(Reading {
        live_bytes: heap.live_bytes,
        holders,
    })
}

/// Every holder as [`retained`] lists them, in the order their names were first
/// given an owner tag: cheaper than sorting, and the same from one reading to the
/// next.
#[cfg(feature = "prometheus")]
pub(crate) fn unsorted() -> Option<Vec<Retained>> {
    let owners = alloc::owners_live(tags::count())?;
    let heap = alloc::heap_stats()?;
    Some(by_name(&owners, heap.small_live_bytes))
}

/// Most bytes first, then by name.
fn sort(holders: &mut [Retained]) {
    holders.sort_unstable_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(b.name)));
}

/// The name of owner `tag`, if it names anything.
fn name_of(tag: alloc::OwnerTag) -> Option<&'static str> {
    if tag == UNTRACKED {
        Some(UNTRACKED_NAME)
    } else if tag == tags::OVERFLOW {
        Some(OVERFLOW_NAME)
    } else {
        tags::site(tag).map(crate::sites::Site::name)
    }
}

/// Per-name figures from per-owner counters, sharing `small_live` (the exact live
/// bytes of small blocks) by live samples; in the order of the owner tags.
pub(crate) fn by_name(owners: &[OwnerLive], small_live: u64) -> Vec<Retained> {
    let sampled_total: u128 = owners
        .iter()
        .map(|o| u128::try_from(o.sampled_bytes).unwrap_or(0))
        .sum();
    let mut shares: Vec<(&'static str, Retained)> = Vec::with_capacity(owners.len());
    let mut shared_out: u64 = 0;
    for owner in owners {
        let Some(name) = name_of(owner.owner) else {
            continue;
        };
        let sampled = u128::try_from(owner.sampled_bytes).unwrap_or(0);
        let share = if owner.owner == UNTRACKED || sampled_total == 0 {
            0
        } else {
            u64::try_from(u128::from(small_live) * sampled / sampled_total).unwrap_or(u64::MAX)
        };
        shared_out = shared_out.saturating_add(share);
        let exact_bytes = u64::try_from(owner.exact_bytes).unwrap_or(0);
        let exact_blocks = u64::try_from(owner.exact_blocks).unwrap_or(0);
        let small_blocks = u64::try_from(owner.sampled_blocks).unwrap_or(0) / BLOCK_UNIT;
        shares.push((
            name,
            Retained {
                name,
                bytes: exact_bytes.saturating_add(share),
                blocks: exact_blocks.saturating_add(small_blocks),
                exact_bytes,
                exact_blocks,
            },
        ));
    }
    // The untracked bucket takes the small bytes not shared out (its own share, and
    // all of them when nothing was sampled), so the total is exact.
    let rest = small_live.saturating_sub(shared_out);
    match shares.iter_mut().find(|(name, _)| *name == UNTRACKED_NAME) {
        Some((_, untracked)) => untracked.bytes = untracked.bytes.saturating_add(rest),
        None if rest > 0 => shares.push((
            UNTRACKED_NAME,
            Retained {
                name: UNTRACKED_NAME,
                bytes: rest,
                blocks: 0,
                exact_bytes: 0,
                exact_blocks: 0,
            },
        )),
        None => {}
    }
    // Sites of one name are one holder, listed where the first of them is.
    let mut at: HashMap<&'static str, usize> = HashMap::with_capacity(shares.len());
    let mut list: Vec<Retained> = Vec::with_capacity(shares.len());
    for (name, r) in shares {
        match at.get(name).and_then(|&i| list.get_mut(i)) {
            Some(m) => {
                m.bytes = m.bytes.saturating_add(r.bytes);
                m.blocks = m.blocks.saturating_add(r.blocks);
                m.exact_bytes = m.exact_bytes.saturating_add(r.exact_bytes);
                m.exact_blocks = m.exact_blocks.saturating_add(r.exact_blocks);
            }
            None => {
                at.insert(name, list.len());
                list.push(r);
            }
        }
    }
    list.retain(|r| r.bytes > 0 || r.blocks > 0);
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(tag: u32, exact: i64, sampled: i64) -> OwnerLive {
        OwnerLive {
            owner: tag,
            exact_bytes: exact,
            exact_blocks: i64::from(exact > 0),
            sampled_bytes: sampled,
            sampled_blocks: sampled / 100 * BLOCK_UNIT as i64,
        }
    }

    #[test]
    fn small_bytes_are_shared_by_samples_and_the_total_is_exact() {
        // The untracked bucket holds 4 KiB tagged and one sample; nothing else is
        // named (tags without a site are skipped), so all small bytes go to it.
        let list = by_name(&[owner(UNTRACKED, 4096, 300_000)], 1000);
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, UNTRACKED_NAME);
        assert_eq!(list[0].bytes, 4096 + 1000);
        assert_eq!(list[0].exact_bytes, 4096);
    }

    #[test]
    fn nothing_sampled_leaves_small_bytes_untracked() {
        let list = by_name(&[], 777);
        assert_eq!(
            list,
            vec![Retained {
                name: UNTRACKED_NAME,
                bytes: 777,
                blocks: 0,
                exact_bytes: 0,
                exact_blocks: 0
            }]
        );
    }
}
