use memtrack::{checkpoint, large_alloc, record};

fn main() {
    let rows = 3_usize;
    checkpoint!();
    checkpoint!(parsed);
    checkpoint!("");
    checkpoint!("parsed" rows);
    checkpoint!("parsed", rows = rows extra);
    checkpoint!("parsed", op_name = "x");
    large_alloc!("buffer");
    large_alloc!("buffer",);
    large_alloc!(buffer, rows);
    large_alloc!("buffer", rows, rows = 1, rows = 2);
    record!();
    record!(%rows.len());
    record!(rows = rows, 5);
}
