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
//! - far wing (`H > 13`, `H - t > 12.5`): the asymptotic series `R(z) ~ Σ (-1)^k (2k-1)!! z^{-(2k+1)}`
//!   differenced term by term, each difference `a^{-n}(1 - ρ^n)` built from positive increments;
//! - small `t`: the Taylor series `D = 2 Σ t^{2j+1}/(2j+1)! · S_{2j+1}(H)` in the moments
//!   `S_n(H) = ∫₀^∞ uⁿ e^{-Hu - u²/2} du` (all positive, so no cancellation);
//! - otherwise the erfcx difference, where at most about 3 bits are lost.
//!
//! Deep in the money in `s` (`t - H > 1`) the complement `b̄ = b_max - b = v·(R(t - H) + R(t + H))`
//! is the accurate quantity and `b = b_max - b̄`.

use super::normal::{erfcx, FRAC_1_SQRT_2PI, LN_SQRT_2PI};
use std::f64::consts::FRAC_1_SQRT_2;

/// √(π/2)
const SQRT_PI_OVER_2: f64 = 1.253_314_137_315_500_3;

/// Mills' ratio R(z) = (1 - Φ(z))/φ(z), for any z above about -37.
#[inline]
pub fn mills_ratio(z: f64) -> f64 {
    SQRT_PI_OVER_2 * erfcx(z * FRAC_1_SQRT_2)
}

/// The normalised vega ∂b/∂s = exp(-(h² + t²)/2)/√(2π).
#[inline]
pub fn normalised_vega(h: f64, t: f64) -> f64 {
    FRAC_1_SQRT_2PI * (-0.5 * (h * h + t * t)).exp()
}

/// ln of the normalised vega, finite where the vega itself underflows.
#[inline]
pub fn ln_normalised_vega(h: f64, t: f64) -> f64 {
    -0.5 * (h * h + t * t) - LN_SQRT_2PI
}

/// D = b / v for h <= 0, t > 0 (the "scaled" normalised price).
pub fn scaled_black(h: f64, t: f64) -> f64 {
    let big_h = -h;
    if big_h > 13.0 && big_h - t > 12.5 {
        far_wing_series(big_h, t)
    } else if t * 16.0 < big_h.max(1.0) {
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

/// Whether b is better computed as `b_max - b̄` (b above about 70% of its supremum).
#[inline]
pub fn uses_complement(h: f64, t: f64) -> bool {
    h + t > 1.0
}

/// b(x, s) for x <= 0, s > 0 (0 when s is 0).
pub fn normalised_black(x: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return 0.0;
    }
    let h = x / s;
    let t = 0.5 * s;
    if uses_complement(h, t) {
        let b_max = (0.5 * x).exp();
        let complement = normalised_vega(h, t) * scaled_complement(h, t);
        b_max - complement
    } else {
        normalised_vega(h, t) * scaled_black(h, t)
    }
}

/// ln b(x, s) for x <= 0, s > 0: finite even where b underflows.
pub fn ln_normalised_black(x: f64, s: f64) -> f64 {
    let h = x / s;
    let t = 0.5 * s;
    if uses_complement(h, t) {
        normalised_black(x, s).ln()
    } else {
        scaled_black(h, t).ln() + ln_normalised_vega(h, t)
    }
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

/// 2 Σ_j t^{2j+1}/(2j+1)! · S_{2j+1}(H) for t < max(1, H)/16, so each term is below 1/200 of the
/// one before and two dozen moments suffice.
fn small_t_series(big_h: f64, t: f64) -> f64 {
    const N: usize = 24;
    let mut moments = [0.0f64; N];
    let s0 = mills_ratio(big_h);
    if big_h < 4.0 {
        // Forward recurrence S_{n+1} = n S_{n-1} - H S_n: for H < 4 it loses at most a few bits.
        moments[0] = 1.0 - big_h * s0;
        let mut prev = s0;
        for n in 1..N {
            let next = n as f64 * prev - big_h * moments[n - 1];
            prev = moments[n - 1];
            moments[n] = next;
        }
    } else {
        // Backward continued fraction for r_n = S_n/S_{n-1} = n/(H + r_{n+1}): every step is a
        // sum of positives, and errors in the start shrink by about n/H² per step.
        const DEPTH: usize = 48;
        let mut r = {
            let n = (DEPTH + 1) as f64;
            0.5 * ((big_h * big_h + 4.0 * n).sqrt() - big_h)
        };
        let mut ratios = [0.0f64; N];
        for n in (1..=DEPTH).rev() {
            r = n as f64 / (big_h + r);
            if n <= N {
                ratios[n - 1] = r;
            }
        }
        let mut s = s0;
        for (m, ratio) in moments.iter_mut().zip(ratios) {
            s *= ratio;
            *m = s;
        }
    }
    // moments[i] holds S_{i+1}
    let t2 = t * t;
    let mut factor = t; // t^{2j+1}/(2j+1)!
    let mut sum = 0.0;
    let mut j = 0;
    while 2 * j < N {
        let term = factor * moments[2 * j];
        sum += term;
        if term <= 1e-17 * sum {
            break;
        }
        factor *= t2 / (((2 * j + 2) * (2 * j + 3)) as f64);
        j += 1;
    }
    2.0 * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    /// The three forms agree where their regions meet.
    #[test]
    fn forms_agree_at_region_borders() {
        for &(h, t) in &[
            (-13.5, 0.4),
            (-20.0, 0.6),
            (-3.0, 0.09),
            (-0.5, 0.03),
            (-5.0, 0.15),
        ] {
            let a = far_wing_series(-h, t);
            let b = small_t_series(-h, t);
            let c = mills_ratio(-h - t) - mills_ratio(-h + t);
            if -h > 13.0 {
                assert!(rel(a, b) < 1e-14, "h {h} t {t}: {a} vs {b}");
            }
            assert!(rel(b, c) < 1e-13, "h {h} t {t}: {b} vs {c}");
        }
    }
}
