//! The operation handle.

use std::borrow::Cow;
use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use super::charge::Charge;
use super::frames::{self, Charged, FrameCharge};
use super::numbers;
use crate::alloc::{self, OwnerTag};
use crate::bookkeeping::Kept;
use crate::clock::{self, Stamp};
use crate::config;
use crate::events::OpId;
use crate::metadata::Metadata;
use crate::process;
use crate::sites::{self, Site};

/// How a tracker came to be, which decides what dropping it unended means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Started with [`start`]: dropping it unended is `dropped`.
    Explicit,
    /// A sync `#[memtrack]` fn: dropping it unended can only be a panic.
    Sync,
    /// An `async` `#[memtrack]` fn or a tracked future: dropping it unended after it
    /// started is `cancelled`.
    Async,
}

/// One tracked operation. See the [module docs](crate::tracker).
///
/// `Tracker` is `Send + Sync`: metadata may be added and the operation ended from any
/// thread; the first `end*` call wins.
///
/// ```
/// let op = memtrack::start("article-fetch-smry-fast");
/// op.add_metadata("url_host", "example.com");
/// let html = op.in_scope(|| "<html>".repeat(1000));
/// op.checkpoint("response-received");
/// op.add_metadata("html_bytes", html.len());
/// op.end();
/// ```
#[derive(Debug)]
pub struct Tracker {
    pub(super) site: &'static Site,
    /// The name, when it is not the site's (names past the interning limits).
    pub(super) own_name: Kept<Option<Box<str>>>,
    /// The operation's number, unique in the process: the last part of its id.
    pub(super) number: u64,
    /// The tag its blocks are written with: its name's, stamped with its number.
    pub(super) owner: OwnerTag,
    pub(super) kind: Kind,
    pub(super) started: Stamp,
    pub(super) rss_start: Option<u64>,
    pub(super) heap_start: Option<u64>,
    pub(super) ended: AtomicBool,
    /// Whether a panic was already unwinding when the operation started: dropped
    /// during that unwind, it did not end by it.
    pub(super) panicking_at_start: bool,
    /// Set by the operation's first frame. Until then a new frame knows, without
    /// looking through the frames open on its thread, that none of them is the
    /// operation's: nesting distinct operations (a recursive `#[memtrack]` fn)
    /// costs each frame the same, however deep.
    pub(super) entered: AtomicBool,
    pub(super) charge: Charge,
    /// memtrack's bookkeeping: charged to no operation, when stored or freed.
    pub(super) metadata: Mutex<Kept<Metadata>>,
}

/// Starts tracking an operation.
///
/// `name` is the operation's name (`op_name`); its id (`op_id`) is
/// `<name>-<number>`. Prefer `#[memtrack("name")]` on a function where you can: it
/// also charges the function's heap allocations to the operation and ends it on every
/// path.
///
/// A few names would mix an operation into memtrack's own figures, so they are
/// counted under another name (in the per-name totals, the heap held, the
/// exporters), while the operation's events keep the name given: `untracked` and
/// `other` (memtrack's buckets for heap allocated outside every operation and for
/// names past its limits) are counted as `untracked (operation)` and `other
/// (operation)`, and an empty or blank name as `unnamed`.
///
/// ```
/// let op = memtrack::start("diffbot-api-call");
/// op.add_metadata("extraction", "article");
/// op.end();
/// ```
#[must_use = "an operation ends when its tracker is dropped"]
pub fn start(name: impl Into<Cow<'static, str>>) -> Tracker {
    let name = name.into();
    let (site, own_name) = sites::lookup(&name);
    Tracker::begin(site, own_name, Kind::Explicit)
}

impl Tracker {
    /// Starts an operation counted under a static [`Site`] (what `#[memtrack]` uses;
    /// cheaper than [`start`], which looks the name up).
    ///
    /// ```
    /// static SITE: memtrack::sites::Site = memtrack::sites::Site::new("render");
    /// let op = memtrack::Tracker::at_site(&SITE);
    /// op.end();
    /// ```
    #[must_use = "an operation ends when its tracker is dropped"]
    pub fn at_site(site: &'static Site) -> Tracker {
        Tracker::begin(site, None, Kind::Explicit)
    }

    pub(crate) fn begin(site: &'static Site, own_name: Option<Box<str>>, kind: Kind) -> Tracker {
        site.on_start();
        let started = clock::now();
        let (rss_start, heap_start) = if config::get().sample_rss() {
            (
                process::rss_bytes_at(started),
                alloc::heap_stats().map(|h| h.live_bytes),
            )
        } else {
            (None, None)
        };
        let number = numbers::next();
        Tracker {
            site,
            own_name: Kept::new(own_name),
            number,
            owner: alloc::of_operation(site.owner_tag(), number),
            kind,
            started,
            rss_start,
            heap_start,
            ended: AtomicBool::new(false),
            panicking_at_start: std::thread::panicking(),
            entered: AtomicBool::new(false),
            charge: Charge::default(),
            metadata: Mutex::new(Kept::new(Metadata::new())),
        }
    }

    /// The operation's name (`op_name`).
    #[must_use]
    pub fn name(&self) -> &str {
        self.own_name.as_deref().unwrap_or(self.site.name())
    }

    /// The operation's id (`op_id`): `<name>-<number>`.
    ///
    /// ```
    /// let op = memtrack::start("op-id-doc");
    /// assert!(op.id().starts_with("op-id-doc-"));
    /// ```
    #[must_use]
    pub fn id(&self) -> String {
        self.op_id().to_string()
    }

    /// The operation's id as events write it.
    pub(crate) fn op_id(&self) -> OpId<'_> {
        OpId {
            name: self.name(),
            number: self.number,
        }
    }

    /// The operation's number, the last part of its id.
    pub(crate) fn number(&self) -> u64 {
        self.number
    }

    /// Whether the operation has ended.
    #[must_use]
    pub fn is_ended(&self) -> bool {
        self.ended.load(std::sync::atomic::Ordering::Acquire)
    }

    /// How long the operation has run so far.
    #[must_use]
    pub fn elapsed(&self) -> std::time::Duration {
        clock::between(self.started, clock::now())
    }

    /// What the operation has been charged, with an open frame's movement.
    pub(crate) fn charged_with(&self, open: Option<FrameCharge>) -> Option<Charged> {
        self.charge.snapshot(open)
    }

    /// Charges one closed frame.
    pub(crate) fn charge(&self, frame: FrameCharge) {
        self.charge.add(frame);
        self.site
            .charge(frame.moved.allocated, frame.moved.freed, frame.moved.allocs);
    }

    /// The owner tag of the blocks this operation allocates: its name's, stamped
    /// with this operation's number so that its frames know its own blocks from
    /// those of other operations of its name.
    pub(crate) fn owner_tag(&self) -> OwnerTag {
        self.owner
    }

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
        frames::scoped(self, f)
    }

    /// What this operation has been charged, including its open frame when that frame
    /// is the innermost one on this thread.
    pub(super) fn charged_now(&self) -> Option<Charged> {
        match frames::with_current(|t, charged| ptr::eq(t, self).then_some(charged)) {
            Some(Some(open)) => open,
            _ => self.charged_with(None),
        }
    }
}
