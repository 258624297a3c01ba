//! Formatting a user value never turns a return into a panic: an error whose
//! `Display` panics, even with a panic payload whose own `Drop` panics, still
//! returns its `Err`, and the operation is logged as `err` with what could be read.

mod support;

use std::fmt;

use memtrack::memtrack;
use support::{assert_ended, log_everything, only_operation};

/// A panic payload whose drop panics in turn.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("the payload's drop panicked");
    }
}

/// An error whose `Display` writes a little, then panics with a [`Bomb`].
#[derive(Debug)]
struct TreacherousError;

impl fmt::Display for TreacherousError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("upstream ")?;
        std::panic::panic_any(Bomb)
    }
}

#[memtrack("formatting-treacherous-err")]
fn fails_treacherously() -> Result<u32, TreacherousError> {
    Err(TreacherousError)
}

#[test]
fn an_error_whose_display_panics_twice_is_still_returned() {
    log_everything();
    let returned = std::panic::catch_unwind(fails_treacherously);
    assert!(
        matches!(returned, Ok(Err(TreacherousError))),
        "the function panicked instead of returning its Err"
    );
    let line = only_operation("formatting-treacherous-err");
    assert_ended(
        &line,
        "formatting-treacherous-err",
        "err",
        Some("upstream <formatting panicked>"),
    );
}

#[test]
fn explicit_ends_and_metadata_survive_the_same_error() {
    log_everything();
    let op = memtrack::start("formatting-treacherous-explicit");
    let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        op.add_metadata(
            "cause",
            memtrack::Value::Str(memtrack::metadata::display_bounded(&TreacherousError, 50)),
        );
        op.end_with_error(&TreacherousError);
    }));
    assert!(ended.is_ok(), "ending with the error panicked");
    let line = only_operation("formatting-treacherous-explicit");
    assert_ended(
        &line,
        "formatting-treacherous-explicit",
        "err",
        Some("upstream <formatting panicked>"),
    );
    assert_eq!(line["cause"], "upstream <formatting panicked>");
}
