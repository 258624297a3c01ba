//! `promtool check metrics` over an exposition.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `promtool check metrics` on `text` and fails the test with promtool's
/// complaints; `false` (nothing checked) when promtool is not installed.
pub fn check_metrics(text: &str) -> bool {
    let Ok(mut child) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        return false;
    };
    child
        .stdin
        .take()
        .expect("promtool's stdin is piped")
        .write_all(text.as_bytes())
        .expect("promtool reads the exposition");
    let out = child.wait_with_output().expect("promtool ends");
    assert!(
        out.status.success(),
        "promtool check metrics failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    true
}
