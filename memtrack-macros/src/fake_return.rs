//! The "fake return edge" that fixes the return type of the wrapped body.
//!
//! The user's block runs inside a closure (sync fns) or an `async` block (async
//! fns). Neither has a written return type, so `return` and `?` inside the block
//! would otherwise be checked against an inferred type. A dead
//! `if false { let x: Ret = loop {}; return x; }` placed first tells the compiler
//! the type before it reads the user's code, so the body type-checks exactly as
//! it would without the attribute. `impl Trait` cannot be written there and is
//! erased to `_`.

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{ReturnType, Type, TypeInfer};

/// The type the user's block must produce.
pub enum BodyType {
    /// A written type (`()` when the fn has no return type), with its span.
    Written(Box<Type>, Span),
    /// `-> !`: the block is made to produce `Infallible`, which the expansion
    /// then matches on.
    Never(Span),
    /// Nothing known (the output of a future that is not spelled out).
    Unknown,
}

impl BodyType {
    /// The body type of a fn with this return type.
    pub fn of(output: &ReturnType) -> BodyType {
        match output {
            ReturnType::Default => {
                BodyType::Written(Box::new(syn::parse_quote!(())), Span::call_site())
            }
            ReturnType::Type(_, ty) => BodyType::of_type(ty),
        }
    }

    /// The body type for a written type.
    pub fn of_type(ty: &Type) -> BodyType {
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

    /// The dead return statement, or nothing when the type is unknown.
    pub fn edge(&self) -> TokenStream {
        let (ty, span) = match self {
            BodyType::Written(ty, span) => (quote_spanned!(*span=> #ty), *span),
            BodyType::Never(span) => (quote_spanned!(*span=> ::core::convert::Infallible), *span),
            BodyType::Unknown => return TokenStream::new(),
        };
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
            if false {
                let __memtrack_fake_return: #ty = loop {};
                return __memtrack_fake_return;
            }
        }
    }
}

/// The user's block with the edge put first, inside the user's own braces (same
/// span), so the statements keep their scope and lints see the block as theirs.
pub fn block_with_edge(block: &syn::Block, edge: &TokenStream) -> TokenStream {
    let mut tokens = TokenStream::new();
    block.brace_token.surround(&mut tokens, |tokens| {
        tokens.extend(edge.clone());
        for stmt in &block.stmts {
            quote::ToTokens::to_tokens(stmt, tokens);
        }
    });
    tokens
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

    fn edge_of(output: ReturnType) -> String {
        BodyType::of(&output).edge().to_string()
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
        let never = BodyType::of(&syn::parse_quote!(-> !));
        assert!(never.is_never());
        assert!(never.edge().to_string().contains("Infallible"));
    }

    #[test]
    fn unknown_output_has_no_edge() {
        assert!(BodyType::Unknown.edge().is_empty());
        let written = BodyType::of_type(&syn::parse_quote!((u32)));
        assert!(written.edge().to_string().contains("u32"));
    }
}
