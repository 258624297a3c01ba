//! Every fn shape `#[memtrack]` supports, each returning exactly what it would
//! without the attribute. Written once, compiled twice:
//!
//! - by `tests/attribute_shapes.rs`, which runs the checks below as tests under
//!   `#![deny(warnings, clippy::all, clippy::pedantic)]` (the workspace's
//!   `cargo clippy --all-targets` keeps it silent, and its `#[expect]`s make
//!   sure the user's own lints still reach the user's code);
//! - by `tests/ui/pass/strict_lints.rs`, a crate of its own with the strictest
//!   rustc lint levels (`unreachable_pub`, `unused_qualifications`, ...).

use std::fmt::{self, Display};
use std::future::{Future, ready};
use std::pin::Pin;

use futures_executor::block_on;
use memtrack::{checkpoint, large_alloc, memtrack, record};

#[derive(Debug, PartialEq)]
pub(crate) struct Failure;

impl Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("failure")
    }
}

// ---- sync fns -------------------------------------------------------------

#[memtrack("shape-unit")]
fn unit() {}

#[memtrack("shape-explicit-unit")]
#[allow(clippy::unused_unit)]
fn explicit_unit() -> () {}

#[memtrack("shape-inner-attribute")]
fn inner_attribute() -> u32 {
    #![allow(clippy::identity_op)]
    1 + 0
}

#[memtrack("shape-metadata", rows = rows.len(), first = %rows[0], all = ?rows)]
fn metadata(rows: &[u32]) -> usize {
    checkpoint!("shape-counted", rows = rows.len());
    record!(total = rows.iter().sum::<u32>());
    large_alloc!("shape-rows", rows.len() * 4, kind = "u32");
    rows.len()
}

#[memtrack("shape-field-forms", http.method = %method, user.id = id, id, %method, ?rows.len, self.kind = 1)]
fn field_forms(method: &str, id: u64, rows: &Rows) -> u64 {
    checkpoint!("shape-field-forms-half", id, db.rows = rows.len);
    record!(%method, rows.len = rows.len);
    id
}

pub(crate) struct Rows {
    len: usize,
}

#[memtrack("shape-result")]
fn result(input: &str) -> Result<u32, Failure> {
    let value: u32 = input.parse().map_err(|_| Failure)?;
    if value == 0 {
        return Err(Failure);
    }
    Ok(value)
}

#[memtrack("shape-borrow-mut")]
fn borrow_mut(values: &mut [u8]) -> &mut u8 {
    &mut values[0]
}

#[memtrack("shape-never")]
fn never() -> ! {
    panic!("never returns")
}

#[memtrack("shape-generic", value = %value)]
fn generic<T>(value: T) -> Vec<T>
where
    T: Display + Clone,
{
    vec![value.clone(), value]
}

#[memtrack("shape-impl-trait")]
fn impl_trait(value: impl Display) -> impl Display {
    format!("<{value}>")
}

#[memtrack("shape-nested-impl-trait")]
fn nested_impl_trait(limit: u32) -> Option<impl Iterator<Item = u32>> {
    (limit > 0).then_some(0..limit)
}

#[memtrack("shape-unsafe")]
unsafe fn read(pointer: *const u8) -> u8 {
    // SAFETY: the caller passes a pointer to a live `u8`.
    unsafe { *pointer }
}

/// The name of a type the body declares again.
type Count = u32;

#[memtrack("shape-body-declares-the-return-type")]
fn body_declares_the_return_type() -> Count {
    struct Count(u32);
    let local = Count(2);
    local.0
}

#[memtrack("shape-body-imports-the-return-type")]
fn body_imports_the_return_type(out: &mut String) -> Result<usize, Failure> {
    use std::fmt::{Result, Write};
    let written: Result = write!(out, "shadowed");
    written.map_err(|_| Failure)?;
    Ok(out.len())
}

/// Runs every sync shape.
pub(crate) fn check_sync() {
    unit();
    explicit_unit();
    assert_eq!(inner_attribute(), 1);
    assert_eq!(metadata(&[1, 2]), 2);
    assert_eq!(field_forms("GET", 7, &Rows { len: 3 }), 7);
    assert_eq!(result("4"), Ok(4));
    assert_eq!(result("0"), Err(Failure));
    let mut values = [1_u8, 2];
    *borrow_mut(&mut values) = 9;
    assert_eq!(values, [9, 2]);
    assert!(std::panic::catch_unwind(|| never()).is_err());
    assert_eq!(generic(3), [3, 3]);
    assert_eq!(impl_trait(4).to_string(), "<4>");
    assert_eq!(nested_impl_trait(3).map(Iterator::count), Some(3));
    // SAFETY: the pointer comes from a live reference.
    assert_eq!(unsafe { read(&7) }, 7);
    assert_eq!(body_declares_the_return_type(), 2);
    let mut out = String::new();
    assert_eq!(body_imports_the_return_type(&mut out), Ok(8));
}

// ---- futures ---------------------------------------------------------------

#[memtrack("shape-future")]
fn future(value: u32) -> impl Future<Output = Result<u32, Failure>> {
    let next = value + 1;
    async move {
        if next > 10 {
            return Err(Failure);
        }
        Ok(next)
    }
}

#[memtrack("shape-future-borrowing")]
#[expect(clippy::manual_async_fn, reason = "the lint stays the user's")]
fn future_borrowing(text: &str) -> impl Future<Output = usize> + '_ {
    async { text.len() }
}

#[memtrack("shape-future-imports-the-output-type")]
fn future_imports_the_output_type() -> impl Future<Output = Result<usize, Failure>> + Send {
    use std::fmt::{Result, Write};
    let mut out = String::new();
    let written: Result = write!(out, "abc");
    async move {
        written.map_err(|_| Failure)?;
        Ok(ready(out.len()).await)
    }
}

#[memtrack("shape-boxed")]
fn boxed(value: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move { value * 2 })
}

/// A boxed future spelled through an alias, as `futures::future::BoxFuture`.
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[memtrack("shape-boxed-alias")]
fn boxed_alias(input: &str) -> BoxFuture<'_, Result<u32, Failure>> {
    Box::pin(async move {
        let value: u32 = input.parse().map_err(|_| Failure)?;
        Ok(ready(value).await)
    })
}

#[memtrack("shape-async", value = value)]
#[expect(clippy::unused_async, reason = "the lint stays the user's")]
async fn asynchronous(value: u32) -> Result<u32, Failure> {
    let parsed: u32 = "5".parse().map_err(|_| Failure)?;
    Ok(value + parsed)
}

#[memtrack("shape-async-awaiting", value = value)]
async fn async_awaiting(value: u32) -> Result<u32, Failure> {
    let parsed: u32 = ready("5").await.parse().map_err(|_| Failure)?;
    Ok(value + parsed)
}

#[memtrack("shape-async-unit")]
#[expect(clippy::unused_async, reason = "the lint stays the user's")]
async fn async_unit() {}

#[memtrack("shape-async-borrow")]
#[expect(clippy::unused_async, reason = "the lint stays the user's")]
async fn async_borrow(values: &mut [u8]) -> &mut u8 {
    &mut values[0]
}

#[memtrack("shape-async-borrow-awaiting")]
async fn async_borrow_awaiting(values: &mut [u8]) -> &mut u8 {
    let index = ready(1).await;
    &mut values[index]
}

#[memtrack("shape-async-impl-trait")]
async fn async_impl_trait(value: u32) -> impl Display {
    ready(value + 1).await
}

#[memtrack("shape-async-never")]
async fn async_never() -> ! {
    ready(()).await;
    panic!("never returns")
}

#[memtrack("shape-async-body-imports-the-return-type")]
async fn async_body_imports_the_return_type(out: &mut String) -> Result<usize, Failure> {
    use std::fmt::{Result, Write};
    let written: Result = write!(out, "{}", ready("shadowed").await);
    written.map_err(|_| Failure)?;
    Ok(out.len())
}

#[memtrack("shape-async-body-declares-the-return-type")]
#[expect(clippy::unused_async, reason = "the lint stays the user's")]
async fn async_body_declares_the_return_type() -> Count {
    struct Count(u32);
    let local = Count(3);
    local.0
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

/// Runs every future shape; the futures stay `Send`.
pub(crate) fn check_async() {
    assert_eq!(block_on(assert_send(future(1))), Ok(2));
    assert_eq!(block_on(future(10)), Err(Failure));
    assert_eq!(block_on(assert_send(future_borrowing("four"))), 4);
    assert_eq!(
        block_on(assert_send(future_imports_the_output_type())),
        Ok(3)
    );
    assert_eq!(block_on(boxed(2)), 4);
    assert_eq!(block_on(boxed_alias("6")), Ok(6));
    assert_eq!(block_on(boxed_alias("x")), Err(Failure));
    assert_eq!(block_on(assert_send(asynchronous(1))), Ok(6));
    assert_eq!(block_on(assert_send(async_awaiting(1))), Ok(6));
    block_on(assert_send(async_unit()));
    let mut values = [1_u8, 2];
    *block_on(assert_send(async_borrow(&mut values))) = 3;
    *block_on(assert_send(async_borrow_awaiting(&mut values))) = 4;
    assert_eq!(values, [3, 4]);
    assert_eq!(block_on(async_impl_trait(1)).to_string(), "2");
    let never = assert_send(async_never());
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| block_on(never))).is_err());
    let mut out = String::new();
    assert_eq!(
        block_on(assert_send(async_body_imports_the_return_type(&mut out))),
        Ok(8)
    );
    assert_eq!(block_on(async_body_declares_the_return_type()), 3);
}

// ---- methods ---------------------------------------------------------------

pub(crate) struct Service {
    id: u32,
}

impl Service {
    #[memtrack("shape-constructor")]
    fn new() -> Self {
        Service { id: 1 }
    }

    #[memtrack("shape-by-ref", id = self.id)]
    fn by_ref(&self) -> u32 {
        self.id
    }

    #[memtrack("shape-by-mut")]
    fn by_mut(&mut self) -> &mut u32 {
        &mut self.id
    }

    #[memtrack("shape-by-value")]
    fn by_value(self) -> u32 {
        self.id
    }

    #[memtrack("shape-async-method", ?self.id)]
    async fn async_method(&self) -> u32 {
        ready(self.id).await
    }
}

trait Native {
    async fn native(&self) -> u32;
}

impl Native for Service {
    #[memtrack("shape-native")]
    async fn native(&self) -> u32 {
        self.id + 10
    }
}

#[async_trait::async_trait]
trait Boxed {
    async fn boxed_method(&self, extra: u32) -> u32;
}

#[async_trait::async_trait]
impl Boxed for Service {
    #[memtrack("shape-async-trait", bonus = extra)]
    async fn boxed_method(&self, extra: u32) -> u32 {
        self.id + extra
    }
}

/// Runs every method shape.
pub(crate) fn check_methods() {
    let mut service = Service::new();
    *service.by_mut() += 1;
    assert_eq!(service.by_ref(), 2);
    assert_eq!(block_on(service.async_method()), 2);
    assert_eq!(block_on(service.native()), 12);
    assert_eq!(block_on(service.boxed_method(5)), 7);
    assert_eq!(service.by_value(), 2);
}
