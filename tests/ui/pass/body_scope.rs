//! What the body declares never changes what the signature's types mean: the
//! cases of the issue this fixed, written as users wrote them, sync and async.
#![allow(dead_code, unused_imports)]

use std::future::Future;

use memtrack::memtrack;

type Foo = ();

enum Bar {
    Foo,
}

#[memtrack("glob-import")]
fn glob_import() -> Foo {
    // The glob import brings `Bar::Foo` into the body, shadowing `Foo`.
    use Bar::*;
}

#[memtrack("glob-import-async")]
async fn glob_import_async() -> Foo {
    use Bar::*;
}

#[memtrack("glob-import-awaiting")]
async fn glob_import_awaiting() -> Foo {
    use Bar::*;
    std::future::ready(()).await;
}

#[memtrack("glob-import-future")]
fn glob_import_future() -> impl Future<Output = Foo> {
    use Bar::*;
    async {}
}

#[memtrack("write-it")]
fn write_it(out: &mut String) -> Result<usize, String> {
    use std::fmt::{Result, Write};
    let written: Result = write!(out, "written");
    written.map_err(|error| error.to_string())?;
    Ok(out.len())
}

#[memtrack("write-it-async")]
async fn write_it_async(out: &mut String) -> Result<usize, String> {
    use std::fmt::{Result, Write};
    let written: Result = write!(out, "{}", std::future::ready("written").await);
    written.map_err(|error| error.to_string())?;
    Ok(out.len())
}

fn main() {
    use futures_executor::block_on;
    glob_import();
    block_on(glob_import_async());
    block_on(glob_import_awaiting());
    block_on(glob_import_future());
    let mut out = String::new();
    assert_eq!(write_it(&mut out), Ok(7));
    assert_eq!(block_on(write_it_async(&mut out)), Ok(14));
}
