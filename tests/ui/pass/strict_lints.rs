//! Every supported fn shape, under the strictest lint levels a user may set.
#![deny(warnings)]
#![deny(clippy::all, clippy::pedantic)]
#![deny(rust_2018_idioms, unreachable_pub, unused_qualifications)]

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use futures_executor::block_on;
use memtrack::{checkpoint, large_alloc, memtrack, record};

#[derive(Debug)]
struct Failure;

impl Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failure")
    }
}

#[memtrack("no-return")]
fn no_return() {}

#[memtrack("with-metadata", rows = rows.len(), first = %rows[0], all = ?rows)]
fn with_metadata(rows: &[u32]) -> usize {
    checkpoint!("counted", rows = rows.len());
    record!(total = rows.iter().sum::<u32>());
    large_alloc!("rows", rows.len() * 4, kind = "u32");
    rows.len()
}

#[memtrack("result")]
fn result(input: &str) -> Result<u32, Failure> {
    let value: u32 = input.parse().map_err(|_| Failure)?;
    if value == 0 {
        return Err(Failure);
    }
    Ok(value)
}

#[memtrack("borrow-mut")]
fn borrow_mut(values: &mut [u8]) -> &mut u8 {
    &mut values[0]
}

#[memtrack("never")]
fn never() -> ! {
    panic!("never returns")
}

#[memtrack("generic", value = %value)]
fn generic<T>(value: T) -> Vec<T>
where
    T: Display + Clone,
{
    vec![value.clone(), value]
}

#[memtrack("impl-trait")]
fn impl_trait(value: impl Display) -> impl Display {
    format!("<{value}>")
}

#[memtrack("unsafe")]
unsafe fn read(pointer: *const u8) -> u8 {
    // SAFETY: the caller passes a valid pointer.
    unsafe { *pointer }
}

#[memtrack("future")]
fn future(value: u32) -> impl Future<Output = Result<u32, Failure>> {
    let next = value + 1;
    async move {
        if next > 10 {
            return Err(Failure);
        }
        Ok(next)
    }
}

#[memtrack("boxed")]
fn boxed(value: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move { value * 2 })
}

#[memtrack("async", value = value)]
async fn asynchronous(value: u32) -> Result<u32, Failure> {
    let parsed: u32 = "5".parse().map_err(|_| Failure)?;
    Ok(value + parsed)
}

#[memtrack("async-borrow")]
async fn async_borrow(values: &mut [u8]) -> &mut u8 {
    &mut values[0]
}

struct Service {
    id: u32,
}

impl Service {
    #[memtrack("constructor")]
    fn new() -> Self {
        Service { id: 1 }
    }

    #[memtrack("by-ref", id = self.id)]
    fn by_ref(&self) -> u32 {
        self.id
    }

    #[memtrack("by-mut")]
    fn by_mut(&mut self) -> &mut u32 {
        &mut self.id
    }

    #[memtrack("by-value")]
    fn by_value(self) -> u32 {
        self.id
    }

    #[memtrack("async-method", id = self.id)]
    async fn async_method(&self) -> u32 {
        self.id
    }
}

trait Native {
    async fn native(&self) -> u32;
}

impl Native for Service {
    #[memtrack("native")]
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
    #[memtrack("async-trait", bonus = extra)]
    async fn boxed_method(&self, extra: u32) -> u32 {
        self.id + extra
    }
}

fn main() {
    no_return();
    assert_eq!(with_metadata(&[1, 2]), 2);
    assert_eq!(result("4").ok(), Some(4));
    let mut values = [1_u8, 2];
    *borrow_mut(&mut values) = 9;
    assert_eq!(values[0], 9);
    // The panic is expected: keep its message out of the test output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    assert!(std::panic::catch_unwind(|| never()).is_err());
    std::panic::set_hook(hook);
    assert_eq!(generic(3).len(), 2);
    assert_eq!(impl_trait(4).to_string(), "<4>");
    // SAFETY: the pointer comes from a live reference.
    assert_eq!(unsafe { read(&7) }, 7);

    assert_eq!(block_on(future(1)).ok(), Some(2));
    assert_eq!(block_on(boxed(2)), 4);
    assert_eq!(block_on(asynchronous(1)).ok(), Some(6));
    *block_on(async_borrow(&mut values)) = 3;
    assert_eq!(values[0], 3);
    let mut service = Service::new();
    *service.by_mut() += 1;
    assert_eq!(service.by_ref(), 2);
    assert_eq!(block_on(service.async_method()), 2);
    assert_eq!(block_on(service.native()), 12);
    assert_eq!(block_on(service.boxed_method(5)), 7);
    assert_eq!(service.by_value(), 2);
}
