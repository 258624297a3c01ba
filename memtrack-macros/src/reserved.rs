//! Field names that memtrack writes itself.
//!
//! A metadata key is laid out next to memtrack's own fields in the flat JSON
//! events, so a key that reuses one of these names would hide or overwrite a
//! figure. The list is kept here, once, for every macro of the crate.

/// Names of the fields memtrack's events carry themselves.
pub const RESERVED_KEYS: &[&str] = &[
    // Every line of the JSON logs.
    "event",
    "level",
    "target",
    "message",
    "timestamp",
    "fields",
    "span",
    "spans",
    "extra",
    "metadata_dropped",
    // Operation events.
    "op_id",
    "op_name",
    "duration_ms",
    "success",
    "error",
    "ended_by",
    "rss_start_mb",
    "rss_end_mb",
    "rss_delta_mb",
    "heap_start_mb",
    "heap_end_mb",
    "heap_delta_mb",
    "alloc_bytes",
    "freed_bytes",
    "net_bytes",
    "peak_bytes",
    "retained_bytes",
    "allocs",
    // Checkpoints.
    "checkpoint",
    "elapsed_ms",
    "rss_mb",
    "heap_used_mb",
    // Large allocations.
    "context",
    "estimated_bytes",
    "estimated_mb",
];

/// Whether `key` is one of memtrack's own field names.
pub fn is_reserved(key: &str) -> bool {
    RESERVED_KEYS.contains(&key)
}
