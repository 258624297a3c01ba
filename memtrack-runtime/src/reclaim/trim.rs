//! `malloc_trim(0)`: glibc only.

/// Whether this build can ask the C allocator to return free memory
/// (`malloc_trim`, glibc on Linux).
///
/// ```
/// # let _ =
/// memtrack::reclaim::TRIM_SUPPORTED;
/// ```
pub const TRIM_SUPPORTED: bool = cfg!(all(target_os = "linux", target_env = "gnu"));

/// Asks glibc to return free memory at the top of the heap and in every arena to the
/// system. `Some(true)` when it released memory, `None` where there is no such call.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(super) fn trim() -> Option<bool> {
    // SAFETY: malloc_trim takes a plain integer, has no preconditions and only
    // rearranges the allocator's own free lists (it takes the arena locks itself).
    let released = unsafe { libc::malloc_trim(0) };
    Some(released == 1)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(super) fn trim() -> Option<bool> {
    None
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn trim_runs_on_glibc() {
        let _alone = crate::process::large_block_test();
        // Free many medium blocks (below the mmap threshold) so the heap has free
        // pages that trim can give back.
        let blocks: Vec<Vec<u8>> = (0..2_000)
            .map(|i| vec![u8::try_from(i % 251).unwrap_or(0); 16 * 1024])
            .collect();
        drop(blocks);
        assert!(super::trim().is_some());
        const { assert!(super::TRIM_SUPPORTED) };
    }
}
