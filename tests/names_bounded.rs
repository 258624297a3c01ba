//! Operation names are bounded like every other text, and the table of names
//! interned for `memtrack::start` is bounded in bytes as well as in count. Its own
//! binary: interning is process-wide and this test fills the table.

mod support;

use memtrack::metadata::MAX_NAME_LEN;
use memtrack::sites::{self, MAX_INTERNED_NAME_BYTES, MAX_INTERNED_NAMES, OVERFLOW_NAME};
use support::{log_everything, logs};

/// Bytes of every interned name (the static sites of this binary are short).
fn interned_name_bytes() -> usize {
    sites::all()
        .filter(|s| s.name() != OVERFLOW_NAME)
        .map(|s| s.name().len())
        .sum()
}

#[test]
fn names_and_the_interning_table_are_bounded() {
    a_huge_name_is_cut_in_the_tracker_and_in_its_event();
}

fn a_huge_name_is_cut_in_the_tracker_and_in_its_event() {
    let lines = log_everything();
    let huge = format!("huge-name-{}", "n".repeat(1 << 20));
    let op = memtrack::start(huge.clone());
    let expected = format!("{}…", &huge[..MAX_NAME_LEN]);
    assert!(op.name() == expected, "the name was not cut");
    assert!(op.id().starts_with(&format!("{expected}-")));
    op.end();
    let line = lines
        .lines()
        .into_iter()
        .find(|l| {
            l["op_name"]
                .as_str()
                .is_some_and(|n| n.starts_with("huge-name-"))
        })
        .expect("the operation was logged");
    assert!(line["op_name"] == expected.as_str(), "op_name was not cut");
    assert!(
        line.to_string().len() < 4096,
        "{} bytes",
        line.to_string().len()
    );

    // The same huge name from a tracked future is cut the same way, and both share
    // one site.
    use memtrack::future::Track;
    futures_executor::block_on(
        async {
            std::future::ready(()).await;
        }
        .track(huge),
    );
    let site = sites::all().find(|s| s.name() == expected).unwrap();
    assert_eq!(site.totals().started, 2);
    let _ = logs();

    the_interning_table_is_bounded_in_bytes();
}

/// Run after the test above (the table it fills is process-wide).
fn the_interning_table_is_bounded_in_bytes() {
    // Distinct names, each longer than the name bound: without a byte bound the
    // table would keep every one of them (here about 0.5 MB; 4,096 names of 256 KiB
    // kept 2 GiB).
    for i in 0..MAX_INTERNED_NAMES {
        let name = format!("interned-{i:05}-{}", "x".repeat(4096));
        memtrack::start(name).end();
    }
    let bytes = interned_name_bytes();
    assert!(
        bytes <= MAX_INTERNED_NAME_BYTES,
        "{bytes} bytes of names interned, bound {MAX_INTERNED_NAME_BYTES}"
    );
    assert!(bytes + MAX_NAME_LEN * 4 + 4 > MAX_INTERNED_NAME_BYTES);
    // Names past the bound are counted under the overflow site, and their events
    // still carry their own (bounded) name.
    let late = format!("interned-late-{}", "y".repeat(200));
    let op = memtrack::start(late.clone());
    assert_eq!(op.name(), format!("{}…", &late[..MAX_NAME_LEN]));
    op.end();
    let overflow = sites::all().find(|s| s.name() == OVERFLOW_NAME).unwrap();
    assert!(overflow.totals().ended >= 1);
}
