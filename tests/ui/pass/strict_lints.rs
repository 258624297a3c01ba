//! Every supported fn shape (the catalogue shared with
//! `tests/attribute_shapes.rs`), under the strictest lint levels a user may set.
#![deny(warnings)]
#![deny(clippy::all, clippy::pedantic)]
#![deny(rust_2018_idioms, unreachable_pub, unused_qualifications)]

#[path = "../../attribute_catalogue/mod.rs"]
mod catalogue;

fn main() {
    // The panics are expected: keep their messages out of the test output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    catalogue::check_sync();
    catalogue::check_async();
    std::panic::set_hook(hook);
    catalogue::check_methods();
}
