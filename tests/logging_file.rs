//! The file writer: lines written from several threads are all in the file after
//! the subscriber is dropped, whole and in append mode.

use std::path::PathBuf;

use memtrack::logging::{JsonLayer, LoggingError};
use serde_json::{Value, json};
use tracing::Dispatch;
use tracing_subscriber::layer::SubscriberExt;

fn temp_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "memtrack-logging-file-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

fn read_lines(path: &PathBuf) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("log file")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a whole JSON line"))
        .collect()
}

#[test]
fn every_line_from_every_thread_is_in_the_file() {
    let path = temp_path("threads.log");
    let layer = JsonLayer::file(&path).expect("open log file");
    let dispatch = Dispatch::new(tracing_subscriber::registry().with(layer));
    let threads: Vec<_> = (0..4_u64)
        .map(|thread| {
            let dispatch = dispatch.clone();
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    for i in 0..250_u64 {
                        tracing::info!(
                            target: "memtrack",
                            event = "large_allocation",
                            thread,
                            seq = i,
                            estimated_bytes = 600_000_u64,
                            extra = r#"{"context":"parse","padding":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#,
                            "large_allocation: parse"
                        );
                    }
                });
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("logging thread");
    }
    drop(dispatch);

    let lines = read_lines(&path);
    assert_eq!(lines.len(), 1000);
    let mut seen = [[false; 250]; 4];
    for line in &lines {
        assert_eq!(line["event"], json!("large_allocation"));
        assert_eq!(line["estimated_bytes"], json!(600_000));
        assert_eq!(line["context"], json!("parse"));
        let thread = line["thread"].as_u64().expect("thread") as usize;
        let seq = line["seq"].as_u64().expect("seq") as usize;
        seen[thread][seq] = true;
    }
    assert!(seen.iter().flatten().all(|seen| *seen));
    std::fs::remove_file(&path).expect("remove log file");
}

#[test]
fn reopening_appends() {
    let path = temp_path("append.log");
    for round in 0..3_u64 {
        let layer = JsonLayer::file(&path).expect("open log file");
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "memtrack", event = "memory_snapshot", round, "memory_snapshot");
        });
    }
    let rounds: Vec<Value> = read_lines(&path)
        .into_iter()
        .map(|l| l["round"].clone())
        .collect();
    assert_eq!(rounds, [json!(0), json!(1), json!(2)]);
    std::fs::remove_file(&path).expect("remove log file");
}

#[test]
fn unopenable_file_is_a_clear_error() {
    let dir = temp_path("no-such-dir");
    let path = dir.join("app.log");
    let err = JsonLayer::file(&path).expect_err("directory does not exist");
    assert!(matches!(&err, LoggingError::OpenFile { path: p, .. } if *p == path));
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "cannot open log file `{}` for appending: ",
            path.display()
        )),
        "{text}"
    );
    assert!(std::error::Error::source(&err).is_some());
}
