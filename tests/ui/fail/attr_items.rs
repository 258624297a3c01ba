use memtrack::memtrack;

#[memtrack("a-struct")]
struct NotAFunction {
    field: u32,
}

#[memtrack("a-const-fn")]
const fn constant() -> u32 {
    1
}

trait Service {
    #[memtrack("no-body")]
    fn call(&self) -> u32;
}

#[memtrack("a-module")]
mod nested {}

#[memtrack("keeps-the-caller")]
#[track_caller]
fn caller_located() -> u32 {
    std::panic::Location::caller().line()
}

fn main() {
    let value = NotAFunction { field: constant() };
    assert_eq!(value.field, 1);
    assert!(caller_located() > 0);
}
