//! Per-call cost of `#[memtrack]` with memtrack's counting allocator installed, so
//! every operation is also charged its exact heap figures.

use criterion::{criterion_group, criterion_main};

#[path = "common/attribute_workload.rs"]
mod attribute_workload;

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

fn attribute(c: &mut criterion::Criterion) {
    assert!(memtrack::alloc::is_counting());
    attribute_workload::bench(c, "counting");
}

criterion_group! {
    name = benches;
    config = attribute_workload::config();
    targets = attribute
}
criterion_main!(benches);
