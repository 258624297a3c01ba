//! The cache registry: registration handles, weak caches, duplicate names, failing
//! size functions and re-entrant calls. Each test uses its own cache names (the
//! registry is process-wide and the tests run in parallel).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use memtrack::caches::{self, CacheStat};
use serde_json::json;

fn size_of(name: &str) -> Option<Result<usize, String>> {
    caches::all_stats().get(name).map(|c| c.size.clone())
}

#[test]
fn a_registration_lasts_as_long_as_its_handle() {
    static SIZE: AtomicUsize = AtomicUsize::new(3);
    let handle = caches::register("reg_handle_cache", Some(50), || {
        SIZE.load(Ordering::Relaxed)
    });
    assert_eq!(size_of("reg_handle_cache"), Some(Ok(3)));
    SIZE.store(12, Ordering::Relaxed);
    let stat = caches::all_stats()
        .get("reg_handle_cache")
        .cloned()
        .unwrap();
    assert_eq!(
        stat,
        CacheStat {
            name: "reg_handle_cache".into(),
            size: Ok(12),
            max_size: Some(50)
        }
    );
    assert!(handle.is_registered());
    drop(handle);
    assert_eq!(size_of("reg_handle_cache"), None);
}

#[test]
fn forget_keeps_the_cache_for_the_process() {
    caches::register("reg_forgotten_cache", None, || 9).forget();
    assert_eq!(size_of("reg_forgotten_cache"), Some(Ok(9)));
}

#[test]
fn a_weak_registration_never_keeps_the_cache_alive() {
    let cache: Arc<Mutex<Vec<u32>>> = Arc::new(Mutex::new(vec![1, 2, 3]));
    let handle = caches::register_weak("reg_weak_cache", Some(5), &cache, |c| {
        c.lock().map_or(0, |v| v.len())
    });
    assert_eq!(Arc::strong_count(&cache), 1);
    assert_eq!(size_of("reg_weak_cache"), Some(Ok(3)));
    cache.lock().unwrap().push(4);
    assert_eq!(size_of("reg_weak_cache"), Some(Ok(4)));
    drop(cache);
    assert_eq!(size_of("reg_weak_cache"), None);
    assert!(!handle.is_registered(), "the dead entry was removed");
}

#[test]
fn a_later_registration_of_a_name_replaces_the_earlier_one() {
    let first = caches::register("reg_duplicate_cache", Some(1), || 1);
    let second = caches::register("reg_duplicate_cache", Some(2), || 2);
    let stats = caches::all_stats();
    let named: Vec<_> = stats
        .caches
        .iter()
        .filter(|c| c.name == "reg_duplicate_cache")
        .collect();
    assert_eq!(named.len(), 1);
    assert_eq!((named[0].size.clone(), named[0].max_size), (Ok(2), Some(2)));
    // Dropping the replaced handle leaves the newer registration in place.
    drop(first);
    assert_eq!(size_of("reg_duplicate_cache"), Some(Ok(2)));
    drop(second);
    assert_eq!(size_of("reg_duplicate_cache"), None);
}

#[test]
fn a_panicking_size_function_gives_an_error_entry_and_the_rest_still_read() {
    let _bad = caches::register("reg_panicking_cache", Some(10), || panic!("lock poisoned"));
    let _good = caches::register("reg_fine_cache", None, || 7);
    let stats = caches::all_stats();
    assert_eq!(
        stats.get("reg_panicking_cache").unwrap().size,
        Err("size function panicked: lock poisoned".to_owned())
    );
    assert_eq!(stats.get("reg_fine_cache").unwrap().size, Ok(7));
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(
        json["reg_panicking_cache"],
        json!({"error": "size function panicked: lock poisoned"})
    );
    assert_eq!(json["reg_fine_cache"], 7);
}

#[test]
fn size_functions_may_call_memtrack_without_deadlock_or_recursion() {
    let _reentrant = caches::register("reg_reentrant_cache", None, || {
        // Registering, reading the health report and the stats from inside a size
        // function: the registry lock is not held here.
        caches::register("reg_registered_inside", None, || 1).forget();
        let inner = memtrack::health::report();
        inner.caches.caches.len()
    });
    let stats = caches::all_stats();
    assert!(matches!(stats.get("reg_reentrant_cache").unwrap().size, Ok(n) if n >= 1));
    assert_eq!(size_of("reg_registered_inside"), Some(Ok(1)));
}

#[test]
fn nested_stats_report_errors_instead_of_recursing() {
    let seen: Arc<Mutex<Option<Result<usize, String>>>> = Arc::default();
    let seen_inside = Arc::clone(&seen);
    let _nested = caches::register("reg_nested_cache", None, move || {
        let inner = caches::all_stats();
        *seen_inside.lock().unwrap() = inner.get("reg_nested_cache").map(|c| c.size.clone());
        5
    });
    assert_eq!(size_of("reg_nested_cache"), Some(Ok(5)));
    assert_eq!(
        *seen.lock().unwrap(),
        Some(Err(
            "cache stats requested from inside a size function".to_owned()
        ))
    );
}

#[test]
fn stats_serialize_flat_with_active_operations_last() {
    let _a = caches::register("reg_flat_cache", Some(3), || 2);
    let op = memtrack::start("reg-flat-active-op");
    let stats = caches::all_stats();
    assert!(stats.active_operations >= 1);
    let text = serde_json::to_string(&stats).unwrap();
    assert!(
        text.ends_with(&format!(
            "\"active_operations\":{}}}",
            stats.active_operations
        )),
        "{text}"
    );
    assert!(text.contains("\"reg_flat_cache\":2"), "{text}");
    op.end();
}

#[test]
fn at_capacity_means_bounded_and_full() {
    let full = CacheStat {
        name: "x".into(),
        size: Ok(3),
        max_size: Some(3),
    };
    let over = CacheStat {
        name: "x".into(),
        size: Ok(4),
        max_size: Some(3),
    };
    let below = CacheStat {
        name: "x".into(),
        size: Ok(2),
        max_size: Some(3),
    };
    let unbounded = CacheStat {
        name: "x".into(),
        size: Ok(9),
        max_size: None,
    };
    let failed = CacheStat {
        name: "x".into(),
        size: Err("e".into()),
        max_size: Some(0),
    };
    assert_eq!(
        [full, over, below, unbounded, failed].map(|c| c.at_capacity()),
        [true, true, false, false, false]
    );
}

#[test]
fn a_cache_named_like_the_operations_count_keeps_its_own_key() {
    let stat = |name: &str, size| CacheStat {
        name: name.into(),
        size: Ok(size),
        max_size: None,
    };
    let stats = caches::CacheStats {
        caches: vec![
            stat("active_operations", 7),
            stat("extra_active_operations", 8),
            stat("plain", 9),
        ],
        active_operations: 2,
    };
    let text = serde_json::to_string(&stats).unwrap();
    assert_eq!(
        text,
        r#"{"extra_extra_active_operations":7,"extra_active_operations":8,"plain":9,"active_operations":2}"#
    );
}

#[test]
fn long_names_that_differ_past_the_cut_are_two_caches_and_two_hooks() {
    let prefix = "r".repeat(memtrack::metadata::MAX_NAME_LEN);
    let sessions = caches::register(format!("{prefix}_sessions"), None, || 1);
    let clients = caches::register(format!("{prefix}_clients"), None, || 2);
    assert!(sessions.is_registered() && clients.is_registered());
    let stats = caches::all_stats();
    let long: Vec<&CacheStat> = stats
        .caches
        .iter()
        .filter(|c| c.name.starts_with(&prefix[..100]))
        .collect();
    assert_eq!(long.len(), 2, "{long:?}");
    assert_ne!(long[0].name, long[1].name);
    assert_eq!(long[0].size, Ok(1));
    assert_eq!(long[1].size, Ok(2));

    let ran = Arc::new(Mutex::new(Vec::new()));
    let hooks: Vec<_> = ["drop_sessions", "drop_clients"]
        .into_iter()
        .map(|what| {
            let ran = Arc::clone(&ran);
            memtrack::reclaim::register_hook(format!("{prefix}_{what}"), move || {
                ran.lock().unwrap().push(what);
            })
        })
        .collect();
    let _ = memtrack::reclaim::run();
    let mut ran = ran.lock().unwrap().clone();
    ran.sort_unstable();
    assert_eq!(ran, ["drop_clients", "drop_sessions"]);
    drop(hooks);
    drop((sessions, clients));
}
