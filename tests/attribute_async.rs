//! `#[memtrack]` on futures: `async fn`, fns returning an `async` block,
//! `Box::pin(async ..)`, `#[async_trait]` and native async trait methods, run on
//! a multi-threaded tokio runtime, for every way a future can end.

mod support;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use memtrack::memtrack;
use support::{assert_ended, log_everything, only_operation, operations};

#[derive(Debug)]
struct Failure(&'static str);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failure: {}", self.0)
    }
}

#[memtrack("async-ok", id = id, label = %label)]
async fn async_ok(id: u32, label: &str) -> String {
    tokio::task::yield_now().await;
    format!("{label}-{id}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ok_with_metadata() {
    log_everything();
    let result = tokio::spawn(async_ok(7, "user")).await.unwrap();
    assert_eq!(result, "user-7");
    let event = only_operation("async-ok");
    assert_ended(&event, "async-ok", "ok", None);
    assert_eq!(event["id"], 7);
    assert_eq!(event["label"], "user");
}

#[memtrack("async-err")]
async fn async_err() -> Result<u32, Failure> {
    tokio::task::yield_now().await;
    Err(Failure("remote"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn err_captures_the_error_text() {
    log_everything();
    assert!(async_err().await.is_err());
    assert_ended(
        &only_operation("async-err"),
        "async-err",
        "err",
        Some("failure: remote"),
    );
}

#[memtrack("async-question-mark")]
async fn async_question_mark(input: &str) -> Result<u32, std::num::ParseIntError> {
    tokio::task::yield_now().await;
    let value: u32 = input.parse()?;
    Ok(value + 1)
}

#[memtrack("async-early-return")]
async fn async_early_return(value: u32) -> Result<u32, Failure> {
    if value == 0 {
        return Err(Failure("zero"));
    }
    tokio::task::yield_now().await;
    Ok(value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn question_mark_and_early_return() {
    log_everything();
    assert!(async_question_mark("nope").await.is_err());
    assert_eq!(async_early_return(0).await.unwrap_err().0, "zero");
    assert_eq!(async_early_return(5).await.ok(), Some(5));
    assert_ended(
        &only_operation("async-question-mark"),
        "async-question-mark",
        "err",
        Some("invalid digit found in string"),
    );
    let events = operations("async-early-return");
    assert_eq!(events.len(), 2);
    assert_ended(
        &events[0],
        "async-early-return",
        "err",
        Some("failure: zero"),
    );
    assert_ended(&events[1], "async-early-return", "ok", None);
}

#[memtrack("async-panic", stage = "polled")]
async fn async_panic() -> u32 {
    tokio::task::yield_now().await;
    panic!("async boom")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_in_a_task_is_recorded_and_continues() {
    log_everything();
    let joined = tokio::spawn(async_panic()).await;
    let error = joined.unwrap_err();
    assert!(error.is_panic());
    let payload = error.into_panic();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"async boom"));
    let event = only_operation("async-panic");
    assert_ended(&event, "async-panic", "panic", None);
    assert_eq!(event["stage"], "polled");
}

#[memtrack("async-slow")]
async fn async_slow() -> u32 {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_reads_as_cancelled() {
    log_everything();
    let result = tokio::time::timeout(Duration::from_millis(20), async_slow()).await;
    assert!(result.is_err());
    assert_ended(
        &only_operation("async-slow"),
        "async-slow",
        "cancelled",
        None,
    );
}

#[memtrack("async-never-polled", evaluated = panic_if_evaluated())]
async fn async_never_polled() -> u32 {
    1
}

fn panic_if_evaluated() -> u32 {
    panic!("metadata of a future that is never polled must not be evaluated")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_polled_future_starts_nothing() {
    log_everything();
    let future = async_never_polled();
    drop(future);
    assert!(operations("async-never-polled").is_empty());
}

#[memtrack("async-borrow-mut", len = values.len())]
async fn async_borrow_mut(values: &mut Vec<u8>) -> &mut u8 {
    tokio::task::yield_now().await;
    values.push(0);
    values.last_mut().expect("just pushed")
}

#[memtrack("async-generic", shown = %value)]
async fn async_generic<T>(value: T) -> Vec<T>
where
    T: fmt::Display + Clone + Send,
{
    tokio::task::yield_now().await;
    vec![value.clone(), value]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn borrows_and_generics() {
    log_everything();
    let mut values = vec![1];
    *async_borrow_mut(&mut values).await = 5;
    assert_eq!(values, [1, 5]);
    assert_eq!(tokio::spawn(async_generic(2_u8)).await.unwrap(), [2, 2]);
    assert_eq!(only_operation("async-borrow-mut")["len"], 1);
    assert_eq!(only_operation("async-generic")["shown"], "2");
}

#[memtrack("future-block", input = value)]
fn future_block(value: u32) -> impl Future<Output = Result<u32, Failure>> + Send {
    let next = value + 1;
    async move {
        tokio::task::yield_now().await;
        if next > 10 {
            return Err(Failure("too big"));
        }
        Ok(next)
    }
}

#[memtrack("future-boxed")]
fn future_boxed(value: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move {
        tokio::task::yield_now().await;
        value * 2
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fns_returning_futures() {
    log_everything();
    let not_polled = future_block(1);
    assert!(operations("future-block").is_empty());
    assert_eq!(tokio::spawn(not_polled).await.unwrap().ok(), Some(2));
    assert!(future_block(20).await.is_err());
    assert_eq!(tokio::spawn(future_boxed(4)).await.unwrap(), 8);
    let events = operations("future-block");
    assert_eq!(events.len(), 2);
    assert_ended(&events[0], "future-block", "ok", None);
    assert_eq!(events[0]["input"], 1);
    assert_ended(&events[1], "future-block", "err", Some("failure: too big"));
    assert_ended(&only_operation("future-boxed"), "future-boxed", "ok", None);
}

struct Store {
    id: u32,
}

impl Store {
    #[memtrack("async-method", id = self.id)]
    async fn fetch(&self, key: &str) -> String {
        tokio::task::yield_now().await;
        format!("{}:{key}", self.id)
    }
}

#[async_trait::async_trait]
trait Loader {
    async fn load(&self, key: u32) -> Result<u32, Failure>;
    async fn load_default(&self) -> u32;
}

#[async_trait::async_trait]
impl Loader for Store {
    #[memtrack("async-trait-impl", key = key, id = self.id)]
    async fn load(&self, key: u32) -> Result<u32, Failure> {
        tokio::task::yield_now().await;
        if key == 0 {
            return Err(Failure("no key"));
        }
        Ok(self.id + key)
    }

    async fn load_default(&self) -> u32 {
        0
    }
}

/// The same shape `#[async_trait]` produces, written out: the attribute applies
/// whether `#[async_trait]` runs before it or the code already has this form.
impl Store {
    #[memtrack("async-trait-shape", id = self.id)]
    fn load_boxed<'a>(&'a self, key: u32) -> Pin<Box<dyn Future<Output = u32> + Send + 'a>> {
        Box::pin(async move {
            tokio::task::yield_now().await;
            self.id * key
        })
    }
}

trait Native {
    async fn native(&self) -> u32;
}

impl Native for Store {
    #[memtrack("async-native-trait", id = self.id)]
    async fn native(&self) -> u32 {
        tokio::task::yield_now().await;
        self.id + 100
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn methods_and_traits() {
    log_everything();
    let store = std::sync::Arc::new(Store { id: 3 });
    assert_eq!(store.fetch("k").await, "3:k");
    let shared = store.clone();
    assert_eq!(
        tokio::spawn(async move { shared.load(4).await })
            .await
            .unwrap()
            .ok(),
        Some(7)
    );
    assert!(store.load(0).await.is_err());
    assert_eq!(store.load_default().await, 0);
    assert_eq!(store.load_boxed(2).await, 6);
    assert_eq!(store.native().await, 103);

    assert_eq!(only_operation("async-method")["id"], 3);
    let loads = operations("async-trait-impl");
    assert_eq!(loads.len(), 2);
    assert_ended(&loads[0], "async-trait-impl", "ok", None);
    assert_eq!(loads[0]["key"], 4);
    assert_eq!(loads[0]["id"], 3);
    assert_ended(
        &loads[1],
        "async-trait-impl",
        "err",
        Some("failure: no key"),
    );
    assert_ended(
        &only_operation("async-trait-shape"),
        "async-trait-shape",
        "ok",
        None,
    );
    assert_ended(
        &only_operation("async-native-trait"),
        "async-native-trait",
        "ok",
        None,
    );
}

#[memtrack("async-concurrent", n = n)]
async fn async_concurrent(n: u32) -> u32 {
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tasks_each_get_their_own_event() {
    log_everything();
    let tasks: Vec<_> = (0..20).map(|n| tokio::spawn(async_concurrent(n))).collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    assert_eq!(total, (0..20).sum::<u32>());
    let events = operations("async-concurrent");
    assert_eq!(events.len(), 20);
    let mut seen: Vec<u64> = events.iter().map(|e| e["n"].as_u64().unwrap()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..20).collect::<Vec<u64>>());
    let mut ids: Vec<&str> = events
        .iter()
        .map(|e| e["op_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 20);
}
