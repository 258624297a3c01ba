//! A subscriber that panics on every event cannot make memtrack panic, even when an
//! event is written from a `Drop` while another panic unwinds (where a second panic
//! would abort the process), and cannot leave the monitor half started.

mod support;

use std::panic::catch_unwind;
use std::sync::Once;
use std::time::Instant;

use support::{minute_config, serial};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

struct Panicking;

impl<S: Subscriber> Layer<S> for Panicking {
    fn on_event(&self, _event: &Event<'_>, _ctx: Context<'_, S>) {
        panic!("the subscriber failed");
    }
}

/// Installs the panicking subscriber and a config that logs every operation. The
/// tests of this file run one at a time (they count the operations left active,
/// and the monitor is one per process).
fn panicking_subscriber() -> std::sync::MutexGuard<'static, ()> {
    let serial = serial();
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        tracing_subscriber::registry().with(Panicking).init();
        memtrack::config::set(
            memtrack::Config::builder()
                .operation_time_threshold(std::time::Duration::ZERO)
                .checkpoint_delta_mb(0.0)
                .build()
                .unwrap(),
        );
    });
    serial
}

/// Calls every public entry point that writes an event.
fn write_every_event() {
    memtrack::track_fetch_response(
        "https://example.com/big",
        "panicking-subscriber",
        200,
        1 << 30,
        Instant::now(),
    );
    let _ = memtrack::caches::log_snapshot();
    let _ = memtrack::reclaim::run();
    memtrack::large_allocation("panicking-subscriber-buffer", 1 << 30, &[]);
    let op = memtrack::start("panicking-subscriber-op");
    op.in_scope(|| memtrack::large_allocation("panicking-subscriber-inside", 1 << 30, &[]));
    op.checkpoint("panicking-subscriber-step");
    op.end_with_error(&"upstream failed");
}

#[test]
fn a_panicking_subscriber_cannot_abort_the_process() {
    let _serial = panicking_subscriber();
    memtrack::start("panicking-subscriber-ok").end();
    memtrack::large_allocation("panicking-subscriber-buffer", 1 << 30, &[]);
    let unwound = catch_unwind(|| {
        let _op = memtrack::start("panicking-subscriber-unwind");
        panic!("the handler failed");
    });
    assert!(unwound.is_err());
}

#[test]
fn every_entry_point_that_writes_an_event_returns_normally() {
    let _serial = panicking_subscriber();
    let returned = catch_unwind(write_every_event);
    assert!(returned.is_ok(), "a subscriber's panic escaped");
}

#[test]
fn events_written_from_a_drop_during_unwinding_cannot_abort() {
    let _serial = panicking_subscriber();
    struct WritesOnDrop;
    impl Drop for WritesOnDrop {
        fn drop(&mut self) {
            write_every_event();
        }
    }
    // Were any event unshielded, its panic inside this drop, during unwinding,
    // would abort the whole test binary.
    let unwound = catch_unwind(|| {
        let _guard = WritesOnDrop;
        panic!("the handler failed");
    });
    assert!(unwound.is_err());
}

#[test]
fn the_monitor_starts_and_stops_whatever_the_subscriber_does() {
    let _serial = panicking_subscriber();
    let started = catch_unwind(|| memtrack::monitor::start(minute_config()));
    let monitor = started
        .expect("monitor::start let the subscriber's panic escape")
        .expect("the monitor started");
    assert!(memtrack::monitor::is_running());
    assert!(monitor.tick_now(), "the thread answers a tick");
    monitor.stop();
    assert!(!memtrack::monitor::is_running());
    let again = memtrack::monitor::start(minute_config()).expect("a later start succeeds");
    again.stop();
}

#[test]
fn every_operation_ended() {
    let _serial = panicking_subscriber();
    // The other tests' operations have all ended by the time each of them returns;
    // run them here too so this test does not depend on the order.
    let _ = catch_unwind(write_every_event);
    let _ = catch_unwind(|| {
        let _op = memtrack::start("panicking-subscriber-unwind");
        panic!("the handler failed");
    });
    let mine = memtrack::sites::all()
        .filter(|s| s.name().starts_with("panicking-subscriber"))
        .map(|s| s.totals().active)
        .sum::<u64>();
    assert_eq!(mine, 0);
}
