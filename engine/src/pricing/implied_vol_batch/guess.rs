//! The batch inversion's first guess of the normalised vol s (the scalar method's branches made
//! branch-free) and its refinement step. Every function is inlined into the lane loop.

// The parent's kernel, reduction and constants.
use super::*;

/// The initial guess for s and the objective its steps use.
#[derive(Clone, Copy)]
pub(super) struct Guess {
    pub s: f64,
    pub lowest: bool,
    pub top: bool,
}

/// The initial guess of the scalar `normalised_implied_s`, branch-free.
#[inline(always)]
pub(super) fn guess(r: &Reduced) -> Guess {
    let (beta, x, b_max) = (r.beta, r.x, r.b_max);
    let s_c = (-2.0 * x).sqrt();
    let b_c = 0.5 * b_max * one_minus_erfcx((-x).sqrt());
    // The vega at s_c is b_max/√(2π).
    let inv_v_c = SQRT_2PI / b_max;
    let centre = Node {
        x: b_c,
        y: s_c,
        slope: inv_v_c,
    };
    // One evaluation serves the side β is on: at s_l below b_c, at s_u above.
    let lower = beta < b_c;
    let s_edge = if lower {
        s_c - b_c * inv_v_c
    } else {
        s_c + (b_max - b_c) * inv_v_c
    };
    let at_edge = kernel(x, s_edge, b_max);
    let b_edge = at_edge.b;
    let lowest = lower & (beta < b_edge);
    let highest = !lower & (beta > b_edge);

    // The middle branches: the rational cubic between the edge and the inflection point.
    let edge = Node {
        x: b_edge,
        y: s_edge,
        slope: 1.0 / at_edge.v,
    };
    let left = pick(lower, edge, centre);
    let right = pick(lower, centre, edge);
    let r = control_lanes(left, right, 0.0, false, !lower);
    let middle = interpolate_lanes(beta, left, right, r);

    let outer = outer_guess(beta, x, b_max, s_edge, b_edge, lowest);
    Guess {
        s: if lowest | highest { outer } else { middle },
        lowest,
        top: highest & (beta > 0.5 * b_max),
    }
}

/// One third-order Householder step from the guess.
///
/// The objective: 1/ln b at the bottom, ln(b_max - b) at the top (above half of b_max), b
// between. All three steps are ν·(1 + ½h2·ν)/(1 + ν(h2 + h3·ν/6)), with ν, h2 and h3 from
// b''/b', b'''/b' and q, the log-derivative of the objective's argument (b'/b at the
// bottom, -b'/(b_max - b) at the top, 0 in the middle).
#[inline(always)]
pub(super) fn step(r: &Reduced, g: &Guess) -> f64 {
    let (beta, x, b_max, ln_beta, ln_gap) = (r.beta, r.x, r.b_max, r.ln_beta, r.ln_gap);
    let (s, lowest, top) = (g.s, g.lowest, g.top);
    {
        let kn = kernel(x, s, b_max);
        let (h, inv_s) = (kn.h, kn.inv_s);
        let b_h2 = h * h * inv_s - 0.25 * s;
        let b_h3 = b_h2 * b_h2 - 3.0 * (h * inv_s) * (h * inv_s) - 0.25;
        let scaled = if lowest { kn.scaled_b } else { kn.scaled_gap };
        let ln_arg = ln_positive(scaled) + kn.ln_v;
        let inv_scaled = 1.0 / scaled;
        let q = if lowest {
            inv_scaled
        } else if top {
            -inv_scaled
        } else {
            0.0
        };
        let lambda = if lowest { 1.0 / ln_arg } else { 0.0 };
        let (nu_num, nu_den) = if lowest {
            ((ln_beta - ln_arg) * ln_arg * scaled, ln_beta)
        } else if top {
            ((ln_arg - ln_gap) * scaled, 1.0)
        } else {
            (beta - kn.b, kn.v)
        };
        let nu = nu_num / nu_den;
        let h2_ln = b_h2 - q;
        let h2 = h2_ln - 2.0 * q * lambda;
        let h3 = b_h3 - 3.0 * q * b_h2 + 2.0 * q * q - 6.0 * q * h2_ln * lambda
            + 6.0 * q * q * lambda * lambda;
        s + nu * (1.0 + 0.5 * h2 * nu) / (1.0 + nu * (h2 + h3 * nu * (1.0 / 6.0)))
    }
}

/// The outer branches' guess: below s_l from the lower map (2π/√27)|x| Φ(-|x|/(√3 s))³, above
/// s_u from the upper map Φ(-s/2), each interpolated in β by a rational cubic and inverted; as
/// the scalar `lowest_branch_guess` and `highest_branch_guess`.
#[inline(always)]
fn outer_guess(beta: f64, x: f64, b_max: f64, s: f64, b_edge: f64, lowest: bool) -> f64 {
    let ax = -x;
    let sqrt3 = 3f64.sqrt();
    let two_pi = 2.0 * PI;
    // Φ(z) at the edge: z = -|x|/(√3 s) for the lower map, -s/2 for the upper.
    let inv_s = 1.0 / s;
    let z = if lowest {
        -ax * inv_s * (1.0 / sqrt3)
    } else {
        -0.5 * s
    };
    let pdf = FRAC_1_SQRT_2PI * exp(-0.5 * z * z);
    let cdf = pdf * SQRT_PI_OVER_2 * erfcx_non_negative(-z * FRAC_1_SQRT_2);

    // The lower map and its first two derivatives in β (see implied_vol::lower_map).
    let y = z * z;
    let f_l = two_pi / 27f64.sqrt() * ax * cdf * cdf * cdf;
    let growth = exp(0.125 * s * s) / (two_pi * pdf * pdf);
    let df_l = two_pi * y * cdf * cdf * growth;
    let bracket = cdf * (0.25 * s - 2.0 * (y + 1.0) * inv_s) - 2.0 * z * pdf * inv_s;
    let d2f_l = two_pi * y * cdf * bracket * growth * growth / pdf;

    // The upper map.
    let w = (x * inv_s) * (x * inv_s);
    let f_u = cdf;
    let df_u = -0.5 * exp(0.5 * w);
    let d2f_u = 0.5 * SQRT_2PI * exp(w + 0.125 * s * s) * w * inv_s;

    let origin = Node {
        x: 0.0,
        y: 0.0,
        slope: 1.0,
    };
    let top = Node {
        x: b_max,
        y: 0.0,
        slope: -0.5,
    };
    let lower_edge = Node {
        x: b_edge,
        y: f_l,
        slope: df_l,
    };
    let upper_edge = Node {
        x: b_edge,
        y: f_u,
        slope: df_u,
    };
    let left = pick(lowest, origin, upper_edge);
    let right = pick(lowest, lower_edge, top);
    let second = if lowest { d2f_l } else { d2f_u };
    let r = control_lanes(left, right, second, true, !lowest);
    let interpolated = interpolate_lanes(beta, left, right, r);
    let usable = (interpolated > 0.0) & (lowest | (d2f_u.abs() < f64::INFINITY));
    // Where the interpolant fails: a quadratic through the same ends.
    let gap = b_max - b_edge;
    let t = if lowest { beta } else { beta - b_edge } / if lowest { b_edge } else { gap };
    let fallback = if lowest {
        (f_l * t + b_edge * (1.0 - t)) * t
    } else {
        (f_u * (1.0 - t) + 0.5 * gap * t) * (1.0 - t)
    };
    let mapped = if usable { interpolated } else { fallback };

    let p = if lowest {
        cbrt_positive(27f64.sqrt() * mapped / (two_pi * ax))
    } else {
        mapped
    };
    let z = inverse_norm_cdf(p);
    if lowest {
        (ax / (sqrt3 * z)).abs()
    } else {
        -2.0 * z
    }
}
