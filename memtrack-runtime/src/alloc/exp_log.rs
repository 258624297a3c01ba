//! The two transcendental functions the sampler needs, computed here rather than
//! by the C math library.
//!
//! Drawing a sample distance takes a logarithm, and a sampled block's weights take
//! `1 - exp(-x)`. With `f64::ln` and `f64::exp_m1` the first sample of the process
//! pulls libm's code and tables into memory: about 300 KiB of resident pages in a
//! small process, more than everything else counting costs there (BENCHMARKS.md,
//! "Memory"). These are plain series after a range reduction, within a relative
//! 1e-15 of the exact values, far finer than a sampling estimate needs.

/// ln 2 split in two: a high part whose low 21 bits are zero, so that `k * LN_2_HI`
/// is exact for every `k` used here, and the rest.
const LN_2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN_2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// The natural logarithm of `x`, for `x > 0` and finite. Zero gives negative
/// infinity; a negative or NaN argument gives NaN.
pub(super) fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x.is_infinite() {
        return x;
    }
    // x = m * 2^e with m in [1, 2); subnormals are scaled into the normal range first.
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * f64::from_bits(0x4350_0000_0000_0000), 54) // 2^54
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023 - bias;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), with |s| <= 0.172.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut series = 0.0;
    for k in (1..=12).rev() {
        series = series * s2 + 1.0 / f64::from(2 * k + 1);
    }
    let ln_m = 2.0 * s + 2.0 * s * s2 * series;
    let e = e as f64;
    e * LN_2_HI + (e * LN_2_LO + ln_m)
}

/// `1 - exp(-x)` for `x >= 0`: the probability that a block of `x` mean sample
/// distances holds a sample point. Accurate for small `x` too, where the
/// subtraction would cancel. NaN gives NaN; infinity gives 1.
pub(super) fn one_minus_exp_neg(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x < 0.5 {
        // x - x^2/2! + x^3/3! - ...: every term from x itself, so nothing cancels.
        let mut series = 0.0;
        for n in (1..=20).rev() {
            series = 1.0 - series * x / f64::from(n + 1);
        }
        return x * series;
    }
    1.0 - exp_neg(x)
}

/// `exp(-x)` for `x >= 0.5`.
fn exp_neg(x: f64) -> f64 {
    if x > 746.0 {
        return 0.0;
    }
    // x = k ln 2 + r with |r| <= ln 2 / 2, so exp(-x) = 2^-k exp(-r).
    let k = (x / std::f64::consts::LN_2 + 0.5) as i64;
    let kf = k as f64;
    let r = (x - kf * LN_2_HI) - kf * LN_2_LO;
    let mut series = 1.0;
    for n in (1..=17).rev() {
        series = 1.0 - series * r / f64::from(n);
    }
    // 2^-k in two factors, so that neither leaves the normal range before the end.
    let half = k / 2;
    series * pow2(-half) * pow2(-(k - half))
}

/// 2^n for n in [-1022, 0].
fn pow2(n: i64) -> f64 {
    f64::from_bits(((1023 + n) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest relative difference allowed from the standard library's result.
    /// Miri adds a few units of noise in the last place to the standard library's
    /// transcendental functions on purpose, so there the bound is looser.
    const TOLERANCE: f64 = if cfg!(miri) {
        1e-13
    } else {
        4.0 * f64::EPSILON
    };

    fn relative_error(got: f64, want: f64) -> f64 {
        if want == 0.0 {
            got.abs()
        } else {
            ((got - want) / want).abs()
        }
    }

    /// Arguments spread over many binades, the same on every run.
    fn arguments(count: usize, scale: f64) -> impl Iterator<Item = f64> {
        let mut state = 0x1234_5678_9abc_def1_u64;
        (0..count).map(move |_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let binade = (state % 64) as i32 - 48;
            unit * scale * 2f64.powi(binade)
        })
    }

    #[test]
    fn the_two_parts_of_ln_2_add_up_to_it() {
        assert_eq!(LN_2_HI + LN_2_LO, std::f64::consts::LN_2);
        // The high part times any k up to 2^21 is exact.
        assert_eq!(LN_2_HI.to_bits() & ((1 << 21) - 1), 0);
    }

    #[test]
    fn ln_matches_the_standard_library() {
        let count = if cfg!(miri) { 200 } else { 100_000 };
        for x in arguments(count, 1.0).chain([
            1.0,
            0.5,
            2.0,
            std::f64::consts::SQRT_2,
            1.0 - f64::EPSILON,
            1.0 / (1u64 << 53) as f64,
            f64::MIN_POSITIVE,
            f64::MIN_POSITIVE / 3.0,
            f64::MAX,
        ]) {
            if x == 0.0 {
                continue;
            }
            let err = relative_error(ln(x), x.ln());
            assert!(
                err < TOLERANCE || (ln(x) - x.ln()).abs() < TOLERANCE / 2.0,
                "ln({x:e}) = {} against {}",
                ln(x),
                x.ln()
            );
        }
        assert_eq!(ln(1.0), 0.0);
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert!(ln(-1.0).is_nan());
        assert!(ln(f64::NAN).is_nan());
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
    }

    #[test]
    fn one_minus_exp_neg_matches_the_standard_library() {
        let count = if cfg!(miri) { 200 } else { 100_000 };
        for x in arguments(count, 1.0)
            .chain(arguments(count / 10, 1000.0))
            .chain([0.5, 0.499_999_999, 1e-300, 745.0, 746.0, 800.0])
        {
            let want = -(-x).exp_m1();
            let got = one_minus_exp_neg(x);
            assert!(
                relative_error(got, want) < TOLERANCE,
                "1 - exp(-{x:e}) = {got} against {want}"
            );
        }
        // Below about 1e-16, 1 - exp(-x) rounds to x itself, subnormals included.
        assert_eq!(one_minus_exp_neg(5e-324), 5e-324);
        assert_eq!(one_minus_exp_neg(1e-20), 1e-20);
        assert_eq!(one_minus_exp_neg(0.0), 0.0);
        assert_eq!(one_minus_exp_neg(f64::INFINITY), 1.0);
        assert!(one_minus_exp_neg(f64::NAN).is_nan());
    }
}
