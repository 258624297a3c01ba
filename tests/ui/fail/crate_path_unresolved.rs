//! The generated code goes through the `crate = "path"` given, not `::memtrack`.
use memtrack::memtrack;

#[memtrack("unresolved", crate = "crate::nowhere")]
fn unresolved() {}

fn main() {
    unresolved();
}
