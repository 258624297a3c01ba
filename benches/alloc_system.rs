//! The allocation workload under the bare system allocator (the baseline).

#[path = "common/alloc_workload.rs"]
mod alloc_workload;

#[global_allocator]
static ALLOC: std::alloc::System = std::alloc::System;

fn main() {
    alloc_workload::main("system");
}
