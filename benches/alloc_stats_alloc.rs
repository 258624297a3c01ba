//! The allocation workload under stats_alloc's instrumented system allocator (one
//! shared atomic counter set for the whole process).

use criterion::{criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[path = "common/alloc_workload.rs"]
mod alloc_workload;

#[global_allocator]
static ALLOC: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

fn workload(c: &mut criterion::Criterion) {
    alloc_workload::bench(c, "stats_alloc");
    assert!(ALLOC.stats().allocations > 0);
}

criterion_group! {
    name = benches;
    config = alloc_workload::config();
    targets = workload
}
criterion_main!(benches);
