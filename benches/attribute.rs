//! Per-call cost of `#[memtrack]` under the system allocator, next to the same fn
//! without an attribute and with `#[tracing::instrument]`.

use criterion::{criterion_group, criterion_main};

#[path = "common/attribute_workload.rs"]
mod attribute_workload;

fn attribute(c: &mut criterion::Criterion) {
    attribute_workload::bench(c, "system");
}

criterion_group! {
    name = benches;
    config = attribute_workload::config();
    targets = attribute
}
criterion_main!(benches);
