//! The allocation workload under tracking-allocator with tracking enabled and a
//! tracker that does nothing (the cheapest configuration of that crate).

use tracking_allocator::{AllocationGroupId, AllocationRegistry, AllocationTracker};

#[path = "common/alloc_workload.rs"]
mod alloc_workload;

#[global_allocator]
static ALLOC: tracking_allocator::Allocator<std::alloc::System> =
    tracking_allocator::Allocator::system();

struct NoopTracker;

impl AllocationTracker for NoopTracker {
    fn allocated(&self, _addr: usize, _object: usize, _wrapped: usize, _group: AllocationGroupId) {}

    fn deallocated(
        &self,
        _addr: usize,
        _object: usize,
        _wrapped: usize,
        _source: AllocationGroupId,
        _current: AllocationGroupId,
    ) {
    }
}

fn main() {
    if AllocationRegistry::set_global_tracker(NoopTracker).is_ok() {
        AllocationRegistry::enable_tracking();
    }
    alloc_workload::main("tracking_allocator");
}
