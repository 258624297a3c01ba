//! `async fn`: the operation lives inside the fn's future.
//!
//! ```text
//! async fn f(args) -> Ret {
//!     static __MEMTRACK_SITE: Site = Site::new("name");
//!     let __memtrack_meta_0 = to_value(&(expr));          // at first poll
//!     let __memtrack_op = start(&__MEMTRACK_SITE, Kind::Async);
//!     __memtrack_op.add("key", __memtrack_meta_0);
//!     let __memtrack_ret = poll_scoped(&__memtrack_op, async move { <fake return edge> user statements }).await;
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

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use super::op::{self, Kind};
use super::{rebuild, split_attributes};
use crate::args::AttrArgs;
use crate::fake_return::{BodyType, block_with_edge};

/// Wraps an `async fn`.
pub fn expand(args: &AttrArgs, function: ItemFn) -> TokenStream {
    let (outer, inner) = split_attributes(function.attrs.clone());
    let body_type = BodyType::of(&function.sig.output);
    let tracked = tracked_future(args, &body_type, &quote!(move), &function.block);
    let site = op::site(args);
    let body = quote! {
        #(#inner)*
        #site
        #tracked
    };
    rebuild(&function, &outer, body)
}

/// Statements that run `block` (an `async #capture` block's body) as a tracked
/// operation and evaluate to its output. Shared with hand-written futures.
pub fn tracked_future(
    args: &AttrArgs,
    body_type: &BodyType,
    capture: &TokenStream,
    block: &syn::Block,
) -> TokenStream {
    let root = &args.root;
    let op = op::op_local();
    let ret = op::ret_local();
    let begin = op::begin(args, Kind::Async);
    let block = block_with_edge(block, &body_type.edge());
    let end = if body_type.is_never() {
        quote! { match #ret {} }
    } else {
        let finish = op::finish(args);
        quote! { #finish #ret }
    };
    quote! {
        #begin
        let #ret = #root::__private::poll_scoped(&#op, async #capture #block).await;
        #end
    }
}
