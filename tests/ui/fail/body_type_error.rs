use memtrack::memtrack;

#[memtrack("sync-mismatch")]
fn sync_mismatch() -> u32 {
    "not a number"
}

#[memtrack("async-mismatch")]
async fn async_mismatch() -> String {
    42
}

#[memtrack("early-return-mismatch")]
fn early_return_mismatch(flag: bool) -> Result<u32, String> {
    if flag {
        return Ok("text");
    }
    Ok(1)
}

#[memtrack("question-mark-mismatch")]
fn question_mark_mismatch() -> Result<u32, std::num::ParseIntError> {
    let value: f64 = "1.5".parse()?;
    Ok(value as u32)
}

struct NoValue;

#[memtrack("metadata-without-value", thing = NoValue)]
fn metadata_without_value() {}

fn main() {
    let _ = sync_mismatch();
    drop(async_mismatch());
    let _ = early_return_mismatch(true);
    let _ = question_mark_mismatch();
    metadata_without_value();
}
