//! A macro of the user's own that shares its name with a standard or `tracing`
//! macro, and awaits the future it is given, still compiles under the attribute.
#![deny(warnings)]

use memtrack::memtrack;

macro_rules! debug {
    ($future:expr) => {
        $future.await
    };
}

#[memtrack("shadowed-macro")]
async fn awaits_through_a_shadowing_macro() -> u8 {
    debug!(async { 1 })
}

fn main() {
    let value = futures_executor::block_on(awaits_through_a_shadowing_macro());
    assert_eq!(value, 1);
}
