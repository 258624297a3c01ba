//! Procedural macros of [memtrack](https://docs.rs/memtrack): `#[memtrack]`,
//! `checkpoint!`, `large_alloc!` and `record!`.
//!
//! Use them through the `memtrack` crate, which re-exports them; this crate is
//! an implementation detail. Generated code reaches the runtime only through
//! `::memtrack::__private` (hidden from the docs), or through the path given with
//! `crate = "path"` when `memtrack` is re-exported under another name.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod expand;
mod fake_return;
mod fields;
mod function_like;
mod reserved;

use proc_macro::TokenStream;

/// Tracks every call of a fn as a memtrack operation.
///
/// ```text
/// #[memtrack("name")]
/// #[memtrack("name", key = expr, key2 = %expr, key3 = ?expr)]
/// #[memtrack("name", http.method = %method, user.id = id)]
/// #[memtrack("name", n, %url, ?req, ?self.id)]
/// #[memtrack("name", crate = "path::to::memtrack")]
/// ```
///
/// - `"name"`: the operation name, a non-empty string literal, first (not `untracked`
///   or `other`, the names of memtrack's own buckets).
/// - Metadata fields, the forms `#[tracing::instrument]`'s `fields(..)` takes,
///   written directly after the name:
///   - `key = expr` records the value through `memtrack`'s value conversion
///     (numbers, booleans, strings), `key = %expr` its `Display` text and
///     `key = ?expr` its `Debug` text;
///   - a key is a name or several joined by dots (`http.method`, `user.id`),
///     and is written as such, dots included, as a top-level key of the JSON
///     logs (`"http.method":"GET"`); keywords are names too (`type = ..`, also
///     `r#type`, which is written `type`);
///   - a field without a value names a variable or a field path and is recorded
///     under that name: `n`, `%url`, `?req` and `?self.id` are
///     `n = n`, `url = %url`, `req = ?req` and `self.id = ?self.id`.
///
///   Each key at most once, and not one of memtrack's own field names (`op_id`,
///   `op_name`, `duration_ms`, `success`, `error`, `ended_by`, `event`, ...).
///   Expressions are evaluated once, by reference (they never move an
///   argument), before the operation starts: at the call for a sync fn, at the
///   first poll for a future.
/// - `crate = "path"`: the path the generated code reaches memtrack through,
///   `::memtrack` by default (for crates that re-export memtrack).
///
/// Any other argument is an error pointing at it. The options of
/// `#[tracing::instrument]` (`skip`, `skip_all`, `fields(..)`, `err`, `ret`,
/// `level`, `target`) are answered with what to write instead.
///
/// It applies to sync fns, `async fn`s (free, methods, native async trait
/// methods with a body), generic fns, `unsafe fn`s, fns returning borrows,
/// `-> !`, fns returning `impl Future` whose last expression is an `async`
/// block, and fns whose last expression is `Box::pin(async ..)` (which is what
/// `#[async_trait]` produces, so it also works inside `#[async_trait]` impls).
/// It does not apply to `const fn`s or to trait methods without a body, and it
/// rejects `#[track_caller]` (the body runs in a closure or a future, which would
/// not see the caller's location). A fn that returns a future built otherwise
/// (kept in a variable, made by another fn, cast) is an error that says to end
/// the body with one of the two shapes or to track the future with
/// `.track("name")`. The name is at most 128 characters. The expansion allows a
/// few lints for the code it adds (`unreachable_code`, `unused_imports`), so a
/// crate that `forbid`s those (rather than `deny`ing them) cannot use the
/// attribute.
///
/// The operation ends when the call returns (`ok`, or `err` when the fn returns a
/// `Result::Err`, with the error's `Display` text, else its `Debug` text, else
/// `error of type <its type>`: in a generic fn the error type has no bound the
/// attribute could use), when it panics (`panic`), or, for a future dropped after its first
/// poll and before completion, `cancelled`. A future that is never polled starts
/// no operation. `return` and `?` behave exactly as without the attribute.
///
/// # The body stays the user's
///
/// The body keeps its own scope: nothing it declares (`use std::fmt::Result;`,
/// a local type) changes what the signature's types mean. Type errors in the
/// body are reported at the user's code, with rustc's notes pointing at the
/// signature.
///
/// rustc and clippy lint the body as they would without the attribute,
/// `clippy::needless_return`, `let_and_return` and `manual_async_fn`
/// included, and `clippy::unused_async`: an `async fn` whose body has no
/// `.await` runs that body in its first poll, with no `.await` of the
/// expansion's making. (A body that calls a macro memtrack does not know, which
/// might expand to an `.await`, is taken as awaiting and not reported; the
/// standard, `tracing` and memtrack macros are known.) The generated code itself
/// is clean under `#![deny(warnings)]`, `clippy::all` and `clippy::pedantic`.
///
/// Two clippy lints judge the fn as a whole and cannot see through the
/// expansion, which runs the body in a closure or an inner future and returns
/// its result after ending the operation:
///
/// - `clippy::unnecessary_wraps` (a private fn that always returns `Ok` or
///   `Some`): not reported;
/// - `clippy::needless_pass_by_value` (an argument taken by value and only
///   used by reference): not reported, as the body's closure or future takes
///   its arguments by value.
///
/// ```
/// use memtrack::memtrack;
///
/// #[memtrack("parse-config", bytes = input.len())]
/// fn parse(input: &str) -> Result<u32, std::num::ParseIntError> {
///     input.trim().parse()
/// }
///
/// #[memtrack("load-user", user.id = %id)]
/// async fn load(id: u64) -> String {
///     format!("user {id}")
/// }
///
/// assert_eq!(parse(" 7 "), Ok(7));
/// assert_eq!(futures_executor::block_on(load(3)), "user 3");
/// ```
#[proc_macro_attribute]
pub fn memtrack(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::memtrack(args.into(), item.into()).into()
}

/// Records a checkpoint of the current operation.
///
/// ```text
/// checkpoint!("name")
/// checkpoint!("name", key = expr, key2 = %expr, key3 = ?expr)
/// ```
///
/// The name is a non-empty string literal; fields follow the same rules as in
/// `#[memtrack]` (`key = expr`, dotted keys, `%var` and `?var`). Each expression is evaluated exactly once, by reference. The
/// expansion calls `::memtrack::__private::checkpoint`; a crate that reaches
/// memtrack under another path writes `crate = "path"` first:
/// `checkpoint!(crate = "my::memtrack", "name")`.
///
/// ```
/// use memtrack::{checkpoint, memtrack};
///
/// #[memtrack("import")]
/// fn import(rows: &[u32]) -> usize {
///     checkpoint!("loaded", rows = rows.len());
///     rows.len()
/// }
///
/// assert_eq!(import(&[1, 2, 3]), 3);
/// ```
#[proc_macro]
pub fn checkpoint(input: TokenStream) -> TokenStream {
    function_like(input, |parsed: function_like::Checkpoint| parsed.expand())
}

/// Reports a large allocation (an estimate in bytes) with a context name.
///
/// ```text
/// large_alloc!("context", bytes)
/// large_alloc!("context", bytes, key = expr, ...)
/// ```
///
/// `bytes` is any integer expression (negative values count as 0), evaluated
/// exactly once. The expansion calls `::memtrack::__private::large_alloc`; write
/// `crate = "path"` first to use another path.
///
/// ```
/// use memtrack::large_alloc;
///
/// let body = vec![0_u8; 1024];
/// large_alloc!("response-body", body.len(), source = "example");
/// ```
#[proc_macro]
pub fn large_alloc(input: TokenStream) -> TokenStream {
    function_like(input, |parsed: function_like::LargeAlloc| parsed.expand())
}

/// Adds metadata to the current operation.
///
/// ```text
/// record!(key = expr, key2 = %expr, key3 = ?expr)
/// ```
///
/// At least one field; the same rules as in `#[memtrack]`. Each expression is
/// evaluated exactly once. The expansion calls
/// `::memtrack::__private::record`; write `crate = "path"` first to use
/// another path.
///
/// ```
/// use memtrack::{memtrack, record};
///
/// #[memtrack("render")]
/// fn render(items: &[&str]) -> String {
///     let page = items.join("\n");
///     record!(items = items.len(), page_bytes = page.len());
///     page
/// }
///
/// assert_eq!(render(&["a", "b"]), "a\nb");
/// ```
#[proc_macro]
pub fn record(input: TokenStream) -> TokenStream {
    function_like(input, |parsed: function_like::Record| parsed.expand())
}

/// Parses a function-like macro's input and expands it, or reports the error.
fn function_like<T: syn::parse::Parse>(
    input: TokenStream,
    expand: impl FnOnce(T) -> proc_macro2::TokenStream,
) -> TokenStream {
    match syn::parse::<T>(input) {
        Ok(parsed) => expand(parsed).into(),
        Err(error) => error.to_compile_error().into(),
    }
}
