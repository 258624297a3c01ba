//! The allocation workload under the bare system allocator (the baseline).

use criterion::{criterion_group, criterion_main};

#[path = "common/alloc_workload.rs"]
mod alloc_workload;

#[global_allocator]
static ALLOC: std::alloc::System = std::alloc::System;

fn workload(c: &mut criterion::Criterion) {
    alloc_workload::bench(c, "system");
}

criterion_group! {
    name = benches;
    config = alloc_workload::config();
    targets = workload
}
criterion_main!(benches);
