//! Whether an `async fn` body may suspend, read from its syntax.
//!
//! A body that never awaits runs to completion in its first poll, so it can run
//! as a closure inside the fn's future instead of as an inner future polled by
//! it. That is what keeps `clippy::unused_async` the user's: the lint looks for
//! an `.await` in the fn's own body, and an expansion that awaits its inner
//! future would always provide one.
//!
//! The answer must never be "no" for a body that awaits (a closure cannot
//! contain `.await`, so that would not compile). Hence it is conservative: an
//! `.await` counts unless it belongs to a nested `async` block, closure or item;
//! a macro call counts as a possible `.await` unless it is one of the standard,
//! `tracing` or memtrack macros, which never await by themselves, and its input
//! has no `await` and no `async` (a macro of the user's own that shadows one of
//! those names and awaits a future it is given then still compiles; one that awaits
//! what it builds itself from an input without either word does not).

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{Block, ExprAsync, ExprAwait, ExprClosure, Item, Macro};

/// Macros that do not await unless their input does.
const PLAIN_MACROS: &[&str] = &[
    // std and core
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "vec",
    "matches",
    "dbg",
    "concat",
    "stringify",
    "line",
    "column",
    "file",
    "module_path",
    "cfg",
    "env",
    "option_env",
    "include_str",
    "include_bytes",
    // tracing
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "event",
    // memtrack
    "checkpoint",
    "record",
    "large_alloc",
];

/// Whether `block` (an `async fn`'s body) may await.
pub fn may_await(block: &Block) -> bool {
    let mut finder = FindAwait { found: false };
    finder.visit_block(block);
    finder.found
}

struct FindAwait {
    found: bool,
}

impl<'ast> Visit<'ast> for FindAwait {
    fn visit_expr_await(&mut self, _: &'ast ExprAwait) {
        self.found = true;
    }

    fn visit_macro(&mut self, mac: &'ast Macro) {
        let plain = mac
            .path
            .segments
            .last()
            .is_some_and(|segment| PLAIN_MACROS.iter().any(|name| segment.ident == name));
        if !plain || mentions_await_or_async(mac.tokens.clone()) {
            self.found = true;
        }
    }

    // Nested bodies await for themselves.
    fn visit_expr_async(&mut self, _: &'ast ExprAsync) {}
    fn visit_expr_closure(&mut self, _: &'ast ExprClosure) {}
    fn visit_item(&mut self, _: &'ast Item) {}

    fn visit_block(&mut self, block: &'ast Block) {
        if !self.found {
            visit::visit_block(self, block);
        }
    }
}

/// Whether a known macro's input may await: it mentions `await` or `async`, or it
/// calls another macro (`tokio::join!(..)` inside `println!`), which may expand to
/// an `.await`. (A false yes only costs the cheaper expansion.)
fn mentions_await_or_async(tokens: TokenStream) -> bool {
    let mut after_ident = false;
    tokens.into_iter().any(|token| {
        let found = match &token {
            TokenTree::Ident(ident) => ident == "await" || ident == "async",
            TokenTree::Group(group) => mentions_await_or_async(group.stream()),
            TokenTree::Punct(punct) => {
                after_ident && punct.as_char() == '!' && punct.spacing() == Spacing::Alone
            }
            TokenTree::Literal(_) => false,
        };
        after_ident = matches!(token, TokenTree::Ident(_));
        found
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn awaits(block: Block) -> bool {
        may_await(&block)
    }

    #[test]
    fn an_await_in_the_body_counts() {
        assert!(awaits(syn::parse_quote!({ f().await })));
        assert!(awaits(syn::parse_quote!({
            if x { g(f().await) } else { 0 }
        })));
        assert!(awaits(syn::parse_quote!({
            let v = async { 1 }.await;
            v
        })));
    }

    #[test]
    fn nested_bodies_do_not_count() {
        assert!(!awaits(syn::parse_quote!({ 1 })));
        assert!(!awaits(syn::parse_quote!({
            spawn(async move { f().await })
        })));
        assert!(!awaits(syn::parse_quote!({
            let c = async || f().await;
            c
        })));
        assert!(!awaits(syn::parse_quote!({
            async fn inner() {
                f().await
            }
            inner()
        })));
    }

    #[test]
    fn macros_count_unless_known_and_plain() {
        assert!(!awaits(syn::parse_quote!({
            println!("{}", 1);
            vec![1]
        })));
        assert!(!awaits(syn::parse_quote!({
            tracing::info!(n = 1);
            std::format!("x")
        })));
        assert!(awaits(syn::parse_quote!({ println!("{}", f().await) })));
        assert!(awaits(syn::parse_quote!({ tokio::join!(a, b) })));
        assert!(awaits(syn::parse_quote!({ my_macro!() })));
        // A known name given a future may be a macro of the user's that awaits it.
        assert!(awaits(syn::parse_quote!({ debug!(async { 1 }) })));
        // A macro inside a known one may expand to an await.
        assert!(awaits(syn::parse_quote!({
            println!("{:?}", tokio::join!(a(), b()))
        })));
        assert!(awaits(syn::parse_quote!({ assert_eq!(wait!(f()), 1) })));
        assert!(awaits(syn::parse_quote!({ vec![wait!(f())] })));
        // `!=` and `!x` are no macros.
        assert!(!awaits(syn::parse_quote!({ assert!(a != b && !c) })));
    }
}
