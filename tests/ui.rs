//! Compile-time behaviour of the macros: misuse gives one clear error at the
//! offending token, and correct use compiles without warnings under strict lints.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
