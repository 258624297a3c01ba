//! A known macro (`println!`, `assert_eq!`, `vec!`) whose input calls another
//! macro that awaits still compiles under the attribute: the inner macro may
//! expand to an `.await`.
#![deny(warnings)]

use memtrack::memtrack;

macro_rules! wait {
    ($future:expr) => {
        $future.await
    };
}

async fn one() -> u8 {
    1
}

#[memtrack("macro-inside-known-macro")]
async fn awaits_inside_known_macros() -> Vec<u8> {
    assert_eq!(wait!(one()), 1);
    println!("{}", wait!(one()));
    vec![wait!(one()), 2]
}

fn main() {
    let values = futures_executor::block_on(awaits_inside_known_macros());
    assert_eq!(values, [1, 2]);
}
