//! Expansion of `#[memtrack]`: choose the shape of the fn and wrap it.
//!
//! - `async fn`: [`async_fn`] (its body runs as [`sync_fn`]'s closure when it
//!   never awaits, see [`awaits`]).
//! - a fn whose last expression is an `async` block or `Box::pin(async ..)`
//!   (a hand-written future or what `#[async_trait]` produces): [`future_body`].
//! - any other fn: [`sync_fn`].
//!
//! Every shape shares the pieces of [`op`]: the per-fn `Site` static, the metadata
//! evaluated into locals, `start`, and `finish` with the outcome.

mod async_fn;
mod awaits;
mod future_body;
mod op;
mod params;
mod sync_fn;

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::spanned::Spanned;
use syn::{Attribute, Item, ItemFn, TraitItemFn};

use crate::args::AttrArgs;

/// Expands `#[memtrack(args)] item`.
///
/// On any error the result is the error and the original item, unchanged, so a
/// mistake in the attribute gives exactly one error.
pub fn memtrack(args: TokenStream, item: TokenStream) -> TokenStream {
    let function = match parse_function(item.clone()) {
        Ok(function) => function,
        Err(error) => return with_error(error, item),
    };
    let args = match syn::parse2::<AttrArgs>(args) {
        Ok(args) => args,
        Err(error) => return with_error(error, item),
    };
    if let Some(constness) = &function.sig.constness {
        let error = syn::Error::new(
            constness.span,
            "#[memtrack] cannot wrap a `const fn`: tracking runs at run time",
        );
        return with_error(error, item);
    }
    if let Some(attr) = function
        .attrs
        .iter()
        .find(|attr| attr.path().is_ident("track_caller"))
    {
        let error = syn::Error::new(
            attr.path().span(),
            "#[memtrack] cannot keep `#[track_caller]`: the body runs inside a closure \
             or a future, which does not see the caller's location; remove one of the two",
        );
        return with_error(error, item);
    }
    if function.sig.asyncness.is_some() {
        return async_fn::expand(&args, &function);
    }
    if let Some(span) =
        future_body::returned_future(&function).and_then(|_| future_body::early_return(&function))
    {
        return with_error(syn::Error::new(span, EARLY_RETURN), item);
    }
    match future_body::expand(&args, function) {
        Ok(expanded) => expanded,
        Err(function) => match future_body::returned_future(&function) {
            Some(span) => with_error(syn::Error::new(span, FUTURE_BUILT_ELSEWHERE), item),
            None => sync_fn::expand(&args, &function),
        },
    }
}

/// For a fn returning a future that its body does not build from an `async` block
/// at its end.
const FUTURE_BUILT_ELSEWHERE: &str = "#[memtrack] tracks a fn returning a future when its body \
     ends with `async { .. }` or `Box::pin(async { .. })`; this one ends otherwise, so the \
     operation would end before the future runs. End the body with one of those, or track \
     the future where it is made: `.track(\"name\")` (memtrack::future::Track)";

/// For a fn returning a future with a `return` before the `async` block it ends with.
const EARLY_RETURN: &str = "#[memtrack] tracks the future a fn builds from the `async` \
     block its body ends with; this `return` hands back another one, which would run \
     untracked. Move the early exit into the `async` block";

/// The item as a fn with a body, or an error pointing at what is not.
fn parse_function(item: TokenStream) -> syn::Result<ItemFn> {
    let parsed: Item = syn::parse2(item.clone())?;
    match parsed {
        Item::Fn(function) => Ok(function),
        Item::Verbatim(tokens) => match syn::parse2::<TraitItemFn>(tokens) {
            Ok(TraitItemFn {
                default: None,
                semi_token,
                sig,
                ..
            }) => Err(syn::Error::new(
                semi_token.map_or_else(|| sig.span(), |semi| semi.span),
                "#[memtrack] needs a fn with a body; for a trait method, put it on the implementations",
            )),
            _ => Err(not_a_function(item.span())),
        },
        other => Err(not_a_function(item_keyword_span(&other))),
    }
}

fn not_a_function(span: proc_macro2::Span) -> syn::Error {
    syn::Error::new(
        span,
        "#[memtrack] applies to functions and methods (sync or async)",
    )
}

/// The span of the keyword that says what an item is (`struct`, `enum`, ...).
fn item_keyword_span(item: &Item) -> proc_macro2::Span {
    match item {
        Item::Struct(item) => item.struct_token.span,
        Item::Enum(item) => item.enum_token.span,
        Item::Union(item) => item.union_token.span,
        Item::Trait(item) => item.trait_token.span,
        Item::Impl(item) => item.impl_token.span,
        Item::Mod(item) => item.mod_token.span,
        Item::Static(item) => item.static_token.span,
        Item::Const(item) => item.const_token.span,
        Item::Type(item) => item.type_token.span,
        Item::Use(item) => item.use_token.span,
        other => other.span(),
    }
}

/// `compile_error!` followed by the untouched item.
fn with_error(error: syn::Error, item: TokenStream) -> TokenStream {
    let error = error.to_compile_error();
    quote! { #error #item }
}

/// Splits a fn's attributes into outer ones (kept on the fn) and inner ones
/// (`#![...]`, moved to the top of the new body).
fn split_attributes(attrs: Vec<Attribute>) -> (Vec<Attribute>, Vec<Attribute>) {
    attrs
        .into_iter()
        .partition(|attr| matches!(attr.style, syn::AttrStyle::Outer))
}

/// Writes a fn with its signature and a new body.
fn rebuild(function: &ItemFn, outer: &[Attribute], body: TokenStream) -> TokenStream {
    let vis = &function.vis;
    let sig = &function.sig;
    let mut tokens = TokenStream::new();
    for attr in outer {
        attr.to_tokens(&mut tokens);
    }
    vis.to_tokens(&mut tokens);
    sig.to_tokens(&mut tokens);
    function.block.brace_token.surround(&mut tokens, |tokens| {
        body.to_tokens(tokens);
    });
    tokens
}
