//! The allocation workload under memtrack's counting allocator.

use criterion::{criterion_group, criterion_main};

#[path = "common/alloc_workload.rs"]
mod alloc_workload;

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

fn workload(c: &mut criterion::Criterion) {
    assert!(memtrack::alloc::is_counting());
    alloc_workload::bench(c, "memtrack");
}

criterion_group! {
    name = benches;
    config = alloc_workload::config();
    targets = workload
}
criterion_main!(benches);
