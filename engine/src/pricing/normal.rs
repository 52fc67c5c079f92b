//! The standard normal distribution to full double precision in both tails.
//!
//! `erfcx` (the scaled `exp(x²)·erfc(x)`) and Mills' ratio use W. J. Cody's rational Chebyshev
//! approximations (Math. Comp. 1969; netlib specfun CALERF), accurate to about 1e-16 relative
//! everywhere they do not underflow. The CDF multiplies Cody's erfcx by a Gaussian formed from x
//! itself, so `Φ(-38)` keeps full relative precision where `1 - Φ(38)` would be zero.
//!
//! Measured (engine/tests/pricing_normal.rs, benches `normal`): statrs's `Normal::cdf` is faster
//! but loses up to 8.6e-11 relative in the lower tail, so Φ is ours; statrs's inverse (Boost's
//! erfc⁻¹) is within 2.4e-16 and faster than Wichura's AS241, so Φ⁻¹ is statrs's.

// Coefficients are kept with the digits the papers print.
#![allow(clippy::excessive_precision)]

use super::exp::exp;
use std::f64::consts::FRAC_1_SQRT_2;

/// 1/√(2π)
pub const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// √(2π)
pub const SQRT_2PI: f64 = 2.506_628_274_631_000_7;
/// ln √(2π)
pub const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
/// 1/√π
pub(super) const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// Below this |x| Cody uses the erf series; above it the erfc forms.
pub(super) const SMALL: f64 = 0.468_75;

#[inline]
fn erf_small_ratio(z: f64) -> f64 {
    // erf(x) = x · P(x²)/Q(x²) for |x| <= 0.46875.
    const A: [f64; 5] = [
        3.161_123_743_870_565_6,
        1.138_641_541_510_501_6e2,
        3.774_852_376_853_020_2e2,
        3.209_377_589_138_469_5e3,
        1.857_777_061_846_031_5e-1,
    ];
    const B: [f64; 4] = [
        2.360_129_095_234_412_1e1,
        2.440_246_379_344_441_7e2,
        1.282_616_526_077_372_3e3,
        2.844_236_833_439_170_6e3,
    ];
    let num = (((A[4] * z + A[0]) * z + A[1]) * z + A[2]) * z + A[3];
    let den = (((z + B[0]) * z + B[1]) * z + B[2]) * z + B[3];
    num / den
}

/// Numerator of Cody's erfcx(y) for 0.46875 <= y <= 4 (coefficients 0..7, then the leading one).
pub(super) const MID_NUM: [f64; 9] = [
    5.641_884_969_886_700_9e-1,
    8.883_149_794_388_375_9,
    6.611_919_063_714_163e1,
    2.986_351_381_974_001_3e2,
    8.819_522_212_417_690_9e2,
    1.712_047_612_634_070_6e3,
    2.051_078_377_826_071_5e3,
    1.230_339_354_797_997_2e3,
    2.153_115_354_744_038_5e-8,
];
/// Its monic denominator.
pub(super) const MID_DEN: [f64; 8] = [
    1.574_492_611_070_983_5e1,
    1.176_939_508_913_125e2,
    5.371_811_018_620_098_6e2,
    1.621_389_574_566_690_2e3,
    3.290_799_235_733_459_6e3,
    4.362_619_090_143_247_2e3,
    3.439_367_674_143_721_6e3,
    1.230_339_354_803_749_4e3,
];
/// Numerator of Cody's z·P(z)/Q(z) for y > 4, z = 1/y².
pub(super) const LARGE_NUM: [f64; 6] = [
    3.053_266_349_612_323_4e-1,
    3.603_448_999_498_044_4e-1,
    1.257_817_261_112_292_5e-1,
    1.608_378_514_874_227_7e-2,
    6.587_491_615_298_378e-4,
    1.631_538_713_730_209_8e-2,
];
/// Its monic denominator.
pub(super) const LARGE_DEN: [f64; 5] = [
    2.568_520_192_289_822_4,
    1.872_952_849_923_460_5,
    5.279_051_029_514_284e-1,
    6.051_834_131_244_132e-2,
    2.335_204_976_268_691_8e-3,
];

#[inline]
fn erfcx_mid(y: f64) -> f64 {
    // erfcx(y) for 0.46875 <= y <= 4.
    let mut num = MID_NUM[8] * y;
    let mut den = y;
    for i in 0..7 {
        num = (num + MID_NUM[i]) * y;
        den = (den + MID_DEN[i]) * y;
    }
    (num + MID_NUM[7]) / (den + MID_DEN[7])
}

#[inline]
fn erfcx_large(y: f64) -> f64 {
    (FRAC_1_SQRT_PI - erfcx_large_rational(1.0 / (y * y))) / y
}

/// z·P(z)/Q(z) of Cody's erfcx(y) = (1/√π - z·P(z)/Q(z)) / y for y > 4, z = 1/y².
#[inline]
fn erfcx_large_rational(z: f64) -> f64 {
    let mut num = LARGE_NUM[5] * z;
    let mut den = z;
    for i in 0..4 {
        num = (num + LARGE_NUM[i]) * z;
        den = (den + LARGE_DEN[i]) * z;
    }
    z * (num + LARGE_NUM[4]) / (den + LARGE_DEN[4])
}

/// Mills' ratio R(z) = (1 - Φ(z))/φ(z), for any z above about -37.
#[inline]
pub fn mills_ratio(z: f64) -> f64 {
    SQRT_PI_OVER_2 * erfcx(z * FRAC_1_SQRT_2)
}

/// 1 - x·R(x) for x >= 0, R(x) = (1 - Φ(x))/φ(x) Mills' ratio: the first moment of the Gaussian
/// tail, about 1/x² for large x. For x > 4√2, Cody's large-argument form
/// erfcx(y) = (1/√π - z P(z)/Q(z))/y, z = 1/y², gives it as √π z P(z)/Q(z) with no cancellation;
/// below, the direct difference loses at most x² ≤ 32 ulps.
pub fn one_minus_x_mills_ratio(x: f64) -> f64 {
    let y = x * FRAC_1_SQRT_2;
    if y > 4.0 {
        let z = 1.0 / (y * y);
        SQRT_PI * erfcx_large_rational(z)
    } else {
        1.0 - x * mills_ratio(x)
    }
}

/// √π
const SQRT_PI: f64 = 1.772_453_850_905_516;

/// erfcx for y >= 0 above the small-argument threshold.
#[inline]
fn erfcx_positive(y: f64) -> f64 {
    if y <= 4.0 {
        erfcx_mid(y)
    } else {
        erfcx_large(y)
    }
}

/// The scaled complementary error function exp(x²)·erfc(x). Finite for all x above about -26.6.
pub fn erfcx(x: f64) -> f64 {
    let y = x.abs();
    if y <= SMALL {
        let z = y * y;
        return exp(z) * (1.0 - x * erf_small_ratio(z));
    }
    if x >= 0.0 {
        return erfcx_positive(y);
    }
    if x < -26.628_735_713_751_4 {
        return f64::INFINITY;
    }
    // erfcx(-y) = 2·exp(y²) - erfcx(y); y² is split only where its rounding would matter.
    let exp_sq = if y < 1.0 {
        exp(y * y)
    } else {
        let ys = (y * 16.0).trunc() / 16.0;
        exp(ys * ys) * exp((y - ys) * (y + ys))
    };
    2.0 * exp_sq - erfcx_positive(y)
}

/// 1 - erfcx(y) for y >= 0 without cancellation for small y (where it is about 2y/√π).
pub fn one_minus_erfcx(y: f64) -> f64 {
    if y <= SMALL {
        // erfcx = e^{y²}(1 - erf y), so 1 - erfcx = e^{y²}·erf(y) - (e^{y²} - 1).
        let z = y * y;
        let e = z.exp_m1();
        (1.0 + e) * y * erf_small_ratio(z) - e
    } else {
        1.0 - erfcx_positive(y)
    }
}

/// exp(-x²/2) to about 1 ulp for any x: x² is split exactly into hi + lo (Veltkamp's split of x)
/// so that only one exponential is taken and the rounding of x² does not grow with x².
#[inline]
pub fn gaussian(x: f64) -> f64 {
    let (hi, lo) = square_split(x);
    exp(-0.5 * hi) * (1.0 - 0.5 * lo)
}

/// x² as hi + lo with hi = fl(x²) and |lo| <= ulp(hi), without FMA.
#[inline]
fn square_split(x: f64) -> (f64, f64) {
    const SPLITTER: f64 = 134_217_729.0; // 2^27 + 1
    let c = SPLITTER * x;
    let xh = c - (c - x);
    let xl = x - xh;
    let hi = x * x;
    let lo = ((xh * xh - hi) + 2.0 * xh * xl) + xl * xl;
    (hi, lo)
}

/// The standard normal density.
#[inline]
pub fn norm_pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * gaussian(x)
}

/// Φ(x) given φ(x), with one rational function and no exponential: Φ(x) = φ(x)·R(-x) below 0,
/// 1 - φ(x)·R(x) above (R Mills' ratio). Near 0 the erf series is used instead.
#[inline]
pub fn norm_cdf_from_pdf(x: f64, pdf: f64) -> f64 {
    let ay = (x * FRAC_1_SQRT_2).abs();
    if ay <= SMALL {
        return norm_cdf_near_zero(x);
    }
    // mills_ratio(|x|), with erfcx's own small-argument test already done: a hot path.
    let tail = SQRT_PI_OVER_2 * erfcx_positive(ay) * pdf;
    if x < 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

/// √(π/2)
pub(super) const SQRT_PI_OVER_2: f64 = 1.253_314_137_315_500_3;

/// Φ(x) near 0 (|x| <= [`NEAR_ZERO`]) from Cody's erf series: no exponential.
#[inline]
pub fn norm_cdf_near_zero(x: f64) -> f64 {
    debug_assert!(x.abs() <= NEAR_ZERO);
    let y = x * FRAC_1_SQRT_2;
    0.5 + 0.5 * y * erf_small_ratio(y * y)
}

/// Where [`norm_cdf_near_zero`] applies: |x|/√2 <= 0.46875.
pub const NEAR_ZERO: f64 = SMALL * std::f64::consts::SQRT_2;

/// The standard normal CDF Φ(x), about 1e-16 relative in the lower tail down to underflow
/// (x ≈ -38.5).
///
/// Not `erfc(-x/√2)/2`: rounding x/√2 would cost a relative 2y²·ε in the tail (1e-13 at x = -37).
/// The Gaussian factor is formed from x itself and only the smooth erfcx factor sees the rounded
/// argument.
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    if (x * FRAC_1_SQRT_2).abs() <= SMALL {
        return norm_cdf_near_zero(x);
    }
    norm_cdf_from_pdf(x, norm_pdf(x))
}

/// The inverse of Φ: the x with Φ(x) = p (statrs's erfc⁻¹, measured faster than AS241 at equal
/// accuracy). `p` outside (0, 1) gives ±∞ at the ends and NaN beyond; callers that take p from
/// outside check it first.
pub fn inverse_norm_cdf(p: f64) -> f64 {
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    -std::f64::consts::SQRT_2 * statrs::function::erf::erfc_inv(2.0 * p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(norm_cdf(0.0), 0.5);
        // Φ(-1) and Φ(-10) from high-precision tables.
        let rel = |a: f64, b: f64| ((a - b) / b).abs();
        assert!(rel(norm_cdf(-1.0), 0.158_655_253_931_457_05) < 5e-16);
        assert!(rel(norm_cdf(-10.0), 7.619_853_024_160_526e-24) < 5e-16);
        assert!(rel(norm_cdf(-37.0), 5.725_571_222_524_577e-300) < 5e-16);
        assert!(rel(erfcx(30.0), 0.018_795_888_861_416_75) < 1e-15);
    }

    #[test]
    fn inverse_round_trips() {
        for &p in &[
            1e-300, 1e-100, 1e-20, 1e-5, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999,
        ] {
            let x = inverse_norm_cdf(p);
            let back = norm_cdf(x);
            assert!(
                ((back - p) / p).abs() < 1e-14 * (1.0 + x.abs()),
                "p {p} x {x} back {back}"
            );
        }
        assert!(inverse_norm_cdf(0.0).is_infinite());
        assert!(inverse_norm_cdf(-0.1).is_nan());
    }
}
