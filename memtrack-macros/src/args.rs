//! Arguments of `#[memtrack(...)]`.
//!
//! ```text
//! args   := NAME ("," arg)* [","]
//! NAME   := non-empty string literal
//! arg    := "crate" "=" STRING          (the path memtrack is reached through)
//!         | field                       (a metadata field, see `fields`)
//! ```
//!
//! Anything else is an error pointing at the offending token: `ident(...)` is
//! an unknown option, a key is given once, and memtrack's own field names are
//! reserved. The options of `#[tracing::instrument]` (`skip_all`, `err`,
//! `fields(..)`, ...) are answered with what to write instead.

use std::collections::HashSet;

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Path, Token, token};

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
                    check_not_an_instrument_option(&field)?;
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
    /// A metadata field.
    Field(Field),
}

/// Parses one argument: `crate = "path"` or a metadata field.
pub fn parse_arg(input: ParseStream<'_>) -> syn::Result<Arg> {
    if input.peek(Token![crate]) && !input.peek2(Token![.]) {
        let token: Token![crate] = input.parse()?;
        let path = parse_root_value(input, token.span)?;
        return Ok(Arg::Root(token.span, path));
    }
    if input.peek(Ident) && input.peek2(token::Paren) {
        let option: Ident = input.parse()?;
        let hint = instrument_hint(&option.to_string()).map_or_else(
            || String::from("metadata is written `key = value`, `%key` or `?key`, and the only option is `crate = \"path\"`"),
            |hint| format!("`#[tracing::instrument]` has it, memtrack does not: {hint}"),
        );
        return Err(syn::Error::new(
            option.span(),
            format!("unknown option `{option}`: {hint}"),
        ));
    }
    if input.peek(LitStr) && input.peek2(Token![=]) {
        let key: LitStr = input.parse()?;
        return Err(syn::Error::new(
            key.span(),
            format!(
                "a metadata key is written without quotes: `{} = value` (dots allowed, as in `http.method`)",
                key.value()
            ),
        ));
    }
    if fields::peek_field(input) {
        return fields::parse_field(input).map(Arg::Field);
    }
    Err(input
        .error("expected a metadata field (`key = value`, `%key`, `?key`) or `crate = \"path\"`"))
}

/// A bare `skip_all`, `err` or `ret` is a flag of `#[tracing::instrument]`
/// rather than a variable recorded under its own name, and `level = ..` or
/// `target = ..` its options rather than metadata.
fn check_not_an_instrument_option(field: &Field) -> syn::Result<()> {
    let name = field.name.as_str();
    let option = if field.shorthand {
        field.sigil == fields::Sigil::Plain && matches!(name, "skip_all" | "err" | "ret")
    } else {
        matches!(name, "level" | "target")
    };
    match instrument_hint(name) {
        Some(hint) if option => {
            let aside = if field.shorthand {
                format!(" (to record a variable named `{name}`, write `{name} = {name}`)")
            } else {
                String::new()
            };
            Err(field.key_error(format!(
                "`{name}` is an option of `#[tracing::instrument]`, not of memtrack: {hint}{aside}"
            )))
        }
        _ => Ok(()),
    }
}

/// What to write instead of an option of `#[tracing::instrument]`.
fn instrument_hint(option: &str) -> Option<&'static str> {
    Some(match option {
        "skip" | "skip_all" => {
            "memtrack records only the fields written in the attribute, so nothing needs skipping; remove it"
        }
        "fields" => {
            "write the fields directly after the name, as in `#[memtrack(\"load\", user.id = id)]`"
        }
        "err" => {
            "memtrack records a returned `Err` by itself (its `Display` text, else its `Debug` text); remove it"
        }
        "ret" => "memtrack does not record return values; remove it",
        "level" => {
            "memtrack chooses the level of its events (info; warn for spikes and panics); remove it"
        }
        "target" => "memtrack's events have the target `memtrack`; remove it",
        _ => return None,
    })
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
#[derive(Clone, Copy, PartialEq, Eq)]
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
    if role == NameRole::Operation
        && let Some(meaning) = reserved_meaning(&name.value())
    {
        return Err(syn::Error::new(
            name.span(),
            format!(
                "the operation name `{}` is memtrack's own: it reports {meaning} under it; choose another name",
                name.value()
            ),
        ));
    }
    let chars = name.value().chars().count();
    if role == NameRole::Operation && chars > MAX_NAME_CHARS {
        return Err(syn::Error::new(
            name.span(),
            format!(
                "the operation name is {chars} characters long; at most {MAX_NAME_CHARS} are kept, so write a shorter one"
            ),
        ));
    }
    Ok(name)
}

/// What memtrack reports under `name`, when the name is one of its own buckets'
/// (`memtrack::retained::UNTRACKED_NAME`, `memtrack::sites::OVERFLOW_NAME`).
fn reserved_meaning(name: &str) -> Option<&'static str> {
    match name {
        "untracked" => Some("the heap allocated outside every operation"),
        "other" => Some("the operations whose names are past its limits"),
        _ => None,
    }
}

/// The longest operation name the runtime keeps
/// (`memtrack::metadata::MAX_NAME_LEN`): a longer literal is an error here rather
/// than a name cut at run time.
const MAX_NAME_CHARS: usize = 128;

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
            parse(quote!("load", rows = n, shown = %n, raw = ?n, r#type = 1, crate = "::other", http.method = %m, n, %url, ?req, Self = 1, crate.name = "x",))
                .expect("valid arguments");
        assert_eq!(args.name.value(), "load");
        let keys: Vec<_> = args.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            keys,
            [
                "rows",
                "shown",
                "raw",
                "type",
                "http.method",
                "n",
                "url",
                "req",
                "Self",
                "crate.name"
            ]
        );
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
        assert_eq!(
            error(quote!("untracked")),
            "the operation name `untracked` is memtrack's own: it reports the heap allocated outside every operation under it; choose another name"
        );
        assert_eq!(
            error(quote!("other")),
            "the operation name `other` is memtrack's own: it reports the operations whose names are past its limits under it; choose another name"
        );
        let longest = "n".repeat(128);
        assert!(parse(quote!(#longest)).is_ok());
        let longer = "é".repeat(129);
        assert_eq!(
            error(quote!(#longer)),
            "the operation name is 129 characters long; at most 128 are kept, so write a shorter one"
        );
        assert!(
            error(quote!("a", skip_all))
                .starts_with("`skip_all` is an option of `#[tracing::instrument]`")
        );
        assert!(
            error(quote!("a", err)).starts_with("`err` is an option of `#[tracing::instrument]`")
        );
        assert!(
            error(quote!("a", level = "debug"))
                .starts_with("`level` is an option of `#[tracing::instrument]`")
        );
        assert!(
            error(quote!("a", target = "x"))
                .starts_with("`target` is an option of `#[tracing::instrument]`")
        );
        assert!(parse(quote!("a", %err, ret = 1)).is_ok());
        assert!(
            error(quote!("a", level(info)))
                .starts_with("unknown option `level`: `#[tracing::instrument]` has it")
        );
        assert!(
            error(quote!("a", fields(a = 1))).contains("write the fields directly after the name")
        );
        assert!(
            error(quote!("a", frobnicate(1)))
                .starts_with("unknown option `frobnicate`: metadata is written")
        );
        assert!(
            error(quote!("a", "rows" = 1))
                .starts_with("a metadata key is written without quotes: `rows = value`")
        );
        assert!(error(quote!("a", 5)).starts_with("expected a metadata field"));
        assert_eq!(error(quote!("a", k = 1, k = 2)), "duplicate key `k`");
        assert!(error(quote!("a", op_id = 1)).starts_with("`op_id` is a field memtrack writes"));
        assert!(error(quote!("a", %op_id)).ends_with("as in `op_id_value = op_id`"));
        assert_eq!(
            error(quote!("a", http.method = 1, http.method = 2)),
            "duplicate key `http.method`"
        );
        assert_eq!(error(quote!("a", k =)), "expected a value after `k =`");
        assert!(error(quote!("a", crate = 1)).starts_with("expected a string literal path"));
        assert!(error(quote!("a", crate = "a b")).starts_with("expected a path in the string"));
        assert!(error(quote!("a", crate)).starts_with("expected `crate = \"path\"`"));
    }
}
