//! The report on a log the runtime writes now, in this test, with the counting
//! allocator: every event kind memtrack writes is produced, and the report must use
//! every line and agree with figures read from the lines independently. Because the
//! log is written at test time, the report cannot drift from the runtime's format;
//! fields the report does not know (new ones included) must leave it unaffected.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use memtrack_cli::input::Source;
use memtrack_cli::model::Options;
use memtrack_cli::model::builder::EVENTS;
use memtrack_cli::run::read_report;
use serde_json::Value;

#[global_allocator]
static ALLOC: memtrack::Allocator = memtrack::Allocator::system();

const MB: usize = 1 << 20;

/// A block of `mb` megabytes with every page written, so it is resident.
fn resident(mb: usize) -> Vec<u8> {
    let mut block = vec![0_u8; mb * MB];
    for i in (0..block.len()).step_by(4096) {
        block[i] = 1;
    }
    block
}

fn rss_mb() -> f64 {
    memtrack::process::rss_bytes().map_or(0.0, |b| b as f64 / MB as f64)
}

/// Runs a workload that makes the runtime write every kind of event to `log`.
fn write_runtime_log(log: &Path) {
    let config = memtrack::Config::builder()
        .monitor_interval(Duration::from_secs(3600))
        .cache_stats_interval(Duration::from_secs(3600))
        .delta_threshold_mb(1.0)
        .checkpoint_delta_mb(1.0)
        .critical_rss_spike_mb(100.0)
        .critical_rss_mb((rss_mb() + 150.0).round())
        .heap_growth_mb(50.0)
        .reclaim_rss_growth_mb(50.0)
        .leak_intervals(1)
        .leak_growth_mb(1.0)
        .build()
        .expect("config");
    memtrack::config::set(config.clone());
    memtrack::logging::init_json_file(log).expect("log file");

    let cache_size = Arc::new(AtomicUsize::new(1));
    let size = Arc::clone(&cache_size);
    memtrack::caches::register("runtime_test_cache", Some(2), move || {
        size.load(Ordering::Relaxed)
    })
    .forget();
    let monitor = memtrack::monitor::start(config).expect("monitor");

    // A significant operation that keeps 8 MB, with a checkpoint and a large
    // allocation inside it.
    let keep = memtrack::start("keeps-eight-mb");
    let kept = keep.in_scope(|| {
        let block = resident(8);
        memtrack::checkpoint!("filled");
        memtrack::large_alloc!("eight-mb-block", block.len());
        block
    });
    keep.end();
    // A spike: 30 MB held, then freed.
    let spike = memtrack::start("spikes-thirty-mb");
    spike.in_scope(|| drop(resident(30)));
    spike.end();
    // A failure.
    let failing = memtrack::start("fails-upstream");
    failing.end_with_error(&"upstream answered HTTP 502");
    // A large fetch.
    memtrack::track_fetch_response(
        "https://news.example.com/articles/big",
        "runtime-test",
        200,
        2_000_000,
        Instant::now(),
    );
    assert!(monitor.tick_now());

    // Growth big enough for every alert and a reclaim; the cache reaches its bound;
    // the keeper keeps 8 MB more (a second interval of growth: a leak suspect).
    cache_size.store(2, Ordering::Relaxed);
    let keep = memtrack::start("keeps-eight-mb");
    let kept_more = keep.in_scope(|| resident(8));
    keep.end();
    let big = memtrack::start("allocates-two-hundred-mb");
    let held = big.in_scope(|| resident(200));
    big.end();
    assert!(monitor.tick_now());
    monitor.stop();
    drop((kept, kept_more, held));
}

fn lines_of(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .expect("read the log")
        .lines()
        .map(|l| serde_json::from_str(l).expect("the runtime writes JSON lines"))
        .collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

#[test]
fn the_report_uses_every_line_the_runtime_writes() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("memtrack-cli-runtime-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("runtime.log");
    write_runtime_log(&log);

    let lines = lines_of(&log);
    let mut by_event: BTreeMap<String, u64> = BTreeMap::new();
    for line in &lines {
        *by_event
            .entry(
                line["event"]
                    .as_str()
                    .expect("every line has an event")
                    .to_owned(),
            )
            .or_insert(0) += 1;
    }
    let written: BTreeSet<&str> = by_event.keys().map(String::as_str).collect();
    for kind in EVENTS {
        assert!(
            written.contains(kind),
            "the workload wrote no {kind}: {by_event:?}"
        );
    }

    let report = read_report(&Source::File(log.clone()), Options::default()).unwrap();
    // Every line used; nothing skipped or misread.
    assert_eq!(report.lines.read, lines.len() as u64);
    assert_eq!(report.lines.used, lines.len() as u64);
    assert_eq!(report.problems.skipped_lines(), 0, "{:?}", report.problems);
    assert_eq!(
        report.problems.wrong_type.lines, 0,
        "{:?}",
        report.problems.wrong_type_fields
    );
    assert_eq!(report.lines.by_event, by_event);

    let of = |kind: &str| -> Vec<&Value> { lines.iter().filter(|l| l["event"] == kind).collect() };
    let ops: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "memory_operation" || l["event"] == "memory_spike_operation")
        .collect();

    // Per operation: counts and sums as the lines give them.
    for culprit in &report.culprits {
        let mine: Vec<&&Value> = ops
            .iter()
            .filter(|l| l["op_name"] == culprit.operation.as_str())
            .collect();
        assert_eq!(culprit.logged, mine.len() as u64, "{}", culprit.operation);
        let spikes = mine
            .iter()
            .filter(|l| l["event"] == "memory_spike_operation")
            .count();
        assert_eq!(culprit.spikes, spikes as u64, "{}", culprit.operation);
        let failed = mine.iter().filter(|l| l["success"] == false).count();
        assert_eq!(culprit.failed, failed as u64, "{}", culprit.operation);
        if !mine.is_empty() {
            if mine.iter().any(|l| l.get("net_bytes").is_some()) {
                let net: f64 = mine.iter().map(|l| f(&l["net_bytes"])).sum();
                let alloc: f64 = mine.iter().map(|l| f(&l["alloc_bytes"])).sum();
                // The larger of the events' and the monitor's sums.
                assert!(culprit.net_bytes.unwrap() >= net, "{}", culprit.operation);
                assert!(
                    culprit.alloc_bytes.unwrap() >= alloc,
                    "{}",
                    culprit.operation
                );
            }
            let max_duration = mine
                .iter()
                .map(|l| f(&l["duration_ms"]))
                .fold(0.0, f64::max);
            assert_eq!(
                culprit.duration_ms.max,
                Some(max_duration),
                "{}",
                culprit.operation
            );
            if mine.iter().any(|l| l.get("peak_bytes").is_some()) {
                let max_peak = mine.iter().map(|l| f(&l["peak_bytes"])).fold(0.0, f64::max);
                assert_eq!(
                    culprit.peak_bytes.max,
                    Some(max_peak),
                    "{}",
                    culprit.operation
                );
            }
            if mine.iter().any(|l| l.get("retained_bytes").is_some()) {
                assert!(
                    culprit.retained_growth_bytes.is_some(),
                    "{}",
                    culprit.operation
                );
            }
        }
    }
    let names: Vec<&str> = report
        .culprits
        .iter()
        .map(|c| c.operation.as_str())
        .collect();
    for name in [
        "keeps-eight-mb",
        "spikes-thirty-mb",
        "fails-upstream",
        "allocates-two-hundred-mb",
    ] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
    // The 200 MB operation is the one alerts named first.
    let big = report
        .culprits
        .iter()
        .find(|c| c.operation == "allocates-two-hundred-mb")
        .unwrap();
    assert!(big.alerts_named_first >= 1, "{big:?}");
    assert!(big.alloc_bytes.unwrap() >= 200.0 * MB as f64);

    // Alerts, reclaims, fetches, caches, process memory.
    let alert_kinds = [
        "critical_rss_spike",
        "critical_memory_exceeded",
        "memory_growth_detected",
        "memory_leak_suspect",
    ];
    let alerts: u64 = alert_kinds.iter().map(|k| of(k).len() as u64).sum();
    assert_eq!(report.alerts.total, alerts);
    assert_eq!(report.reclaims.runs, of("memory_reclaim").len() as u64);
    let large = of("fetch_response")
        .iter()
        .filter(|l| f(&l["content_length_bytes"]) > 1_000_000.0)
        .count();
    assert_eq!(report.large_fetches.total, large as u64);
    let failed = ops.iter().filter(|l| l["success"] == false).count();
    assert_eq!(report.failed_operations.total, failed as u64);
    assert_eq!(
        report.failed_operations.shown[0].error.as_deref(),
        Some("upstream answered HTTP 502")
    );

    let cache_lines = of("cache_stats_snapshot");
    let cache = report
        .caches
        .caches
        .iter()
        .find(|c| c.name == "runtime_test_cache")
        .expect("the cache is reported");
    assert_eq!(cache.first, 1.0);
    assert_eq!(
        cache.last,
        f(&cache_lines.last().unwrap()["runtime_test_cache"])
    );
    assert_eq!(cache.max_size, Some(2.0));
    assert_eq!(cache.at_capacity, of("cache_at_capacity").len() as u64);
    assert_eq!(report.caches.snapshots, cache_lines.len() as u64);

    let snapshots = of("memory_snapshot");
    assert_eq!(report.memory.snapshots, snapshots.len() as u64);
    let peak_snapshot_rss = snapshots
        .iter()
        .map(|l| f(&l["rss_mb"]))
        .fold(0.0, f64::max);
    assert!(report.memory.rss_mb.unwrap().peak >= peak_snapshot_rss);
    let started = of("memory_monitor_started");
    assert_eq!(
        report.memory.critical_rss_mb,
        Some(f(&started[0]["critical_rss_threshold_mb"]))
    );

    // The summary and the picture come out of it without trouble.
    let text = memtrack_cli::render::terminal::render(
        &report,
        memtrack_cli::render::style::Style::plain(),
    );
    assert!(text.contains("\nskipped lines: none\n"), "{text}");
    let svg = memtrack_cli::render::svg::render(&report);
    assert!(svg.contains("allocates-two-hundred-mb") || svg.contains("keeps-eight-mb"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every `event = "..."` the runtime's sources write is one the report reads, so a
/// new event kind cannot go unnoticed (the sources are searched wherever they move).
#[test]
fn the_report_knows_every_event_the_runtime_sources_name() {
    fn walk(dir: &Path, found: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir)
            .expect("read the runtime sources")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for piece in text.split("event = \"").skip(1) {
                    if let Some(name) = piece.split('"').next()
                        && !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    {
                        found.insert(name.to_owned());
                    }
                }
            }
        }
    }
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../memtrack-runtime/src");
    let mut found = BTreeSet::new();
    walk(&sources, &mut found);
    for name in EVENTS {
        assert!(found.contains(name), "the runtime no longer names {name}");
    }
    for name in &found {
        assert!(
            EVENTS.contains(&name.as_str()),
            "the report does not know the event {name:?}"
        );
    }
}
