use std::future::Future;
use std::pin::Pin;

use memtrack::memtrack;

#[memtrack("fut-var")]
fn future_in_a_variable(x: u32) -> impl Future<Output = u32> {
    let future = async move { x };
    future
}

#[memtrack("fut-cast")]
fn cast_box(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    Box::pin(async move { x }) as Pin<Box<_>>
}

#[memtrack("fut-ready")]
fn made_elsewhere(x: u32) -> impl Future<Output = u32> {
    std::future::ready(x)
}

#[memtrack("fut-early")]
fn returns_early(x: u32) -> Pin<Box<dyn Future<Output = u32> + Send>> {
    if x == 0 {
        return Box::pin(async { 0 });
    }
    Box::pin(async move { x })
}

fn main() {
    let _ = future_in_a_variable(1);
    let _ = cast_box(1);
    let _ = made_elsewhere(1);
    let _ = returns_early(1);
}
