//! The operation clock: a timestamp that costs a few nanoseconds to take.
//!
//! Every operation reads the clock twice, and `clock_gettime` (what
//! `Instant::now()` calls) costs 20 to 40 ns on common virtual machines: most of an
//! operation's cost. On x86-64 processors whose time stamp counter is invariant
//! (constant rate, never stopped; CPUID leaf `0x8000_0007`), a stamp is the counter
//! itself (`rdtsc`), converted to nanoseconds with a rate measured against
//! `Instant` during the first [`CALIBRATION`] of the process. Elsewhere a stamp is
//! the nanoseconds since a process anchor read through `Instant`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long the counter's rate is measured against `Instant` before it is fixed.
/// Until then every conversion measures it again (and costs an `Instant` read).
pub(crate) const CALIBRATION: Duration = Duration::from_millis(100);

/// A point in time on the operation clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp(u64);

impl Stamp {
    /// The stamp as a number, for keeping it in an atomic.
    pub(crate) fn raw(self) -> u64 {
        self.0
    }

    /// A stamp kept with [`raw`](Self::raw).
    pub(crate) fn from_raw(raw: u64) -> Self {
        Stamp(raw)
    }
}

#[derive(Debug)]
struct Anchor {
    instant: Instant,
    /// The counter at `instant` (TSC mode), unused otherwise.
    ticks: u64,
    tsc: bool,
}

static ANCHOR: OnceLock<Anchor> = OnceLock::new();
/// Nanoseconds per counter tick in 32.32 fixed point once fixed; 0 while
/// calibrating. Fixed point keeps a conversion to one multiplication: converting
/// between integers and floating point costs tens of instructions on x86-64.
static NANOS_PER_TICK_Q32: AtomicU64 = AtomicU64::new(0);

/// One nanosecond per tick, in 32.32 fixed point.
const ONE_Q32: u64 = 1 << 32;

fn anchor() -> &'static Anchor {
    ANCHOR.get_or_init(|| {
        let tsc = tsc::invariant();
        Anchor {
            instant: Instant::now(),
            ticks: if tsc { tsc::read() } else { 0 },
            tsc,
        }
    })
}

/// The current time.
#[inline]
pub(crate) fn now() -> Stamp {
    let anchor = anchor();
    if anchor.tsc {
        Stamp(tsc::read())
    } else {
        Stamp(nanos_since(anchor.instant, Instant::now()))
    }
}

fn nanos_since(from: Instant, to: Instant) -> u64 {
    u64::try_from(to.saturating_duration_since(from).as_nanos()).unwrap_or(u64::MAX)
}

/// The time from `from` to `to` (zero if `to` is earlier).
#[inline]
pub(crate) fn between(from: Stamp, to: Stamp) -> Duration {
    let delta = to.0.saturating_sub(from.0);
    if !anchor().tsc {
        return Duration::from_nanos(delta);
    }
    let nanos = (u128::from(delta) * u128::from(nanos_per_tick_q32())) >> 32;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The counter's rate in 32.32 fixed point: fixed after [`CALIBRATION`], measured
/// anew before.
#[inline]
fn nanos_per_tick_q32() -> u64 {
    match NANOS_PER_TICK_Q32.load(Ordering::Relaxed) {
        0 => calibrate(),
        fixed => fixed,
    }
}

/// Measures the counter's rate against `Instant` since the anchor, and fixes it
/// once the anchor is [`CALIBRATION`] old.
#[cold]
fn calibrate() -> u64 {
    let anchor = anchor();
    let (instant, ticks) = (Instant::now(), tsc::read());
    let elapsed = instant.saturating_duration_since(anchor.instant);
    let counted = ticks.saturating_sub(anchor.ticks);
    if counted == 0 {
        return ONE_Q32;
    }
    let rate = (elapsed.as_nanos() << 32) / u128::from(counted);
    let Ok(rate) = u64::try_from(rate) else {
        return ONE_Q32;
    };
    if elapsed >= CALIBRATION && rate > 0 {
        NANOS_PER_TICK_Q32.store(rate, Ordering::Relaxed);
    }
    rate.max(1)
}

#[cfg(target_arch = "x86_64")]
mod tsc {
    use std::arch::x86_64::{__cpuid, _rdtsc};

    /// Whether the time stamp counter ticks at a constant rate in every power state
    /// (CPUID leaf 0x8000_0007, EDX bit 8).
    pub(super) fn invariant() -> bool {
        // Leaf 0x8000_0000 reports the highest extended leaf; 0x8000_0007 is only
        // read when it exists.
        let highest = __cpuid(0x8000_0000).eax;
        highest >= 0x8000_0007 && __cpuid(0x8000_0007).edx & (1 << 8) != 0
    }

    #[inline]
    pub(super) fn read() -> u64 {
        // SAFETY: RDTSC exists on every x86-64 processor and only reads the counter.
        unsafe { _rdtsc() }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod tsc {
    pub(super) fn invariant() -> bool {
        false
    }

    pub(super) fn read() -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_measure_real_time() {
        // Past the calibration window, so the fixed rate is exercised too.
        for sleep in [
            Duration::from_millis(5),
            CALIBRATION,
            Duration::from_millis(20),
        ] {
            let (i0, s0) = (Instant::now(), now());
            std::thread::sleep(sleep);
            let (s1, i1) = (now(), Instant::now());
            let measured = between(s0, s1);
            let reference = i1 - i0;
            assert!(measured >= sleep, "{measured:?} < {sleep:?}");
            let gap = measured.abs_diff(reference);
            assert!(
                gap < reference / 20 + Duration::from_micros(50),
                "{measured:?} vs {reference:?}"
            );
        }
    }

    #[test]
    fn earlier_end_is_zero() {
        let a = now();
        assert_eq!(between(a, a), Duration::ZERO);
        assert_eq!(between(Stamp(10), Stamp(5)), Duration::ZERO);
    }

    #[test]
    fn the_counter_is_used_where_it_is_invariant() {
        assert_eq!(anchor().tsc, tsc::invariant());
    }
}
