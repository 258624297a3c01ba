use memtrack::memtrack;

#[memtrack]
fn no_name() {}

#[memtrack()]
fn empty_parens() {}

#[memtrack(load_user)]
fn identifier_name() {}

#[memtrack(42)]
fn number_name() {}

#[memtrack(concat!("a", "b"))]
fn macro_name() {}

#[memtrack("")]
fn empty_name() {}

#[memtrack("   ")]
fn blank_name() {}

#[memtrack("an-operation-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on-and-on")]
fn long_name() {}

#[memtrack("untracked")]
fn reserved_untracked() {}

#[memtrack("other")]
fn reserved_other() {}

fn main() {
    no_name();
    empty_parens();
    identifier_name();
    number_name();
    macro_name();
    empty_name();
    blank_name();
    long_name();
    reserved_untracked();
    reserved_other();
}
