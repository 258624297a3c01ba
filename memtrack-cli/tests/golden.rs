//! Golden tests: `memtrack report` on the small logs in `tests/logs/` prints exactly
//! the checked-in summaries. After an intended change of the output, rewrite them
//! with `UPDATE_GOLDEN=1 cargo test -p memtrack-cli --test golden` and review the diff.
//!
//! - `service-scenario.log`: the example service's `--scenario` log, as the runtime
//!   wrote it (no retained-bytes fields);
//! - `leak-retained.log`: planted, with the retained-bytes fields (`retained_bytes`,
//!   `top_operations` with `retained_mb`, `memory_leak_suspect`), every alert, reclaims
//!   and caches reaching their bound;
//! - `rss-only.log`: planted, written without the counting allocator (RSS figures only);
//! - `bad-input.log`: every kind of bad line, and a last line cut short.

use std::path::{Path, PathBuf};
use std::process::Command;

fn logs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("logs")
}

/// Runs `memtrack args...` in `tests/logs` and returns (stdout, stderr, status).
fn memtrack(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_memtrack"))
        .args(args)
        .current_dir(logs_dir())
        .env_remove("NO_COLOR")
        .output()
        .expect("run memtrack");
    (
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
        out.status.code().unwrap_or(-1),
    )
}

/// Compares `actual` with the golden file `name`, or rewrites it when
/// `UPDATE_GOLDEN` is set.
fn check(name: &str, actual: &str) {
    let path = logs_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{name} differs from line {}:\n--- expected\n{}\n--- actual\n{}\n(full output:\n{actual})",
            first + 1,
            expected.lines().nth(first).unwrap_or("<end>"),
            actual.lines().nth(first).unwrap_or("<end>"),
        );
    }
}

#[test]
fn service_scenario_summary() {
    let (out, err, status) = memtrack(&["report", "service-scenario.log"]);
    assert_eq!((status, err.as_str()), (0, ""));
    check("service-scenario.txt", &out);
}

#[test]
fn leak_with_retained_bytes_summary() {
    let (out, err, status) = memtrack(&["report", "leak-retained.log"]);
    assert_eq!((status, err.as_str()), (0, ""));
    check("leak-retained.txt", &out);
}

#[test]
fn leak_with_retained_bytes_as_json() {
    let (out, err, status) = memtrack(&["report", "leak-retained.log", "--json"]);
    assert_eq!((status, err.as_str()), (0, ""));
    let value: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(value["culprits"][0]["operation"], "session-cache-leak");
    check("leak-retained.json", &out);
}

#[test]
fn one_operation_in_a_time_window() {
    let (out, err, status) = memtrack(&[
        "report",
        "leak-retained.log",
        "--op",
        "image-resize",
        "--since",
        "+2m",
        "--until",
        "2026-11-27T08:08:30Z",
    ]);
    assert_eq!((status, err.as_str()), (0, ""));
    check("leak-retained.image-resize.txt", &out);
}

#[test]
fn rss_only_summary() {
    let (out, err, status) = memtrack(&["report", "rss-only.log"]);
    assert_eq!((status, err.as_str()), (0, ""));
    check("rss-only.txt", &out);
}

#[test]
fn bad_input_summary() {
    let (out, err, status) = memtrack(&["report", "bad-input.log"]);
    assert_eq!((status, err.as_str()), (0, ""));
    check("bad-input.txt", &out);
}
