//! Every fn shape `#[memtrack]` supports, compiled under the strictest lints a
//! user may set (`cargo clippy --tests` must stay silent on this file), each
//! returning exactly what it would without the attribute.
#![deny(warnings)]
#![deny(clippy::all, clippy::pedantic)]

use std::fmt::{self, Display};
use std::future::Future;
use std::pin::Pin;

use futures_executor::block_on;
use memtrack::{checkpoint, large_alloc, memtrack, record};

#[derive(Debug, PartialEq)]
struct Failure;

impl Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("failure")
    }
}

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
fn future_borrowing(text: &str) -> impl Future<Output = usize> + '_ {
    async { text.len() }
}

#[memtrack("shape-boxed")]
fn boxed(value: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move { value * 2 })
}

#[memtrack("shape-async", value = value)]
async fn asynchronous(value: u32) -> Result<u32, Failure> {
    let parsed: u32 = "5".parse().map_err(|_| Failure)?;
    Ok(value + parsed)
}

#[memtrack("shape-async-unit")]
async fn async_unit() {}

#[memtrack("shape-async-borrow")]
async fn async_borrow(values: &mut [u8]) -> &mut u8 {
    &mut values[0]
}

#[memtrack("shape-async-impl-trait")]
async fn async_impl_trait(value: u32) -> impl Display {
    value + 1
}

struct Service {
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

    #[memtrack("shape-async-method", id = self.id)]
    async fn async_method(&self) -> u32 {
        self.id
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

#[test]
fn sync_shapes() {
    unit();
    explicit_unit();
    assert_eq!(inner_attribute(), 1);
    assert_eq!(metadata(&[1, 2]), 2);
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
}

#[test]
fn async_shapes() {
    assert_eq!(block_on(future(1)), Ok(2));
    assert_eq!(block_on(future(10)), Err(Failure));
    assert_eq!(block_on(future_borrowing("four")), 4);
    assert_eq!(block_on(boxed(2)), 4);
    assert_eq!(block_on(asynchronous(1)), Ok(6));
    block_on(async_unit());
    let mut values = [1_u8, 2];
    *block_on(async_borrow(&mut values)) = 3;
    assert_eq!(values, [3, 2]);
    assert_eq!(block_on(async_impl_trait(1)).to_string(), "2");
}

#[test]
fn method_shapes() {
    let mut service = Service::new();
    *service.by_mut() += 1;
    assert_eq!(service.by_ref(), 2);
    assert_eq!(block_on(service.async_method()), 2);
    assert_eq!(block_on(service.native()), 12);
    assert_eq!(block_on(service.boxed_method(5)), 7);
    assert_eq!(service.by_value(), 2);
}
