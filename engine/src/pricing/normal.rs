//! The standard normal distribution to full double precision in both tails.
//!
//! `erfc` and `erfcx` (the scaled `exp(x²)·erfc(x)`) use W. J. Cody's rational Chebyshev
//! approximations (Math. Comp. 1969; netlib specfun CALERF), accurate to about 1e-16 relative
//! everywhere they do not underflow. The CDF is `erfc(-x/√2)/2`, so `Φ(-38)` keeps full relative
//! precision where `1 - Φ(38)` would be zero. The inverse is Wichura's AS241 (PPND16, Applied
//! Statistics 1988), also about 1e-16 relative. `engine/tests/pricing_normal.rs` measures both
//! against `statrs`, and `benches` times them.

// Coefficients are kept with the digits the papers print.
#![allow(clippy::excessive_precision)]

use std::f64::consts::FRAC_1_SQRT_2;

/// 1/√(2π)
pub const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// √(2π)
pub const SQRT_2PI: f64 = 2.506_628_274_631_000_7;
/// ln √(2π)
pub const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
/// 1/√π
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;

/// Below this |x| Cody uses the erf series; above it the erfc forms.
const SMALL: f64 = 0.468_75;
/// erfc(x) underflows to zero beyond this.
const ERFC_ZERO: f64 = 26.543;

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

#[inline]
fn erfcx_mid(y: f64) -> f64 {
    // erfcx(y) for 0.46875 <= y <= 4.
    const C: [f64; 9] = [
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
    const D: [f64; 8] = [
        1.574_492_611_070_983_5e1,
        1.176_939_508_913_125e2,
        5.371_811_018_620_098_6e2,
        1.621_389_574_566_690_2e3,
        3.290_799_235_733_459_6e3,
        4.362_619_090_143_247_2e3,
        3.439_367_674_143_721_6e3,
        1.230_339_354_803_749_4e3,
    ];
    let mut num = C[8] * y;
    let mut den = y;
    for i in 0..7 {
        num = (num + C[i]) * y;
        den = (den + D[i]) * y;
    }
    (num + C[7]) / (den + D[7])
}

#[inline]
fn erfcx_large(y: f64) -> f64 {
    // erfcx(y) for y > 4: (1/√π - z·P(z)/Q(z)) / y with z = 1/y².
    const P: [f64; 6] = [
        3.053_266_349_612_323_4e-1,
        3.603_448_999_498_044_4e-1,
        1.257_817_261_112_292_5e-1,
        1.608_378_514_874_227_7e-2,
        6.587_491_615_298_378e-4,
        1.631_538_713_730_209_8e-2,
    ];
    const Q: [f64; 5] = [
        2.568_520_192_289_822_4,
        1.872_952_849_923_460_5,
        5.279_051_029_514_284e-1,
        6.051_834_131_244_132e-2,
        2.335_204_976_268_691_8e-3,
    ];
    let z = 1.0 / (y * y);
    let mut num = P[5] * z;
    let mut den = z;
    for i in 0..4 {
        num = (num + P[i]) * z;
        den = (den + Q[i]) * z;
    }
    let r = z * (num + P[4]) / (den + Q[4]);
    (FRAC_1_SQRT_PI - r) / y
}

/// exp(-y²) without the cancellation of squaring a rounded y: split y into a multiple of 1/16 and
/// a remainder (Cody's trick).
#[inline]
fn exp_neg_square(y: f64) -> f64 {
    let ys = (y * 16.0).trunc() / 16.0;
    let del = (y - ys) * (y + ys);
    (-ys * ys).exp() * (-del).exp()
}

/// erfcx for y >= 0 above the small-argument threshold.
#[inline]
fn erfcx_positive(y: f64) -> f64 {
    if y <= 4.0 {
        erfcx_mid(y)
    } else {
        erfcx_large(y)
    }
}

/// The complementary error function, relative accuracy about 1e-16 until it underflows (x ≈ 26.5).
pub fn erfc(x: f64) -> f64 {
    let y = x.abs();
    if y <= SMALL {
        return 1.0 - x * erf_small_ratio(y * y);
    }
    let tail = if y >= ERFC_ZERO {
        0.0
    } else {
        erfcx_positive(y) * exp_neg_square(y)
    };
    if x < 0.0 {
        2.0 - tail
    } else {
        tail
    }
}

/// The scaled complementary error function exp(x²)·erfc(x). Finite for all x above about -26.6.
pub fn erfcx(x: f64) -> f64 {
    let y = x.abs();
    if y <= SMALL {
        let z = y * y;
        return z.exp() * (1.0 - x * erf_small_ratio(z));
    }
    if x >= 0.0 {
        return erfcx_positive(y);
    }
    if x < -26.628_735_713_751_4 {
        return f64::INFINITY;
    }
    // erfcx(-y) = 2·exp(y²) - erfcx(y)
    let ys = (y * 16.0).trunc() / 16.0;
    let exp_sq = (ys * ys).exp() * ((y - ys) * (y + ys)).exp();
    2.0 * exp_sq - erfcx_positive(y)
}

/// The standard normal density.
#[inline]
pub fn norm_pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * (-0.5 * x * x).exp()
}

/// The standard normal CDF Φ(x), about 1e-16 relative in the lower tail down to underflow
/// (x ≈ -38.5).
///
/// Not `erfc(-x/√2)/2`: rounding x/√2 would cost a relative 2y²·ε in the tail (1e-13 at x = -37).
/// The Gaussian factor exp(-x²/2) is formed from x itself, and only the smooth erfcx factor sees
/// the rounded argument.
pub fn norm_cdf(x: f64) -> f64 {
    let y = -x * FRAC_1_SQRT_2;
    let ay = y.abs();
    if ay <= SMALL {
        return 0.5 * (1.0 - y * erf_small_ratio(ay * ay));
    }
    let ax = x.abs();
    let xs = (ax * 16.0).trunc() / 16.0;
    let gauss = (-0.5 * xs * xs).exp() * (-0.5 * (ax - xs) * (ax + xs)).exp();
    let tail = 0.5 * erfcx_positive(ay) * gauss;
    if x < 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

/// The inverse of Φ: the x with Φ(x) = p. `p` outside (0, 1) gives ±∞ at the ends and NaN beyond;
/// callers that take p from outside check it first.
pub fn inverse_norm_cdf(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return if p == 0.0 {
            f64::NEG_INFINITY
        } else if p == 1.0 {
            f64::INFINITY
        } else {
            f64::NAN
        };
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * poly(&AS241_A, r) / poly(&AS241_B, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-tail.ln()).sqrt();
    let x = if r <= 5.0 {
        let r = r - 1.6;
        poly(&AS241_C, r) / poly(&AS241_D, r)
    } else {
        let r = r - 5.0;
        poly(&AS241_E, r) / poly(&AS241_F, r)
    };
    if q < 0.0 {
        -x
    } else {
        x
    }
}

/// Horner evaluation with coefficients from the constant term up.
#[inline]
fn poly(c: &[f64; 8], x: f64) -> f64 {
    let mut acc = c[7];
    for &ci in c[..7].iter().rev() {
        acc = acc * x + ci;
    }
    acc
}

const AS241_A: [f64; 8] = [
    3.387_132_872_796_366_6,
    1.331_416_678_917_843_8e2,
    1.971_590_950_306_551_4e3,
    1.373_169_376_550_946_1e4,
    4.592_195_393_154_987e4,
    6.726_577_092_700_87e4,
    3.343_057_558_358_813e4,
    2.509_080_928_730_122_7e3,
];
const AS241_B: [f64; 8] = [
    1.0,
    4.231_333_070_160_091e1,
    6.871_870_074_920_579e2,
    5.394_196_021_424_751e3,
    2.121_379_430_158_659_7e4,
    3.930_789_580_009_271e4,
    2.872_908_573_572_194_3e4,
    5.226_495_278_852_854_5e3,
];
const AS241_C: [f64; 8] = [
    1.423_437_110_749_683_5,
    4.630_337_846_156_546,
    5.769_497_221_460_691,
    3.647_848_324_763_204_5,
    1.270_458_252_452_368_4,
    2.417_807_251_774_506e-1,
    2.272_384_498_926_918_4e-2,
    7.745_450_142_783_414e-4,
];
const AS241_D: [f64; 8] = [
    1.0,
    2.053_191_626_637_758_8,
    1.676_384_830_183_803_8,
    6.897_673_349_851e-1,
    1.481_039_764_274_800_7e-1,
    1.519_866_656_361_645_7e-2,
    5.475_938_084_995_345e-4,
    1.050_750_071_644_416_8e-9,
];
const AS241_E: [f64; 8] = [
    6.657_904_643_501_103_8,
    5.463_784_911_164_114,
    1.784_826_539_917_291_3,
    2.965_605_718_285_048_7e-1,
    2.653_218_952_657_612_4e-2,
    1.242_660_947_388_078_4e-3,
    2.711_555_568_743_487_6e-5,
    2.010_334_399_292_288_1e-7,
];
const AS241_F: [f64; 8] = [
    1.0,
    5.998_322_065_558_879_4e-1,
    1.369_298_809_227_358e-1,
    1.487_536_129_085_061_5e-2,
    7.868_691_311_456_133e-4,
    1.846_318_317_510_054_8e-5,
    1.421_511_758_316_445_9e-7,
    2.044_263_103_389_939_8e-15,
];

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
