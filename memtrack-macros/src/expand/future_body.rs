//! Fns that return a future they build from an `async` block.
//!
//! Two shapes are recognised by the last expression of the body:
//!
//! - `async [move] { .. }` (a fn returning `impl Future`),
//! - `Box::pin(async [move] { .. })` (a boxed future, which is also what
//!   `#[async_trait]` makes of an `async fn`).
//!
//! The `async` block is rewritten so the operation starts at its first poll,
//! exactly as for an `async fn`; the statements before it run untracked when
//! the fn is called. The inner block keeps the capture mode the user wrote.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::visit::{self, Visit};
use syn::{Expr, ExprAsync, ItemFn, ReturnType, Stmt, Type, TypeParamBound};

use super::async_fn::tracked_future;
use super::op;
use super::{rebuild, split_attributes};
use crate::args::AttrArgs;
use crate::fake_return::BodyType;

/// Wraps the trailing `async` block of `function`, or gives the fn back when
/// its body has no such block.
pub fn expand(args: &AttrArgs, mut function: ItemFn) -> Result<TokenStream, Box<ItemFn>> {
    let body_type = future_output(&function.sig.output)
        .map_or(BodyType::Unknown, |output| BodyType::of_type(&output));
    let Some(async_expr) = trailing_async_block(&mut function) else {
        return Err(Box::new(function));
    };
    let Expr::Async(async_block) = async_expr.clone() else {
        return Err(Box::new(function));
    };
    let ExprAsync {
        attrs,
        capture,
        block,
        ..
    } = async_block;
    let capture = capture.map(ToTokens::into_token_stream).unwrap_or_default();
    let tracked = tracked_future(args, &body_type, &capture, &block);
    *async_expr = Expr::Verbatim(quote! {
        #(#attrs)*
        async #capture {
            #tracked
        }
    });
    let (outer, inner) = split_attributes(function.attrs.clone());
    let site = op::site(args);
    let stmts = &function.block.stmts;
    let body = quote! {
        #(#inner)*
        #site
        #(#stmts)*
    };
    Ok(rebuild(&function, &outer, body))
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

/// The `Output = T` of the `Future` bound in the return type, if written.
fn future_output(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let mut finder = FindOutput(None);
    finder.visit_type(ty);
    finder.0
}

struct FindOutput(Option<Type>);

impl<'ast> Visit<'ast> for FindOutput {
    fn visit_type_param_bound(&mut self, bound: &'ast TypeParamBound) {
        if self.0.is_some() {
            return;
        }
        if let TypeParamBound::Trait(bound) = bound
            && let Some(last) = bound.path.segments.last()
            && last.ident == "Future"
            && let syn::PathArguments::AngleBracketed(generics) = &last.arguments
        {
            let output = generics.args.iter().find_map(|argument| match argument {
                syn::GenericArgument::AssocType(assoc) if assoc.ident == "Output" => {
                    Some(assoc.ty.clone())
                }
                _ => None,
            });
            if output.is_some() {
                self.0 = output;
                return;
            }
        }
        visit::visit_type_param_bound(self, bound);
    }
}
