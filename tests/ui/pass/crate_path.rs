//! `crate = "path"` reaches memtrack under another name.
extern crate memtrack as renamed;

mod reexport {
    pub(crate) use renamed as tracking;
}

#[renamed::memtrack("renamed", crate = "::renamed", rows = 1_u32)]
fn through_extern_crate() -> u32 {
    renamed::checkpoint!(crate = "::renamed", "halfway", step = 1_u32);
    renamed::record!(crate = "::renamed", more = true);
    renamed::large_alloc!(crate = "::renamed", "buffer", 16_usize);
    1
}

#[renamed::memtrack("reexported", crate = "crate::reexport::tracking")]
async fn through_module() -> u32 {
    2
}

fn main() {
    assert_eq!(through_extern_crate(), 1);
    assert_eq!(futures_executor::block_on(through_module()), 2);
}
