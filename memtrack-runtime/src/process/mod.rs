//! Resident set size of this process, and its heap figures (`heap.rs`).
//!
//! On Linux the figure comes from `/proc/self/statm`, read with `pread` on a file
//! descriptor opened once and kept (about a microsecond); elsewhere from `sysinfo`'s
//! per-process refresh (tens of microseconds). `/proc/self/smaps` is never read: it
//! costs far too much for a per-operation path.

mod heap;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::clock::{self, Stamp};

pub(crate) use heap::{heap, heap_total_bytes};

/// Held by the unit tests that allocate and free many megabytes or read
/// process-wide memory figures: run at once, each would see the other's blocks come
/// and go.
#[cfg(test)]
pub(crate) fn large_block_test() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Resident set size in bytes, or `None` where the platform does not say.
///
/// ```
/// if let Some(rss) = memtrack::process::rss_bytes() {
///     assert!(rss > 0);
/// }
/// ```
#[must_use]
pub fn rss_bytes() -> Option<u64> {
    imp::rss_bytes()
}

/// How old an RSS reading an operation may reuse. Operations that start or end
/// within this long of another one share its reading instead of reading `/proc`
/// again, so a burst of short operations costs one read per millisecond.
pub const RSS_RESOLUTION: Duration = Duration::from_millis(1);

/// Resident set size as of `now`, reusing a reading taken at most
/// [`RSS_RESOLUTION`] earlier by any thread: what trackers use at the start and end
/// of every operation. The monitor, checkpoints and health read afresh with
/// [`rss_bytes`].
pub(crate) fn rss_bytes_at(now: Stamp) -> Option<u64> {
    /// The stamp of the last reading (0: none yet).
    static READ_AT: AtomicU64 = AtomicU64::new(0);
    static LAST: AtomicU64 = AtomicU64::new(0);

    let read_at = READ_AT.load(Ordering::Acquire);
    if read_at != 0
        && clock::between(Stamp::from_raw(read_at), now) < RSS_RESOLUTION
        && now.raw() >= read_at
    {
        let last = LAST.load(Ordering::Relaxed);
        if last != 0 {
            return Some(last);
        }
    }
    let rss = rss_bytes()?;
    LAST.store(rss, Ordering::Relaxed);
    READ_AT.store(now.raw().max(1), Ordering::Release);
    Some(rss)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::fs::File;
    use std::os::unix::fs::FileExt;
    use std::sync::OnceLock;

    /// `/proc/self/statm`, opened on first use. A process that forks keeps reading
    /// its parent's figures through this descriptor; open it again in the child.
    static STATM: OnceLock<Option<File>> = OnceLock::new();
    static PAGE_SIZE: OnceLock<u64> = OnceLock::new();

    pub(super) fn rss_bytes() -> Option<u64> {
        let file = STATM
            .get_or_init(|| File::open("/proc/self/statm").ok())
            .as_ref()?;
        let mut buf = [0_u8; 128];
        let n = file.read_at(&mut buf, 0).ok()?;
        let pages = resident_pages(buf.get(..n)?)?;
        pages.checked_mul(page_size())
    }

    fn page_size() -> u64 {
        *PAGE_SIZE.get_or_init(|| {
            // SAFETY: sysconf only reads a system constant; it has no preconditions.
            let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
            u64::try_from(size).ok().filter(|s| *s > 0).unwrap_or(4096)
        })
    }

    /// The second field of statm: resident pages.
    pub(super) fn resident_pages(statm: &[u8]) -> Option<u64> {
        let text = std::str::from_utf8(statm).ok()?;
        text.split_ascii_whitespace().nth(1)?.parse().ok()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parses_the_resident_field() {
            assert_eq!(resident_pages(b"12345 678 90 1 0 2 0\n"), Some(678));
            assert_eq!(resident_pages(b"12345"), None);
            assert_eq!(resident_pages(b""), None);
            assert_eq!(resident_pages(b"1 x 2"), None);
        }

        #[test]
        fn page_size_is_the_systems() {
            assert!(page_size().is_power_of_two());
        }

        #[test]
        fn rss_grows_when_pages_are_touched() {
            let _alone = crate::process::large_block_test();
            let before = rss_bytes().unwrap();
            let mut block = vec![0_u8; 64 << 20];
            for i in (0..block.len()).step_by(4096) {
                block[i] = 1;
            }
            let after = rss_bytes().unwrap();
            std::hint::black_box(&block);
            assert!(
                after >= before + (48 << 20),
                "before {before} after {after}"
            );
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::sync::Mutex;
    use std::sync::PoisonError;

    use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

    static SYSTEM: Mutex<Option<System>> = Mutex::new(None);

    pub(super) fn rss_bytes() -> Option<u64> {
        let pid = Pid::from_u32(std::process::id());
        let mut guard = SYSTEM.lock().unwrap_or_else(PoisonError::into_inner);
        let system = guard.get_or_insert_with(System::new);
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            true,
            ProcessRefreshKind::nothing().with_memory(),
        );
        system.process(pid).map(sysinfo::Process::memory)
    }
}
