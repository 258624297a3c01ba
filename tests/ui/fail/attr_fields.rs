//! Field forms that `#[tracing::instrument]` users write and memtrack answers
//! with what to write instead; every error points at the offending token.
use memtrack::memtrack;

#[memtrack("skip-all", skip_all)]
fn skip_all(_secret: &str) {}

#[memtrack("skip-list", skip(secret))]
fn skip_list(secret: &str) -> usize {
    secret.len()
}

#[memtrack("fields-list", fields(user.id = id))]
fn fields_list(id: u64) -> u64 {
    id
}

#[memtrack("err-flag", err)]
fn err_flag() -> Result<(), String> {
    Ok(())
}

#[memtrack("ret-flag", ret(Debug))]
fn ret_flag() -> u32 {
    1
}

#[memtrack("level-key", level = "debug")]
fn level_key() {}

#[memtrack("self-shorthand-keyword", ?Self)]
fn self_shorthand_keyword() {}

#[memtrack("trailing-dot", http. = 1)]
fn trailing_dot() {}

#[memtrack("call-shorthand", %url.len())]
fn call_shorthand(url: &str) -> usize {
    url.len()
}

#[memtrack("sigil-before-key", %method = method)]
fn sigil_before_key(method: &str) -> usize {
    method.len()
}

#[memtrack("reserved-shorthand", %op_name)]
fn reserved_shorthand(op_name: &str) -> usize {
    op_name.len()
}

#[memtrack("duplicate-dotted", http.method = 1, http.method = 2)]
fn duplicate_dotted() {}

#[memtrack("target-key", target = "db")]
fn target_key() {}

fn main() {
    skip_all("x");
    skip_list("x");
    fields_list(1);
    let _ = err_flag();
    ret_flag();
    level_key();
    self_shorthand_keyword();
    trailing_dot();
    call_shorthand("x");
    sigil_before_key("x");
    reserved_shorthand("x");
    duplicate_dotted();
    target_key();
}
