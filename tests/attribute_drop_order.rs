//! Parameters of a `#[memtrack]` fn are dropped as without the attribute: in
//! reverse order of declaration, after the body's locals, whole (not field by
//! field), and inside the operation.
#![deny(warnings)]
#![deny(clippy::all, clippy::pedantic)]
// The fns take their parameters by value to drop them: that is what is tested.
#![allow(clippy::needless_pass_by_value)]

use std::cell::RefCell;

use memtrack::memtrack;

thread_local! {
    static DROPS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Notes its drop, and whether an operation was running then.
struct Noisy(&'static str);

impl Drop for Noisy {
    fn drop(&mut self) {
        let inside = memtrack::active_operations() > 0;
        let line = format!("{} {}", self.0, if inside { "in" } else { "out" });
        DROPS.with(|d| d.borrow_mut().push(line));
    }
}

/// The body reads only `y`: a closure on its own would capture `y` alone.
struct Pair {
    #[allow(dead_code)]
    x: Noisy,
    y: Noisy,
}

fn name(n: &Noisy) -> &'static str {
    n.0
}

fn drops(f: impl FnOnce()) -> Vec<String> {
    DROPS.with(|d| d.borrow_mut().clear());
    f();
    DROPS.with(|d| d.borrow_mut().drain(..).collect())
}

fn plain(a: Noisy, p: Pair, b: Noisy) -> usize {
    let local = Noisy("local");
    name(&a).len() + name(&p.y).len() + name(&b).len() + name(&local).len()
}

#[memtrack("drop-order-sync")]
fn tracked(a: Noisy, p: Pair, b: Noisy) -> usize {
    let local = Noisy("local");
    name(&a).len() + name(&p.y).len() + name(&b).len() + name(&local).len()
}

fn plain_unnamed(a: Noisy, _c: Noisy) -> usize {
    name(&a).len()
}

#[memtrack("drop-order-unnamed")]
fn tracked_unnamed(a: Noisy, _c: Noisy) -> usize {
    name(&a).len()
}

async fn plain_async(a: Noisy, p: Pair, mut b: Noisy) -> usize {
    YieldOnce(false).await;
    b.0 = "b2";
    let local = Noisy("local");
    name(&a).len() + name(&p.y).len() + name(&b).len() + name(&local).len()
}

#[memtrack("drop-order-async")]
async fn tracked_async(a: Noisy, p: Pair, mut b: Noisy) -> usize {
    YieldOnce(false).await;
    b.0 = "b2";
    let local = Noisy("local");
    name(&a).len() + name(&p.y).len() + name(&b).len() + name(&local).len()
}

/// Pending once, then ready: a real suspension point.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            std::task::Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    }
}

fn args() -> (Noisy, Pair, Noisy) {
    (
        Noisy("a"),
        Pair {
            x: Noisy("px"),
            y: Noisy("py"),
        },
        Noisy("b"),
    )
}

#[test]
fn parameters_drop_in_the_fns_order_inside_the_operation() {
    let without = drops(|| {
        let (a, p, b) = args();
        plain(a, p, b);
    });
    assert_eq!(without, ["local out", "b out", "px out", "py out", "a out"]);
    let with = drops(|| {
        let (a, p, b) = args();
        tracked(a, p, b);
    });
    assert_eq!(with, ["local in", "b in", "px in", "py in", "a in"]);

    // A parameter the body does not name, whose name starts with `_`.
    let without = drops(|| {
        plain_unnamed(Noisy("a"), Noisy("c"));
    });
    assert_eq!(without, ["c out", "a out"]);
    let with = drops(|| {
        tracked_unnamed(Noisy("a"), Noisy("c"));
    });
    assert_eq!(with, ["c in", "a in"]);

    let without = drops(|| {
        let (a, p, b) = args();
        futures_executor::block_on(plain_async(a, p, b));
    });
    assert_eq!(
        without,
        ["local out", "b2 out", "px out", "py out", "a out"]
    );
    let with = drops(|| {
        let (a, p, b) = args();
        futures_executor::block_on(tracked_async(a, p, b));
    });
    assert_eq!(with, ["local in", "b2 in", "px in", "py in", "a in"]);
}
