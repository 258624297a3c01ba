use memtrack::memtrack;

#[memtrack("unknown-option", skip_all)]
fn unknown_option() {}

#[memtrack("unknown-list-option", level(info))]
fn unknown_list_option() {}

#[memtrack("keyword-shorthand", %type)]
fn keyword_shorthand() {}

#[memtrack("literal-key", "rows" = 1)]
fn literal_key() {}

#[memtrack("duplicate-key", rows = 1, rows = 2)]
fn duplicate_key() {}

#[memtrack("duplicate-crate", crate = "::memtrack", crate = "::memtrack")]
fn duplicate_crate() {}

#[memtrack("reserved-key", op_id = 1)]
fn reserved_key() {}

#[memtrack("reserved-ended-by", ended_by = %"x")]
fn reserved_ended_by() {}

#[memtrack("missing-value", rows = )]
fn missing_value() {}

#[memtrack("crate-number", crate = 123)]
fn crate_number() {}

#[memtrack("crate-not-a-path", crate = "not a path")]
fn crate_not_a_path() {}

#[memtrack("missing-comma" rows = 1)]
fn missing_comma() {}

fn main() {
    unknown_option();
    unknown_list_option();
    keyword_shorthand();
    literal_key();
    duplicate_key();
    duplicate_crate();
    reserved_key();
    reserved_ended_by();
    missing_value();
    crate_number();
    crate_not_a_path();
    missing_comma();
}
