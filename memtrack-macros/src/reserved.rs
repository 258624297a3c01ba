//! Field names that memtrack writes itself.
//!
//! A metadata key is laid out next to memtrack's own fields in the flat JSON
//! events, so a key that reuses one of these names would hide or overwrite a
//! figure. The list is kept here, once, for every macro of the crate.

/// Names of the fields memtrack's events carry themselves.
pub const RESERVED_KEYS: &[&str] = &[
    // Every event.
    "event",
    "level",
    "target",
    "message",
    "timestamp",
    "fields",
    "metadata",
    // Operation events.
    "op_id",
    "op_name",
    "duration_ms",
    "success",
    "error",
    "ended_by",
    "heap_start_mb",
    "heap_end_mb",
    "heap_delta_mb",
    "heap_peak_mb",
    "heap_allocated_bytes",
    "heap_freed_bytes",
    "heap_peak_bytes",
    "heap_delta_bytes",
    "rss_start_mb",
    "rss_end_mb",
    "rss_delta_mb",
    // Checkpoints.
    "checkpoint",
    "elapsed_ms",
    "heap_used_mb",
    "rss_mb",
    // Large allocations.
    "context",
    "estimated_bytes",
    "estimated_mb",
];

/// Whether `key` is one of memtrack's own field names.
pub fn is_reserved(key: &str) -> bool {
    RESERVED_KEYS.contains(&key)
}
