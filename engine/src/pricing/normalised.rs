//! Jaeckel's normalised Black function, the kernel shared by pricing and implied volatility:
//!
//! `b(x, s) = e^{x/2} Φ(x/s + s/2) - e^{-x/2} Φ(x/s - s/2)`, with `x = ln(F/K)` and `s = σ√t`,
//! is an undiscounted call divided by `√(F K)`. Everything here takes `x <= 0` (out of the money;
//! the callers reflect in-the-money options and puts onto it) and `s > 0`.
//!
//! With `h = x/s`, `t = s/2`, `H = -h` and the normalised vega `v = φ(h)φ(t)√(2π)`, the identity
//! `e^{x/2}φ(h+t) = e^{-x/2}φ(h-t) = v` gives `b = v·D` with
//! `D(H, t) = R(H - t) - R(H + t)`, where `R(z) = (1 - Φ(z))/φ(z)` is Mills' ratio
//! (`R(z) = √(π/2)·erfcx(z/√2)`). Computing `D` directly loses digits when `t` is small next to
//! `max(1, H)`, so three forms are used:
//! - far wing (`H - t > 12.5`): the asymptotic series `R(z) ~ Σ (-1)^k (2k-1)!! z^{-(2k+1)}`
//!   differenced term by term, each difference `a^{-n}(1 - ρ^n)` built from positive increments;
//! - small `t` (below max(1, H)/32): the Taylor series
//!   `D = 2 Σ t^{2j+1}/(2j+1)! · S_{2j+1}(H)` in the moments
//!   `S_n(H) = ∫₀^∞ uⁿ e^{-Hu - u²/2} du`, all positive;
//! - otherwise the erfcx difference, where at most about 4 bits are lost.
//!
//! Past the inflection point's neighbourhood (`h + t > 0`) the complement `b̄ = b_max - b = v·(R(t - H) + R(t + H))`
//! is the accurate quantity and `b = b_max - b̄`.

use super::exp::exp;
use super::normal::{
    mills_ratio, norm_cdf_near_zero, one_minus_x_mills_ratio, FRAC_1_SQRT_2PI, LN_SQRT_2PI,
    NEAR_ZERO,
};

/// The normalised vega ∂b/∂s = exp(-(h² + t²)/2)/√(2π).
#[inline]
pub fn normalised_vega(h: f64, t: f64) -> f64 {
    FRAC_1_SQRT_2PI * exp(-0.5 * (h * h + t * t))
}

/// ln of the normalised vega, finite where the vega itself underflows.
#[inline]
pub fn ln_normalised_vega(h: f64, t: f64) -> f64 {
    -0.5 * (h * h + t * t) - LN_SQRT_2PI
}

/// D = b / v for h <= 0, t > 0 (the "scaled" normalised price).
pub fn scaled_black(h: f64, t: f64) -> f64 {
    let big_h = -h;
    if big_h - t > 12.5 {
        far_wing_series(big_h, t)
    } else if t < small_t_limit(big_h) {
        small_t_series(big_h, t)
    } else {
        mills_ratio(big_h - t) - mills_ratio(big_h + t)
    }
}

/// b̄ / v = R(t - H) + R(t + H): the scaled distance of b below its supremum e^{x/2}.
#[inline]
pub fn scaled_complement(h: f64, t: f64) -> f64 {
    mills_ratio(t + h) + mills_ratio(t - h)
}

/// Whether b is better computed as `b_max - b̄`: for h + t > 0 outside the small-t region, where
/// it loses no more than the erfcx difference would (both cancel like 1/t near the money) and
/// needs no exponential of a negative argument's square.
#[inline]
pub fn uses_complement(h: f64, t: f64) -> bool {
    h + t > 0.0 && t >= small_t_limit(-h)
}

/// Below this t the erfcx difference would lose more than about max(1, H)/(2t) = 16 (4 bits) and
/// the small-t series takes over. (The series' own error grows like (t/H)²·H⁴ε, so it is not
/// used beyond.)
#[inline]
fn small_t_limit(big_h: f64) -> f64 {
    big_h.max(1.0) / 32.0
}

/// b(x, s) and the normalised vega ∂b/∂s, sharing one exponential; x <= 0, s > 0, and
/// `b_max = e^{x/2}`, which callers have without an exponential (√(K/F) for the out-of-the-money
/// reflection: the smaller of F and K over √(FK)).
// Out of line: the whole-program build inlined it into the chain's reprice loop, which then ran
// 1.03x slower (`chain_reprice/1000_options`); one call per option costs nothing beside it.
#[inline(never)]
pub fn black_and_vega(x: f64, s: f64, b_max: f64) -> (f64, f64) {
    let h = x / s;
    let t = 0.5 * s;
    let v = normalised_vega(h, t);
    let d1 = h + t;
    if d1.abs() <= NEAR_ZERO && t >= small_t_limit(-h) {
        // Near the money: e^{x/2} Φ(d1) - e^{-x/2} Φ(d2) with Φ(d1) from the erf series and
        // e^{-x/2} Φ(d2) = v R(t - h); erfcx at a small argument would cost an exponential.
        return (b_max * norm_cdf_near_zero(d1) - v * mills_ratio(t - h), v);
    }
    if uses_complement(h, t) {
        (b_max - v * scaled_complement(h, t), v)
    } else {
        (v * scaled_black(h, t), v)
    }
}

/// b(x, s) for x <= 0, s >= 0 (0 when s is 0).
#[inline]
pub fn normalised_black(x: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return 0.0;
    }
    black_and_vega(x, s, exp(0.5 * x)).0
}

/// Σ_k (-1)^k (2k-1)!! [a^{-(2k+1)} - (H+t)^{-(2k+1)}] with a = H - t >= 12.5, where the series
/// for R has converged to double precision long before it starts to diverge (k ≈ a²/2).
fn far_wing_series(big_h: f64, t: f64) -> f64 {
    let a = big_h - t;
    let sum_ht = big_h + t;
    let rho = a / sum_ht;
    let one_minus_rho = 2.0 * t / sum_ht;
    // 1 - ρ² = (1 - ρ)(1 + ρ); ρ^n grows the difference 1 - ρ^n by positive steps.
    let step = one_minus_rho * (1.0 + rho);
    let rho2 = rho * rho;
    let inv_a2 = 1.0 / (a * a);
    let mut diff = one_minus_rho; // 1 - ρ^(2k+1)
    let mut rho_pow = rho; // ρ^(2k+1)
    let mut pow = 1.0 / a; // a^-(2k+1)
    let mut coef = 1.0; // (-1)^k (2k-1)!!
    let mut sum = 0.0;
    for k in 0..40 {
        let term = coef * pow * diff;
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            break;
        }
        coef *= -((2 * k + 1) as f64);
        pow *= inv_a2;
        diff += rho_pow * step;
        rho_pow *= rho2;
    }
    sum
}

/// 2 Σ_j t^{2j+1}/(2j+1)! · S_{2j+1}(H) for t < max(1, H)/32, so each term is below 1/1000 of
/// the one before. Moments come from the forward recurrence S_{n+1} = n S_{n-1} - H S_n, started
/// from S_0 = R(H) and S_1 = 1 - H R(H) computed without cancellation
/// ([`one_minus_x_mills_ratio`]). The recurrence loses about H²/2 in each later moment, but
/// those enter weighted by (t/H)^{2j}: measured against 40-digit values, D is within 1e-14
/// (the largest error, 8e-15 near H = 5, is S_1 = 1 - H R(H) losing H² ulps).
fn small_t_series(big_h: f64, t: f64) -> f64 {
    const MAX_TERMS: usize = 10;
    let t2 = t * t;
    let (mut even, mut odd) = (mills_ratio(big_h), one_minus_x_mills_ratio(big_h)); // S_2j, S_2j+1
    let mut factor = t; // t^{2j+1}/(2j+1)!
    let mut sum = 0.0;
    for j in 0..MAX_TERMS {
        let term = factor * odd;
        sum += term;
        if term <= 1e-17 * sum {
            break;
        }
        let n = (2 * j + 1) as f64;
        even = n * even - big_h * odd; // S_{2j+2}
        odd = (n + 1.0) * odd - big_h * even; // S_{2j+3}
        factor *= t2 / ((n + 1.0) * (n + 2.0));
    }
    2.0 * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    /// D(H, t) = R(H - t) - R(H + t) against 40-digit values (mpmath), one or more per form.
    #[test]
    fn scaled_black_matches_high_precision_values() {
        #[allow(clippy::excessive_precision)]
        let cases = [
            (0.5, 0.01, 0.011_236_630_742_410_756_657),
            (2.0, 0.05, 0.015_730_356_287_790_023_742),
            (5.0, 0.1, 0.007_194_184_387_143_690_196_2),
            (8.0, 0.2, 0.005_981_099_908_169_106_641_2),
            (12.0, 0.5, 0.006_815_855_712_432_145_349_3),
            (12.9, 0.002, 0.000_023_616_184_088_620_226_536),
            (30.0, 1.0, 0.002_217_300_350_654_579_775_1),
            (20.0, 6.0, 0.032_664_687_196_749_979_411),
            (13.3, 0.41, 0.004_563_342_467_541_269_828_4),
            (8.0, 0.49, 0.014_695_283_153_726_673_281),
            (11.0, 0.34, 0.005_490_911_991_670_344_342),
        ];
        for (big_h, t, want) in cases {
            let got = scaled_black(-big_h, t);
            assert!(
                rel(got, want) < 1e-14,
                "H {big_h} t {t}: {got} vs {want} ({:e})",
                rel(got, want)
            );
        }
    }

    /// The three forms agree where their regions meet.
    #[test]
    fn forms_agree_at_region_borders() {
        for &(h, t) in &[
            (-13.5, 0.4),
            (-13.2, 0.4),
            (-3.0, 0.09),
            (-0.5, 0.03),
            (-5.0, 0.15),
        ] {
            let a = far_wing_series(-h, t);
            let b = small_t_series(-h, t);
            let c = mills_ratio(-h - t) - mills_ratio(-h + t);
            if -h - t > 12.5 {
                assert!(rel(a, b) < 1e-14, "h {h} t {t}: {a} vs {b}");
            }
            assert!(rel(b, c) < 1e-13, "h {h} t {t}: {b} vs {c}");
        }
    }
}
