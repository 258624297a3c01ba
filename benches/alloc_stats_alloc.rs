//! The allocation workload under stats_alloc's instrumented system allocator (one
//! shared atomic counter set for the whole process).

use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[path = "common/alloc_workload.rs"]
mod alloc_workload;

#[global_allocator]
static ALLOC: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

fn main() {
    alloc_workload::main("stats_alloc");
    assert!(ALLOC.stats().allocations > 0);
}
