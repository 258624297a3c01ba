//! Metadata fields, shared by the attribute and the function-like macros.
//!
//! Grammar of one field (the forms `tracing`'s `fields(..)` takes):
//!
//! ```text
//! field    := key "=" [sigil] EXPR       rows = rows.len(), http.method = %method
//!           | [sigil] path               n, %url, ?req, ?self.id (the key is the path as written)
//! key      := segment ("." segment)*     any identifier or keyword; `r#` is dropped
//! path     := key whose first segment is a variable: an identifier, `r#ident` or `self`
//! sigil    := "%" | "?"
//! ```
//!
//! The key is the JSON key, dots included (`http.method`). A value without a
//! sigil is recorded through `ToValue`, `%` through `Display` and `?` through
//! `Debug`. The expression is always taken by reference, so it never moves what
//! it names.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::ParseStream;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Path, Token};

use crate::reserved::is_reserved;

/// How a field's value is turned into a metadata value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sigil {
    /// No sigil: through `ToValue`.
    Plain,
    /// `%`: through `Display`.
    Display,
    /// `?`: through `Debug`.
    Debug,
}

/// One parsed field.
pub struct Field {
    /// The key's segments as written (errors about the key span all of them).
    pub key: Punctuated<Ident, Token![.]>,
    /// The key as it appears in the event: segments joined with `.`, raw
    /// identifiers without their `r#`.
    pub name: String,
    /// How the value is formatted.
    pub sigil: Sigil,
    /// The value expression, evaluated exactly once.
    pub expr: Expr,
    /// Whether the field was written as a bare path (`%url`), not `key = value`.
    pub shorthand: bool,
}

impl Field {
    /// The key as a `&'static str` literal.
    pub fn key_literal(&self) -> LitStr {
        LitStr::new(&self.name, self.key_span())
    }

    fn key_span(&self) -> Span {
        self.key.first().map_or_else(Span::call_site, Ident::span)
    }

    /// An error spanning the whole key.
    pub fn key_error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(&self.key, message)
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

/// Whether the input starts with a field (a key or a sigil).
pub fn peek_field(input: ParseStream<'_>) -> bool {
    input.peek(Ident::peek_any) || input.peek(Token![%]) || input.peek(Token![?])
}

/// Parses one field; the input starts with a sigil or a key segment.
pub fn parse_field(input: ParseStream<'_>) -> syn::Result<Field> {
    let leading = parse_sigil(input)?;
    let key = parse_key(input)?;
    let name = key_name(&key);
    if leading.is_none() && input.peek(Token![=]) && !input.peek(Token![==]) {
        input.parse::<Token![=]>()?;
        let sigil = parse_sigil(input)?.unwrap_or(Sigil::Plain);
        if input.is_empty() || input.peek(Token![,]) {
            return Err(syn::Error::new_spanned(
                &key,
                format!("expected a value after `{name} =`"),
            ));
        }
        let expr: Expr = input.parse()?;
        return Ok(Field {
            key,
            name,
            sigil,
            expr,
            shorthand: false,
        });
    }
    if !input.is_empty() && !input.peek(Token![,]) {
        let what = if leading.is_some() && input.peek(Token![=]) {
            format!("a sigil goes after the `=`: `{name} = %value`")
        } else {
            format!(
                "expected `,` or `= value` after `{name}`: a field without a value names a variable or a field path (`%url`, `?req.id`); write any other expression as `key = value`"
            )
        };
        return Err(input.error(what));
    }
    let expr = shorthand_expr(&key, &name)?;
    Ok(Field {
        key,
        name,
        sigil: leading.unwrap_or(Sigil::Plain),
        expr,
        shorthand: true,
    })
}

fn parse_sigil(input: ParseStream<'_>) -> syn::Result<Option<Sigil>> {
    if input.peek(Token![%]) {
        input.parse::<Token![%]>()?;
        Ok(Some(Sigil::Display))
    } else if input.peek(Token![?]) {
        input.parse::<Token![?]>()?;
        Ok(Some(Sigil::Debug))
    } else {
        Ok(None)
    }
}

/// `segment ("." segment)*`, where a segment is any identifier or keyword.
fn parse_key(input: ParseStream<'_>) -> syn::Result<Punctuated<Ident, Token![.]>> {
    if !input.peek(Ident::peek_any) {
        return Err(input.error("expected a metadata key after the sigil, as in `%url`"));
    }
    let mut key = Punctuated::new();
    key.push_value(Ident::parse_any(input)?);
    while input.peek(Token![.]) && !input.peek(Token![..]) {
        let dot: Token![.] = input.parse()?;
        if !input.peek(Ident::peek_any) {
            return Err(syn::Error::new(
                dot.span,
                "expected a name after `.`: the segments of a key are identifiers, as in `http.method`",
            ));
        }
        key.push_punct(dot);
        key.push_value(Ident::parse_any(input)?);
    }
    Ok(key)
}

/// The key's text: segments joined with `.`, without `r#`.
fn key_name(key: &Punctuated<Ident, Token![.]>) -> String {
    key.iter()
        .map(|segment| segment.unraw().to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// The expression a bare path stands for: the variable (and its fields).
fn shorthand_expr(key: &Punctuated<Ident, Token![.]>, name: &str) -> syn::Result<Expr> {
    let first = key.first().map(ToString::to_string).unwrap_or_default();
    let is_variable = first == "self" || syn::parse_str::<Ident>(&first).is_ok();
    if !is_variable {
        return Err(syn::Error::new_spanned(
            key,
            format!(
                "`{first}` is a keyword, not a variable: give this field a value, as in `{name} = value`"
            ),
        ));
    }
    syn::parse2(key.to_token_stream()).map_err(|_| {
        syn::Error::new_spanned(
            key,
            format!("`{name}` is not a variable or a field path: write `{name} = value`"),
        )
    })
}

/// Checks the keys of a list of fields: not reserved, not repeated.
///
/// `taken` holds the keys seen so far.
pub fn check_key(field: &Field, taken: &mut HashSet<String>) -> syn::Result<()> {
    if is_reserved(&field.name) {
        let hint = if field.shorthand {
            format!(", as in `{}_value = {}`", field.name, field.name)
        } else {
            String::new()
        };
        return Err(field.key_error(format!(
            "`{}` is a field memtrack writes itself; choose another metadata key{hint}",
            field.name
        )));
    }
    if !taken.insert(field.name.clone()) {
        return Err(field.key_error(format!("duplicate key `{}`", field.name)));
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
    quote! { [#(#entries),*] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse::Parser;

    fn field(tokens: TokenStream) -> syn::Result<Field> {
        parse_field.parse2(tokens)
    }

    fn parsed(tokens: TokenStream) -> (String, Sigil, String, bool) {
        let field = field(tokens).expect("a valid field");
        let expr = field.expr.to_token_stream().to_string();
        (field.name, field.sigil, expr, field.shorthand)
    }

    fn error(tokens: TokenStream) -> String {
        field(tokens)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn key_and_value() {
        assert_eq!(
            parsed(quote!(rows = rows.len())),
            ("rows".into(), Sigil::Plain, "rows . len ()".into(), false)
        );
        assert_eq!(
            parsed(quote!(http.method = %m)),
            ("http.method".into(), Sigil::Display, "m".into(), false)
        );
        assert_eq!(
            parsed(quote!(user.r#type.id = ?t)),
            ("user.type.id".into(), Sigil::Debug, "t".into(), false)
        );
        assert_eq!(
            parsed(quote!(s.len = s.len())),
            ("s.len".into(), Sigil::Plain, "s . len ()".into(), false)
        );
    }

    #[test]
    fn keywords_are_keys() {
        assert_eq!(parsed(quote!(type = 1)).0, "type");
        assert_eq!(parsed(quote!(Self = 1)).0, "Self");
        assert_eq!(parsed(quote!(self.id = 1)).0, "self.id");
        assert_eq!(parsed(quote!(r#loop = 1)).0, "loop");
    }

    #[test]
    fn shorthand_names_the_variable() {
        assert_eq!(
            parsed(quote!(n)),
            ("n".into(), Sigil::Plain, "n".into(), true)
        );
        assert_eq!(
            parsed(quote!(%url)),
            ("url".into(), Sigil::Display, "url".into(), true)
        );
        assert_eq!(
            parsed(quote!(?req.id)),
            ("req.id".into(), Sigil::Debug, "req . id".into(), true)
        );
        assert_eq!(
            parsed(quote!(?self.id)),
            ("self.id".into(), Sigil::Debug, "self . id".into(), true)
        );
        assert_eq!(parsed(quote!(%r#type)).2, "r#type");
    }

    #[test]
    fn errors_name_the_mistake() {
        assert_eq!(error(quote!(k =)), "expected a value after `k =`");
        assert_eq!(error(quote!(k = %)), "expected a value after `k =`");
        assert!(error(quote!(%type)).starts_with("`type` is a keyword, not a variable"));
        assert!(error(quote!(%Self)).starts_with("`Self` is a keyword, not a variable"));
        assert!(error(quote!(a.)).starts_with("expected a name after `.`"));
        assert!(error(quote!(a.0 = 1)).starts_with("expected a name after `.`"));
        assert!(error(quote!(%x.len())).starts_with("expected `,` or `= value` after `x.len`"));
        assert!(error(quote!(k == 1)).starts_with("expected `,` or `= value` after `k`"));
        assert!(error(quote!(%k = 1)).starts_with("a sigil goes after the `=`"));
        assert!(error(quote!(%)).contains("expected a metadata key after the sigil"));
    }
}
