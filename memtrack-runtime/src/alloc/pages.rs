//! Zeroed memory for the allocator's own tables, obtained without the global
//! allocator (so getting it inside an allocation cannot recurse) and never freed.
//!
//! On Unix the memory is an anonymous private mapping, whose pages the kernel
//! provides (zeroed) only when first touched: a table sized for every owner costs
//! resident memory only for the owners a thread actually counts. Elsewhere it comes
//! from the system allocator's `alloc_zeroed`.

/// A zeroed `T` in memory of its own, valid for the rest of the process; `None` if
/// the system cannot provide it.
///
/// `T` must be valid when all its bytes are zero (the tables are arrays of atomics).
pub(super) fn zeroed<T: AllZeroValid>() -> Option<&'static T> {
    let size = std::mem::size_of::<T>();
    debug_assert!(std::mem::align_of::<T>() <= 4096);
    let ptr = map_zeroed(size)?;
    // SAFETY: `ptr` is non-null, page-aligned (so aligned for `T`), valid for `size`
    // bytes of zeroes that are never unmapped or freed, and `T: AllZeroValid` says
    // zero bytes are a valid `T`; nothing else refers to this memory.
    Some(unsafe { &*ptr.cast::<T>() })
}

/// `size` zeroed bytes of memory of their own, valid for the rest of the process
/// (page-aligned), as a raw pointer for memory handed out to others; `None` if the
/// system cannot provide them.
pub(super) fn zeroed_bytes(size: usize) -> Option<*mut u8> {
    map_zeroed(size)
}

/// Types for which all-zero bytes are a valid value.
///
/// # Safety
///
/// Implementors must be valid when every byte is zero.
pub(super) unsafe trait AllZeroValid {}

// SAFETY: zero is a valid value of every atomic integer and of a null pointer, and
// arrays of such are valid when each element is.
unsafe impl<T: AllZeroValid, const N: usize> AllZeroValid for [T; N] {}

#[cfg(unix)]
fn map_zeroed(size: usize) -> Option<*mut u8> {
    // SAFETY: an anonymous private mapping at an address the kernel chooses: it
    // aliases nothing, and its result is checked before use.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            size,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | map_noreserve(),
            -1,
            0,
        )
    };
    (ptr != libc::MAP_FAILED && !ptr.is_null()).then_some(ptr.cast::<u8>())
}

/// Lets the kernel map more than it could back at once (only touched pages count).
/// Not under miri, which accepts no other flags (and backs mappings itself).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn map_noreserve() -> libc::c_int {
    if cfg!(miri) { 0 } else { libc::MAP_NORESERVE }
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
fn map_noreserve() -> libc::c_int {
    0
}

#[cfg(not(unix))]
fn map_zeroed(size: usize) -> Option<*mut u8> {
    use std::alloc::{GlobalAlloc, Layout, System};
    let layout = Layout::from_size_align(size, 4096).ok()?;
    // SAFETY: `size` is non-zero for every table.
    let ptr = unsafe { System.alloc_zeroed(layout) };
    (!ptr.is_null()).then_some(ptr)
}
