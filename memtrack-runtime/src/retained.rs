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

use crate::alloc::{self, BLOCK_UNIT, OwnerLive, OwnerTag, UNTRACKED};
use crate::sites::{self, OVERFLOW_NAME, tags};

pub use crate::sites::UNTRACKED_NAME;

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
    crate::bookkeeping::untracked(|| {
        // The owners first: the memory this reading allocates for them is then live
        // in both figures.
        let owners = alloc::owners_live(tags::count())?;
        let heap = alloc::heap_stats()?;
        let mut holders = by_name(&owners, heap.small_live_bytes);
        sort(&mut holders);
        Some(Reading {
            live_bytes: heap.live_bytes,
            holders,
        })
    })
}

/// Every holder as [`retained`] lists them, in name order (cheaper than by bytes:
/// the sites' name order is kept between readings).
#[cfg(feature = "prometheus")]
pub(crate) fn unsorted() -> Option<Vec<Retained>> {
    crate::bookkeeping::untracked(|| {
        let owners = alloc::owners_live(tags::count())?;
        let heap = alloc::heap_stats()?;
        Some(by_name(&owners, heap.small_live_bytes))
    })
}

/// Most bytes first, then by name (`holders` come in name order, which a stable
/// sort keeps among equal bytes).
fn sort(holders: &mut [Retained]) {
    holders.sort_by_key(|h| std::cmp::Reverse(h.bytes));
}

/// One holder per name, in name order, from per-owner figures: owners whose sites
/// share a name (two functions annotated with one name; the untracked bucket or
/// the overflow tag and a site of the same name) are summed.
///
/// The sites' name order is kept between readings ([`sites::by_name`]), so this
/// compares each name with its neighbour once and looks up the few owners without
/// a site of their own (untracked, overflow) by binary search: no hashing, no
/// sorting of names.
fn merge_by_name(shares: Vec<(OwnerTag, Retained)>) -> Vec<Retained> {
    const NO_GROUP: u32 = u32::MAX;
    let sorted = sites::by_name();
    let mut names: Vec<&'static str> = Vec::with_capacity(sorted.len());
    let mut group_of_tag: Vec<u32> = vec![NO_GROUP; tags::count()];
    for site in sorted {
        if names.last() != Some(&site.name()) {
            names.push(site.name());
        }
        let group = u32::try_from(names.len() - 1).unwrap_or(NO_GROUP);
        if let Some(slot) = group_of_tag.get_mut(site.owner_tag() as usize) {
            // The overflow tag is shared by many sites and named apart.
            if site.owner_tag() != tags::OVERFLOW && site.owner_tag() != UNTRACKED {
                *slot = group;
            }
        }
    }
    let mut groups: Vec<Option<Retained>> = vec![None; names.len()];
    // Holders whose name no site has (the untracked bucket, usually), by name.
    let mut apart: Vec<Retained> = Vec::new();
    for (tag, r) in shares {
        let group = match group_of_tag.get(tag as usize) {
            Some(&g) if g != NO_GROUP => Some(g as usize),
            // Untracked, overflow, or a site given its tag and not yet listed.
            _ => names.binary_search(&r.name).ok(),
        };
        let slot = match group.and_then(|g| groups.get_mut(g)) {
            Some(slot) => slot,
            None => match apart.iter_mut().position(|a| a.name == r.name) {
                Some(i) => {
                    add_to(&mut apart[i], &r);
                    continue;
                }
                None => {
                    apart.push(r);
                    continue;
                }
            },
        };
        match slot {
            Some(held) => add_to(held, &r),
            None => *slot = Some(r),
        }
    }
    let mut list: Vec<Retained> = groups.into_iter().flatten().collect();
    for r in apart {
        let at = list.partition_point(|l| l.name < r.name);
        list.insert(at, r);
    }
    list
}

/// Adds `r`'s figures to `held`'s.
fn add_to(held: &mut Retained, r: &Retained) {
    held.bytes = held.bytes.saturating_add(r.bytes);
    held.blocks = held.blocks.saturating_add(r.blocks);
    held.exact_bytes = held.exact_bytes.saturating_add(r.exact_bytes);
    held.exact_blocks = held.exact_blocks.saturating_add(r.exact_blocks);
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
/// bytes of small blocks) by live samples; in name order.
pub(crate) fn by_name(owners: &[OwnerLive], small_live: u64) -> Vec<Retained> {
    let sampled_total: u128 = owners
        .iter()
        .map(|o| u128::try_from(o.sampled_bytes).unwrap_or(0))
        .sum();
    let mut shares: Vec<(OwnerTag, Retained)> = Vec::with_capacity(owners.len());
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
            owner.owner,
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
    match shares.iter_mut().find(|(tag, _)| *tag == UNTRACKED) {
        Some((_, untracked)) => untracked.bytes = untracked.bytes.saturating_add(rest),
        None if rest > 0 => shares.push((
            UNTRACKED,
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
    let mut list = merge_by_name(shares);
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

    #[test]
    fn owners_of_one_name_are_one_holder_in_name_order() {
        use crate::sites::Site;
        static ONE: Site = Site::new("retained-merge-b");
        static TWIN: Site = Site::new("retained-merge-b");
        static OTHER: Site = Site::new("retained-merge-a");
        static NAMED_UNTRACKED: Site = Site::new(UNTRACKED_NAME);
        for site in [&ONE, &TWIN, &OTHER, &NAMED_UNTRACKED] {
            site.on_start();
        }
        let list = by_name(
            &[
                owner(ONE.owner_tag(), 3000, 0),
                owner(UNTRACKED, 100, 0),
                owner(TWIN.owner_tag(), 5000, 0),
                owner(OTHER.owner_tag(), 7000, 0),
                owner(NAMED_UNTRACKED.owner_tag(), 11, 0),
            ],
            0,
        );
        let find = |name: &str| list.iter().filter(|r| r.name == name).collect::<Vec<_>>();
        assert_eq!(find("retained-merge-b").len(), 1);
        assert_eq!(find("retained-merge-b")[0].exact_bytes, 8000);
        assert_eq!(find("retained-merge-b")[0].exact_blocks, 2);
        assert_eq!(find("retained-merge-a")[0].bytes, 7000);
        // The untracked bucket and a site named like it are one holder.
        assert_eq!(find(UNTRACKED_NAME).len(), 1);
        assert_eq!(find(UNTRACKED_NAME)[0].bytes, 111);
        assert!(list.windows(2).all(|w| w[0].name < w[1].name));
        // By bytes for `retained`, equal bytes in name order.
        let mut sorted = list.clone();
        sort(&mut sorted);
        assert!(sorted.windows(2).all(
            |w| w[0].bytes > w[1].bytes || (w[0].bytes == w[1].bytes && w[0].name < w[1].name)
        ));
    }
}
