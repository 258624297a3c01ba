//! The metadata field grammar `tracing`'s `fields(..)` users write: dotted keys,
//! fields named after a variable, keywords as keys; read back from the JSON
//! line, where every key is a top-level key spelled as written.

mod support;

use std::fmt;

use memtrack::{checkpoint, large_alloc, memtrack, record};
use support::{events_of, log_everything, only_operation};

struct Request {
    id: u32,
    path: &'static str,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Request#{}", self.id)
    }
}

#[memtrack(
    "fields-dotted",
    http.method = %method,
    user.id = id,
    s.len = s.len(),
    user.r#type = "admin",
)]
fn dotted(method: &str, id: u64, s: &str) -> usize {
    s.len()
}

#[test]
fn dotted_keys_are_top_level_json_keys() {
    let logs = log_everything();
    assert_eq!(dotted("GET", 42, "four"), 4);
    let event = only_operation("fields-dotted");
    assert_eq!(event["http.method"], "GET");
    assert_eq!(event["user.id"], 42);
    assert_eq!(event["s.len"], 4);
    assert_eq!(event["user.type"], "admin");
    assert!(event.get("http").is_none(), "{event:#}");
    assert!(event.get("user").is_none(), "{event:#}");

    let line = logs
        .raw_lines()
        .into_iter()
        .find(|line| line.contains(r#""op_name":"fields-dotted""#))
        .expect("the operation's JSON line");
    assert!(line.contains(r#","http.method":"GET""#), "{line}");
    assert!(line.contains(r#","user.id":42"#), "{line}");
    assert!(line.contains(r#","s.len":4"#), "{line}");
}

#[memtrack("fields-shorthand", n, %url, ?req, %req.path, ?req.id)]
fn shorthand(n: u32, url: &str, req: &Request) -> u32 {
    n + req.id
}

#[test]
fn a_bare_variable_is_recorded_under_its_own_name() {
    let _logs = log_everything();
    let req = Request { id: 9, path: "/a" };
    assert_eq!(shorthand(1, "https://example.com/", &req), 10);
    let event = only_operation("fields-shorthand");
    assert_eq!(event["n"], 1);
    assert_eq!(event["url"], "https://example.com/");
    assert_eq!(event["req"], "Request#9");
    assert_eq!(event["req.path"], "/a");
    assert_eq!(event["req.id"], "9");
}

struct Service {
    id: u32,
}

impl Service {
    #[memtrack("fields-self", ?self.id, type = "service", Self = "Service", self.kind = 2)]
    fn call(&self) -> u32 {
        self.id
    }
}

#[test]
fn keywords_name_keys_and_self_names_a_field() {
    let _logs = log_everything();
    assert_eq!(Service { id: 5 }.call(), 5);
    let event = only_operation("fields-self");
    assert_eq!(event["self.id"], "5");
    assert_eq!(event["type"], "service");
    assert_eq!(event["Self"], "Service");
    assert_eq!(event["self.kind"], 2);
}

#[memtrack("fields-function-like")]
fn function_like(rows: u64, method: &str) -> u64 {
    checkpoint!("fields-halfway", rows, http.method = %method);
    record!(%method, db.rows = rows);
    large_alloc!(
        "fields-buffer",
        rows * 1_000_000,
        buffer.kind = "rows",
        rows
    );
    rows
}

#[test]
fn function_like_macros_take_the_same_fields() {
    let logs = log_everything();
    assert_eq!(function_like(3, "POST"), 3);
    let event = only_operation("fields-function-like");
    assert_eq!(event["method"], "POST");
    assert_eq!(event["db.rows"], 3);

    let checkpoints = events_of("memory_checkpoint", "fields-function-like");
    assert_eq!(checkpoints.len(), 1);
    assert_eq!(checkpoints[0]["rows"], 3);
    assert_eq!(checkpoints[0]["http.method"], "POST");

    let allocations: Vec<_> = logs
        .events("large_allocation")
        .into_iter()
        .filter(|line| line["context"] == "fields-buffer")
        .collect();
    assert_eq!(allocations.len(), 1, "{allocations:#?}");
    assert_eq!(allocations[0]["buffer.kind"], "rows");
    assert_eq!(allocations[0]["rows"], 3);
}
