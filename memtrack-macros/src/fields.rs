//! `key = value` metadata fields, shared by the attribute and the
//! function-like macros.
//!
//! Grammar of one field:
//!
//! ```text
//! field := IDENT "=" ["%" | "?"] EXPR
//! ```
//!
//! `key = expr` records the value through `ToValue`, `key = %expr` through
//! `Display` and `key = ?expr` through `Debug`. The expression is always taken by
//! reference, so it never moves what it names.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote_spanned};
use syn::parse::ParseStream;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Path, Token};

use crate::reserved::is_reserved;

/// How a field's value is turned into a metadata value.
#[derive(Clone, Copy)]
pub enum Sigil {
    /// `key = expr`: through `ToValue`.
    Plain,
    /// `key = %expr`: through `Display`.
    Display,
    /// `key = ?expr`: through `Debug`.
    Debug,
}

/// One parsed `key = value` field.
pub struct Field {
    /// The key as written (its span is the span of errors about the key).
    pub key: Ident,
    /// The key as it appears in the event (raw identifiers lose their `r#`).
    pub name: String,
    /// How the value is formatted.
    pub sigil: Sigil,
    /// The value expression, evaluated exactly once.
    pub expr: Expr,
}

impl Field {
    /// The key as a `&'static str` literal.
    pub fn key_literal(&self) -> LitStr {
        LitStr::new(&self.name, self.key.span())
    }

    /// An expression of type `Value` built from the field's expression, taken by
    /// reference. Spanned at the user's expression so a missing trait
    /// implementation points there.
    pub fn value_tokens(&self, root: &Path) -> TokenStream {
        let expr = &self.expr;
        let span = expr.span();
        let func = match self.sigil {
            Sigil::Plain => format_ident!("to_value", span = span),
            Sigil::Display => format_ident!("display_value", span = span),
            Sigil::Debug => format_ident!("debug_value", span = span),
        };
        quote_spanned! {span=> #root::__private::#func(&(#expr)) }
    }
}

/// Parses the value part of a field (after `key =`).
pub fn parse_value(input: ParseStream<'_>, key: Ident) -> syn::Result<Field> {
    let name = key.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
    let sigil = if input.peek(Token![%]) {
        input.parse::<Token![%]>()?;
        Sigil::Display
    } else if input.peek(Token![?]) {
        input.parse::<Token![?]>()?;
        Sigil::Debug
    } else {
        Sigil::Plain
    };
    if input.is_empty() || input.peek(Token![,]) {
        return Err(syn::Error::new(
            key.span(),
            format!("expected a value after `{name} =`"),
        ));
    }
    let expr: Expr = input.parse()?;
    Ok(Field {
        key,
        name,
        sigil,
        expr,
    })
}

/// Checks the keys of a list of fields: not reserved, not repeated.
///
/// `taken` holds the keys seen so far.
pub fn check_key(field: &Field, taken: &mut HashSet<String>) -> syn::Result<()> {
    if is_reserved(&field.name) {
        return Err(syn::Error::new(
            field.key.span(),
            format!(
                "`{}` is a field memtrack writes itself; choose another metadata key",
                field.name
            ),
        ));
    }
    if !taken.insert(field.name.clone()) {
        return Err(syn::Error::new(
            field.key.span(),
            format!("duplicate key `{}`", field.name),
        ));
    }
    Ok(())
}

/// The `[(key, value), ...]` array the runtime functions take.
pub fn field_array(root: &Path, fields: &[Field]) -> TokenStream {
    let entries = fields.iter().map(|field| {
        let key = field.key_literal();
        let value = field.value_tokens(root);
        quote_spanned! {Span::call_site()=> (#key, #value) }
    });
    quote_spanned! {Span::call_site()=> [#(#entries),*] }
}
