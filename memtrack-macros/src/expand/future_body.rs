//! Fns that return a future they build from an `async` block.
//!
//! Two shapes are recognised by the last expression of the body:
//!
//! - `async [move] { .. }` (a fn returning `impl Future`),
//! - `Box::pin(async [move] { .. })` (a boxed future, which is also what
//!   `#[async_trait]` makes of an `async fn`).
//!
//! The `async` block is wrapped in one that starts the operation at its first
//! poll, exactly as for an `async fn`, and polls the user's block, unchanged,
//! inside it; the statements before it run untracked when the fn is called.
//! The new block keeps the capture mode the user wrote.
//!
//! ```text
//! fn f(args) -> impl Future<Output = T> {
//!     user statements
//!     async move {
//!         static __MEMTRACK_SITE: Site = Site::new("name");
//!         <bridge: this block's output, as the compiler infers it>
//!         <metadata and start, as for an async fn>
//!         let __memtrack_ret = poll_scoped(&__memtrack_op, <bridge>(async move { user statements })).await;
//!         finish(&__memtrack_op, <outcome of &__memtrack_ret>);
//!         __memtrack_ret
//!     }
//! }
//! ```
//!
//! The output type is not copied from the signature: the user's statements
//! before the block are in scope there and could give its name another meaning,
//! and the type may be spelled through an alias (`BoxFuture<'_, T>`) or not at
//! all. The [`bridge`] hands the compiler's own answer to the user's block.
//! Nothing is added before the user's statements, so `clippy::manual_async_fn`
//! still sees a body that is one `async` block.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, ExprAsync, ItemFn, ReturnType, Stmt};

use super::op::{self, Kind};
use super::{rebuild, split_attributes};
use crate::args::AttrArgs;
use crate::fake_return::bridge;

/// Wraps the trailing `async` block of `function`, or gives the fn back when
/// its body has no such block.
pub fn expand(args: &AttrArgs, mut function: ItemFn) -> Result<TokenStream, Box<ItemFn>> {
    let output_span = match &function.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => function.sig.ident.span(),
    };
    let Some(async_expr) = trailing_async_block(&mut function) else {
        return Err(Box::new(function));
    };
    let Expr::Async(async_block) = async_expr.clone() else {
        return Err(Box::new(function));
    };
    *async_expr = Expr::Verbatim(tracked_block(args, &async_block, output_span));
    let (outer, inner) = split_attributes(function.attrs.clone());
    let stmts = &function.block.stmts;
    let body = quote! {
        #(#inner)*
        #(#stmts)*
    };
    Ok(rebuild(&function, &outer, body))
}

/// The user's `async` block, tracked.
fn tracked_block(args: &AttrArgs, user: &ExprAsync, output_span: Span) -> TokenStream {
    let ExprAsync {
        attrs,
        async_token,
        capture,
        block,
    } = user;
    let root = &args.root;
    let op = op::op_local();
    let ret = op::ret_local();
    let site = op::site(args);
    let declare = bridge::declare(output_span);
    let begin = op::begin(args, Kind::Async);
    let finish = op::finish(args);
    let inner = quote! { #async_token #capture #block };
    let inner = bridge::typed(&inner, output_span);
    let mut tokens = quote! { #(#attrs)* };
    tokens.extend(quote_spanned! {async_token.span=> async #capture });
    block.brace_token.surround(&mut tokens, |tokens| {
        tokens.extend(quote! {
            #site
            #declare
            #begin
            let #ret = #root::__private::poll_scoped(&#op, #inner).await;
            #finish
            #ret
        });
    });
    tokens
}

/// The `async` block the body ends with, directly or inside `Box::pin(..)`.
fn trailing_async_block(function: &mut ItemFn) -> Option<&mut Expr> {
    let Some(Stmt::Expr(last, None)) = function.block.stmts.last_mut() else {
        return None;
    };
    match last {
        Expr::Async(_) => Some(last),
        Expr::Call(call) if is_box_pin(&call.func) && call.args.len() == 1 => {
            match call.args.first_mut() {
                Some(inner @ Expr::Async(_)) => Some(inner),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The span of `function`'s return type when it names a future (`impl Future`,
/// `dyn Future`, `BoxFuture`, `LocalBoxFuture`): a fn that returns a future its
/// body does not end by building from an `async` block cannot be tracked over the
/// future's run.
pub fn returned_future(function: &ItemFn) -> Option<Span> {
    let ReturnType::Type(_, ty) = &function.sig.output else {
        return None;
    };
    names_future(quote!(#ty)).then(|| ty.span())
}

/// The first `return` of `function`'s own body (not of a closure, an `async`
/// block or an item inside it).
pub fn early_return(function: &ItemFn) -> Option<Span> {
    struct FindReturn(Option<Span>);
    impl<'ast> Visit<'ast> for FindReturn {
        fn visit_expr_return(&mut self, node: &'ast syn::ExprReturn) {
            self.0.get_or_insert(node.return_token.span);
        }
        fn visit_expr_async(&mut self, _: &'ast ExprAsync) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = FindReturn(None);
    finder.visit_block(&function.block);
    finder.0
}

fn names_future(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|token| match token {
        proc_macro2::TokenTree::Ident(ident) => {
            ident == "Future" || ident == "BoxFuture" || ident == "LocalBoxFuture"
        }
        proc_macro2::TokenTree::Group(group) => names_future(group.stream()),
        _ => false,
    })
}

/// Whether `func` is a path ending in `Box::pin`.
fn is_box_pin(func: &Expr) -> bool {
    let Expr::Path(path) = func else {
        return false;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    segments.ends_with(&["Box".to_owned(), "pin".to_owned()])
}
