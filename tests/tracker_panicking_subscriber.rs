//! A subscriber that panics on every event cannot make memtrack panic, even when an
//! operation ends in a `Drop` while another panic unwinds (where a second panic
//! would abort the process).

use std::panic::catch_unwind;

use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

struct Panicking;

impl<S: Subscriber> Layer<S> for Panicking {
    fn on_event(&self, _event: &Event<'_>, _ctx: Context<'_, S>) {
        panic!("the subscriber failed");
    }
}

#[test]
fn a_panicking_subscriber_cannot_abort_the_process() {
    tracing_subscriber::registry().with(Panicking).init();
    memtrack::config::set(
        memtrack::Config::builder()
            .operation_time_threshold(std::time::Duration::ZERO)
            .build()
            .unwrap(),
    );

    memtrack::start("panicking-subscriber-ok").end();
    memtrack::large_allocation("panicking-subscriber-buffer", 1 << 30, &[]);
    let unwound = catch_unwind(|| {
        let _op = memtrack::start("panicking-subscriber-unwind");
        panic!("the handler failed");
    });
    assert!(unwound.is_err());
    assert_eq!(memtrack::active_operations(), 0);
}
