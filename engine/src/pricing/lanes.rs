//! Branch-free e^x, ln x and erfcx for code that runs several options side by side in SIMD lanes
//! ([`batch`](super::batch)).
//!
//! The scalar pricers branch by region and look values up in tables; a vector unit cannot, so
//! here every region is evaluated and the right one selected, exponents are moved with integer
//! arithmetic on the bits, and the multiply-adds are explicit FMAs. Used only where the caller is
//! compiled with FMA (otherwise `mul_add` is a library call).

// Split constants and series coefficients keep all their digits.
#![allow(clippy::excessive_precision, clippy::unreadable_literal)]

use super::as241::{AS241_A, AS241_B, AS241_C, AS241_D, AS241_E, AS241_F};
use super::normal::{FRAC_1_SQRT_PI, LARGE_DEN, LARGE_NUM, MID_DEN, MID_NUM, SMALL};

#[inline(always)]
fn fma(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

/// 1.5·2^52: adding it rounds a double below 2^51 in magnitude to an integer held in the low bits.
const ROUNDER: f64 = 6_755_399_441_055_744.0;
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;

/// 1/n! for n = 0..=13: e^r to 4e-18 relative for |r| <= ln2/2.
const EXP_TAYLOR: [f64; 14] = {
    let mut c = [1.0; 14];
    let mut n = 1;
    while n < 14 {
        c[n] = c[n - 1] / n as f64;
        n += 1;
    }
    c
};

/// e^a within 2 ulps for -708 <= a <= 709; below, 0 (the scalar `exp` goes on into subnormals
/// down to -745), above, e^709 (not infinity).
#[inline(always)]
pub fn exp(a: f64) -> f64 {
    let clamped = a.clamp(-708.0, 709.0);
    let big = fma(clamped, std::f64::consts::LOG2_E, ROUNDER);
    let n = big - ROUNDER;
    let r = fma(-n, LN2_LO, fma(-n, LN2_HI, clamped));
    let mut p = EXP_TAYLOR[13];
    let mut i = 13;
    while i > 0 {
        i -= 1;
        p = fma(p, r, EXP_TAYLOR[i]);
    }
    // The low bits of `big` are n; n + 1023 in the exponent field is 2^n.
    let n_bits = big.to_bits().wrapping_sub(ROUNDER.to_bits());
    let scale = f64::from_bits(n_bits.wrapping_add(1023) << 52);
    if a < -708.0 {
        0.0
    } else {
        p * scale
    }
}

// fdlibm's e_log.c minimax coefficients for ln(1+f) = f - f²/2 + s(f²/2 + R), s = f/(2+f).
const LG: [f64; 7] = [
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
];

/// ln x for finite normal x > 0 (fdlibm's method, under 1 ulp); other inputs give nonsense, so
/// callers check them first.
#[inline(always)]
pub fn ln_positive(x: f64) -> f64 {
    const MANTISSA: u64 = (1 << 52) - 1;
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let bits = x.to_bits();
    // The biased exponent as a double, through the 2^52 trick (no integer-to-float instruction).
    let biased = f64::from_bits(TWO_52.to_bits() | (bits >> 52)) - TWO_52;
    let m = f64::from_bits((bits & MANTISSA) | 1f64.to_bits());
    // m in [1, 2); fold it into [√2/2, √2) so that f = m - 1 is small.
    let high = m > std::f64::consts::SQRT_2;
    let m = if high { 0.5 * m } else { m };
    let k = biased - if high { 1022.0 } else { 1023.0 };
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * fma(w, fma(w, LG[5], LG[3]), LG[1]);
    let t2 = z * fma(w, fma(w, fma(w, LG[6], LG[4]), LG[2]), LG[0]);
    let hfsq = 0.5 * f * f;
    k * LN2_HI - ((hfsq - fma(s, hfsq + t1 + t2, k * LN2_LO)) - f)
}

/// Taylor coefficients of erfcx at 0 through y^26, from erfcx' = 2y·erfcx - 2/√π:
/// a0 = 1, a1 = -2/√π, a(n+1) = 2·a(n-1)/(n+1). On y <= 0.46875 the tail is below 1e-18.
const ERFCX_TAYLOR: [f64; 27] = {
    let mut a = [0.0; 27];
    a[0] = 1.0;
    a[1] = -2.0 * FRAC_1_SQRT_PI;
    let mut n = 1;
    while n < 26 {
        a[n + 1] = 2.0 * a[n - 1] / (n + 1) as f64;
        n += 1;
    }
    a
};

/// Beyond this Cody's large-argument form is evaluated at the cap, as its powers of y² would
/// overflow. Callers multiply erfcx(y) there by e^{-y²} = 0.
const LARGE_CAP: f64 = 1e20;

/// erfcx(y) = e^{y²} erfc(y) for 0 <= y <= 1e20 (above, erfcx(1e20)), about 1e-16 relative: the
/// Taylor series below 0.46875, then Cody's two rational forms, all three evaluated and one
/// division taken.
#[inline(always)]
pub fn erfcx_non_negative(y: f64) -> f64 {
    let y1 = y.min(SMALL);
    let mut taylor = ERFCX_TAYLOR[26];
    let mut i = 26;
    while i > 0 {
        i -= 1;
        taylor = fma(taylor, y1, ERFCX_TAYLOR[i]);
    }

    let y2 = y.min(4.0);
    let mut mid_num = MID_NUM[8];
    let mut mid_den = 1.0;
    let mut i = 0;
    while i < 7 {
        mid_num = fma(mid_num, y2, MID_NUM[i]);
        mid_den = fma(mid_den, y2, MID_DEN[i]);
        i += 1;
    }
    let mid_num = fma(mid_num, y2, MID_NUM[7]);
    let mid_den = fma(mid_den, y2, MID_DEN[7]);

    // Cody's (1/√π - z·N(z)/D(z))/y with z = 1/y², N and D multiplied through by y^10 so that
    // no division by y² is needed: N'(w) and D'(w) are the same coefficients reversed, w = y².
    let y3 = y.min(LARGE_CAP);
    let w = y3 * y3;
    let n = fma(
        fma(
            fma(
                fma(fma(LARGE_NUM[4], w, LARGE_NUM[3]), w, LARGE_NUM[2]),
                w,
                LARGE_NUM[1],
            ),
            w,
            LARGE_NUM[0],
        ),
        w,
        LARGE_NUM[5],
    );
    let d = fma(
        fma(
            fma(
                fma(fma(LARGE_DEN[4], w, LARGE_DEN[3]), w, LARGE_DEN[2]),
                w,
                LARGE_DEN[1],
            ),
            w,
            LARGE_DEN[0],
        ),
        w,
        1.0,
    );
    let wd = w * d;
    let large_num = fma(wd, FRAC_1_SQRT_PI, -n);
    let large_den = wd * y3;

    let (num, den) = if y <= SMALL {
        (taylor, 1.0)
    } else if y <= 4.0 {
        (mid_num, mid_den)
    } else {
        (large_num, large_den)
    };
    num / den
}

/// ∛p for finite normal p > 0, as e^{ln p / 3}: within (1 + |ln p|)·4ε relative, enough for the
/// initial guesses it serves.
#[inline(always)]
pub fn cbrt_positive(p: f64) -> f64 {
    exp(ln_positive(p) * (1.0 / 3.0))
}

/// 1 - erfcx(y) for y >= 0, without cancellation near 0: there it is the Taylor series of
/// erfcx less its leading 1.
#[inline(always)]
pub fn one_minus_erfcx(y: f64) -> f64 {
    let y1 = y.min(SMALL);
    let mut tail = ERFCX_TAYLOR[26];
    let mut i = 26;
    while i > 1 {
        i -= 1;
        tail = fma(tail, y1, ERFCX_TAYLOR[i]);
    }
    let near = -tail * y1;
    let far = 1.0 - erfcx_non_negative(y);
    if y <= SMALL {
        near
    } else {
        far
    }
}

/// Horner with coefficients from the constant term up.
#[inline(always)]
fn poly8(c: &[f64; 8], x: f64) -> f64 {
    let mut acc = c[7];
    let mut i = 7;
    while i > 0 {
        i -= 1;
        acc = fma(acc, x, c[i]);
    }
    acc
}

/// Φ⁻¹(p) for 2.2e-308 <= p < 1 (smaller p is taken at that bound): Wichura's AS241 (PPND16,
/// Applied Statistics 1988, about 1e-16), its three rational forms all evaluated and one division
/// taken. The scalar pricers use statrs's, measured faster there; this one has no branches.
#[inline(always)]
pub fn inverse_norm_cdf(p: f64) -> f64 {
    let q = p - 0.5;
    let central = q.abs() <= 0.425;
    let r_central = 0.180_625 - q * q;
    let tail = p.min(1.0 - p).max(f64::MIN_POSITIVE);
    let r = (-ln_positive(tail)).sqrt();
    let (num, den) = if central {
        (q * poly8(&AS241_A, r_central), poly8(&AS241_B, r_central))
    } else if r <= 5.0 {
        (poly8(&AS241_C, r - 1.6), poly8(&AS241_D, r - 1.6))
    } else {
        (poly8(&AS241_E, r - 5.0), poly8(&AS241_F, r - 5.0))
    };
    let x = num / den;
    if central || q > 0.0 {
        x
    } else {
        -x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::normal::erfcx;

    fn ulps(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs() / f64::EPSILON
    }

    #[test]
    fn inverse_norm_cdf_matches_statrs() {
        use crate::pricing::normal::inverse_norm_cdf as statrs_based;
        let mut worst: f64 = 0.0;
        for i in 1..100_000 {
            let u = i as f64 / 100_000.0;
            for p in [u, (-700.0 * u).exp()] {
                let a = inverse_norm_cdf(p);
                let b = statrs_based(p);
                worst = worst.max(((a - b) / b).abs());
            }
        }
        assert!(worst < 4e-15, "worst {worst:e}");
    }

    #[test]
    fn one_minus_erfcx_and_cbrt() {
        use crate::pricing::normal::one_minus_erfcx as scalar;
        for i in 0..10_000 {
            let y = 1e-8 * (1e9f64).powf(i as f64 / 10_000.0);
            let (a, b) = (one_minus_erfcx(y), scalar(y));
            assert!(
                ((a - b) / b).abs() < 8.0 * f64::EPSILON,
                "y {y}: {a} vs {b}"
            );
            let p = y * 1e-3;
            // e^{ln p / 3} carries the rounding of ln p: |ln p|·ε/3 relative.
            let tolerance = 4.0 * f64::EPSILON * (1.0 + p.ln().abs());
            assert!(
                ((cbrt_positive(p) - p.cbrt()) / p.cbrt()).abs() < tolerance,
                "p {p}"
            );
        }
    }

    #[test]
    fn exp_matches_libm() {
        let mut worst: f64 = 0.0;
        for i in 0..200_000 {
            let a = -708.0 * (i as f64 / 200_000.0).powi(2);
            worst = worst.max(ulps(exp(a), a.exp()));
        }
        for i in 0..100_000 {
            let a = 709.0 * i as f64 / 100_000.0;
            worst = worst.max(ulps(exp(a), a.exp()));
        }
        assert!(worst <= 2.0, "worst {worst} ulps");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-720.0), 0.0);
    }

    #[test]
    fn ln_matches_libm() {
        let mut worst: f64 = 0.0;
        for i in 0..200_000 {
            let x = (-300.0 + 600.0 * i as f64 / 200_000.0).exp();
            let u = if x == 1.0 {
                0.0
            } else {
                ulps(ln_positive(x), x.ln())
            };
            worst = worst.max(u);
        }
        for x in [1.0 - 1e-12, 1.0 + 1e-12, 0.5, 2.0, 1.5, 0.7] {
            worst = worst.max(ulps(ln_positive(x), x.ln()));
        }
        assert!(worst <= 2.0, "worst {worst} ulps");
        assert_eq!(ln_positive(1.0), 0.0);
    }

    #[test]
    fn erfcx_matches_scalar() {
        let mut worst: f64 = 0.0;
        for i in 0..200_000 {
            let y = 1e-6 * (1e26f64).powf(i as f64 / 200_000.0);
            worst = worst.max(ulps(erfcx_non_negative(y), erfcx(y)));
        }
        for y in [0.0, SMALL, 4.0, 4.000_000_1] {
            worst = worst.max(ulps(erfcx_non_negative(y), erfcx(y)));
        }
        // Both are Cody's rationals, rounded differently (FMA here): at the worst points each
        // was 1.6 to 2.5 ulps from a 40-digit erfcx, and 4.7 ulps from each other.
        assert!(worst <= 6.0, "worst {worst} ulps");
    }
}
