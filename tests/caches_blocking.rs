//! Size functions are user code that may block: ending an operation never calls
//! one, and a reading (health report, monitor tick, `all_stats`) waits a bounded
//! time for them, without piling up threads for one that never returns. Texts they
//! produce (a panic's message) are bounded. The tests of this file share the
//! registry, the reader threads and the config: they run one at a time.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use support::{events, logs, minute_config, only_operation, serial};

/// Longest a test waits for something that must happen at once (only a hang
/// would take this long).
const HANG: Duration = Duration::from_secs(60);

/// The reading timeout of these tests.
const TIMEOUT_MS: u64 = 500;

fn use_short_timeout() {
    memtrack::config::set(
        memtrack::Config::builder()
            .cache_size_timeout(Duration::from_millis(TIMEOUT_MS))
            .build()
            .unwrap(),
    );
}

/// A size function's obstacle: it waits until the gate opens.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, changed) = &*self.0;
        let mut open = open.lock().unwrap();
        while !*open {
            open = changed.wait(open).unwrap();
        }
    }

    fn open(&self) {
        *self.0.0.lock().unwrap() = true;
        self.0.1.notify_all();
    }
}

/// Registers a cache whose size function blocks at `gate`, then answers `size`;
/// counts its calls.
fn blocking_cache(
    name: &str,
    gate: &Gate,
    size: usize,
) -> (memtrack::caches::CacheRegistration, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let (gate, counted) = (gate.clone(), Arc::clone(&calls));
    let registration = memtrack::caches::register(name, None, move || {
        counted.fetch_add(1, Ordering::SeqCst);
        gate.wait();
        size
    });
    (registration, calls)
}

/// Runs `f` on another thread; `None` if it did not return within [`HANG`].
fn returns<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Option<R> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG).ok()
}

/// The health report's entry for `cache`.
fn health_entry(cache: &str) -> Value {
    let report: Value = serde_json::from_str(&memtrack::health::report().to_json()).unwrap();
    report["caches"][cache].clone()
}

/// Reader threads alive in the process.
#[cfg(target_os = "linux")]
fn reader_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.starts_with("memtrack-cache"))
        .count()
}

#[test]
fn ending_an_operation_while_holding_the_lock_its_cache_takes_does_not_hang() {
    let _serial = serial();
    use_short_timeout();
    // The README's quick start: the size function locks the cache.
    let cache: Arc<Mutex<Vec<&str>>> = Arc::new(Mutex::new(vec!["a", "b"]));
    let _registration =
        memtrack::caches::register_weak("blocking_readme_cache", Some(50), &cache, |c| {
            c.lock().map_or(0, |v| v.len())
        });
    // A size function that sleeps until the end of the test.
    let gate = Gate::default();
    let (_sleepy, _) = blocking_cache("blocking_sleepy_cache", &gate, 1);
    let _ = memtrack::caches::all_stats();

    let logs = logs();
    let held = Arc::clone(&cache);
    let ended = returns(move || {
        let guard = held.lock().unwrap();
        let op = memtrack::start("blocking-readme-op");
        op.end_with_error(&"upstream failed");
        drop(guard);
    });
    assert!(ended.is_some(), "ending a failed operation hung");
    let line = only_operation("blocking-readme-op");
    // The sizes of the last reading, taken before the lock was held.
    assert_eq!(line["blocking_readme_cache"], 2, "{line}");
    assert_eq!(
        line["blocking_sleepy_cache"],
        format!("error: size function timed out after {TIMEOUT_MS} ms"),
        "{line}"
    );
    gate.open();
    drop(logs);
}

#[test]
fn a_size_function_that_hangs_costs_one_timeout_and_one_thread() {
    let _serial = serial();
    use_short_timeout();
    let _fine = memtrack::caches::register("blocking_fine_cache", None, || 5);
    let gate = Gate::default();
    let (_hung, calls) = blocking_cache("blocking_hung_cache", &gate, 3);

    let first = returns(|| {
        (
            health_entry("blocking_hung_cache"),
            health_entry("blocking_fine_cache"),
        )
    })
    .expect("the health report hung");
    assert_eq!(
        first.0,
        json!({"error": format!("size function timed out after {TIMEOUT_MS} ms")})
    );
    assert_eq!(first.1, 5);
    // Later readings do not call it again while it has not returned: they answer
    // at once for it and read the others.
    for _ in 0..20 {
        assert_eq!(
            health_entry("blocking_hung_cache"),
            json!({"error": "size function has not returned since it timed out; not called again until it does"})
        );
    }
    assert_eq!(health_entry("blocking_fine_cache"), 5);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    #[cfg(target_os = "linux")]
    assert!(reader_threads() <= 4, "{} reader threads", reader_threads());

    // Once it returns, it is read again.
    gate.open();
    let mut recovered = false;
    for _ in 0..600 {
        if health_entry("blocking_hung_cache") == 3 {
            recovered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        recovered,
        "the cache was not read again after its function returned"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn many_hung_size_functions_hold_at_most_four_threads() {
    let _serial = serial();
    use_short_timeout();
    let gate = Gate::default();
    let hung: Vec<_> = (0..8)
        .map(|i| blocking_cache(&format!("blocking_many_{i}"), &gate, i))
        .collect();
    for _ in 0..6 {
        let stats = returns(memtrack::caches::all_stats).expect("a reading hung");
        for i in 0..8 {
            let size = &stats.get(&format!("blocking_many_{i}")).unwrap().size;
            assert!(size.is_err(), "blocking_many_{i}: {size:?}");
        }
    }
    #[cfg(target_os = "linux")]
    assert!(reader_threads() <= 4, "{} reader threads", reader_threads());
    let calls: usize = hung.iter().map(|(_, c)| c.load(Ordering::SeqCst)).sum();
    assert!(calls <= 4, "{calls} calls of functions that never returned");
    gate.open();
    // Every one answers again once released.
    let mut all_read = false;
    for _ in 0..600 {
        let stats = memtrack::caches::all_stats();
        all_read = (0..8).all(|i| stats.get(&format!("blocking_many_{i}")).unwrap().size == Ok(i));
        if all_read {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(all_read, "not every cache was read again after release");
}

#[test]
fn readings_at_the_same_time_share_one_call_of_a_hung_size_function() {
    let _serial = serial();
    use_short_timeout();
    let _fine = memtrack::caches::register("blocking_shared_fine", None, || 1);
    let gate = Gate::default();
    let (_hung, calls) = blocking_cache("blocking_shared_hung", &gate, 2);
    // Four readings start together: one call, the others join it.
    let start = Arc::new(std::sync::Barrier::new(4));
    let readings: Vec<_> = (0..4)
        .map(|_| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                memtrack::caches::all_stats()
            })
        })
        .collect();
    for reading in readings {
        let stats = reading.join().unwrap();
        assert!(stats.get("blocking_shared_hung").unwrap().size.is_err());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The other caches are read at once afterwards: the hung call holds one
    // thread, not all of them.
    for _ in 0..5 {
        let stats = returns(memtrack::caches::all_stats).expect("a reading hung");
        assert_eq!(stats.get("blocking_shared_fine").unwrap().size, Ok(1));
        assert_eq!(
            stats.get("blocking_shared_hung").unwrap().size,
            Err(
                "size function has not returned since it timed out; not called again until it does"
                    .to_owned()
            )
        );
    }
    gate.open();
}

#[test]
fn many_concurrent_health_reports_all_read_a_fast_cache() {
    let _serial = serial();
    // A long timeout: on a busy machine, what is tested is that no reading is
    // turned away, not how fast the reader threads get the processor.
    memtrack::config::set(
        memtrack::Config::builder()
            .cache_size_timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
    );
    let _fast = memtrack::caches::register("blocking_fast_cache", None, || 5);
    let missing = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..32 {
            s.spawn(|| {
                for _ in 0..20 {
                    if health_entry("blocking_fast_cache") != 5 {
                        missing.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(missing.load(Ordering::Relaxed), 0);
}

#[test]
fn a_monitor_tick_is_not_held_by_a_hung_size_function() {
    let _serial = serial();
    use_short_timeout();
    logs().clear();
    let gate = Gate::default();
    let (_hung, _) = blocking_cache("blocking_monitor_cache", &gate, 1);
    let config = minute_config()
        .to_builder()
        .cache_size_timeout(Duration::from_millis(TIMEOUT_MS))
        .build()
        .unwrap();
    let monitor = memtrack::monitor::start(config).unwrap();
    assert!(monitor.tick_now(), "the monitor did not answer its tick");
    monitor.stop();
    let snapshot = &events("memory_snapshot")[0];
    assert_eq!(
        snapshot["blocking_monitor_cache"],
        format!("error: size function timed out after {TIMEOUT_MS} ms")
    );
    let stats = &events("cache_stats_snapshot")[0];
    assert_eq!(
        stats["blocking_monitor_cache"],
        json!({"error": "size function has not returned since it timed out; not called again until it does"})
    );
    gate.open();
}

#[test]
fn a_huge_panic_message_is_cut_in_the_report_and_the_logs() {
    let _serial = serial();
    // Printing a 1 MiB panic message takes a while on a busy machine: this test is
    // about the text, so its readings get all the time they need.
    memtrack::config::set(
        memtrack::Config::builder()
            .cache_size_timeout(HANG)
            .build()
            .unwrap(),
    );
    logs().clear();
    let message = "m".repeat(1 << 20);
    let _panicking = memtrack::caches::register("blocking_panicking_cache", None, move || {
        panic!("{message}")
    });
    let expected = format!("size function panicked: {}…", "m".repeat(100));
    let report = memtrack::health::report().to_json();
    assert!(
        report.len() < 16 * 1024,
        "{} bytes of health report",
        report.len()
    );
    assert_eq!(
        health_entry("blocking_panicking_cache"),
        json!({ "error": expected })
    );
    let _ = memtrack::caches::log_snapshot();
    let line = &events("cache_stats_snapshot")[0];
    assert_eq!(
        line["blocking_panicking_cache"],
        json!({ "error": expected })
    );
    assert!(line.to_string().len() < 16 * 1024);
}
