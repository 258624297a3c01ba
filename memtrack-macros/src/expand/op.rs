//! The pieces every expansion shares.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::args::AttrArgs;

/// Whether the operation is a call or a future.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Runs once, to completion or panic.
    Sync,
    /// Polled; a drop before completion reads as cancellation.
    Async,
}

/// Generated local names. Mixed-site hygiene keeps them invisible to the
/// user's code; the prefix keeps them readable in expanded output.
pub fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The operation guard local.
pub fn op_local() -> Ident {
    local("__memtrack_op")
}

/// The body's return value local.
pub fn ret_local() -> Ident {
    local("__memtrack_ret")
}

fn site_static() -> Ident {
    Ident::new("__MEMTRACK_SITE", Span::mixed_site())
}

/// `static __MEMTRACK_SITE: Site = Site::new("name");`
pub fn site(args: &AttrArgs) -> TokenStream {
    let root = &args.root;
    let name = &args.name;
    let site = site_static();
    quote! {
        static #site: #root::__private::Site = #root::__private::Site::new(#name);
    }
}

/// Evaluates the metadata (by reference, once), starts the operation and adds
/// the metadata to it.
pub fn begin(args: &AttrArgs, kind: Kind) -> TokenStream {
    let root = &args.root;
    let op = op_local();
    let site = site_static();
    let kind = match kind {
        Kind::Sync => quote!(#root::__private::Kind::Sync),
        Kind::Async => quote!(#root::__private::Kind::Async),
    };
    let locals: Vec<Ident> = (0..args.fields.len())
        .map(|index| local(&format!("__memtrack_meta_{index}")))
        .collect();
    let values = args.fields.iter().map(|field| field.value_tokens(root));
    let keys = args.fields.iter().map(crate::fields::Field::key_literal);
    quote! {
        #(let #locals = #values;)*
        let #op = #root::__private::start(&#site, #kind);
        #(#op.add(#keys, #locals);)*
    }
}

/// Ends the operation with the outcome read from the return value.
pub fn finish(args: &AttrArgs) -> TokenStream {
    let root = &args.root;
    let op = op_local();
    let ret = ret_local();
    quote! {
        {
            #[allow(unused_imports)]
            use #root::__private::{
                OutcomeDebug as _, OutcomeDisplay as _, OutcomePlain as _, OutcomeResult as _,
            };
            #root::__private::finish(&#op, (&&&#root::__private::Probe(&#ret)).__memtrack_outcome());
        }
    }
}
