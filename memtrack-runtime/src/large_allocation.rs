//! Warnings before large buffers are created: the `large_allocation` event.

use std::borrow::Cow;

use crate::alloc;
use crate::config;
use crate::events::{self, Extra, OpId, emit};
use crate::metadata::{Metadata, ToValue, Value};
use crate::process;
use crate::tracker::frames;
use crate::units::mb;

/// Logs `large_allocation` (level warn) when `estimated_bytes` reaches
/// [`large_allocation_bytes`](crate::Config::large_allocation_bytes) (500,000 by
/// default); below that it does nothing. Called inside an operation, the event names
/// it (`op_id`, `op_name`). `large_alloc!` is the macro form.
///
/// ```
/// let html = "x".repeat(600_000);
/// memtrack::large_allocation("html-buffer", html.len() as u64, &[("source", &"smry-fast")]);
/// ```
pub fn large_allocation(context: &str, estimated_bytes: u64, fields: &[(&str, &dyn ToValue)]) {
    log(
        context,
        estimated_bytes,
        fields
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), v.to_value())),
    );
}

pub(crate) fn log(
    context: &str,
    estimated_bytes: u64,
    fields: impl Iterator<Item = (Cow<'static, str>, Value)>,
) {
    let config = config::get();
    if estimated_bytes < config.large_allocation_bytes() {
        return;
    }
    events::write(|| {
        let mut metadata = Metadata::new();
        for (k, v) in fields {
            metadata.insert(k, v, config.max_metadata_keys());
        }
        let op = frames::with_current(|op, _| (op.name().to_owned(), op.number()));
        let context = Value::text(context).to_string();
        emit_event(&LargeAllocationEvent {
            context: &context,
            estimated_bytes,
            op: op.as_ref().map(|(name, number)| OpId {
                name,
                number: *number,
            }),
            rss: process::rss_bytes(),
            heap: alloc::heap_stats().map(|h| h.live_bytes),
            fields: &metadata,
        });
    });
}

struct LargeAllocationEvent<'a> {
    context: &'a str,
    estimated_bytes: u64,
    op: Option<OpId<'a>>,
    rss: Option<u64>,
    heap: Option<u64>,
    fields: &'a Metadata,
}

/// `large_allocation`.
fn emit_event(e: &LargeAllocationEvent<'_>) {
    let extra = Extra::new().metadata(e.fields).finish();
    emit!(
        tracing::Level::WARN,
        event = "large_allocation",
        context = e.context,
        estimated_bytes = e.estimated_bytes,
        estimated_mb = mb(e.estimated_bytes),
        op_id = e.op.map(|id| id.to_string()),
        op_name = e.op.map(|id| id.name),
        heap_used_mb = e.heap.map(mb),
        rss_mb = e.rss.map(mb),
        extra = extra.as_deref(),
        "large_allocation: {} ({} bytes)",
        e.context,
        e.estimated_bytes
    );
}
