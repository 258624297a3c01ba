//! Reclaim on demand: hooks, `malloc_trim` giving memory back, failures and totals.
//! The totals and hooks are process-wide: the tests of this file run one at a time.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use support::{events, serial};

use memtrack::reclaim::{self, HookFailure, ReclaimReason};
use serde_json::json;

const MB: u64 = 1024 * 1024;

/// On glibc, memory freed in the middle of the heap stays resident until
/// `malloc_trim`: many 16 KiB blocks (below the mmap threshold) are written, a small
/// block allocated after them pins the top of the heap, then they are freed.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim_gives_freed_heap_pages_back() {
    let _serial = serial();
    memtrack::logging::capture_global().clear();
    let mut blocks: Vec<Vec<u8>> = (0..20_000).map(|_| vec![1_u8; 16 * 1024]).collect();
    let pin = vec![2_u8; 16 * 1024];
    let before_free = memtrack::process::rss_bytes().unwrap();
    blocks.clear();
    blocks.shrink_to_fit();
    let after_free = memtrack::process::rss_bytes().unwrap();
    assert!(
        after_free + 100 * MB > before_free,
        "free alone kept the pages"
    );

    let report = reclaim::run();
    assert_eq!(report.reason, ReclaimReason::Manual);
    assert_eq!(report.trim_released, Some(true));
    let freed = report.freed_bytes.unwrap();
    assert!(freed >= 250 * MB as i64, "freed {} MB", freed / MB as i64);
    assert!(report.effective);
    assert_eq!(
        freed,
        report.rss_before.unwrap() as i64 - report.rss_after.unwrap() as i64
    );

    let lines = events("memory_reclaim");
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["level"], "info");
    assert_eq!(line["message"], "memory_reclaim: manual");
    assert_eq!(line["reason"], "manual");
    assert_eq!(line["effective"], true);
    assert_eq!(line["malloc_trim_released"], true);
    assert!(line["freed_mb"].as_f64().unwrap() >= 250.0);
    assert_eq!(line["total_runs"], report.totals.runs);
    std::hint::black_box(pin);
}

#[test]
fn hooks_run_in_order_and_a_panicking_one_is_reported() {
    let _serial = serial();
    memtrack::logging::capture_global().clear();
    let order: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let (o1, o3) = (Arc::clone(&order), Arc::clone(&order));
    let _first = reclaim::register_hook("reclaim-first", move || o1.lock().unwrap().push("first"));
    let _broken = reclaim::register_hook("reclaim-broken", || panic!("pool already closed"));
    let _third = reclaim::register_hook("reclaim-third", move || o3.lock().unwrap().push("third"));

    let report = reclaim::run();
    assert_eq!(*order.lock().unwrap(), ["first", "third"]);
    assert_eq!(report.hooks_run, ["reclaim-first", "reclaim-third"]);
    assert_eq!(
        report.hooks_failed,
        [HookFailure {
            name: "reclaim-broken".into(),
            error: "pool already closed".into()
        }]
    );

    let line = &events("memory_reclaim")[0];
    assert_eq!(line["level"], "warn");
    assert_eq!(line["hooks"], json!(["reclaim-first", "reclaim-third"]));
    assert_eq!(line["hooks_run"], 2);
    assert_eq!(line["hooks_failed_count"], 1);
    assert_eq!(
        line["hooks_failed"],
        json!([{"name": "reclaim-broken", "error": "pool already closed"}])
    );
}

#[test]
fn a_dropped_hook_no_longer_runs_and_a_forgotten_one_stays() {
    let _serial = serial();
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let hook = reclaim::register_hook("reclaim-dropped", || {
        RUNS.fetch_add(1, Ordering::Relaxed);
    });
    reclaim::run();
    drop(hook);
    reclaim::run();
    assert_eq!(RUNS.load(Ordering::Relaxed), 1);

    reclaim::register_hook("reclaim-forgotten", || {}).forget();
    assert!(
        reclaim::run()
            .hooks_run
            .contains(&"reclaim-forgotten".to_owned())
    );
    // A later hook of the same name replaces it; dropping that one leaves none.
    drop(reclaim::register_hook("reclaim-forgotten", || {}));
    assert!(
        !reclaim::run()
            .hooks_run
            .contains(&"reclaim-forgotten".to_owned())
    );
}

#[test]
fn a_reclaim_from_inside_a_hook_runs_no_hooks() {
    let _serial = serial();
    let inner: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
    let seen = Arc::clone(&inner);
    let _hook = reclaim::register_hook("reclaim-reentrant", move || {
        *seen.lock().unwrap() = Some(reclaim::run().hooks_run);
    });
    let outer = reclaim::run();
    assert!(outer.hooks_run.contains(&"reclaim-reentrant".to_owned()));
    assert_eq!(*inner.lock().unwrap(), Some(Vec::new()));
}

#[test]
fn totals_count_every_run() {
    let _serial = serial();
    let before = reclaim::totals();
    let a = reclaim::run();
    let b = reclaim::run();
    assert_eq!(a.totals.runs, before.runs + 1);
    assert_eq!(b.totals.runs, before.runs + 2);
    assert_eq!(reclaim::totals(), b.totals);
    assert!(b.totals.time >= a.totals.time);
    assert!(b.totals.freed_bytes >= a.totals.freed_bytes);
}

/// A reclaim hook is user code and may block: stopping the monitor while its
/// thread is stuck in one returns anyway (the thread ends once the hook returns).
#[test]
fn stopping_the_monitor_does_not_wait_for_a_stuck_hook() {
    let _serial = serial();
    let (entered, inside) = std::sync::mpsc::channel();
    let gate = Arc::new(Mutex::new(()));
    let held = gate.lock().unwrap();
    let hook_gate = Arc::clone(&gate);
    let entered = Mutex::new(entered);
    let hook = reclaim::register_hook("stuck-hook", move || {
        let _ = entered.lock().unwrap().send(());
        drop(hook_gate.lock());
    });
    // Above the critical RSS from the start: the first tick reclaims.
    let config = support::minute_config()
        .to_builder()
        .monitor_interval(std::time::Duration::from_millis(1))
        .critical_rss_mb(0.0)
        .build()
        .unwrap();
    let monitor = memtrack::monitor::start(config).unwrap();
    inside
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the monitor ran the hook");
    let (stopped, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        monitor.stop();
        let _ = stopped.send(());
    });
    let returned = done.recv_timeout(std::time::Duration::from_secs(60));
    assert!(!memtrack::monitor::is_running());
    // A new monitor may start while the old thread is still in the hook.
    let next = memtrack::monitor::start(support::minute_config());
    drop(hook);
    drop(held);
    assert!(returned.is_ok(), "stop waited for the stuck hook");
    assert!(next.is_ok());
    drop(next);
    // The old thread ends on its own once the hook returned; wait for it, so that
    // the end of its tick is not logged into the next test's capture.
    #[cfg(target_os = "linux")]
    for _ in 0..600 {
        if monitor_threads() == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Monitor threads alive in the process.
#[cfg(target_os = "linux")]
fn monitor_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.starts_with("memtrack-monito"))
        .count()
}
