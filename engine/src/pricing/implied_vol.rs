//! Implied Black volatility to about machine precision in two or three Householder steps, in
//! the manner of Jaeckel's "Let's Be Rational" (Wilmott 2015): reduce to the normalised
//! out-of-the-money call price β at log-moneyness x <= 0, take an initial guess for s = σ√t in
//! one of four branches (split at the inflection point s_c = √(2|x|) and at the tangent
//! intercepts s_l, s_u: a rational cubic in the middle two and the top one, the lower map's
//! inverse at β in the lowest), then apply third-order Householder steps to an objective that is
//! nearly linear on that branch: 1/ln b below s_l, b itself in the middle, ln(b_max - b) at the
//! top.
//!
//! Only the published algorithm is followed; the price kernel ([`super::normalised`]), the
//! objectives' derivatives and the interpolant are this crate's own.

use super::as241::inverse_norm_cdf_of_ln;
use super::exp::exp;
use super::greeks::OptionType;
use super::input::{self, InputError};
use super::lbr_borders::{self, Centre};
use super::normal::{inverse_norm_cdf, norm_cdf, SQRT_2PI};
use super::normalised::{
    black_and_vega, ln_normalised_vega, normalised_vega, scaled_black, scaled_complement,
    uses_complement,
};
use super::rational_cubic::{control_for_left, control_for_right, interpolate, Node};
use thiserror::Error;

/// Why a price has no implied volatility.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ImpliedVolError {
    #[error(
        "t = 0: an option at expiry is worth its intrinsic value and has no implied volatility"
    )]
    AtExpiry,
    #[error("price {price} equals the intrinsic value {intrinsic} within rounding: no time value, so no implied volatility")]
    AtIntrinsic { price: f64, intrinsic: f64 },
    #[error(
        "price {price} is below the intrinsic value {intrinsic}: outside the no-arbitrage bounds"
    )]
    BelowIntrinsic { price: f64, intrinsic: f64 },
    #[error("price {price} is at or above the no-arbitrage maximum {maximum} (the discounted forward for a call, strike for a put)")]
    AboveMaximum { price: f64, maximum: f64 },
    #[error("no implied volatility found for price {price} (forward {forward}, strike {strike}, t {t}): the solver did not converge; this is a bug")]
    NoConvergence {
        price: f64,
        forward: f64,
        strike: f64,
        t: f64,
    },
    #[error(transparent)]
    Input(#[from] InputError),
}

/// The Black-76 implied volatility of a discounted price (`df` = 1 for an undiscounted one).
pub fn implied_vol(
    kind: OptionType,
    price: f64,
    f: f64,
    k: f64,
    t: f64,
    df: f64,
) -> Result<f64, ImpliedVolError> {
    input::finite("price", price)?;
    input::check_black(f, k, t, 0.0, df)?;
    if t == 0.0 {
        return Err(ImpliedVolError::AtExpiry);
    }
    // Undiscounted (coin options, the chain): no division at the head of the solve's chain.
    let p = if df == 1.0 { price } else { price / df };
    let theta = kind.sign();
    let intrinsic = (theta * (f - k)).max(0.0);
    let maximum = if theta > 0.0 { f } else { k };
    if p >= maximum {
        return Err(ImpliedVolError::AboveMaximum {
            price,
            maximum: maximum * df,
        });
    }
    // Time value, with the in-the-money option reflected onto the out-of-the-money one.
    let time_value = p - intrinsic;
    let rounding = 2.0 * f64::EPSILON * intrinsic.max(p);
    if time_value < -rounding {
        return Err(ImpliedVolError::BelowIntrinsic {
            price,
            intrinsic: intrinsic * df,
        });
    }
    if time_value <= rounding {
        return Err(ImpliedVolError::AtIntrinsic {
            price,
            intrinsic: intrinsic * df,
        });
    }
    let x = -(f / k).ln().abs();
    let beta = time_value / (f * k).sqrt();
    if beta < f64::MIN_POSITIVE {
        // A normalised time value in gradual underflow carries a few bits at most.
        return Err(ImpliedVolError::AtIntrinsic {
            price,
            intrinsic: intrinsic * df,
        });
    }
    // e^{x/2} = √(K/F) reflected: no exponential needed.
    let b_max = (f.min(k) / f.max(k)).sqrt();
    if beta >= b_max {
        return Err(ImpliedVolError::AboveMaximum {
            price,
            maximum: maximum * df,
        });
    }
    let s = normalised_implied_s(beta, x, b_max);
    if s.is_finite() && s > 0.0 {
        Ok(s / t.sqrt())
    } else {
        Err(ImpliedVolError::NoConvergence {
            price,
            forward: f,
            strike: k,
            t,
        })
    }
}

/// Householder steps taken after the initial guess, at most.
const STEPS: usize = 2;
/// The same in the lowest branch, whose guess is coarser (`inverse_lower_map`).
const LOWEST_STEPS: usize = 3;

/// A step smaller than this fraction of s ends the iteration: each third-order step leaves an
/// error of about the fourth power of the one before, so after a step of 1e-4·s what is left is
/// of order 1e-16. (Measured: the million-point grid and the reference cases give the same worst
/// errors as always taking both steps; 1e-3 does not.)
const CONVERGED: f64 = 1e-4;

/// The s = σ√t with b(x, s) = β, for x <= 0 and 0 < β < b_max = e^{x/2}.
pub fn normalised_implied_s(beta: f64, x: f64, b_max: f64) -> f64 {
    debug_assert!(x <= 0.0 && beta > 0.0 && beta < b_max);
    let c = Centre::new(x, b_max);
    let (s_c, b_c) = (c.s_c, c.b_c);
    let centre = Node {
        x: b_c,
        y: s_c,
        slope: 1.0 / c.v_c,
    };
    // The borders from their tables where s_c is within them (`lbr_borders`), else from b.
    if beta < b_c {
        let s_l = c.s_l();
        let b_l = match lbr_borders::lower(s_c) {
            Some(ratio) => ratio * b_max,
            None => black_and_vega(x, s_l, b_max).0,
        };
        if beta < b_l {
            let s = inverse_lower_map(x, beta);
            return refine_lowest(beta, x, b_max, s);
        }
        let lower = Node {
            x: b_l,
            y: s_l,
            slope: 1.0 / normalised_vega(x / s_l, 0.5 * s_l),
        };
        let r = control_for_right(lower, centre, 0.0, false);
        let s = interpolate(beta, lower, centre, r);
        return refine_middle(beta, x, b_max, s);
    }
    let s_u = c.s_u(b_max);
    let b_u = match lbr_borders::upper(s_c) {
        Some(ratio) => ratio * b_max,
        None => black_and_vega(x, s_u, b_max).0,
    };
    if beta <= b_u {
        let upper = Node {
            x: b_u,
            y: s_u,
            slope: 1.0 / normalised_vega(x / s_u, 0.5 * s_u),
        };
        let r = control_for_left(centre, upper, 0.0, false);
        let s = interpolate(beta, centre, upper, r);
        return refine_middle(beta, x, b_max, s);
    }
    let s = highest_branch_guess(beta, x, s_u, b_u, b_max);
    if beta > 0.5 * b_max {
        refine_highest(beta, x, s, b_max)
    } else {
        refine_middle(beta, x, b_max, s)
    }
}

/// Below s_l, b behaves like the lower map f(s) = (2π/√27)|x| Φ(-|x|/(√3 s))³ (f ~ b as s -> 0):
/// its inverse at β itself is the lowest branch's guess. Let's Be Rational interpolates f(β) to
/// the branch's end first, which needs f and two derivatives there; the plain guess is a few
/// times coarser near s_l but costs a third as much, and a third step (taken by about one in
/// eight) makes up for it at the same worst errors (the grid and the reference cases).
///
/// The s with f(s) = `f`: Φ⁻¹ at the cube root of √27 f / (2π|x|), taken from its logarithm
/// (a cube root costs more than the rest of the inverse).
fn inverse_lower_map(x: f64, f: f64) -> f64 {
    let ax = x.abs();
    let ln_p = (27f64.sqrt() * f / (2.0 * std::f64::consts::PI * ax)).ln() * (1.0 / 3.0);
    (ax / (3f64.sqrt() * inverse_norm_cdf_of_ln(ln_p))).abs()
}

/// Above s_u, b_max - b shrinks like Φ(-s/2), so the upper map f = Φ(-s/2) is nearly linear in β;
/// interpolate it from s_u to (b_max, 0, slope -1/2) and invert.
fn highest_branch_guess(beta: f64, x: f64, s_u: f64, b_u: f64, b_max: f64) -> f64 {
    let w = (x / s_u).powi(2);
    let f_u = norm_cdf(-0.5 * s_u);
    let df_u = -0.5 * exp(0.5 * w);
    let d2f_u = 0.5 * SQRT_2PI * exp(w + 0.125 * s_u * s_u) * w / s_u;
    let mut f = f64::NAN;
    if d2f_u.is_finite() {
        let at_u = Node {
            x: b_u,
            y: f_u,
            slope: df_u,
        };
        let top = Node {
            x: b_max,
            y: 0.0,
            slope: -0.5,
        };
        let r = control_for_left(at_u, top, d2f_u, true);
        f = interpolate(beta, at_u, top, r);
    }
    if f.is_nan() || f <= 0.0 {
        let h = b_max - b_u;
        let t = (beta - b_u) / h;
        f = (f_u * (1.0 - t) + 0.5 * h * t) * (1.0 - t);
    }
    -2.0 * inverse_norm_cdf(f)
}

/// Third-order Householder factor: the Newton step ν times this gives the step.
#[inline]
fn householder(nu: f64, h2: f64, h3: f64) -> f64 {
    (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu / 6.0))
}

/// b''/b' and b'''/b' in s, given h = x/s and 1/s (divisions are what the steps wait on).
#[inline]
fn curvature(h: f64, s: f64, inv_s: f64) -> (f64, f64) {
    let h2_s = h * h * inv_s;
    let b_h2 = h2_s - 0.25 * s;
    let b_h3 = b_h2 * b_h2 - 3.0 * h2_s * inv_s - 0.25;
    (b_h2, b_h3)
}

/// Steps on b(s) - β.
fn refine_middle(beta: f64, x: f64, b_max: f64, mut s: f64) -> f64 {
    for _ in 0..STEPS {
        let inv_s = 1.0 / s;
        let h = x * inv_s;
        let (b, v) = black_and_vega(x, s, b_max);
        if b == beta || v == 0.0 {
            break;
        }
        let nu = (beta - b) / v;
        let (h2, h3) = curvature(h, s, inv_s);
        let ds = nu * householder(nu, h2, h3);
        s += ds;
        if ds.abs() <= CONVERGED * s {
            break;
        }
    }
    s
}

/// Steps on 1/ln b(s) - 1/ln β, which is close to linear in s where b is exponentially small.
fn refine_lowest(beta: f64, x: f64, b_max: f64, mut s: f64) -> f64 {
    let ln_beta = beta.ln();
    let inv_ln_beta = 1.0 / ln_beta;
    for _ in 0..LOWEST_STEPS {
        let inv_s = 1.0 / s;
        let h = x * inv_s;
        let t = 0.5 * s;
        let scaled = if uses_complement(h, t) {
            let (b, v) = black_and_vega(x, s, b_max);
            b / v
        } else {
            scaled_black(h, t)
        };
        let ln_b = scaled.ln() + ln_normalised_vega(h, t);
        if ln_b == ln_beta {
            break;
        }
        let q = 1.0 / scaled; // b'/b
        let (b_h2, b_h3) = curvature(h, s, inv_s);
        let h2_ln = b_h2 - q;
        let h3_ln = b_h3 - 3.0 * q * b_h2 + 2.0 * q * q;
        let lambda = 1.0 / ln_b;
        let nu = (ln_beta - ln_b) * ln_b * inv_ln_beta * scaled;
        let h2 = h2_ln - 2.0 * q * lambda;
        let h3 = h3_ln - 6.0 * q * h2_ln * lambda + 6.0 * q * q * lambda * lambda;
        let ds = nu * householder(nu, h2, h3);
        s += ds;
        if ds.abs() <= CONVERGED * s {
            break;
        }
    }
    s
}

/// Steps on ln(b_max - b(s)) - ln(b_max - β), for β in the top half where b_max - b is the
/// well-conditioned quantity.
fn refine_highest(beta: f64, x: f64, mut s: f64, b_max: f64) -> f64 {
    let ln_gap = (b_max - beta).ln();
    for _ in 0..STEPS {
        let inv_s = 1.0 / s;
        let h = x * inv_s;
        let t = 0.5 * s;
        let scaled = scaled_complement(h, t);
        let ln_b_bar = scaled.ln() + ln_normalised_vega(h, t);
        if ln_b_bar == ln_gap {
            break;
        }
        let p = 1.0 / scaled; // b'/(b_max - b)
        let (b_h2, b_h3) = curvature(h, s, inv_s);
        let nu = (ln_b_bar - ln_gap) * scaled;
        let h2 = b_h2 + p;
        let h3 = b_h3 + 3.0 * p * b_h2 + 2.0 * p * p;
        let ds = nu * householder(nu, h2, h3);
        s += ds;
        if ds.abs() <= CONVERGED * s {
            break;
        }
    }
    s
}
