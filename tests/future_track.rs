//! The `.track("name")` future adapter: start at first poll, end on completion,
//! cancellation and panic, on a multi-threaded runtime.

mod support;

use std::time::Duration;

use memtrack::future::Track;
use support::{log_everything, only_operation, operations};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completed_future_ends_ok() {
    log_everything();
    let n = async {
        tokio::task::yield_now().await;
        7
    }
    .track("track-ok")
    .await;
    assert_eq!(n, 7);
    let line = only_operation("track-ok");
    assert_eq!(line["ended_by"], "ok");
    assert_eq!(line["success"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_task_is_tracked() {
    log_everything();
    let handle = tokio::spawn(
        async {
            for _ in 0..5 {
                tokio::task::yield_now().await;
            }
        }
        .track("track-spawned"),
    );
    handle.await.unwrap();
    assert_eq!(only_operation("track-spawned")["ended_by"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_cancels_the_operation() {
    log_everything();
    let slow = tokio::time::sleep(Duration::from_secs(30)).track("track-timeout");
    let result = tokio::time::timeout(Duration::from_millis(20), slow).await;
    assert!(result.is_err());
    let line = only_operation("track-timeout");
    assert_eq!(line["ended_by"], "cancelled");
    assert_eq!(line["success"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_polled_future_starts_nothing() {
    log_everything();
    let fut = async { 1 }.track("track-never-polled");
    drop(fut);
    tokio::task::yield_now().await;
    assert!(operations("track-never-polled").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_in_a_poll_ends_as_panic() {
    log_everything();
    let handle = tokio::spawn(
        async {
            tokio::task::yield_now().await;
            panic!("task failed");
        }
        .track("track-panic"),
    );
    let err = handle.await.unwrap_err();
    assert!(err.is_panic());
    let line = only_operation("track-panic");
    assert_eq!(line["ended_by"], "panic");
    assert_eq!(line["success"], false);
}
