//! Sampled ownership of small blocks: which ones are sampled, and what each
//! stands for.
//!
//! Blocks smaller than [`TAGGED_MIN`](super::TAGGED_MIN) carry no owner tag: a tag
//! on every small block would cost more than counting itself on a workload of small
//! allocations. Their owners are estimated instead, from a sample:
//!
//! - each thread draws the distance to its next sample point from an exponential
//!   distribution of mean [`sample_interval`] bytes of small allocations; the small
//!   allocation that reaches the point is sampled, and a new distance is drawn. So
//!   each byte is a sample point with the same small probability, and an
//!   allocation of `s` bytes is sampled with probability `p(s) = 1 - exp(-s / mean)`;
//! - a sampled block is placed on a page of its own (see `sample_pages`), and its
//!   owner and weights are recorded there: `s / p(s)` bytes and `1 / p(s)` blocks,
//!   so that the sum of the weights of an owner's live sampled blocks is an unbiased
//!   estimate of its live small bytes and blocks;
//! - a free of a small block whose address starts a page looks it up (the only extra
//!   work on the free path, and only for page-aligned addresses, which the inner
//!   allocator's small blocks seldom have).

use std::sync::atomic::{AtomicU64, Ordering};

use super::exp_log;

/// Alignment of sampled small blocks: the page size.
pub(super) const SAMPLE_ALIGN: usize = 4096;

/// Default mean distance between sample points, in bytes of small allocations.
pub const DEFAULT_SAMPLE_INTERVAL: u64 = 256 * 1024;

/// The mean distance between sample points (0: sampling off).
static INTERVAL: AtomicU64 = AtomicU64::new(DEFAULT_SAMPLE_INTERVAL);

/// The mean sample distances accepted, in bytes (besides 0, sampling off).
///
/// Each sampled block takes a page of its own out of a fixed region (262,144 pages,
/// 1 GiB of address space, touched only as it is used), so a shorter distance
/// would cost a page of memory per few small blocks and could use the region up on
/// a large heap; at 64 KiB a page stands for 16 times its size of small blocks, and
/// the region lasts until about 16 GiB of them are live.
///
/// ```
/// assert!(memtrack_runtime::alloc::SAMPLE_INTERVALS.contains(&memtrack_runtime::alloc::DEFAULT_SAMPLE_INTERVAL));
/// ```
pub const SAMPLE_INTERVALS: std::ops::RangeInclusive<u64> = MIN_INTERVAL..=MAX_INTERVAL;

/// Sets the mean distance between sample points of small allocations, in bytes
/// (0 turns sampling off: small blocks are then all owned by nobody in particular and
/// counted in the untracked bucket). Other values are brought into
/// [`SAMPLE_INTERVALS`]. Takes effect for each thread at its next sample.
///
/// ```
/// use memtrack_runtime::alloc::{set_sample_interval, sample_interval, DEFAULT_SAMPLE_INTERVAL};
///
/// set_sample_interval(512 * 1024);
/// assert_eq!(sample_interval(), 512 * 1024);
/// set_sample_interval(1);
/// assert_eq!(sample_interval(), 64 * 1024);
/// set_sample_interval(DEFAULT_SAMPLE_INTERVAL);
/// ```
pub fn set_sample_interval(bytes: u64) {
    let bytes = if bytes == 0 {
        0
    } else {
        bytes.clamp(MIN_INTERVAL, MAX_INTERVAL)
    };
    INTERVAL.store(bytes, Ordering::Relaxed);
}

/// Sets the interval as it is, below the accepted range too (every allocation is
/// sampled at 1): for tests that need each block sampled.
#[cfg(test)]
pub(super) fn set_interval_unchecked(bytes: u64) {
    INTERVAL.store(bytes, Ordering::Relaxed);
}

/// The mean distance between sample points of small allocations, in bytes.
///
/// ```
/// assert!(memtrack_runtime::alloc::sample_interval() > 0);
/// ```
pub fn sample_interval() -> u64 {
    INTERVAL.load(Ordering::Relaxed)
}

/// Largest accepted interval (1 TiB): far above any useful value, and small enough
/// that distances and weights stay far from overflowing.
const MAX_INTERVAL: u64 = 1 << 40;

/// Smallest accepted interval (64 KiB); see [`SAMPLE_INTERVALS`].
const MIN_INTERVAL: u64 = 64 * 1024;

/// The countdown a thread starts from, and keeps while sampling is off: no
/// allocation reaches zero from it in the life of a process (2^62 bytes).
pub(super) const NEVER: i64 = 1 << 62;

/// Weights of a sampled block, in whole bytes and in 1/[`BLOCK_UNIT`] blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Weights {
    pub(super) bytes: u64,
    pub(super) blocks: u64,
}

/// Fixed-point unit of block weights: a block weight of `BLOCK_UNIT` is one block.
pub const BLOCK_UNIT: u64 = 1024;

/// The weights of a sampled block of `size` bytes under a mean interval of `mean`
/// bytes: `size / p` and `1 / p`, with `p = 1 - exp(-size / mean)`.
pub(super) fn weights(size: u64, mean: u64) -> Weights {
    if mean == 0 || size == 0 {
        return Weights {
            bytes: size,
            blocks: BLOCK_UNIT,
        };
    }
    let p = exp_log::one_minus_exp_neg(size as f64 / mean as f64);
    // p > 0 for size > 0; the casts saturate should it ever round to zero.
    Weights {
        bytes: ((size as f64) / p).round() as u64,
        blocks: ((BLOCK_UNIT as f64) / p).round() as u64,
    }
}

/// A thread's random source for sample distances (xorshift64*; never zero).
pub(super) fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    if x == 0 {
        x = 0x9E37_79B9_7F4A_7C15;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// A distance to the next sample point: exponential with mean `mean` (at least 1),
/// or [`NEVER`] when sampling is off.
pub(super) fn next_distance(state: &mut u64, mean: u64) -> i64 {
    if mean == 0 {
        return NEVER;
    }
    // Uniform in (0, 1]: 53 random bits, plus one so that the logarithm is finite.
    let uniform = ((next_random(state) >> 11) + 1) as f64 / (1u64 << 53) as f64;
    let distance = -exp_log::ln(uniform) * mean as f64;
    (distance as i64).clamp(1, NEVER)
}

/// Whether a small block at `ptr` may be a sampled one (it starts on a page).
#[inline(always)]
pub(super) fn may_be_sampled(ptr: *mut u8) -> bool {
    (ptr as usize) & (SAMPLE_ALIGN - 1) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_the_inverse_of_the_sampling_probability() {
        let mean = 256 * 1024;
        let w = weights(100, mean);
        let p = 1.0 - (-100.0f64 / mean as f64).exp();
        assert_eq!(w.bytes, (100.0 / p).round() as u64);
        assert_eq!(w.blocks, (1024.0 / p).round() as u64);
        // A block far larger than the mean is sampled almost surely: weight ~ size.
        let big = weights(1 << 30, mean);
        assert_eq!(big.bytes, 1 << 30);
        assert_eq!(big.blocks, BLOCK_UNIT);
    }

    #[test]
    fn distances_average_to_the_mean() {
        let mut state = 42;
        // Fewer under miri, which interprets every step of the logarithm.
        let n: u32 = if cfg!(miri) { 5_000 } else { 200_000 };
        let mean = 1000u64;
        let total: i64 = (0..n).map(|_| next_distance(&mut state, mean)).sum();
        let average = total as f64 / f64::from(n);
        // Five standard deviations of the average (the distances' is the mean).
        let bound = 5.0 * 1000.0 / f64::from(n).sqrt();
        assert!((average - 1000.0).abs() < bound, "{average}");
        assert_eq!(next_distance(&mut state, 0), NEVER);
    }
}
