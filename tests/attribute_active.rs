//! The active-operation count is back to zero after every way an annotated fn
//! can end. One test, in its own binary, so nothing else runs operations
//! meanwhile.

mod support;

use std::time::Duration;

use memtrack::{active_operations, memtrack};

#[memtrack("active-sync")]
fn sync_result(fail: bool) -> Result<u32, String> {
    let value: u32 = if fail { "x" } else { "1" }
        .parse()
        .map_err(|_| "parse".to_owned())?;
    assert_eq!(active_operations(), 1);
    Ok(value)
}

#[memtrack("active-sync-panic")]
fn sync_panic() {
    assert_eq!(active_operations(), 1);
    panic!("panic inside an operation")
}

#[memtrack("active-nested-outer")]
fn nested() -> u32 {
    inner() + 1
}

#[memtrack("active-nested-inner")]
fn inner() -> u32 {
    u32::try_from(active_operations()).unwrap_or(u32::MAX)
}

#[memtrack("active-async")]
async fn async_result(fail: bool) -> Result<u32, String> {
    tokio::task::yield_now().await;
    if fail {
        return Err("failed".to_owned());
    }
    Ok(1)
}

#[memtrack("active-async-panic")]
async fn async_panic() {
    tokio::task::yield_now().await;
    panic!("panic inside a future")
}

#[memtrack("active-async-slow")]
async fn async_slow() {
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

#[test]
fn every_end_path_leaves_no_active_operation() {
    support::log_everything();
    assert_eq!(active_operations(), 0);

    assert_eq!(sync_result(false), Ok(1));
    assert_eq!(active_operations(), 0);
    assert!(sync_result(true).is_err());
    assert_eq!(active_operations(), 0);
    assert!(std::panic::catch_unwind(sync_panic).is_err());
    assert_eq!(active_operations(), 0);
    assert_eq!(nested(), 3);
    assert_eq!(active_operations(), 0);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        assert_eq!(async_result(false).await, Ok(1));
        assert_eq!(active_operations(), 0);
        assert!(async_result(true).await.is_err());
        assert_eq!(active_operations(), 0);
        assert!(tokio::spawn(async_panic()).await.is_err());
        assert_eq!(active_operations(), 0);

        let slow = tokio::spawn(async_slow());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(active_operations(), 1);
        slow.abort();
        assert!(slow.await.unwrap_err().is_cancelled());
        assert_eq!(active_operations(), 0);

        assert!(
            tokio::time::timeout(Duration::from_millis(10), async_slow())
                .await
                .is_err()
        );
        assert_eq!(active_operations(), 0);

        drop(async_result(false));
        assert_eq!(active_operations(), 0);
    });
    assert_eq!(active_operations(), 0);
}
