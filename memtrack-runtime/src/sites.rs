//! Per-operation-name totals.
//!
//! Every operation name has one [`Site`]: a static placed by `#[memtrack]` in the
//! function it annotates, or one interned for a name passed to [`start`](crate::start).
//! Sites count operations started and ended and the heap bytes charged to them (per
//! call or poll, so an operation still running is already charged), which is how the
//! monitor names the operations that used the most memory in each interval.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};

use crate::alloc::{OwnerTag, UNTRACKED};
use crate::ended_by::EndedBy;
use crate::metrics::SiteMetrics;
use std::sync::{Mutex, PoisonError};

/// Most distinct names interned for [`start`](crate::start); operations with further
/// new names are counted under [`OVERFLOW_NAME`] (their events keep their own name).
pub const MAX_INTERNED_NAMES: usize = 4096;

/// Most bytes of names interned for [`start`](crate::start) (names are cut to
/// [`MAX_NAME_LEN`](crate::metadata::MAX_NAME_LEN) characters first); past it, new
/// names are counted under [`OVERFLOW_NAME`] like those past [`MAX_INTERNED_NAMES`].
/// The table therefore holds at most this many bytes of names plus one [`Site`] per
/// name.
pub const MAX_INTERNED_NAME_BYTES: usize = 256 * 1024;

/// The site that collects names beyond [`MAX_INTERNED_NAMES`] and
/// [`MAX_INTERNED_NAME_BYTES`].
pub const OVERFLOW_NAME: &str = "other";

/// The name under which blocks allocated outside every operation are reported.
pub const UNTRACKED_NAME: &str = "untracked";

/// The name under which an operation named with an empty or blank string is
/// counted (its events keep the name it was given).
pub const UNNAMED_NAME: &str = "unnamed";

/// The name an operation's figures are counted under: its own, except for names
/// that would merge it into memtrack's buckets ([`UNTRACKED_NAME`],
/// [`OVERFLOW_NAME`]) or leave it without a label in the exporters (a blank name).
fn counted_name(name: &str) -> Cow<'_, str> {
    if name.trim().is_empty() {
        Cow::Borrowed(UNNAMED_NAME)
    } else if name == UNTRACKED_NAME || name == OVERFLOW_NAME {
        Cow::Owned(format!("{name} (operation)"))
    } else {
        Cow::Borrowed(name)
    }
}

/// Totals of one operation name, kept for the life of the process.
///
/// ```
/// static SITE: memtrack::sites::Site = memtrack::sites::Site::new("doc-site");
/// let op = memtrack::Tracker::at_site(&SITE);
/// op.end();
/// let totals = SITE.totals();
/// assert_eq!((totals.started, totals.ended, totals.active), (1, 1, 0));
/// ```
#[repr(align(128))]
#[derive(Debug)]
pub struct Site {
    name: &'static str,
    registered: AtomicBool,
    /// The owner tag of the blocks its operations allocate, given at registration.
    tag: AtomicU32,
    next: AtomicPtr<Site>,
    started: AtomicU64,
    ended: AtomicU64,
    alloc_bytes: AtomicU64,
    freed_bytes: AtomicU64,
    rss_growth_bytes: AtomicU64,
    /// Heap allocations charged (counting allocator only).
    allocs: AtomicU64,
    /// Ends by path and the histograms, for the exporters.
    metrics: SiteMetrics,
}

/// A copy of a [`Site`]'s counters at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteTotals {
    /// The operation name.
    pub name: &'static str,
    /// Operations started.
    pub started: u64,
    /// Operations ended (on any path).
    pub ended: u64,
    /// Operations started and not yet ended.
    pub active: u64,
    /// Operations that ended with an error, a panic, cancellation or a drop.
    pub failed: u64,
    /// Heap bytes allocated while these operations ran (counting allocator only).
    pub alloc_bytes: u64,
    /// Heap bytes freed while these operations ran (counting allocator only).
    pub freed_bytes: u64,
    /// Sum of the RSS growth of these operations (only those whose RSS grew).
    pub rss_growth_bytes: u64,
}

static HEAD: AtomicPtr<Site> = AtomicPtr::new(ptr::null_mut());

impl Site {
    /// A site for `name`, for use in a `static`.
    #[must_use]
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            registered: AtomicBool::new(false),
            tag: AtomicU32::new(UNTRACKED),
            next: AtomicPtr::new(ptr::null_mut()),
            started: AtomicU64::new(0),
            ended: AtomicU64::new(0),
            alloc_bytes: AtomicU64::new(0),
            freed_bytes: AtomicU64::new(0),
            rss_growth_bytes: AtomicU64::new(0),
            allocs: AtomicU64::new(0),
            metrics: SiteMetrics::new(),
        }
    }

    /// The operation name.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A copy of the counters.
    #[must_use]
    pub fn totals(&self) -> SiteTotals {
        let ended = self.ended.load(Ordering::Acquire);
        let started = self.started.load(Ordering::Acquire);
        SiteTotals {
            name: self.name,
            started,
            ended,
            active: started.saturating_sub(ended),
            failed: self.metrics.failed(),
            alloc_bytes: self.alloc_bytes.load(Ordering::Relaxed),
            freed_bytes: self.freed_bytes.load(Ordering::Relaxed),
            rss_growth_bytes: self.rss_growth_bytes.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn on_start(&'static self) {
        if self.tag.load(Ordering::Acquire) == UNTRACKED {
            self.register();
        }
        self.started.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn on_end(&self, ended_by: EndedBy, rss_growth: u64) {
        self.metrics.record_end(ended_by);
        if rss_growth > 0 {
            self.rss_growth_bytes
                .fetch_add(rss_growth, Ordering::Relaxed);
        }
        self.ended.fetch_add(1, Ordering::Release);
    }

    pub(crate) fn charge(&self, allocated: u64, freed: u64, allocs: u64) {
        if allocated > 0 {
            self.alloc_bytes.fetch_add(allocated, Ordering::Relaxed);
            self.allocs.fetch_add(allocs, Ordering::Relaxed);
        }
        if freed > 0 {
            self.freed_bytes.fetch_add(freed, Ordering::Relaxed);
        }
    }

    /// The exporters' counters and histograms.
    pub(crate) fn metrics(&self) -> &SiteMetrics {
        &self.metrics
    }

    /// Ended operations by path (in [`ENDED_BY`](crate::metrics::ENDED_BY) order)
    /// and heap allocations charged, read at one go.
    pub(crate) fn outcomes_and_allocs(&self) -> ([u64; 5], u64) {
        let ended = self.ended.load(Ordering::Acquire);
        (
            self.metrics.outcomes(ended),
            self.allocs.load(Ordering::Relaxed),
        )
    }

    /// The owner tag of the blocks this site's operations allocate (the untracked
    /// bucket's until the site's first operation starts).
    #[must_use]
    pub fn owner_tag(&self) -> OwnerTag {
        self.tag.load(Ordering::Acquire)
    }

    /// Gives the site its tag and links it into the list, once; a thread that finds
    /// another registering the site waits for its tag (a few instructions away).
    #[cold]
    fn register(&'static self) {
        if self.registered.swap(true, Ordering::AcqRel) {
            let mut spins = 0u32;
            while self.tag.load(Ordering::Acquire) == UNTRACKED {
                if spins < 100 {
                    std::hint::spin_loop();
                    spins += 1;
                } else {
                    std::thread::yield_now();
                }
            }
            return;
        }
        self.tag.store(tags::assign(self), Ordering::Release);
        let me = ptr::from_ref(self).cast_mut();
        let mut head = HEAD.load(Ordering::Acquire);
        loop {
            self.next.store(head, Ordering::Relaxed);
            match HEAD.compare_exchange_weak(head, me, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }
}

/// Owner tags: one per site, in registration order, and the site of each.
pub(crate) mod tags {
    use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

    use super::Site;
    use crate::alloc::{MAX_OWNERS, OwnerTag};

    /// The tag shared by sites beyond the number of tags, reported under
    /// [`OVERFLOW_NAME`](super::OVERFLOW_NAME).
    pub(crate) const OVERFLOW: OwnerTag = (MAX_OWNERS - 1) as OwnerTag;

    static NEXT: AtomicU32 = AtomicU32::new(1);
    static SITES: [AtomicPtr<Site>; MAX_OWNERS] =
        [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_OWNERS];

    /// A new tag for `site` (or the shared overflow tag once all are given).
    pub(super) fn assign(site: &'static Site) -> OwnerTag {
        let tag = NEXT
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |next| {
                (next < OVERFLOW).then_some(next + 1)
            })
            .unwrap_or(OVERFLOW);
        if tag != OVERFLOW {
            SITES[tag as usize].store(std::ptr::from_ref(site).cast_mut(), Ordering::Release);
        }
        tag
    }

    /// One past the highest tag given.
    pub(crate) fn count() -> usize {
        (NEXT.load(Ordering::Acquire) as usize).min(MAX_OWNERS)
    }

    /// The site `tag` was given to (`None` for the untracked bucket, the overflow
    /// tag and tags not given).
    pub(crate) fn site(tag: OwnerTag) -> Option<&'static Site> {
        let ptr = SITES.get(tag as usize)?.load(Ordering::Acquire);
        // SAFETY: only `&'static Site`s are stored in the table (see `assign`).
        unsafe { ptr.as_ref() }
    }
}

/// Every site that has started at least one operation, newest first.
///
/// ```
/// let op = memtrack::start("listed-op");
/// op.end();
/// assert!(memtrack::sites::all().any(|s| s.name() == "listed-op"));
/// ```
pub fn all() -> impl Iterator<Item = &'static Site> {
    listed_from(HEAD.load(Ordering::Acquire))
}

/// The sites of the list from `first` (a value of `HEAD`) on.
fn listed_from(first: *mut Site) -> impl Iterator<Item = &'static Site> {
    let mut next = first;
    std::iter::from_fn(move || {
        // SAFETY: `first` is a value `HEAD` held and only `&'static Site`s are ever
        // linked into the list (`register` takes `&'static self`); a linked site is
        // never unlinked, so every non-null pointer in the chain is valid for
        // 'static.
        let site: &'static Site = unsafe { next.as_ref()? };
        next = site.next.load(Ordering::Acquire);
        Some(site)
    })
}

/// Every site that has started at least one operation, sorted by name (sites of
/// one name side by side, newest first among them).
///
/// The order is kept between calls: the list of sites only grows at its head, so a
/// call sorts only the sites registered since the last one and merges them in.
pub(crate) fn by_name() -> Vec<&'static Site> {
    /// The sites in name order, and the head of the list when they were read.
    struct Sorted {
        head: usize,
        sites: Vec<&'static Site>,
    }
    static SORTED: Mutex<Sorted> = Mutex::new(Sorted {
        head: 0,
        sites: Vec::new(),
    });

    crate::bookkeeping::untracked(|| {
        let mut sorted = SORTED.lock().unwrap_or_else(PoisonError::into_inner);
        let head = HEAD.load(Ordering::Acquire);
        let known = sorted.head;
        let mut new: Vec<&'static Site> = listed_from(head)
            .take_while(|site| !ptr::eq(*site, known as *const Site))
            .collect();
        if !new.is_empty() {
            // Stable: newest first among sites of one name, as `all` lists them.
            new.sort_by(|a, b| a.name().cmp(b.name()));
            let old = std::mem::take(&mut sorted.sites);
            sorted.sites = merge_by_name(new, old);
            sorted.head = head as usize;
        }
        sorted.sites.clone()
    })
}

/// The union of two lists sorted by name; on equal names `newer` comes first.
fn merge_by_name(newer: Vec<&'static Site>, older: Vec<&'static Site>) -> Vec<&'static Site> {
    let mut merged = Vec::with_capacity(newer.len() + older.len());
    let mut newer = newer.into_iter().peekable();
    let mut older = older.into_iter().peekable();
    while let (Some(n), Some(o)) = (newer.peek(), older.peek()) {
        if n.name() <= o.name() {
            merged.extend(newer.next());
        } else {
            merged.extend(older.next());
        }
    }
    merged.extend(newer);
    merged.extend(older);
    merged
}

/// Totals of every site, newest first.
#[must_use]
pub fn totals() -> Vec<SiteTotals> {
    all().map(Site::totals).collect()
}

/// Operations started and not yet ended, over all sites.
///
/// ```
/// let before = memtrack::active_operations();
/// let op = memtrack::start("counted-op");
/// assert!(memtrack::active_operations() >= 1);
/// drop(op);
/// # let _ = before;
/// ```
#[must_use]
pub fn active_operations() -> u64 {
    all().map(|s| s.totals().active).sum()
}

/// The site for a run-time name, and the name itself when the site is not its own
/// (past [`MAX_INTERNED_NAMES`] or [`MAX_INTERNED_NAME_BYTES`]). The name is first
/// cut to [`MAX_NAME_LEN`](crate::metadata::MAX_NAME_LEN) characters. memtrack's own
/// bookkeeping: not charged to the operations whose frames are open.
pub(crate) fn lookup(name: &str) -> (&'static Site, Option<Box<str>>) {
    crate::bookkeeping::untracked(|| {
        let name = crate::metadata::bounded_name(name);
        let site = intern(&counted_name(&name));
        let own_name = (site.name() != name).then(|| Box::from(&*name));
        (site, own_name)
    })
}

/// The names interned so far, and the bytes they hold.
#[derive(Default)]
struct Interned {
    sites: HashMap<&'static str, &'static Site>,
    name_bytes: usize,
}

/// The site for a name known only at run time (interned once, kept for the process;
/// the name is stored once, in the site).
fn intern(name: &str) -> &'static Site {
    static INTERNED: Mutex<Option<Interned>> = Mutex::new(None);
    static OVERFLOW: Site = Site::new(OVERFLOW_NAME);

    let mut guard = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
    let table = guard.get_or_insert_with(Interned::default);
    if let Some(site) = table.sites.get(name) {
        return site;
    }
    let name_bytes = table.name_bytes.saturating_add(name.len());
    if table.sites.len() >= MAX_INTERNED_NAMES || name_bytes > MAX_INTERNED_NAME_BYTES {
        return &OVERFLOW;
    }
    let name: &'static str = Box::leak(Box::from(name));
    let site: &'static Site = Box::leak(Box::new(Site::new(name)));
    table.sites.insert(name, site);
    table.name_bytes = name_bytes;
    site
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_memtracks_buckets_and_blank_names_are_counted_apart() {
        for (given, counted) in [
            ("untracked", "untracked (operation)"),
            ("other", "other (operation)"),
            ("", "unnamed"),
            (" \t", "unnamed"),
            ("untracked-requests", "untracked-requests"),
            ("Other", "Other"),
        ] {
            let (site, own_name) = lookup(given);
            assert_eq!(site.name(), counted, "{given:?}");
            let expected_own = (given != counted).then_some(given);
            assert_eq!(own_name.as_deref(), expected_own, "{given:?}");
        }
    }

    #[test]
    fn interning_returns_one_site_per_name() {
        let a = intern("sites-test-a");
        let b = intern("sites-test-a");
        assert!(ptr::eq(a, b));
        assert_eq!(a.name(), "sites-test-a");
        assert!(!ptr::eq(a, intern("sites-test-b")));
    }

    #[test]
    fn registration_links_each_site_once() {
        static SITE: Site = Site::new("sites-test-register");
        SITE.on_start();
        SITE.on_start();
        SITE.charge(10, 4, 1);
        SITE.on_end(EndedBy::Err, 7);
        let listed = all().filter(|s| s.name() == "sites-test-register").count();
        assert_eq!(listed, 1);
        let t = SITE.totals();
        assert_eq!(
            (
                t.started,
                t.ended,
                t.active,
                t.failed,
                t.alloc_bytes,
                t.freed_bytes,
                t.rss_growth_bytes
            ),
            (2, 1, 1, 1, 10, 4, 7)
        );
    }

    /// `by_name` holds, in name order and once each, every site listed before it
    /// was called and only sites listed after (other tests register sites at the
    /// same time).
    fn assert_by_name_is_the_list_sorted() {
        let set = |sites: &mut dyn Iterator<Item = &'static Site>| {
            sites
                .map(|s| ptr::from_ref(s) as usize)
                .collect::<std::collections::BTreeSet<usize>>()
        };
        let before = set(&mut all());
        let listed = by_name();
        let after = set(&mut all());
        assert!(listed.windows(2).all(|w| w[0].name() <= w[1].name()));
        let listed_set = set(&mut listed.iter().copied());
        assert_eq!(listed_set.len(), listed.len(), "a site is listed twice");
        assert!(before.is_subset(&listed_set));
        assert!(listed_set.is_subset(&after));
    }

    #[test]
    fn the_name_order_takes_in_sites_registered_between_readings() {
        static FIRST: Site = Site::new("sites-order-m");
        static SAME_NAME: Site = Site::new("sites-order-m");
        FIRST.on_start();
        assert_by_name_is_the_list_sorted();
        // New names before, between and after the known ones, one equal to a known
        // name, and sites registered from other threads while readings are taken.
        SAME_NAME.on_start();
        for name in ["sites-order-a", "sites-order-z", "sites-order-m2"] {
            intern(name).on_start();
        }
        assert_by_name_is_the_list_sorted();
        std::thread::scope(|scope| {
            for t in 0..4 {
                scope.spawn(move || {
                    for i in 0..50 {
                        intern(&format!("sites-order-thread-{t}-{i}")).on_start();
                        if i % 10 == 0 {
                            let _ = by_name();
                        }
                    }
                });
            }
        });
        assert_by_name_is_the_list_sorted();
        assert_by_name_is_the_list_sorted();
    }
}
