//! Property tests over the texts users hand to memtrack: operation names, metadata
//! keys and values, error texts (whose `Display` may fail, panic, or never stop),
//! checkpoint and allocation names, fetch sources and URLs, cache and reclaim-hook
//! names and their panic messages, and configuration values. For every case:
//! nothing panics, every log line is a JSON object, and every text is within its
//! bound.
//!
//! Each property runs `PROPTEST_CASES` cases (48 unless set, to keep the suite
//! short); run longer with, for example,
//! `PROPTEST_CASES=20000 cargo test --release --test fuzz_texts`. Environment
//! values with bytes that are not UTF-8 are fuzzed in `config_env.rs`.
// The counting allocator is installed to exercise the charged figures too.
#![cfg(not(feature = "passthrough-alloc"))]

use std::fmt;
use std::sync::Once;
use std::time::Instant;

use memtrack::fetch::url_host;
use memtrack::logging::{CaptureWriter, JsonLayer};
use memtrack::metadata::MAX_NAME_LEN;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt;

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

/// `max_metadata_len` (the default).
const MAX_TEXT: usize = 100;
/// Longest key memtrack writes for a metadata key, a cache name, or one of them
/// renamed because it collided (`extra_` prefixes).
const MAX_KEY: usize = MAX_NAME_LEN + 1 + 6 * 8;
/// Longest line any case may produce.
const MAX_LINE: usize = 24 * 1024;

/// `PROPTEST_CASES` cases (48 unless set), with no regression files written.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(48),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every operation and checkpoint logged; the panics of size functions (on
/// memtrack's reader threads, whose output the test harness does not capture) not
/// printed.
fn log_everything() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            if !thread.name().is_some_and(|n| n.starts_with("memtrack-")) {
                default_hook(info);
            }
        }));
        memtrack::config::set(
            memtrack::Config::builder()
                .operation_time_threshold(std::time::Duration::ZERO)
                .checkpoint_delta_mb(0.0)
                .delta_threshold_mb(0.0)
                .build()
                .unwrap(),
        );
    });
}

/// Text of any characters: short, long, or huge, with the awkward ones common.
fn text() -> impl Strategy<Value = String> {
    let awkward = prop_oneof![
        Just('"'),
        Just('\\'),
        Just('\n'),
        Just('\u{0}'),
        Just('\u{7f}'),
        Just('é'),
        Just('🦀'),
        Just('\u{202e}'),
        Just('/'),
        Just('@'),
        Just(':'),
        Just('['),
        Just(']'),
        any::<char>(),
    ];
    prop_oneof![
        6 => prop::collection::vec(awkward, 0..160).prop_map(String::from_iter),
        1 => (any::<char>(), 1_000..200_000_usize).prop_map(|(c, n)| c.to_string().repeat(n)),
    ]
}

/// Something shaped like a URL, with odd schemes, slashes, credentials and hosts.
fn url() -> impl Strategy<Value = String> {
    let scheme = prop_oneof![
        Just(""),
        Just("https://"),
        Just("http:/"),
        Just("https:"),
        Just("https:\\\\"),
        Just("HTTPS:/\\"),
        Just("//"),
        Just("ftp://"),
        Just("foo:"),
        Just("foo://"),
        Just("mailto:"),
    ];
    let host = prop_oneof![
        Just("example.com".to_owned()),
        Just("[::1]".to_owned()),
        Just("[2001:db8::1".to_owned()),
        Just("127.0.0.1".to_owned()),
        text(),
    ];
    (
        scheme,
        prop::option::of(text()),
        host,
        prop::option::of(text()),
        text(),
    )
        .prop_map(|(scheme, user, host, port, path)| {
            let user = user.map(|u| format!("{u}@")).unwrap_or_default();
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            format!("{scheme}{user}{host}{port}/{path}")
        })
}

/// How an error's `Display` behaves.
#[derive(Debug, Clone)]
enum Behaviour {
    Writes(String),
    Fails(String),
    Panics(String),
    PanicsWithBomb,
    Endless,
}

#[derive(Debug)]
struct UserError(Behaviour);

/// A panic payload whose drop panics.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("the payload's drop panicked");
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Behaviour::Writes(text) => f.write_str(text),
            Behaviour::Fails(text) => {
                f.write_str(text)?;
                Err(fmt::Error)
            }
            Behaviour::Panics(text) => {
                f.write_str("partial")?;
                panic!("{text}")
            }
            Behaviour::PanicsWithBomb => std::panic::panic_any(Bomb),
            Behaviour::Endless => {
                // Ignores the error a bounded writer returns, and goes on (a
                // megabyte).
                for _ in 0..100_000 {
                    let _ = f.write_str("0123456789");
                }
                Ok(())
            }
        }
    }
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        4 => text().prop_map(Behaviour::Writes),
        1 => text().prop_map(Behaviour::Fails),
        1 => text().prop_map(Behaviour::Panics),
        1 => Just(Behaviour::PanicsWithBomb),
        1 => Just(Behaviour::Endless),
    ]
}

/// Runs `f` with a capture of this thread's events; returns the lines.
fn captured(f: impl FnOnce()) -> Vec<String> {
    log_everything();
    let logs = CaptureWriter::new();
    let subscriber = tracing_subscriber::registry().with(JsonLayer::new(logs.clone()));
    tracing::subscriber::with_default(subscriber, f);
    logs.raw_lines()
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// The bound of a string field of memtrack's events.
fn bound_of(key: &str) -> usize {
    match key {
        "op_name" => MAX_NAME_LEN + 1,
        "op_id" => MAX_NAME_LEN + 1 + 21,
        "error" => MAX_TEXT + 1 + "size function panicked: ".len(),
        "url_host" => 253,
        "message" => 2 * MAX_NAME_LEN + 2 * MAX_TEXT + 64,
        "timestamp" | "level" | "target" | "event" | "ended_by" | "reason" => 64,
        // metadata values, checkpoint names, contexts, sources, cache error texts
        _ => MAX_TEXT + 1 + "size function panicked: ".len() + "error: ".len(),
    }
}

/// Every line is a JSON object within [`MAX_LINE`], every key and string within
/// its bound (nested values too).
fn assert_bounded(lines: &[String]) -> Result<(), TestCaseError> {
    fn check(key: &str, value: &Value) -> Result<(), TestCaseError> {
        match value {
            Value::String(s) => {
                prop_assert!(chars(s) <= bound_of(key), "{key}: {} chars", chars(s))
            }
            Value::Object(map) => {
                for (k, v) in map {
                    prop_assert!(chars(k) <= MAX_KEY, "key of {} chars", chars(k));
                    check(if v.is_object() { key } else { k }, v)?;
                }
            }
            Value::Array(items) => {
                for item in items {
                    check(key, item)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    for line in lines {
        prop_assert!(line.len() <= MAX_LINE, "a line of {} bytes", line.len());
        let value: Value = serde_json::from_str(line)
            .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {line}")))?;
        prop_assert!(value.is_object());
        check("", &value)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn operations_with_any_texts_log_bounded_json(
        name in text(),
        metadata in prop::collection::vec((text(), text()), 0..40),
        checkpoint in text(),
        context in text(),
        error in behaviour(),
        debug_error in behaviour(),
    ) {
        let mut name_chars = 0;
        let lines = captured(|| {
            let op = memtrack::start(name.clone());
            name_chars = chars(op.name());
            for (key, value) in &metadata {
                op.add_metadata(key.clone(), value.as_str());
            }
            let field = metadata.first().map_or("k", |(k, _)| k.as_str());
            op.in_scope(|| {
                memtrack::large_allocation(&context, 1 << 30, &[(field, &checkpoint)]);
                op.checkpoint_with(&checkpoint, &[(field, &context)]);
            });
            op.end_with_error(&UserError(error.clone()));
            // A second operation ends through the `Debug` path of the attribute.
            let second = memtrack::start(name.clone());
            second.end_with(memtrack::Outcome::ErrDebug(&format_args!(
                "{}",
                UserError(debug_error.clone())
            )));
        });
        prop_assert!(name_chars <= MAX_NAME_LEN + 1);
        prop_assert!(lines.len() >= 4, "{} lines", lines.len());
        assert_bounded(&lines)?;
    }

    #[test]
    fn fetches_log_a_plausible_host_or_unknown(url in url(), source in text()) {
        let host = url_host(&url);
        prop_assert!(host.len() <= 253);
        let plain = host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
        let ipv6 = host.starts_with('[') && host.ends_with(']');
        prop_assert!(host == "unknown" || plain || ipv6, "{host:?} from {url:?}");
        let lines = captured(|| {
            memtrack::track_fetch_response(&url, &source, 200, 1 << 30, Instant::now());
        });
        prop_assert_eq!(lines.len(), 1);
        assert_bounded(&lines)?;
        let line: Value = serde_json::from_str(&lines[0]).unwrap();
        prop_assert_eq!(line["url_host"].as_str(), Some(host.as_str()));
    }

    #[test]
    fn caches_and_hooks_with_any_names_and_panics_report_bounded_json(
        cache in text(),
        cache_panic in text(),
        hook in text(),
        hook_panic in text(),
    ) {
        let message = cache_panic.clone();
        let cache_registration =
            memtrack::caches::register(&cache, Some(1), move || panic!("{message}"));
        let message = hook_panic.clone();
        let hook_registration =
            memtrack::reclaim::register_hook(&hook, move || panic!("{message}"));
        let report = memtrack::health::report().to_json();
        let lines = captured(|| {
            let _ = memtrack::caches::log_snapshot();
            let _ = memtrack::reclaim::run();
        });
        drop(cache_registration);
        drop(hook_registration);
        assert_bounded(&[report])?;
        assert_bounded(&lines)?;
    }

    #[test]
    fn configuration_values_are_parsed_or_rejected_with_a_bounded_echo(
        index in 0..memtrack::Config::ENV_VARS.len(),
        value in text(),
    ) {
        let name = memtrack::Config::ENV_VARS[index];
        match memtrack::Config::from_lookup(|n| (n == name).then(|| value.clone())) {
            Ok(_) => {}
            Err(err) => {
                prop_assert_eq!(err.invalid().len(), 1);
                prop_assert_eq!(&err.invalid()[0].name, name);
                prop_assert!(chars(&err.invalid()[0].value) <= 65);
                prop_assert!(err.to_string().len() <= 1024, "{}", err);
            }
        }
    }
}
