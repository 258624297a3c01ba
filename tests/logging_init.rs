//! The one-call setup functions. Each installs a global subscriber, which a process
//! can do only once, so each test runs its body in a child process (this same test
//! binary, started with an environment variable naming the test). The child ends with
//! `std::process::exit`, which runs no destructors: every line must already be
//! written.

use std::path::PathBuf;
use std::process::{Command, Output};

use memtrack::logging::{LoggingError, init_from_env, init_json, init_json_file};
use serde_json::{Value, json};

const CHILD_ENV: &str = "MEMTRACK_LOGGING_TEST_CHILD";
const CHILD_FILE_ENV: &str = "MEMTRACK_LOGGING_TEST_FILE";

/// Whether this process is the child started for `test`.
fn is_child(test: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|name| name == test)
}

fn spawn_child(test: &str, envs: &[(&str, &str)]) -> Output {
    let exe = std::env::current_exe().expect("test binary path");
    let mut command = Command::new(exe);
    command
        .args([test, "--exact", "--test-threads=1", "--nocapture"])
        .env(CHILD_ENV, test)
        .env_remove("MEMTRACK_LOG_FILE")
        .env_remove("MEMTRACK_LOG_LEVEL");
    for (key, value) in envs {
        command.env(key, value);
    }
    let output = command.output().expect("start child");
    assert!(
        output.status.success(),
        "child {test} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The child ran exactly the named test (and left through `process::exit`, so
    // the harness printed no summary).
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("test {test} ... ")), "{stdout}");
    assert!(!stdout.contains("test result:"), "{stdout}");
    output
}

fn temp_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "memtrack-logging-init-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// The JSON lines in `text`. On standard output, the test harness prints
/// `test <name> ... ` without a line break before the test body runs, so the first
/// JSON line may follow that text.
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter_map(|line| line.find("{\"timestamp\"").map(|start| &line[start..]))
        .map(|line| serde_json::from_str(line).expect("a whole JSON line"))
        .collect()
}

fn emit(count: u64) {
    for seq in 0..count {
        tracing::info!(
            target: "memtrack",
            event = "memory_operation",
            op_name = "init-test",
            seq,
            extra = r#"{"url_host":"example.com"}"#,
            "memory_operation: init-test"
        );
    }
    tracing::debug!(op_name = "init-test", "below the default level");
    tracing::warn!(op_name = "init-test", "a warning");
}

#[test]
fn init_json_file_keeps_every_line_through_exit() {
    const TEST: &str = "init_json_file_keeps_every_line_through_exit";
    if is_child(TEST) {
        let path = std::env::var(CHILD_FILE_ENV).expect("file path");
        let returned = init_json_file(&path).expect("first setup works");
        assert_eq!(returned, PathBuf::from(&path));
        assert!(matches!(
            init_json_file(&path),
            Err(LoggingError::GlobalAlreadySet)
        ));
        // Refused before the file would be created.
        let never = format!("{path}.never");
        assert!(matches!(
            init_json_file(&never),
            Err(LoggingError::GlobalAlreadySet)
        ));
        assert!(!std::path::Path::new(&never).exists());
        assert!(matches!(init_json(), Err(LoggingError::GlobalAlreadySet)));
        emit(100);
        std::process::exit(0);
    }
    let path = temp_path("exit.log");
    spawn_child(
        TEST,
        &[(CHILD_FILE_ENV, path.to_str().expect("utf-8 temp path"))],
    );
    let lines = json_lines(&std::fs::read_to_string(&path).expect("log file"));
    assert_eq!(lines.len(), 101);
    for (seq, line) in lines[..100].iter().enumerate() {
        assert_eq!(line["seq"], json!(seq));
        assert_eq!(line["url_host"], json!("example.com"));
    }
    assert_eq!(lines[100]["level"], json!("warn"));
    std::fs::remove_file(&path).expect("remove log file");
}

#[test]
fn init_json_writes_to_stdout() {
    const TEST: &str = "init_json_writes_to_stdout";
    if is_child(TEST) {
        init_json().expect("first setup works");
        emit(3);
        std::process::exit(0);
    }
    let output = spawn_child(TEST, &[]);
    let lines = json_lines(&String::from_utf8_lossy(&output.stdout));
    let seqs: Vec<Value> = lines.iter().map(|line| line["seq"].clone()).collect();
    assert_eq!(seqs, [json!(0), json!(1), json!(2), Value::Null]);
    assert_eq!(lines[0]["event"], json!("memory_operation"));
    assert_eq!(lines[3]["message"], json!("a warning"));
}

#[test]
fn init_from_env_uses_file_and_level() {
    const TEST: &str = "init_from_env_uses_file_and_level";
    if is_child(TEST) {
        let path = std::env::var(CHILD_FILE_ENV).expect("file path");
        assert_eq!(
            init_from_env().expect("setup works"),
            Some(PathBuf::from(path))
        );
        emit(5);
        std::process::exit(0);
    }
    let path = temp_path("env.log");
    let path_text = path.to_str().expect("utf-8 temp path");
    spawn_child(
        TEST,
        &[
            (CHILD_FILE_ENV, path_text),
            ("MEMTRACK_LOG_FILE", path_text),
            ("MEMTRACK_LOG_LEVEL", "warn"),
        ],
    );
    let lines = json_lines(&std::fs::read_to_string(&path).expect("log file"));
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["message"], json!("a warning"));
    std::fs::remove_file(&path).expect("remove log file");
}

#[test]
fn init_from_env_defaults_to_stdout_at_info() {
    const TEST: &str = "init_from_env_defaults_to_stdout_at_info";
    if is_child(TEST) {
        assert_eq!(init_from_env().expect("setup works"), None);
        emit(2);
        std::process::exit(0);
    }
    let output = spawn_child(TEST, &[]);
    let lines = json_lines(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(lines.len(), 3);
}

#[test]
fn init_from_env_rejects_a_bad_level() {
    const TEST: &str = "init_from_env_rejects_a_bad_level";
    if is_child(TEST) {
        let err = init_from_env().expect_err("bad level");
        assert_eq!(
            err.to_string(),
            "invalid MEMTRACK_LOG_LEVEL=`verbose`: expected one of trace, debug, info, warn, error, off"
        );
        // Nothing was installed: a later setup still works.
        init_json().expect("setup after a rejected one works");
        std::process::exit(0);
    }
    spawn_child(TEST, &[("MEMTRACK_LOG_LEVEL", "verbose")]);
}
