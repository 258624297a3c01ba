//! The metrics memtrack exports: one definition each, with its Prometheus and its
//! OpenTelemetry name, so that both exporters describe the same figure the same way.

/// The base unit a Prometheus name ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    /// A count: no unit suffix.
    None,
    /// `_bytes`.
    Bytes,
    /// `_seconds`.
    Seconds,
}

/// One exported metric.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Def {
    #[cfg_attr(not(feature = "prometheus"), allow(dead_code))]
    /// The Prometheus name without its unit and `_total` suffixes (the encoder adds
    /// them: `memtrack_operation_allocated` + bytes + counter gives
    /// `memtrack_operation_allocated_bytes_total`).
    pub(crate) prometheus: &'static str,
    #[cfg_attr(not(feature = "prometheus"), allow(dead_code))]
    pub(crate) base: Base,
    /// The OpenTelemetry instrument name.
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    pub(crate) otel: &'static str,
    /// The OpenTelemetry unit (UCUM: `By`, `s`, or a `{annotation}` for counts).
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    pub(crate) otel_unit: &'static str,
    pub(crate) help: &'static str,
}

macro_rules! defs {
    ($($(#[$doc:meta])* $id:ident: $prom:literal, $base:ident, $otel:literal, $unit:literal, $help:literal;)*) => {
        $(
            $(#[$doc])*
            pub(crate) const $id: Def = Def {
                prometheus: $prom,
                base: Base::$base,
                otel: $otel,
                otel_unit: $unit,
                help: $help,
            };
        )*
        /// Every definition, in exposition order.
        #[cfg(test)]
        pub(crate) const ALL: &[Def] = &[$($id),*];
    };
}

defs! {
    STARTED: "memtrack_operations_started", None,
        "memtrack.operations.started", "{operation}",
        "Operations started, by operation name";
    ENDED: "memtrack_operations_ended", None,
        "memtrack.operations.ended", "{operation}",
        "Operations ended, by operation name and by how they ended (ok, err, panic, cancelled, dropped)";
    ACTIVE: "memtrack_operations_active", None,
        "memtrack.operations.active", "{operation}",
        "Operations started and not yet ended, by operation name";
    ALLOCATED: "memtrack_operation_allocated", Bytes,
        "memtrack.operation.heap.allocated", "By",
        "Heap bytes allocated by each operation name's code while it ran (counting allocator)";
    FREED: "memtrack_operation_freed", Bytes,
        "memtrack.operation.heap.freed", "By",
        "Heap bytes freed by each operation name's code while it ran (counting allocator)";
    ALLOCATIONS: "memtrack_operation_allocations", None,
        "memtrack.operation.heap.allocations", "{allocation}",
        "Heap allocations made by each operation name's code while it ran (counting allocator)";
    RSS_GROWTH: "memtrack_operation_rss_growth", Bytes,
        "memtrack.operation.rss.growth", "By",
        "Sum of the resident set growth of each operation name's operations whose RSS grew (process-wide figure, shared by concurrent operations)";
    RETAINED: "memtrack_operation_retained", Bytes,
        "memtrack.operation.heap.retained", "By",
        "Live heap bytes each operation name holds now, whoever frees them; untracked is the heap allocated outside every operation (counting allocator)";
    DURATION: "memtrack_operation_duration", Seconds,
        "memtrack.operation.duration", "s",
        "Duration of the operations that ended, by operation name";
    PEAK: "memtrack_operation_peak", Bytes,
        "memtrack.operation.heap.peak", "By",
        "Peak of the heap bytes charged to each operation that ended, by operation name (counting allocator)";
    RESIDENT: "memtrack_process_resident_memory", Bytes,
        "process.memory.usage", "By",
        "Resident set size of the process";
    HEAP_USED: "memtrack_process_heap_used", Bytes,
        "memtrack.process.heap.used", "By",
        "Heap bytes in use: the counting allocator's live bytes, else the C library's figure";
    HEAP_TOTAL: "memtrack_process_heap_total", Bytes,
        "memtrack.process.heap.total", "By",
        "Heap bytes the C allocator holds from the system (else the peak of live bytes)";
    CRITICAL_RSS: "memtrack_rss_critical_threshold", Bytes,
        "memtrack.rss.critical_threshold", "By",
        "RSS above which memtrack raises critical_memory_exceeded and reclaims (current config)";
    UNHEALTHY_RSS: "memtrack_rss_unhealthy_threshold", Bytes,
        "memtrack.rss.unhealthy_threshold", "By",
        "RSS above which the health report says unhealthy (current config)";
    CACHE_ENTRIES: "memtrack_cache_entries", None,
        "memtrack.cache.entries", "{entry}",
        "Entries in each registered cache";
    CACHE_CAPACITY: "memtrack_cache_capacity", None,
        "memtrack.cache.capacity", "{entry}",
        "Most entries each bounded cache may hold";
    ALERTS: "memtrack_alerts", None,
        "memtrack.alerts", "{alert}",
        "Alerts raised, by event name";
    RECLAIMS: "memtrack_reclaims", None,
        "memtrack.reclaims", "{reclaim}",
        "Reclaims run (hooks and malloc_trim)";
    RECLAIM_FREED: "memtrack_reclaim_freed", Bytes,
        "memtrack.reclaim.freed", "By",
        "Resident bytes given back by the reclaims that lowered RSS";
    RECLAIM_TIME: "memtrack_reclaim_duration", Seconds,
        "memtrack.reclaim.duration", "s",
        "Time spent reclaiming";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_each_convention() {
        for def in ALL {
            assert!(
                def.prometheus.starts_with("memtrack_"),
                "{}",
                def.prometheus
            );
            assert!(
                def.prometheus
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                def.prometheus
            );
            // `_total` belongs to counters, added by the encoder (a unit suffix
            // follows `heap_total`).
            assert!(!def.prometheus.ends_with("_total") || def.base != Base::None);
            assert!(!def.prometheus.ends_with("_bytes"));
            assert!(!def.prometheus.ends_with("_seconds"));
            assert!(
                def.otel.starts_with("memtrack.") || def.otel == "process.memory.usage",
                "{}",
                def.otel
            );
            assert!(!def.help.ends_with('.'));
            let unit_matches = match def.base {
                Base::Bytes => def.otel_unit == "By",
                Base::Seconds => def.otel_unit == "s",
                Base::None => def.otel_unit.starts_with('{'),
            };
            assert!(unit_matches, "{}", def.prometheus);
        }
        let mut names: Vec<_> = ALL.iter().map(|d| d.prometheus).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
