//! The fn's parameters, moved into the wrapped body in the order they are
//! declared, as the compiler does for an `async fn`.
//!
//! The body runs as a `move` closure or an `async move` block. On its own, such a
//! closure captures only what the body uses, field by field, and drops it in the
//! order of capture: the parameters would be dropped in another order than the
//! fn's (which drops them in reverse order of declaration, after its locals), and
//! a parameter whose fields the body uses apart would be split. So the wrapped body
//! starts with `let a = a; let b = b;` for each parameter bound by name that the
//! body names: every such parameter is moved in whole, before the body runs, and
//! dropped inside the operation in the fn's order. A `mut` parameter is rebound
//! `mut` (and loses its `mut` in the signature, where it would do nothing).
//! Names starting with `_` are moved in whether the body names them or not.
//! Other parameters the body never names (which only the metadata may read),
//! parameters bound by reference (`ref x`), `self`, and `_` stay where they are:
//! they are dropped when the fn returns, after the operation ended, and an unused
//! one is reported as unused, as without the attribute.

use std::collections::HashSet;

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::{Block, FnArg, Pat, Signature};

/// Rebinding statements for those of `sig`'s parameters that `body` names, taking
/// `mut` off those it rebinds `mut`.
pub fn move_in(sig: &mut Signature, body: &Block) -> TokenStream {
    let mut named = HashSet::new();
    idents_in(body.to_token_stream(), &mut named);
    let mut rebind = TokenStream::new();
    for input in &mut sig.inputs {
        if let FnArg::Typed(typed) = input {
            rebind_bindings(&mut typed.pat, &named, &mut rebind);
        }
    }
    rebind
}

/// Every identifier in `tokens`, groups included.
fn idents_in(tokens: TokenStream, named: &mut HashSet<String>) {
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => {
                named.insert(ident.to_string());
            }
            TokenTree::Group(group) => idents_in(group.stream(), named),
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

fn rebind_bindings(pat: &mut Pat, named: &HashSet<String>, rebind: &mut TokenStream) {
    let mut each = |p: &mut Pat| rebind_bindings(p, named, rebind);
    match pat {
        Pat::Ident(binding) => {
            if let Some((_, sub)) = &mut binding.subpat {
                each(sub);
            }
            let name = binding.ident.to_string();
            // A name starting with `_` is never reported unused: moved in, it drops in
            // its place whether the body names it or not.
            if binding.by_ref.is_some() || !(named.contains(&name) || name.starts_with('_')) {
                return;
            }
            let ident = &binding.ident;
            if name.starts_with('_') {
                // Moving it in is a use clippy would report on the user's name.
                rebind.extend(quote! { #[allow(clippy::used_underscore_binding)] });
            }
            rebind.extend(match binding.mutability.take() {
                Some(mutability) => {
                    quote_spanned! {ident.span()=> let #mutability #ident = #ident; }
                }
                None => quote_spanned! {ident.span()=> let #ident = #ident; },
            });
        }
        Pat::Tuple(tuple) => tuple.elems.iter_mut().for_each(each),
        Pat::TupleStruct(tuple) => tuple.elems.iter_mut().for_each(each),
        Pat::Struct(record) => record.fields.iter_mut().for_each(|f| each(&mut f.pat)),
        Pat::Slice(slice) => slice.elems.iter_mut().for_each(each),
        Pat::Reference(reference) => each(&mut reference.pat),
        Pat::Paren(paren) => each(&mut paren.pat),
        Pat::Type(typed) => each(&mut typed.pat),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebinding(sig: &str, body: &str) -> (String, String) {
        let mut sig: Signature = syn::parse_str(sig).unwrap();
        let body: Block = syn::parse_str(body).unwrap();
        let rebind = move_in(&mut sig, &body);
        (rebind.to_string(), quote!(#sig).to_string())
    }

    #[test]
    fn parameters_the_body_names_are_moved_in_order() {
        let (rebind, sig) = rebinding(
            "fn f(a: D, mut b: D, (c, mut d): (D, D), ref e: D, _: D, _f: D, unused: D)",
            "{ use_all(a, b, c, d, e) }",
        );
        // `_f` is moved in though the body does not name it.
        assert_eq!(
            rebind,
            "let a = a ; let mut b = b ; let c = c ; let mut d = d ; \
             # [allow (clippy :: used_underscore_binding)] let _f = _f ;"
        );
        assert_eq!(
            sig,
            "fn f (a : D , b : D , (c , d) : (D , D) , ref e : D , _ : D , _f : D , unused : D)"
        );
    }

    #[test]
    fn receivers_and_parameters_left_unnamed_are_left_alone() {
        let (rebind, sig) = rebinding("fn f(self: Box<Self>, x: u8, mut y: u8)", "{ self.g(x) }");
        assert_eq!(rebind, "let x = x ;");
        assert_eq!(sig, "fn f (self : Box < Self > , x : u8 , mut y : u8)");
    }
}
