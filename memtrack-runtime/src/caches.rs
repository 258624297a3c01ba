//! Cache size registry.
//!
//! INTERFACE STUB: implemented in full by the cache-stats work. `visit_sizes` is the
//! seam the tracker's events use; its signature is fixed.

use crate::metadata::Value;

/// Calls `f` with every registered cache's name and current size. A size function
/// that panics yields an error text instead of a size; nothing here may panic.
pub(crate) fn visit_sizes(f: &mut dyn FnMut(&str, Value)) {
    let _ = f;
}
