//! Learning that a thread exits, without a thread-local destructor in the allocator.
//!
//! A Rust thread-local with `Drop` registers its destructor through the standard
//! library, which on some platforms keeps the list in a growable vector (allocating
//! through the global allocator, and refusing to be re-entered from it). On Unix the
//! counting allocator uses a POSIX thread-specific key instead: its destructor is
//! called by the C library when the thread exits, after the thread's Rust
//! thread-local destructors, and registering a value never goes through the Rust
//! global allocator.
//!
//! The hook is used on Linux only, where a thread's static thread-local storage (the
//! counters the registry publishes) stays valid until every such destructor has run:
//! glibc and musl free it with the thread's stack, after them. Elsewhere the order of
//! the C library's own thread-local teardown and these destructors is not something
//! to rely on, so no hook is registered and every thread counts through the shared
//! totals (correct, slower with many threads).

#[cfg(target_os = "linux")]
mod imp {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

    use super::super::registry::Slot;

    const NONE: u8 = 0;
    const CREATING: u8 = 1;
    const READY: u8 = 2;
    const FAILED: u8 = 3;

    static STATE: AtomicU8 = AtomicU8::new(NONE);
    static KEY: AtomicUsize = AtomicUsize::new(0);
    /// What an exiting thread's slot is handed to (the same for every thread).
    static ON_EXIT: OnceLock<fn(&'static Slot)> = OnceLock::new();

    /// Called by the C library when a thread that registered a slot exits.
    extern "C" fn on_thread_exit(value: *mut libc::c_void) {
        if value.is_null() {
            return;
        }
        // SAFETY: the only values ever stored under the key are `&'static Slot`
        // references to the registry's static array (see `register`).
        let slot: &'static Slot = unsafe { &*(value as *const Slot) };
        if let Some(on_exit) = ON_EXIT.get() {
            on_exit(slot);
        }
    }

    /// The process key, created by the first caller; `None` while another thread is
    /// creating it or if creation failed.
    fn key() -> Option<libc::pthread_key_t> {
        match STATE.load(Ordering::Acquire) {
            READY => return Some(KEY.load(Ordering::Relaxed) as libc::pthread_key_t),
            CREATING | FAILED => return None,
            _ => {}
        }
        if STATE
            .compare_exchange(NONE, CREATING, Ordering::Acquire, Ordering::Acquire)
            .is_err()
        {
            return key_if_ready();
        }
        let mut key: libc::pthread_key_t = 0;
        // SAFETY: `key` is a valid out-pointer and `on_thread_exit` has the
        // destructor signature POSIX expects.
        let rc = unsafe { libc::pthread_key_create(&mut key, Some(on_thread_exit)) };
        if rc == 0 {
            KEY.store(key as usize, Ordering::Relaxed);
            STATE.store(READY, Ordering::Release);
            Some(key)
        } else {
            STATE.store(FAILED, Ordering::Release);
            None
        }
    }

    fn key_if_ready() -> Option<libc::pthread_key_t> {
        (STATE.load(Ordering::Acquire) == READY)
            .then(|| KEY.load(Ordering::Relaxed) as libc::pthread_key_t)
    }

    /// Arranges for `on_exit(slot)` to run when the calling thread exits. `false`
    /// when that cannot be arranged.
    pub(in super::super) fn register(slot: &'static Slot, on_exit: fn(&'static Slot)) -> bool {
        let Some(key) = key() else {
            return false;
        };
        let _ = ON_EXIT.set(on_exit);
        let value = slot as *const Slot as *const libc::c_void;
        // SAFETY: `key` was returned by `pthread_key_create` and is never deleted.
        unsafe { libc::pthread_setspecific(key, value) == 0 }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::super::registry::Slot;

    /// No exit hook on this platform: a thread's counters cannot stay published
    /// (nothing would unpublish them before the thread's storage goes away), so every
    /// thread counts through the shared totals.
    pub(in super::super) fn register(_slot: &'static Slot, _on_exit: fn(&'static Slot)) -> bool {
        false
    }
}

pub(super) use imp::register;
