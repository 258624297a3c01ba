//! The debugging workflow's `jq` commands, run unchanged on a file written by
//! the JSON layer. Skipped (with a note) when `jq` is not installed.

use std::path::{Path, PathBuf};
use std::process::Command;

use memtrack::logging::JsonLayer;
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt;

fn jq_available() -> bool {
    Command::new("sh")
        .args(["-c", "command -v jq"])
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false)
}

/// Writes `logs.json` in a fresh directory with one planted line per question.
fn write_logs() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("memtrack-logging-jq-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let layer = JsonLayer::file(dir.join("logs.json")).expect("open logs.json");
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        tracing::info!(
            target: "memtrack",
            event = "memory_operation",
            op_id = "article-fetch-smry-fast-1",
            op_name = "article-fetch-smry-fast",
            duration_ms = 1200_u64,
            rss_delta_mb = 6_i64,
            success = true,
            extra = r#"{"url_host":"example.com"}"#,
            "memory_operation: article-fetch-smry-fast"
        );
        tracing::info!(
            target: "memtrack",
            event = "memory_operation",
            op_id = "article-fetch-2",
            op_name = "article-fetch",
            duration_ms = 7500_u64,
            rss_delta_mb = 1_i64,
            success = false,
            error = "upstream timed out",
            "memory_operation: article-fetch"
        );
        tracing::warn!(
            target: "memtrack",
            event = "memory_spike_operation",
            op_id = "pdf-render-3",
            op_name = "pdf-render",
            duration_ms = 300_u64,
            rss_delta_mb = 64_i64,
            success = true,
            "memory_spike_operation: pdf-render"
        );
        tracing::info!(
            target: "memtrack",
            event = "fetch_response",
            source = "article",
            content_length_bytes = 2_500_000_u64,
            duration_ms = 200_u64,
            status = 200_u64,
            extra = r#"{"url_host":"big.example.com"}"#,
            "fetch_response: big.example.com"
        );
        tracing::info!(
            target: "memtrack",
            event = "fetch_response",
            source = "article",
            content_length_bytes = 600_000_u64,
            duration_ms = 1500_u64,
            status = 200_u64,
            extra = r#"{"url_host":"slow.example.com"}"#,
            "fetch_response: slow.example.com"
        );
        tracing::info!(
            target: "memtrack",
            event = "cache_stats_snapshot",
            extra = r#"{"zeroclick_client_cache":12,"zeroclick_session_failures":5,"clickhouse_buffer":45,"rate_limiter_ips":1234,"active_operations":3}"#,
            "cache_stats_snapshot"
        );
        tracing::info!(target: "my_app", "application line without memtrack fields");
    });
    dir
}

/// Runs `command` with `sh` in `dir` and parses its standard output as a stream of
/// JSON values.
fn run(dir: &Path, command: &str) -> Vec<Value> {
    let out = Command::new("sh")
        .args(["-c", command])
        .current_dir(dir)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .collect::<Result<Vec<_>, _>>()
        .expect("jq output is JSON")
}

fn field(values: &[Value], key: &str) -> Vec<Value> {
    values.iter().map(|v| v[key].clone()).collect()
}

#[test]
fn original_jq_workflow_works_unchanged() {
    if !jq_available() {
        println!("note: jq is not installed; skipping the jq workflow test");
        return;
    }
    let dir = write_logs();

    // Step 2: spike operations.
    let spikes = run(&dir, r#"grep "memory_spike_operation" logs.json | jq ."#);
    assert_eq!(field(&spikes, "op_id"), [json!("pdf-render-3")]);
    assert_eq!(field(&spikes, "rss_delta_mb"), [json!(64)]);
    assert_eq!(field(&spikes, "level"), [json!("warn")]);

    // Step 2: large fetch responses.
    let large = run(
        &dir,
        r#"grep "fetch_response" logs.json | jq 'select(.content_length_bytes > 1000000)'"#,
    );
    assert_eq!(field(&large, "url_host"), [json!("big.example.com")]);

    // Step 2: slow operations.
    let slow = run(
        &dir,
        r#"grep "memory_operation" logs.json | jq 'select(.duration_ms > 5000)'"#,
    );
    assert_eq!(field(&slow, "op_id"), [json!("article-fetch-2")]);

    // Step 3: cache growth.
    let caches = run(
        &dir,
        r#"grep "cache_stats_snapshot" logs.json | jq '{
  time: .timestamp,
  zc_clients: .zeroclick_client_cache,
  ch_buffer: .clickhouse_buffer,
  rate_ips: .rate_limiter_ips
}'"#,
    );
    assert_eq!(caches.len(), 1);
    let time = caches[0]["time"]
        .as_str()
        .expect("timestamp string")
        .to_owned();
    assert_eq!(time.len(), 24);
    assert_eq!(
        caches[0],
        json!({"time": time, "zc_clients": 12, "ch_buffer": 45, "rate_ips": 1234})
    );

    // Step 4: one operation by name.
    let by_name = run(
        &dir,
        r#"grep '"op_name":"article-fetch-smry-fast"' logs.json | jq ."#,
    );
    assert_eq!(
        field(&by_name, "op_id"),
        [json!("article-fetch-smry-fast-1")]
    );
    assert_eq!(field(&by_name, "url_host"), [json!("example.com")]);

    // Step 4: failed operations.
    let failed = run(
        &dir,
        r#"grep "memory_operation" logs.json | jq 'select(.success == false)'"#,
    );
    assert_eq!(field(&failed, "op_id"), [json!("article-fetch-2")]);
    assert_eq!(field(&failed, "error"), [json!("upstream timed out")]);

    // The event name as its own field, and compact one-line output.
    let failed_compact = run(&dir, r#"jq -c 'select(.success == false)' logs.json"#);
    assert_eq!(field(&failed_compact, "op_id"), [json!("article-fetch-2")]);
    let operations = run(
        &dir,
        r#"jq -c 'select(.event == "memory_operation")' logs.json"#,
    );
    assert_eq!(
        field(&operations, "op_id"),
        [json!("article-fetch-smry-fast-1"), json!("article-fetch-2")]
    );

    std::fs::remove_dir_all(&dir).expect("remove temp dir");
}
