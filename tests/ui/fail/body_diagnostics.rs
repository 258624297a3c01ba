//! Type errors in a tracked body are reported where they would be without the
//! attribute: at the user's expression, with notes pointing at the signature
//! (never at the attribute). The async cases follow `tracing-attributes`'
//! `async_instrument` set.
#![allow(unreachable_code)]

use memtrack::memtrack;

#[memtrack("unit")]
async fn unit() {
    ""
}

#[memtrack("simple-mismatch")]
async fn simple_mismatch() -> String {
    ""
}

#[memtrack("opaque-unsatisfied")]
async fn opaque_unsatisfied() -> impl std::fmt::Display {
    ("",)
}

struct Wrapper<T>(T);

#[memtrack("mismatch-with-opaque")]
async fn mismatch_with_opaque() -> Wrapper<impl std::fmt::Display> {
    ""
}

#[memtrack("early-return-unit")]
async fn early_return_unit() {
    if true {
        return "";
    }
}

#[memtrack("early-return")]
async fn early_return() -> String {
    if true {
        return "";
    }
    String::new()
}

#[memtrack("extra-semicolon")]
async fn extra_semicolon() -> i32 {
    1;
}

#[memtrack("unit-extra-semicolon")]
async fn unit_extra_semicolon(flag: bool) {
    if flag {
        return 1;
    }
    2;
}

#[memtrack("unit-extra-semicolon-awaiting")]
async fn unit_extra_semicolon_awaiting(flag: bool) {
    std::future::ready(()).await;
    if flag {
        return 1;
    }
    2;
}

#[memtrack("sync-unit")]
fn sync_unit() {
    ""
}

#[memtrack("sync-extra-semicolon")]
fn sync_extra_semicolon() -> i32 {
    1;
}

#[memtrack("future-mismatch")]
fn future_mismatch() -> impl std::future::Future<Output = u32> {
    async { "" }
}

fn main() {}
