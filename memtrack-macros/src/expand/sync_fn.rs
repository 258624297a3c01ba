//! Sync fns: the body runs as a closure inside the operation.
//!
//! ```text
//! fn f(args) -> Ret {
//!     static __MEMTRACK_SITE: Site = Site::new("name");
//!     let __memtrack_meta_0 = to_value(&(expr));          // metadata, once, by reference
//!     let __memtrack_op = start(&__MEMTRACK_SITE, Kind::Sync);
//!     __memtrack_op.add("key", __memtrack_meta_0);
//!     let __memtrack_ret = call_sync(&__memtrack_op, move || { <fake return edge> { user block } });
//!     finish(&__memtrack_op, <outcome of &__memtrack_ret>);
//!     __memtrack_ret
//! }
//! ```
//!
//! The closure is handed straight to a generic `FnOnce` parameter, so it is a
//! `FnOnce` closure and may return borrows of `&mut` arguments it captured
//! (calling `(move || ..)()` in place would infer `FnMut` and reject those).
//! A panic in the body unwinds through the guard, whose `Drop` records it.
//! `-> !` bodies are typed as `Infallible` and matched on, so no code follows a
//! diverging expression.
//!
//! The closure is spanned at the user's block, so the compiler and lints treat
//! it as the body it is (`clippy::needless_return` looks into closures written
//! by the user, not into closures a macro made up).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ItemFn;

use super::op::{self, Kind};
use super::params;
use super::{rebuild, split_attributes};
use crate::args::AttrArgs;
use crate::fake_return::{BodyType, with_edge};

/// Wraps a sync fn.
pub fn expand(args: &AttrArgs, function: &ItemFn) -> TokenStream {
    let (outer, inner) = split_attributes(function.attrs.clone());
    let site = op::site(args);
    let mut function = function.clone();
    let rebind = params::move_in(&mut function.sig, &function.block);
    let tracked = tracked_call(args, Kind::Sync, &function, &rebind);
    let body = quote! {
        #(#inner)*
        #site
        #tracked
    };
    rebuild(&function, &outer, body)
}

/// Statements that run the fn's block as a closure inside an operation of
/// `kind` and evaluate to its result, the closure starting with `rebind` (see
/// [`params`]). Also used for `async fn`s that never await.
pub fn tracked_call(
    args: &AttrArgs,
    kind: Kind,
    function: &ItemFn,
    rebind: &TokenStream,
) -> TokenStream {
    let root = &args.root;
    let body_type = BodyType::of(&function.sig);
    let block = with_edge(&function.block, &body_type.edge());
    let op = op::op_local();
    let ret = op::ret_local();
    let begin = op::begin(args, kind);
    let closure =
        quote_spanned! {function.block.brace_token.span.join()=> move || { #rebind #block } };
    let end = if body_type.is_never() {
        quote! { match #ret {} }
    } else {
        let finish = op::finish(args);
        quote! { #finish #ret }
    };
    quote! {
        #begin
        let #ret = #root::__private::call_sync(&#op, #closure);
        #end
    }
}
