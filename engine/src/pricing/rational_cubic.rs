//! Delbourgo and Gregory's rational cubic interpolant (IMA J. Numer. Anal. 1985), with the
//! shape-preserving control parameter Jaeckel uses for the implied-vol initial guess.
//!
//! On [x_l, x_r] with values y, slopes d and control r (r = 3 is the cubic Hermite):
//! `y(t) = (y_r t³ + (r y_r - h d_r) t²(1-t) + (r y_l + h d_l) t(1-t)² + y_l (1-t)³)
//!         / (1 + (r - 3) t(1-t))`. A large r pulls it towards the straight line.

/// Above this the interpolant is the straight line.
const MAX_CONTROL: f64 = 2.0 / (f64::EPSILON * f64::EPSILON);
/// Below this the denominator can vanish.
const MIN_CONTROL: f64 = -(1.0 - 1.490_116_119_384_765_6e-8);

/// One end of the interval: abscissa, value, slope.
#[derive(Clone, Copy, Debug)]
pub struct Node {
    pub x: f64,
    pub y: f64,
    pub slope: f64,
}

/// The interpolant through `left` and `right` with control `r`, at `x`.
pub fn interpolate(x: f64, left: Node, right: Node, r: f64) -> f64 {
    let h = right.x - left.x;
    if h == 0.0 {
        return 0.5 * (left.y + right.y);
    }
    let t = (x - left.x) / h;
    if r < MAX_CONTROL {
        let omt = 1.0 - t;
        let t2 = t * t;
        let omt2 = omt * omt;
        (right.y * t2 * t
            + (r * right.y - h * right.slope) * t2 * omt
            + (r * left.y + h * left.slope) * t * omt2
            + left.y * omt2 * omt)
            / (1.0 + (r - 3.0) * t * omt)
    } else {
        right.y * t + left.y * (1.0 - t)
    }
}

fn ratio_or_limit(num: f64, den: f64) -> f64 {
    if num == 0.0 {
        0.0
    } else if den == 0.0 {
        if num > 0.0 {
            MAX_CONTROL
        } else {
            MIN_CONTROL
        }
    } else {
        num / den
    }
}

/// The control that gives second derivative `second` at the left end.
fn fit_left(left: Node, right: Node, second: f64) -> f64 {
    let h = right.x - left.x;
    let secant = (right.y - left.y) / h;
    ratio_or_limit(
        0.5 * h * second + (right.slope - left.slope),
        secant - left.slope,
    )
}

/// The control that gives second derivative `second` at the right end.
fn fit_right(left: Node, right: Node, second: f64) -> f64 {
    let h = right.x - left.x;
    let secant = (right.y - left.y) / h;
    ratio_or_limit(
        0.5 * h * second + (right.slope - left.slope),
        right.slope - secant,
    )
}

/// The smallest control that keeps the data's monotonicity and convexity.
fn minimum_control(left: Node, right: Node, prefer_shape: bool) -> f64 {
    let h = right.x - left.x;
    let s = (right.y - left.y) / h;
    let (d_l, d_r) = (left.slope, right.slope);
    let monotonic = d_l * s >= 0.0 && d_r * s >= 0.0;
    let convex = d_l <= s && s <= d_r;
    let concave = d_l >= s && s >= d_r;
    if !monotonic && !convex && !concave {
        return MIN_CONTROL;
    }
    let d_r_m_d_l = d_r - d_l;
    let d_r_m_s = d_r - s;
    let s_m_d_l = s - d_l;
    let mut r1 = -f64::MAX;
    let mut r2 = -f64::MAX;
    if monotonic {
        if s != 0.0 {
            r1 = (d_r + d_l) / s;
        } else if prefer_shape {
            r1 = MAX_CONTROL;
        }
    }
    if convex || concave {
        if s_m_d_l != 0.0 && d_r_m_s != 0.0 {
            r2 = (d_r_m_d_l / d_r_m_s).abs().max((d_r_m_d_l / s_m_d_l).abs());
        } else if prefer_shape {
            r2 = MAX_CONTROL;
        }
    } else if monotonic && prefer_shape {
        r2 = MAX_CONTROL;
    }
    MIN_CONTROL.max(r1.max(r2))
}

/// Control fitting `second` at the left end, raised if needed to keep the shape.
pub fn control_for_left(left: Node, right: Node, second: f64, prefer_shape: bool) -> f64 {
    fit_left(left, right, second).max(minimum_control(left, right, prefer_shape))
}

/// Control fitting `second` at the right end, raised if needed to keep the shape.
pub fn control_for_right(left: Node, right: Node, second: f64, prefer_shape: bool) -> f64 {
    fit_right(left, right, second).max(minimum_control(left, right, prefer_shape))
}

/// [`interpolate`] as selects, for SIMD lanes ([`implied_vol_batch`](super::implied_vol_batch)):
/// the same value wherever the nodes differ (coinciding nodes give NaN, which the caller treats
/// as a failed lane).
#[inline(always)]
pub fn interpolate_lanes(x: f64, left: Node, right: Node, r: f64) -> f64 {
    let h = right.x - left.x;
    let t = (x - left.x) / h;
    let omt = 1.0 - t;
    let t2 = t * t;
    let omt2 = omt * omt;
    let rational = (right.y * t2 * t
        + (r * right.y - h * right.slope) * t2 * omt
        + (r * left.y + h * left.slope) * t * omt2
        + left.y * omt2 * omt)
        / (1.0 + (r - 3.0) * t * omt);
    let linear = right.y * t + left.y * omt;
    if r < MAX_CONTROL {
        rational
    } else {
        linear
    }
}

/// [`control_for_left`] (`at_left`) or [`control_for_right`] as selects, for SIMD lanes.
#[inline(always)]
pub fn control_lanes(
    left: Node,
    right: Node,
    second: f64,
    prefer_shape: bool,
    at_left: bool,
) -> f64 {
    let h = right.x - left.x;
    let s = (right.y - left.y) / h;
    let (d_l, d_r) = (left.slope, right.slope);
    // The fitted control, as ratio_or_limit.
    let num = 0.5 * h * second + (d_r - d_l);
    let den = if at_left { s - d_l } else { d_r - s };
    let limit = if num > 0.0 { MAX_CONTROL } else { MIN_CONTROL };
    let ratio = num / den;
    let fit = if num == 0.0 {
        0.0
    } else if den == 0.0 {
        limit
    } else {
        ratio
    };
    // The shape-keeping minimum, as minimum_control (non-short-circuit tests: no branches).
    let monotonic = (d_l * s >= 0.0) & (d_r * s >= 0.0);
    let convex = (d_l <= s) & (s <= d_r);
    let concave = (d_l >= s) & (s >= d_r);
    let shape_default = if prefer_shape { MAX_CONTROL } else { -f64::MAX };
    let r1_ratio = (d_r + d_l) / s;
    let r1 = if !monotonic {
        -f64::MAX
    } else if s != 0.0 {
        r1_ratio
    } else {
        shape_default
    };
    let (d_r_m_d_l, d_r_m_s, s_m_d_l) = (d_r - d_l, d_r - s, s - d_l);
    // max(|a/b|, |a/c|) = |a|/min(|b|, |c|) exactly (rounding is monotonic): one division.
    let r2_ratio = d_r_m_d_l.abs() / d_r_m_s.abs().min(s_m_d_l.abs());
    let r2_shaped = if (s_m_d_l != 0.0) & (d_r_m_s != 0.0) {
        r2_ratio
    } else {
        shape_default
    };
    let r2 = if convex | concave {
        r2_shaped
    } else if monotonic & prefer_shape {
        MAX_CONTROL
    } else {
        -f64::MAX
    };
    let minimum = if !monotonic & !convex & !concave {
        MIN_CONTROL
    } else {
        MIN_CONTROL.max(r1.max(r2))
    };
    fit.max(minimum)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fitted control really produces the requested end second derivatives.
    #[test]
    fn fits_second_derivatives_at_the_ends() {
        let left = Node {
            x: 0.5,
            y: 1.0,
            slope: 0.5,
        };
        let right = Node {
            x: 2.0,
            y: 2.5,
            slope: 1.6,
        };
        let eps = 1e-5;
        let second_at = |r: f64, x: f64| {
            (interpolate(x + eps, left, right, r) - 2.0 * interpolate(x, left, right, r)
                + interpolate(x - eps, left, right, r))
                / (eps * eps)
        };
        let r = fit_left(left, right, 0.7);
        assert!(
            (second_at(r, left.x + 2.0 * eps) - 0.7).abs() < 1e-3,
            "{}",
            second_at(r, left.x)
        );
        let r = fit_right(left, right, 1.1);
        assert!((second_at(r, right.x - 2.0 * eps) - 1.1).abs() < 1e-3);
        // Ends and slopes are honoured for any control.
        for r in [0.5, 3.0, 10.0] {
            assert!((interpolate(left.x, left, right, r) - left.y).abs() < 1e-15);
            assert!((interpolate(right.x, left, right, r) - right.y).abs() < 1e-15);
            let slope = (interpolate(left.x + eps, left, right, r) - left.y) / eps;
            assert!((slope - left.slope).abs() < 1e-4);
        }
    }

    /// The select forms give the scalar forms' values on nodes of every shape.
    #[test]
    fn lanes_forms_match() {
        let mut n = 0;
        for (ys, slopes) in [
            ((1.0, 2.5), (0.5, 1.6)),   // convex, increasing
            ((1.0, 2.5), (1.6, 0.5)),   // concave
            ((2.5, 1.0), (-0.5, -3.0)), // decreasing
            ((1.0, 1.0), (0.5, -0.5)),  // flat secant
            ((1.0, 2.0), (-1.0, 3.0)),  // not monotonic
            ((1.0, 2.0), (1.0, 1.0)),   // slopes equal to the secant: limits
        ] {
            let left = Node {
                x: 0.5,
                y: ys.0,
                slope: slopes.0,
            };
            let right = Node {
                x: 1.5,
                y: ys.1,
                slope: slopes.1,
            };
            for second in [0.0, 0.7, -2.0] {
                for prefer in [false, true] {
                    let pairs = [
                        (
                            control_for_left(left, right, second, prefer),
                            control_lanes(left, right, second, prefer, true),
                        ),
                        (
                            control_for_right(left, right, second, prefer),
                            control_lanes(left, right, second, prefer, false),
                        ),
                    ];
                    for (scalar, lanes) in pairs {
                        assert_eq!(scalar, lanes, "{left:?} {right:?} {second} {prefer}");
                        for x in [0.5, 0.8, 1.5] {
                            assert_eq!(
                                interpolate(x, left, right, scalar),
                                interpolate_lanes(x, left, right, lanes)
                            );
                        }
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(n, 72);
    }
}
