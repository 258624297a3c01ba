//! Arguments of `#[memtrack(...)]`.
//!
//! ```text
//! args   := NAME ("," arg)* [","]
//! NAME   := non-empty string literal
//! arg    := "crate" "=" STRING          (the path memtrack is reached through)
//!         | IDENT "=" ["%" | "?"] EXPR   (a metadata field)
//! ```
//!
//! Anything else is an error pointing at the offending token: a bare identifier
//! or `ident(...)` is an unknown option, a Rust keyword is not a metadata key, a
//! key is given once, and memtrack's own field names are reserved.

use std::collections::HashSet;

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Path, Token};

use crate::fields::{self, Field};

/// Parsed attribute arguments.
pub struct AttrArgs {
    /// The operation name.
    pub name: LitStr,
    /// The path memtrack is reached through (`::memtrack` unless overridden).
    pub root: Path,
    /// Metadata fields, in the order written.
    pub fields: Vec<Field>,
}

impl Parse for AttrArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name = parse_name(input, NameRole::Operation)?;
        let mut root = None;
        let mut fields = Vec::new();
        let mut taken = HashSet::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            match parse_arg(input)? {
                Arg::Root(span, path) => {
                    if root.is_some() {
                        return Err(syn::Error::new(span, "duplicate key `crate`"));
                    }
                    root = Some(path);
                }
                Arg::Field(field) => {
                    fields::check_key(&field, &mut taken)?;
                    fields.push(field);
                }
            }
        }
        Ok(AttrArgs {
            name,
            root: root.unwrap_or_else(default_root),
            fields,
        })
    }
}

/// One argument after the name.
pub enum Arg {
    /// `crate = "path"`, with the span of `crate`.
    Root(Span, Path),
    /// `key = value`.
    Field(Field),
}

/// Parses one argument: `crate = "path"` or a metadata field.
pub fn parse_arg(input: ParseStream<'_>) -> syn::Result<Arg> {
    if input.peek(Token![crate]) {
        let token: Token![crate] = input.parse()?;
        let path = parse_root_value(input, token.span)?;
        return Ok(Arg::Root(token.span, path));
    }
    if input.peek(Ident) {
        let key: Ident = input.parse()?;
        if input.peek(Token![=]) && !input.peek(Token![==]) {
            input.parse::<Token![=]>()?;
            return fields::parse_value(input, key).map(Arg::Field);
        }
        return Err(syn::Error::new(
            key.span(),
            format!(
                "unknown option `{key}`: metadata is written `key = value`, and the only option is `crate = \"path\"`"
            ),
        ));
    }
    if input.peek(Ident::peek_any) {
        let keyword = Ident::parse_any(input)?;
        return Err(syn::Error::new(
            keyword.span(),
            format!(
                "`{keyword}` is a Rust keyword and cannot be a metadata key (write `r#{keyword}`)"
            ),
        ));
    }
    Err(input.error("expected a metadata field `key = value` or `crate = \"path\"`"))
}

/// Parses `= "path"` after `crate`.
fn parse_root_value(input: ParseStream<'_>, crate_span: Span) -> syn::Result<Path> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(
            crate_span,
            "expected `crate = \"path\"`, for example `crate = \"::memtrack\"`",
        ));
    }
    input.parse::<Token![=]>()?;
    if !input.peek(LitStr) {
        return Err(
            input.error("expected a string literal path, for example `crate = \"::memtrack\"`")
        );
    }
    let lit: LitStr = input.parse()?;
    lit.parse::<Path>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            "expected a path in the string, for example `crate = \"::memtrack\"`",
        )
    })
}

/// What a leading name literal stands for (changes only the error text).
#[derive(Clone, Copy)]
pub enum NameRole {
    /// The operation name of `#[memtrack]`.
    Operation,
    /// The checkpoint name of `checkpoint!`.
    Checkpoint,
    /// The context of `large_alloc!`.
    Context,
}

impl NameRole {
    fn describe(self) -> &'static str {
        match self {
            NameRole::Operation => "the operation name",
            NameRole::Checkpoint => "the checkpoint name",
            NameRole::Context => "the allocation context",
        }
    }

    fn example(self) -> &'static str {
        match self {
            NameRole::Operation => "#[memtrack(\"load-user\")]",
            NameRole::Checkpoint => "checkpoint!(\"parsed\")",
            NameRole::Context => "large_alloc!(\"decode-buffer\", len)",
        }
    }
}

/// Parses the leading non-empty string literal.
pub fn parse_name(input: ParseStream<'_>, role: NameRole) -> syn::Result<LitStr> {
    if input.is_empty() {
        return Err(syn::Error::new(
            Span::call_site(),
            format!(
                "expected {} as a string literal: {}",
                role.describe(),
                role.example()
            ),
        ));
    }
    if !input.peek(LitStr) {
        return Err(input.error(format!(
            "{} must be a string literal: {}",
            role.describe(),
            role.example()
        )));
    }
    let name: LitStr = input.parse()?;
    if name.value().trim().is_empty() {
        return Err(syn::Error::new(
            name.span(),
            format!("{} must not be empty", role.describe()),
        ));
    }
    Ok(name)
}

/// `::memtrack`, the path generated code goes through by default.
pub fn default_root() -> Path {
    syn::parse_quote!(::memtrack)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: proc_macro2::TokenStream) -> syn::Result<AttrArgs> {
        syn::parse2(tokens)
    }

    fn error(tokens: proc_macro2::TokenStream) -> String {
        match parse(tokens) {
            Ok(_) => String::from("<parsed>"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn name_fields_and_root() {
        let args =
            parse(quote!("load", rows = n, shown = %n, raw = ?n, r#type = 1, crate = "::other",))
                .expect("valid arguments");
        assert_eq!(args.name.value(), "load");
        let keys: Vec<_> = args.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(keys, ["rows", "shown", "raw", "type"]);
        let root = &args.root;
        assert_eq!(quote!(#root).to_string(), ":: other");
    }

    #[test]
    fn default_root_is_memtrack() {
        let args = parse(quote!("load")).expect("valid arguments");
        let root = &args.root;
        assert_eq!(quote!(#root).to_string(), ":: memtrack");
        assert!(args.fields.is_empty());
    }

    #[test]
    fn errors_name_the_mistake() {
        assert!(error(quote!()).starts_with("expected the operation name"));
        assert!(error(quote!(name)).starts_with("the operation name must be a string literal"));
        assert_eq!(error(quote!("")), "the operation name must not be empty");
        assert!(error(quote!("a", skip_all)).starts_with("unknown option `skip_all`"));
        assert!(error(quote!("a", level(info))).starts_with("unknown option `level`"));
        assert!(error(quote!("a", type = 1)).starts_with("`type` is a Rust keyword"));
        assert_eq!(error(quote!("a", k = 1, k = 2)), "duplicate key `k`");
        assert!(error(quote!("a", op_id = 1)).starts_with("`op_id` is a field memtrack writes"));
        assert_eq!(error(quote!("a", k =)), "expected a value after `k =`");
        assert!(error(quote!("a", crate = 1)).starts_with("expected a string literal path"));
        assert!(error(quote!("a", crate = "a b")).starts_with("expected a path in the string"));
        assert!(error(quote!("a", crate)).starts_with("expected `crate = \"path\"`"));
    }
}
