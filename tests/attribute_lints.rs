//! Lints stay the user's: the body of a `#[memtrack]` fn gets the warnings it
//! would get without the attribute, and none of the expansion's making.
//!
//! Each fn below expects (`#[expect]`) the lint its body trips. rustc's lints are
//! checked by every build of this file; clippy's by `cargo clippy --all-targets`
//! (rustc leaves a tool's expectations to the tool). An expectation that is not
//! met is itself a warning, so under `deny(warnings)` a lint the attribute hid
//! would fail the build. The lints the attribute cannot keep are listed in the
//! macro's documentation (`clippy::unnecessary_wraps`,
//! `clippy::needless_pass_by_value`).
#![deny(warnings)]
#![deny(clippy::all, clippy::pedantic)]

use std::future::{Future, ready};
use std::pin::Pin;

use futures_executor::block_on;
use memtrack::memtrack;

#[memtrack("lint-unused-variable")]
#[expect(unused_variables)]
fn unused_variable(x: u32) -> u32 {
    1
}

#[memtrack("lint-unused-mut")]
#[expect(unused_mut)]
fn unused_mut(mut x: u32) -> u32 {
    x
}

#[memtrack("lint-dead-code")]
#[expect(dead_code)]
fn never_called() {}

#[memtrack("lint-unreachable")]
#[expect(unreachable_code)]
fn unreachable_tail() -> u32 {
    return 1;
    2
}

#[memtrack("lint-unused-must-use")]
#[expect(unused_must_use)]
fn unused_must_use(input: &str) {
    input.parse::<u32>();
}

#[memtrack("lint-needless-return")]
#[expect(clippy::needless_return)]
fn needless_return(x: u32) -> u32 {
    return x + 1;
}

#[memtrack("lint-let-and-return")]
#[expect(clippy::let_and_return)]
fn let_and_return(x: u32) -> u32 {
    let y = x + 1;
    y
}

#[memtrack("lint-items-after-statements")]
#[expect(clippy::items_after_statements)]
fn items_after_statements() -> u32 {
    let x = 1;
    fn inner() -> u32 {
        2
    }
    x + inner()
}

#[memtrack("lint-unused-async")]
#[expect(clippy::unused_async)]
async fn unused_async(x: u32) -> u32 {
    x + 1
}

#[memtrack("lint-unused-async-with-macros")]
#[expect(clippy::unused_async)]
async fn unused_async_with_macros(x: u32) -> String {
    memtrack::checkpoint!("lint-formatting", x);
    format!("{x}")
}

#[memtrack("lint-async-needless-return")]
#[expect(clippy::needless_return)]
async fn async_needless_return(x: u32) -> u32 {
    let y = ready(x).await;
    return y + 1;
}

#[memtrack("lint-async-let-and-return")]
#[expect(clippy::let_and_return)]
async fn async_let_and_return(x: u32) -> u32 {
    let y = ready(x).await + 1;
    y
}

#[memtrack("lint-manual-async-fn")]
#[expect(clippy::manual_async_fn)]
fn manual_async_fn(x: u32) -> impl Future<Output = u32> {
    async move { x + 1 }
}

#[memtrack("lint-boxed-needless-return")]
#[expect(clippy::needless_return)]
fn boxed_needless_return(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move {
        return x + 1;
    })
}

// One-line bodies: the braces the expansion needs are not reported as the
// user's (`unused_braces`).
#[rustfmt::skip]
#[memtrack("lint-one-line")]
fn one_line(x: u32) -> u32 { x + 1 }

#[rustfmt::skip]
#[memtrack("lint-one-line-statements")]
fn one_line_statements(x: u32) -> u32 { let y = x; y + 1 }

#[rustfmt::skip]
#[memtrack("lint-one-line-async")]
async fn one_line_async(x: u32) -> u32 { ready(x).await + 1 }

#[test]
fn every_body_runs_as_written() {
    assert_eq!(unused_variable(5), 1);
    assert_eq!(unused_mut(5), 5);
    assert_eq!(unreachable_tail(), 1);
    unused_must_use("7");
    assert_eq!(needless_return(1), 2);
    assert_eq!(let_and_return(1), 2);
    assert_eq!(items_after_statements(), 3);
    assert_eq!(block_on(unused_async(1)), 2);
    assert_eq!(block_on(unused_async_with_macros(4)), "4");
    assert_eq!(block_on(async_needless_return(1)), 2);
    assert_eq!(block_on(async_let_and_return(1)), 2);
    assert_eq!(block_on(manual_async_fn(1)), 2);
    assert_eq!(block_on(boxed_needless_return(1)), 2);
    assert_eq!(one_line(1), 2);
    assert_eq!(one_line_statements(1), 2);
    assert_eq!(block_on(one_line_async(1)), 2);
}
