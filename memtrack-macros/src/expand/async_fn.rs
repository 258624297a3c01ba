//! `async fn`: the operation lives inside the fn's future.
//!
//! ```text
//! async fn f(args) -> Ret {
//!     static __MEMTRACK_SITE: Site = Site::new("name");
//!     let __memtrack_meta_0 = to_value(&(expr));          // at first poll
//!     let __memtrack_op = start(&__MEMTRACK_SITE, Kind::Async);
//!     __memtrack_op.add("key", __memtrack_meta_0);
//!     let __memtrack_ret = poll_scoped(&__memtrack_op, async move { <fake return edge> { user block } }).await;
//!     finish(&__memtrack_op, <outcome of &__memtrack_ret>);
//!     __memtrack_ret
//! }
//! ```
//!
//! Nothing runs before the first poll, so a future that is never polled starts
//! no operation. Dropping the future after its first poll drops the guard
//! unfinished, which the runtime reads as cancellation; a panic inside a poll
//! unwinds through the guard and reads as a panic. Each poll of the inner block
//! runs inside the operation's attribution frame.
//!
//! A body that never awaits (see [`awaits`]) completes in its
//! first poll: it runs as a closure, exactly like a sync fn's body, and the
//! fn's own body then has no `.await` of the expansion's making, so
//! `clippy::unused_async` still reports an `async fn` that need not be one.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ItemFn;

use super::op::{self, Kind};
use super::{awaits, params, rebuild, split_attributes, sync_fn};
use crate::args::AttrArgs;
use crate::fake_return::{BodyType, with_edge};

/// Wraps an `async fn`.
pub fn expand(args: &AttrArgs, function: &ItemFn) -> TokenStream {
    let (outer, inner) = split_attributes(function.attrs.clone());
    let site = op::site(args);
    let mut function = function.clone();
    let rebind = params::move_in(&mut function.sig, &function.block);
    let tracked = if awaits::may_await(&function.block) {
        tracked_future(args, &function, &rebind)
    } else {
        sync_fn::tracked_call(args, Kind::Async, &function, &rebind)
    };
    let body = quote! {
        #(#inner)*
        #site
        #tracked
    };
    rebuild(&function, &outer, body)
}

/// Statements that poll the fn's block as an inner future inside the operation
/// and evaluate to its output.
fn tracked_future(args: &AttrArgs, function: &ItemFn, rebind: &TokenStream) -> TokenStream {
    let root = &args.root;
    let body_type = BodyType::of(&function.sig);
    let block = with_edge(&function.block, &body_type.edge());
    let op = op::op_local();
    let ret = op::ret_local();
    let begin = op::begin(args, Kind::Async);
    let future =
        quote_spanned! {function.block.brace_token.span.join()=> async move { #rebind #block } };
    let end = if body_type.is_never() {
        quote! { match #ret {} }
    } else {
        let finish = op::finish(args);
        quote! { #finish #ret }
    };
    quote! {
        #begin
        let #ret = #root::__private::poll_scoped(&#op, #future).await;
        #end
    }
}
