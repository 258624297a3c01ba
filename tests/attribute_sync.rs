//! `#[memtrack]` on sync fns: every way a call can end, read back from the JSON
//! logs, and the function-like macros inside an operation.

mod support;

use std::cell::Cell;
use std::fmt;

use memtrack::{checkpoint, large_alloc, memtrack, record};
use support::{assert_ended, events_of, log_everything, only_operation, operations};

#[derive(Debug)]
struct Failure(&'static str);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failure: {}", self.0)
    }
}

#[derive(Debug)]
struct DebugOnly {
    code: u32,
}

#[memtrack("sync-ok", rows = rows.len(), first = %rows[0], all = ?rows)]
fn sync_ok(rows: &[u32]) -> u32 {
    rows.iter().sum()
}

#[test]
fn ok_with_metadata() {
    log_everything();
    assert_eq!(sync_ok(&[1, 2, 3]), 6);
    let event = only_operation("sync-ok");
    assert_ended(&event, "sync-ok", "ok", None);
    assert_eq!(event["rows"], 3);
    assert_eq!(event["first"], "1");
    assert_eq!(event["all"], "[1, 2, 3]");
}

#[memtrack("sync-err")]
fn sync_err(fail: bool) -> Result<u32, Failure> {
    if fail { Err(Failure("disk")) } else { Ok(1) }
}

#[test]
fn err_captures_the_display_text() {
    log_everything();
    assert!(sync_err(true).is_err());
    assert_ended(
        &only_operation("sync-err"),
        "sync-err",
        "err",
        Some("failure: disk"),
    );
}

#[memtrack("sync-err-debug")]
fn sync_err_debug() -> Result<(), DebugOnly> {
    Err(DebugOnly { code: 7 })
}

#[test]
fn err_without_display_uses_debug() {
    log_everything();
    assert_eq!(sync_err_debug().unwrap_err().code, 7);
    let event = only_operation("sync-err-debug");
    assert_ended(
        &event,
        "sync-err-debug",
        "err",
        Some("DebugOnly { code: 7 }"),
    );
}

#[memtrack("sync-err-alias")]
fn sync_err_alias() -> std::io::Result<()> {
    Err(std::io::Error::other("through an alias"))
}

#[test]
fn err_through_a_result_alias() {
    log_everything();
    assert!(sync_err_alias().is_err());
    let event = only_operation("sync-err-alias");
    assert_ended(&event, "sync-err-alias", "err", Some("through an alias"));
}

struct Long;

impl fmt::Display for Long {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&"é".repeat(150))
    }
}

#[memtrack("sync-err-long")]
fn sync_err_long() -> Result<(), Long> {
    Err(Long)
}

#[test]
fn long_error_text_is_truncated() {
    log_everything();
    assert!(sync_err_long().is_err());
    let expected = format!("{}…", "é".repeat(100));
    let event = only_operation("sync-err-long");
    assert_ended(&event, "sync-err-long", "err", Some(&expected));
}

#[memtrack("sync-question-mark")]
fn sync_question_mark(input: &str) -> Result<u32, std::num::ParseIntError> {
    let value: u32 = input.parse()?;
    Ok(value * 2)
}

#[test]
fn question_mark_returns_early_as_err() {
    log_everything();
    assert_eq!(sync_question_mark("21"), Ok(42));
    assert!(sync_question_mark("x").is_err());
    let events = operations("sync-question-mark");
    assert_eq!(events.len(), 2);
    assert_ended(&events[0], "sync-question-mark", "ok", None);
    assert_ended(
        &events[1],
        "sync-question-mark",
        "err",
        Some("invalid digit found in string"),
    );
}

#[memtrack("sync-early-return")]
fn sync_early_return(value: u32) -> Result<u32, Failure> {
    if value == 0 {
        return Err(Failure("zero"));
    }
    if value > 10 {
        return Ok(10);
    }
    Ok(value)
}

#[test]
fn early_return_behaves_as_without_the_attribute() {
    log_everything();
    assert_eq!(sync_early_return(50).ok(), Some(10));
    assert!(sync_early_return(0).is_err());
    assert_eq!(sync_early_return(3).ok(), Some(3));
    let events = operations("sync-early-return");
    assert_eq!(events.len(), 3);
    assert_ended(&events[0], "sync-early-return", "ok", None);
    assert_ended(
        &events[1],
        "sync-early-return",
        "err",
        Some("failure: zero"),
    );
    assert_ended(&events[2], "sync-early-return", "ok", None);
}

#[memtrack("sync-panic", stage = "before")]
fn sync_panic() -> u32 {
    panic!("sync boom")
}

#[test]
fn panic_is_recorded_and_continues() {
    log_everything();
    let caught = std::panic::catch_unwind(sync_panic);
    let message = caught.unwrap_err();
    assert_eq!(message.downcast_ref::<&str>(), Some(&"sync boom"));
    let event = only_operation("sync-panic");
    assert_ended(&event, "sync-panic", "panic", None);
    assert_eq!(event["stage"], "before");
}

#[memtrack("sync-never")]
fn sync_never(message: &'static str) -> ! {
    panic!("{message}")
}

#[test]
fn never_returning_fn_panics_through() {
    log_everything();
    assert!(std::panic::catch_unwind(|| sync_never("gone")).is_err());
    assert_ended(&only_operation("sync-never"), "sync-never", "panic", None);
}

#[memtrack("sync-borrow-mut", len = values.len())]
fn sync_borrow_mut(values: &mut Vec<u8>) -> &mut u8 {
    values.push(0);
    values.last_mut().expect("just pushed")
}

#[test]
fn returns_a_borrow_of_a_mut_argument() {
    log_everything();
    let mut values = vec![1, 2];
    *sync_borrow_mut(&mut values) = 9;
    assert_eq!(values, [1, 2, 9]);
    let event = only_operation("sync-borrow-mut");
    assert_ended(&event, "sync-borrow-mut", "ok", None);
    assert_eq!(event["len"], 2);
}

#[memtrack("sync-generic", shown = %value)]
fn sync_generic<T>(value: T) -> Vec<T>
where
    T: fmt::Display + Clone,
{
    vec![value.clone(), value]
}

#[memtrack("sync-impl-trait")]
fn sync_impl_trait(value: impl fmt::Display) -> impl fmt::Display {
    format!("<{value}>")
}

#[test]
fn generics_and_impl_trait() {
    log_everything();
    assert_eq!(sync_generic("a"), ["a", "a"]);
    assert_eq!(sync_generic(4_u8), [4, 4]);
    assert_eq!(sync_impl_trait(5).to_string(), "<5>");
    let events = operations("sync-generic");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["shown"], "a");
    assert_eq!(events[1]["shown"], "4");
    assert_ended(
        &only_operation("sync-impl-trait"),
        "sync-impl-trait",
        "ok",
        None,
    );
}

struct Account {
    id: u32,
    balance: i64,
}

impl Account {
    #[memtrack("sync-method-ref", id = self.id)]
    fn balance(&self) -> i64 {
        self.balance
    }

    #[memtrack("sync-method-mut", id = self.id, amount = amount)]
    fn deposit(&mut self, amount: i64) -> &mut i64 {
        self.balance += amount;
        &mut self.balance
    }

    #[memtrack("sync-method-value", id = self.id)]
    fn close(self) -> i64 {
        self.balance
    }

    #[memtrack("sync-constructor")]
    fn open(id: u32) -> Self {
        Account { id, balance: 0 }
    }
}

#[test]
fn methods_by_ref_mut_and_value() {
    log_everything();
    let mut account = Account::open(3);
    *account.deposit(10) += 1;
    assert_eq!(account.balance(), 11);
    assert_eq!(account.close(), 11);
    assert_ended(
        &only_operation("sync-constructor"),
        "sync-constructor",
        "ok",
        None,
    );
    let deposit = only_operation("sync-method-mut");
    assert_eq!(deposit["id"], 3);
    assert_eq!(deposit["amount"], 10);
    assert_eq!(only_operation("sync-method-ref")["id"], 3);
    assert_eq!(only_operation("sync-method-value")["id"], 3);
}

#[memtrack("sync-unsafe")]
unsafe fn sync_unsafe(pointer: *const u32) -> u32 {
    // SAFETY: the caller passes a pointer to a live `u32`.
    unsafe { *pointer }
}

#[test]
fn unsafe_fn() {
    log_everything();
    let value = 8_u32;
    // SAFETY: the pointer comes from a live reference.
    assert_eq!(unsafe { sync_unsafe(&raw const value) }, 8);
    assert_ended(&only_operation("sync-unsafe"), "sync-unsafe", "ok", None);
}

fn counted(counter: &Cell<u32>) -> u32 {
    counter.set(counter.get() + 1);
    counter.get()
}

#[memtrack("sync-once", calls = counted(counter), name = %name)]
fn sync_once(counter: &Cell<u32>, name: String) -> String {
    name
}

#[test]
fn metadata_is_evaluated_once_and_never_moves() {
    log_everything();
    let counter = Cell::new(0);
    assert_eq!(sync_once(&counter, "kept".to_owned()), "kept");
    assert_eq!(counter.get(), 1);
    let event = only_operation("sync-once");
    assert_eq!(event["calls"], 1);
    assert_eq!(event["name"], "kept");
}

#[memtrack("sync-function-like", rows = rows)]
fn sync_function_like(rows: u64) -> u64 {
    checkpoint!("sync-halfway", done = rows / 2);
    record!(note = %"recorded", rows_seen = rows);
    large_alloc!("sync-small-buffer", 10_u32);
    large_alloc!("sync-big-buffer", rows * 1_000_000, kind = "rows");
    rows
}

#[test]
fn function_like_macros_inside_an_operation() {
    let logs = log_everything();
    assert_eq!(sync_function_like(4), 4);
    let event = only_operation("sync-function-like");
    assert_ended(&event, "sync-function-like", "ok", None);
    assert_eq!(event["rows"], 4);
    assert_eq!(event["note"], "recorded");
    assert_eq!(event["rows_seen"], 4);

    let checkpoints = events_of("memory_checkpoint", "sync-function-like");
    assert_eq!(checkpoints.len(), 1);
    assert_eq!(checkpoints[0]["checkpoint"], "sync-halfway");
    assert_eq!(checkpoints[0]["done"], 2);
    assert_eq!(checkpoints[0]["op_id"], event["op_id"]);

    let allocations: Vec<_> = logs
        .events("large_allocation")
        .into_iter()
        .filter(|line| {
            line["context"] == "sync-small-buffer" || line["context"] == "sync-big-buffer"
        })
        .collect();
    assert_eq!(allocations.len(), 1, "{allocations:#?}");
    assert_eq!(allocations[0]["context"], "sync-big-buffer");
    assert_eq!(allocations[0]["estimated_bytes"], 4_000_000);
    assert_eq!(allocations[0]["kind"], "rows");
    assert_eq!(allocations[0]["op_name"], "sync-function-like");
}

#[test]
fn function_like_macros_evaluate_each_expression_once() {
    let logs = log_everything();
    let counter = Cell::new(0);
    large_alloc!(
        "sync-once-buffer",
        counted(&counter) * 1_000_000,
        n = counted(&counter)
    );
    assert_eq!(counter.get(), 2);
    let allocations: Vec<_> = logs
        .events("large_allocation")
        .into_iter()
        .filter(|line| line["context"] == "sync-once-buffer")
        .collect();
    assert_eq!(allocations.len(), 1);
    assert_eq!(allocations[0]["estimated_bytes"], 1_000_000);
    assert_eq!(allocations[0]["n"], 2);
}

#[memtrack("sync-generic-result")]
fn generic_pass_through<T, E>(result: Result<T, E>) -> Result<T, E> {
    result
}

/// An error type with neither `Display` nor `Debug`.
struct Opaque;

#[memtrack("sync-opaque")]
fn opaque_error() -> Result<u8, Opaque> {
    Err(Opaque)
}

#[test]
fn an_err_is_an_err_in_a_generic_fn_and_without_display_or_debug() {
    log_everything();
    assert!(generic_pass_through::<u8, String>(Err("kept".into())).is_err());
    assert_eq!(generic_pass_through::<u8, String>(Ok(3)), Ok(3));
    let events = operations("sync-generic-result");
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_ended(
        &events[0],
        "sync-generic-result",
        "err",
        Some("error of type alloc::string::String"),
    );
    assert_ended(&events[1], "sync-generic-result", "ok", None);

    assert!(opaque_error().is_err());
    let event = only_operation("sync-opaque");
    let expected = format!("error of type {}", std::any::type_name::<Opaque>());
    assert_ended(&event, "sync-opaque", "err", Some(&expected));
}
