//! The "fake return edge" that fixes the return type of the wrapped body.
//!
//! The user's block runs inside a closure or an `async` block. Neither has a
//! written return type, so `return` and `?` inside the block would otherwise be
//! checked against an inferred type. The compiler must learn the type before it
//! reads the user's statements, so that the body type-checks exactly as it
//! would without the attribute. Two edges tell it:
//!
//! - [`BodyType::edge`], a dead `if false { return <a value of the type>; }`
//!   placed first, names the fn's return type, copied from the signature
//!   (`impl Trait` erased to `_`, `!` made `Infallible`). It must sit outside
//!   the user's braces, where nothing the body declares is in scope:
//!   [`with_edge`] puts it there.
//! - [`bridge`] serves a future the body builds (`-> impl Future<Output = T>`,
//!   `Box::pin(async ..)`). The tracked `async` block stands where the user's
//!   stood, so the compiler types its output as it would have typed the user's
//!   block there, from the fn's return type however it is spelled (an alias
//!   such as `BoxFuture<'_, T>` too). A local closure and an identity fn hand
//!   that output to the user's block as its expected output, so no type is
//!   written at all and the user's block is left as written.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{ToTokens, quote_spanned};
use syn::visit_mut::{self, VisitMut};
use syn::{Block, ReturnType, Signature, Stmt, Type, TypeInfer};

/// The type the user's block must produce.
pub enum BodyType {
    /// A written type (`()` when the fn has no return type), with the span the
    /// compiler's "return type inferred to be .. here" note points at.
    Written(Box<Type>, Span),
    /// `-> !`: the block is made to produce `Infallible`, which the expansion
    /// then matches on.
    Never(Span),
}

impl BodyType {
    /// The body type of a fn with this signature. Without a written return
    /// type the body produces `()`, attributed to the fn's name, as rustc has
    /// no better place to point at.
    pub fn of(sig: &Signature) -> BodyType {
        match &sig.output {
            ReturnType::Default => {
                BodyType::Written(Box::new(syn::parse_quote!(())), sig.ident.span())
            }
            ReturnType::Type(_, ty) => BodyType::of_type(ty),
        }
    }

    /// The body type for a written type.
    fn of_type(ty: &Type) -> BodyType {
        let span = syn::spanned::Spanned::span(ty);
        match ty {
            Type::Never(_) => BodyType::Never(span),
            Type::Paren(inner) => BodyType::of_type(&inner.elem),
            _ => {
                let mut erased = ty.clone();
                EraseImplTrait.visit_type_mut(&mut erased);
                BodyType::Written(Box::new(erased), span)
            }
        }
    }

    /// Whether the fn returns `!`.
    pub fn is_never(&self) -> bool {
        matches!(self, BodyType::Never(_))
    }

    /// The dead return statement naming the type.
    pub fn edge(&self) -> TokenStream {
        let (ty, span) = match self {
            BodyType::Written(ty, span) => (quote_spanned!(*span=> #ty), *span),
            BodyType::Never(span) => (quote_spanned!(*span=> ::core::convert::Infallible), *span),
        };
        let allow = allow_edge_lints(span);
        quote_spanned! {span=>
            #allow
            if false {
                let __memtrack_fake_return: #ty = loop {};
                return __memtrack_fake_return;
            }
        }
    }
}

/// The lints a dead return statement would trip.
fn allow_edge_lints(span: Span) -> TokenStream {
    quote_spanned! {span=>
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::let_with_type_underscore,
            clippy::needless_return,
            clippy::unreachable
        )]
    }
}

/// The edge for a future's body: the output type comes from the compiler, not
/// from the signature's text.
pub mod bridge {
    use super::{Ident, Span, TokenStream, allow_edge_lints, quote_spanned};

    fn closure() -> Ident {
        Ident::new("__memtrack_output", Span::mixed_site())
    }

    fn typing_fn() -> Ident {
        Ident::new("__memtrack_output_of", Span::mixed_site())
    }

    /// First statements of the outer `async` block (the one in the body's tail
    /// position, typed by the compiler from the fn's return type): a closure
    /// whose return type is made that block's output, and an identity fn that
    /// gives a future the closure's return type as its output.
    pub fn declare(span: Span) -> TokenStream {
        let closure = closure();
        let typing_fn = typing_fn();
        let allow = allow_edge_lints(span);
        quote_spanned! {span=>
            fn #typing_fn<T, F>(_: &impl ::core::ops::Fn() -> T, future: F) -> F
            where
                F: ::core::future::Future<Output = T>,
            {
                future
            }
            #allow
            let #closure = || loop {};
            #allow
            if false {
                return #closure();
            }
        }
    }

    /// `future` (the user's block), expected to produce the outer block's
    /// output, as the user's block was expected to where it stood. It is not
    /// changed: nothing is added inside it.
    pub fn typed(future: &TokenStream, span: Span) -> TokenStream {
        let closure = closure();
        let typing_fn = typing_fn();
        quote_spanned! {span=> #typing_fn(&#closure, #future) }
    }
}

/// The user's block with `edge` run first, in a block that keeps the user's
/// braces (their span) so diagnostics and lints see the body where it is.
///
/// An edge that names a type must not be in the scope of anything the body
/// declares: an item or `use` is in scope in the whole block that declares it
/// (`use std::fmt::Result;` or `use Enum::*;` would change what the
/// signature's types mean). So the user's block keeps braces of its own:
/// `{ edge { user statements } }`. A body that is a single expression declares
/// nothing at its top level, and there the edge goes inside the user's braces
/// (`{ edge expression }`), where the extra braces would be reported by
/// `unused_braces` as the user's.
pub fn with_edge(block: &Block, edge: &TokenStream) -> TokenStream {
    let mut tokens = TokenStream::new();
    block.brace_token.surround(&mut tokens, |tokens| {
        tokens.extend(edge.clone());
        if is_single_expression(block) {
            tokens.extend(block.stmts.iter().map(ToTokens::to_token_stream));
        } else {
            block.to_tokens(tokens);
        }
    });
    tokens
}

/// Whether the block is one expression without a semicolon (a trailing
/// macro call counts: it is almost always an expression such as `vec![..]`).
fn is_single_expression(block: &Block) -> bool {
    match block.stmts.as_slice() {
        [Stmt::Expr(_, None)] => true,
        [Stmt::Macro(mac)] => mac.semi_token.is_none(),
        _ => false,
    }
}

/// Replaces every `impl Trait` with `_`.
struct EraseImplTrait;

impl VisitMut for EraseImplTrait {
    fn visit_type_mut(&mut self, ty: &mut Type) {
        if let Type::ImplTrait(impl_trait) = ty {
            let span = syn::spanned::Spanned::span(impl_trait);
            *ty = Type::Infer(TypeInfer {
                underscore_token: syn::Token![_](span),
            });
            return;
        }
        visit_mut::visit_type_mut(self, ty);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn edge_of(output: ReturnType) -> String {
        let mut sig: Signature = syn::parse_quote!(fn f());
        sig.output = output;
        BodyType::of(&sig).edge().to_string()
    }

    #[test]
    fn impl_trait_is_erased() {
        let edge = edge_of(syn::parse_quote!(-> Option<impl Iterator<Item = u32>>));
        assert!(
            edge.contains("__memtrack_fake_return : Option < _ >"),
            "{edge}"
        );
        let edge = edge_of(syn::parse_quote!(-> impl Display));
        assert!(edge.contains("__memtrack_fake_return : _ ="), "{edge}");
    }

    #[test]
    fn unit_and_never() {
        let edge = edge_of(ReturnType::Default);
        assert!(edge.contains("__memtrack_fake_return : ()"), "{edge}");
        let never = BodyType::of(&syn::parse_quote!(fn f() -> !));
        assert!(never.is_never());
        assert!(never.edge().to_string().contains("Infallible"));
        let paren = BodyType::of(&syn::parse_quote!(fn f() -> (u32)));
        assert!(paren.edge().to_string().contains("u32"));
    }

    #[test]
    fn the_edge_is_outside_a_body_with_statements() {
        let edge = quote!(EDGE;);
        let block: Block = syn::parse_quote!({
            use a::Foo;
            Foo
        });
        assert_eq!(
            with_edge(&block, &edge).to_string(),
            quote!({
                EDGE;
                {
                    use a::Foo;
                    Foo
                }
            })
            .to_string()
        );
        let block: Block = syn::parse_quote!({
            1;
        });
        assert_eq!(
            with_edge(&block, &edge).to_string(),
            quote!({
                EDGE;
                {
                    1;
                }
            })
            .to_string()
        );
    }

    #[test]
    fn the_edge_is_inside_a_single_expression() {
        let edge = quote!(EDGE;);
        let block: Block = syn::parse_quote!({ a + b });
        assert_eq!(
            with_edge(&block, &edge).to_string(),
            quote!({
                EDGE;
                a + b
            })
            .to_string()
        );
        let block: Block = syn::parse_quote!({ vec![1] });
        assert_eq!(
            with_edge(&block, &edge).to_string(),
            quote!({
                EDGE;
                vec![1]
            })
            .to_string()
        );
    }
}
