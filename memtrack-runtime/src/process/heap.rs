//! Heap figures of the process, from the best source available: the counting
//! allocator's, else the C library's.

/// Heap bytes in use and the heap's total size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Heap {
    pub(crate) used: u64,
    pub(crate) total: u64,
}

/// Bytes in use: the counting allocator's live bytes when it counts, else glibc's
/// `mallinfo2` where the C library has it. Total: what the C allocator holds from the
/// system (`mallinfo2`, which also sees through a counting allocator wrapping the
/// system allocator), else the counting allocator's peak. `None` when neither exists.
pub(crate) fn heap() -> Option<Heap> {
    match crate::alloc::heap_stats() {
        Some(stats) => Some(Heap {
            used: stats.live_bytes,
            total: heap_total_bytes(&stats),
        }),
        None => malloc_info(),
    }
}

/// The heap's total size next to the counting allocator's figures, as every event
/// and the health report give it: what the C allocator holds from the system
/// (`mallinfo2`) where it says, else the peak of live bytes.
pub(crate) fn heap_total_bytes(stats: &crate::alloc::HeapStats) -> u64 {
    malloc_info().map_or(stats.peak_bytes, |m| m.total.max(stats.live_bytes))
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_info() -> Option<Heap> {
    use std::sync::OnceLock;

    type MallInfo2 = unsafe extern "C" fn() -> libc::mallinfo2;
    // `mallinfo2` exists from glibc 2.33 on: look it up at run time so that the
    // binary still links and runs against an older glibc (the figures are then
    // absent).
    static MALLINFO2: OnceLock<Option<MallInfo2>> = OnceLock::new();
    let mallinfo2 = (*MALLINFO2.get_or_init(|| {
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only searches the
        // loaded objects' symbol tables.
        let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"mallinfo2".as_ptr()) };
        if symbol.is_null() {
            None
        } else {
            // SAFETY: the symbol named `mallinfo2` in glibc is the function declared
            // as `struct mallinfo2 mallinfo2(void)`, which is exactly `MallInfo2`.
            Some(unsafe { std::mem::transmute::<*mut libc::c_void, MallInfo2>(symbol) })
        }
    }))?;
    // SAFETY: mallinfo2 takes no arguments, locks the arenas itself and returns a
    // plain struct by value.
    let info = unsafe { mallinfo2() };
    let mapped = info.hblkhd as u64;
    Some(Heap {
        used: (info.uordblks as u64).saturating_add(mapped),
        total: (info.arena as u64).saturating_add(mapped),
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn malloc_info() -> Option<Heap> {
    None
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn mallinfo2_sees_a_live_block() {
        let _alone = super::super::large_block_test();
        // The figures are the whole process's: another test that frees memory
        // between the two readings (a panic's backtrace does) spoils one pair, so a
        // spoiled pair is read again, a few times at most.
        for attempt in 1..=5 {
            let Some(before) = super::malloc_info() else {
                return; // glibc older than 2.33
            };
            let block = std::hint::black_box(vec![1_u8; 64 << 20]);
            let during = super::malloc_info().unwrap();
            drop(block);
            if during.used >= before.used + (64 << 20) - 4096 || attempt == 5 {
                assert!(during.used >= before.used + (64 << 20) - 4096);
                assert!(during.total >= during.used);
                return;
            }
        }
    }

    #[test]
    fn without_the_counting_allocator_heap_comes_from_the_c_library() {
        assert_eq!(crate::alloc::heap_stats(), None);
        assert_eq!(super::heap().is_some(), super::malloc_info().is_some());
    }
}
