//! Reclaim hooks the application registers.

use std::sync::Arc;

use super::report::HookFailure;
use crate::config;
use crate::support::named_registry::Registry;
use crate::support::panic_text;

type Hook = Arc<dyn Fn() + Send + Sync>;

static HOOKS: Registry<Hook> = Registry::new();

/// Registers `hook` to run at every reclaim, under `name` (a later hook with the same
/// name replaces this one; a long name is cut as a cache's is, see
/// [`caches::register`](crate::caches::register)). Dropping the returned handle unregisters it; call
/// [`ReclaimHook::forget`] to keep it for the life of the process.
///
/// ```
/// let hook = memtrack::reclaim::register_hook("clear-dom-pool", || {
///     // drop pooled parsers, shrink buffers ...
/// });
/// assert!(memtrack::reclaim::run().hooks_run.contains(&"clear-dom-pool".to_owned()));
/// drop(hook);
/// assert!(!memtrack::reclaim::run().hooks_run.contains(&"clear-dom-pool".to_owned()));
/// ```
#[must_use = "the hook is unregistered when the handle is dropped; call .forget() to keep it"]
pub fn register_hook<F>(name: impl AsRef<str>, hook: F) -> ReclaimHook
where
    F: Fn() + Send + Sync + 'static,
{
    let id = HOOKS.add(name.as_ref(), Arc::new(hook));
    ReclaimHook { id: Some(id) }
}

/// Keeps a reclaim hook registered; dropping it unregisters the hook.
///
/// ```
/// memtrack::reclaim::register_hook("shrink-buffers", || {}).forget();
/// ```
#[derive(Debug)]
pub struct ReclaimHook {
    id: Option<u64>,
}

impl ReclaimHook {
    /// Keeps the hook registered for the rest of the process.
    ///
    /// ```
    /// memtrack::reclaim::register_hook("process-lifetime-hook", || {}).forget();
    /// ```
    pub fn forget(mut self) {
        self.id = None;
    }
}

impl Drop for ReclaimHook {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            HOOKS.remove(id);
        }
    }
}

/// Runs every hook, in registration order; returns the names of those that
/// returned and the failures of those that panicked.
pub(super) fn run_all() -> (Vec<String>, Vec<HookFailure>) {
    let mut ran = Vec::new();
    let mut failed = Vec::new();
    let max_chars = config::get().max_metadata_len();
    for (_, name, hook) in HOOKS.snapshot() {
        match panic_text::caught(|| hook(), max_chars) {
            Ok(()) => ran.push(name.to_string()),
            Err(error) => failed.push(HookFailure {
                name: name.to_string(),
                error,
            }),
        }
    }
    (ran, failed)
}
