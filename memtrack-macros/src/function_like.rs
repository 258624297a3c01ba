//! `checkpoint!`, `large_alloc!` and `record!`.
//!
//! ```text
//! checkpoint!  := [crate_opt] NAME ("," field)* [","]      (field: see `fields`)
//! large_alloc! := [crate_opt] CONTEXT "," EXPR ("," field)* [","]
//! record!      := [crate_opt] field ("," field)* [","]
//! crate_opt    := "crate" "=" STRING ","
//! ```
//!
//! Each expression is evaluated exactly once, left to right, by reference.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Expr, LitStr, Path, Token};

use crate::args::{self, Arg, NameRole};
use crate::fields::{self, Field};

/// Parses an optional leading `crate = "path",`.
fn parse_root(input: ParseStream<'_>) -> syn::Result<Path> {
    if input.peek(Token![crate])
        && !input.peek2(Token![.])
        && let Arg::Root(span, path) = args::parse_arg(input)?
    {
        if input.is_empty() {
            return Err(syn::Error::new(
                span,
                "expected more arguments after `crate = \"path\"`",
            ));
        }
        input.parse::<Token![,]>()?;
        return Ok(path);
    }
    Ok(args::default_root())
}

/// Parses `("," field)* [","]` until the end of the input.
fn parse_fields(input: ParseStream<'_>, first_needs_comma: bool) -> syn::Result<Vec<Field>> {
    let mut fields = Vec::new();
    let mut taken = HashSet::new();
    let mut needs_comma = first_needs_comma;
    while !input.is_empty() {
        if needs_comma {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
        }
        needs_comma = true;
        match args::parse_arg(input)? {
            Arg::Field(field) => {
                fields::check_key(&field, &mut taken)?;
                fields.push(field);
            }
            Arg::Root(span, _) => {
                return Err(syn::Error::new(span, "`crate = \"path\"` must come first"));
            }
        }
    }
    Ok(fields)
}

/// `checkpoint!("name", key = value, ...)`.
pub struct Checkpoint {
    root: Path,
    name: LitStr,
    fields: Vec<Field>,
}

impl Parse for Checkpoint {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let root = parse_root(input)?;
        let name = args::parse_name(input, NameRole::Checkpoint)?;
        let fields = parse_fields(input, true)?;
        Ok(Checkpoint { root, name, fields })
    }
}

impl Checkpoint {
    /// The runtime call.
    pub fn expand(&self) -> TokenStream {
        let Checkpoint { root, name, fields } = self;
        let array = fields::field_array(root, fields);
        quote! { #root::__private::checkpoint(#name, #array) }
    }
}

/// `large_alloc!("context", bytes, key = value, ...)`.
pub struct LargeAlloc {
    root: Path,
    context: LitStr,
    bytes: Expr,
    fields: Vec<Field>,
}

impl Parse for LargeAlloc {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let root = parse_root(input)?;
        let context = args::parse_name(input, NameRole::Context)?;
        let missing = || {
            syn::Error::new(
                context.span(),
                "expected the estimated size in bytes after the context: large_alloc!(\"decode-buffer\", len)",
            )
        };
        if input.is_empty() {
            return Err(missing());
        }
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            return Err(missing());
        }
        let bytes: Expr = input.parse()?;
        let fields = parse_fields(input, true)?;
        Ok(LargeAlloc {
            root,
            context,
            bytes,
            fields,
        })
    }
}

impl LargeAlloc {
    /// The runtime call.
    pub fn expand(&self) -> TokenStream {
        let LargeAlloc {
            root,
            context,
            bytes,
            fields,
        } = self;
        let bytes = quote_spanned! {bytes.span()=> #root::__private::byte_count(&(#bytes)) };
        let array = fields::field_array(root, fields);
        quote! { #root::__private::large_alloc(#context, #bytes, #array) }
    }
}

/// `record!(key = value, ...)`.
pub struct Record {
    root: Path,
    fields: Vec<Field>,
}

impl Parse for Record {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let root = parse_root(input)?;
        let fields = parse_fields(input, false)?;
        if fields.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "expected at least one metadata field: record!(rows = rows.len())",
            ));
        }
        Ok(Record { root, fields })
    }
}

impl Record {
    /// The runtime call.
    pub fn expand(&self) -> TokenStream {
        let array = fields::field_array(&self.root, &self.fields);
        let root = &self.root;
        quote! { #root::__private::record(#array) }
    }
}
