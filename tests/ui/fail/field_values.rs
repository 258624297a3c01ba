//! Errors in a field's value point at the value the user wrote.
use memtrack::{memtrack, record};

#[memtrack("missing-variable", %missing, user.account = account)]
fn missing_variable() {}

fn main() {
    missing_variable();
    record!(%also_missing);
}
