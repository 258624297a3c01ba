//! The allocation workload under memtrack's counting allocator.

#[path = "common/alloc_workload.rs"]
mod alloc_workload;

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

fn main() {
    alloc_workload::main("memtrack");
    assert_eq!(
        memtrack::alloc::is_counting(),
        cfg!(not(feature = "passthrough-alloc"))
    );
}
