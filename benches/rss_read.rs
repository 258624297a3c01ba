//! One RSS read: memtrack's Linux fast path (`pread` of `/proc/self/statm` on a
//! descriptor kept open) against sysinfo's per-process refresh, and, for reference,
//! reading `/proc/self/status` whole (what a naive implementation does).
//!
//! ```text
//! cargo bench --bench rss_read
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

fn memtrack_rss(c: &mut Criterion) {
    let mut group = c.benchmark_group("rss_read");
    group.bench_function("memtrack::process::rss_bytes", |b| {
        b.iter(|| black_box(memtrack::process::rss_bytes()));
    });

    let pid = Pid::from_u32(std::process::id());
    let mut system = System::new();
    group.bench_function("sysinfo refresh_processes_specifics (memory)", |b| {
        b.iter(|| {
            system.refresh_processes_specifics(
                ProcessesToUpdate::Some(&[pid]),
                true,
                ProcessRefreshKind::nothing().with_memory(),
            );
            black_box(system.process(pid).map(sysinfo::Process::memory))
        });
    });

    group.bench_function("read /proc/self/status (VmRSS)", |b| {
        b.iter(|| {
            let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
            let kb = text
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok());
            black_box(kb.map(|kb| kb * 1024))
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = memtrack_rss
}
criterion_main!(benches);
