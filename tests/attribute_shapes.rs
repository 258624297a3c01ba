//! Every fn shape `#[memtrack]` supports (the catalogue shared with
//! `tests/ui/pass/strict_lints.rs`), run under the strictest lints a user may
//! set: `cargo clippy --tests` must stay silent on this file, and every shape
//! returns exactly what it would without the attribute.
#![deny(warnings)]
#![deny(clippy::all, clippy::pedantic)]

#[path = "attribute_catalogue/mod.rs"]
mod catalogue;

#[test]
fn sync_shapes() {
    catalogue::check_sync();
}

#[test]
fn async_shapes() {
    catalogue::check_async();
}

#[test]
fn method_shapes() {
    catalogue::check_methods();
}
