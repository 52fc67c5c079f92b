//! The implied vol's branches (`implied_vol`): the centre s_c and the intercepts s_l, s_u that
//! split them ([`Centre`]), and the borders b_l = b(x, s_l) and b_u = b(x, s_u). With
//! x = -s_c²/2, s_l and s_u are functions of s_c alone, so are b_l / b_max and b_u / b_max. Each
//! is tabulated on s_c = i/64 up to 4 (|x| up to 8) at first use and read back by a cubic
//! through the four nearest points, within 2e-8 of the kernel's own value (the test: the
//! kernel's b_l itself is that noisy, and noisier near s_c = 0), instead of an evaluation of the
//! kernel per implied vol: the guess it anchors is within about 4e-4, and the steps converge
//! from there. Beyond the table the caller evaluates b itself.
//! (Jaeckel's 2024 revision of Let's Be Rational does the same with rational fits.)

use super::exp::exp;
use super::normal::{one_minus_erfcx, FRAC_1_SQRT_2PI};
use super::normalised::black_and_vega;
use std::sync::OnceLock;

const STEP: f64 = 1.0 / 64.0;
const POINTS: usize = 257;

/// b_l / b_max at s_c, if within the table.
#[inline]
pub fn lower(s_c: f64) -> Option<f64> {
    // Tabulated over s_c², which b_l grows like near 0, so the cubic sees a smooth function.
    static TABLE: OnceLock<[f64; POINTS]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0.0; POINTS];
        for (i, v) in t.iter_mut().enumerate().skip(1) {
            let s_c = i as f64 * STEP;
            *v = exact(s_c).0 / (s_c * s_c);
        }
        // The limit at 0, by the cubic through the next four.
        t[0] = 4.0 * t[1] - 6.0 * t[2] + 4.0 * t[3] - t[4];
        t
    });
    Some(cubic(table, s_c)? * s_c * s_c)
}

/// b_u / b_max at s_c, if within the table.
#[inline]
pub fn upper(s_c: f64) -> Option<f64> {
    static TABLE: OnceLock<[f64; POINTS]> = OnceLock::new();
    let table = TABLE.get_or_init(|| std::array::from_fn(|i| exact(i as f64 * STEP).1));
    cubic(table, s_c)
}

/// The inflection point s_c = √(2|x|) of b(x, ·), with b and the vega there (closed forms),
/// and the tangent intercepts s_l and s_u that bound the implied vol's branches: one definition
/// for the solver and for the tables built from it.
pub struct Centre {
    pub s_c: f64,
    pub b_c: f64,
    pub v_c: f64,
}

impl Centre {
    /// At x <= 0, with b_max = e^{x/2}.
    #[inline]
    pub fn new(x: f64, b_max: f64) -> Centre {
        Centre {
            s_c: (-2.0 * x).sqrt(),
            // h + t = 0 at s_c: b = b_max (1 - erfcx(√|x|)) / 2, the vega b_max/√(2π).
            b_c: 0.5 * b_max * one_minus_erfcx((-x).sqrt()),
            v_c: b_max * FRAC_1_SQRT_2PI,
        }
    }

    /// Where the tangent at s_c meets b = 0.
    #[inline]
    pub fn s_l(&self) -> f64 {
        self.s_c - self.b_c / self.v_c
    }

    /// Where the tangent at s_c meets b = b_max.
    #[inline]
    pub fn s_u(&self, b_max: f64) -> f64 {
        self.s_c + (b_max - self.b_c) / self.v_c
    }
}

/// (b_l, b_u) / b_max at s_c, from the kernel, as `normalised_implied_s` finds them.
fn exact(s_c: f64) -> (f64, f64) {
    let x = -0.5 * s_c * s_c;
    let b_max = exp(0.5 * x);
    // The given s_c itself, not √(2|x|) rounded again: the table's point.
    let c = Centre {
        s_c,
        ..Centre::new(x, b_max)
    };
    let (s_l, s_u) = (c.s_l(), c.s_u(b_max));
    let b_l = if s_l > 0.0 {
        black_and_vega(x, s_l, b_max).0
    } else {
        0.0
    };
    (b_l / b_max, black_and_vega(x, s_u, b_max).0 / b_max)
}

/// The cubic through the four points nearest `s_c` (Lagrange form), None beyond the table.
#[inline]
fn cubic(t: &[f64; POINTS], s_c: f64) -> Option<f64> {
    let at = s_c * (1.0 / STEP);
    if !(at >= 0.0 && at < (POINTS - 3) as f64) {
        return None;
    }
    // Nodes i-1 .. i+2 around `at`; at the first interval, nodes 0..3 (u in [-1, 0)).
    let i = (at as usize).max(1);
    let u = at - i as f64;
    let (um, u1, u2) = (u + 1.0, u - 1.0, u - 2.0);
    let w0 = -u * u1 * u2 * (1.0 / 6.0);
    let w1 = um * u1 * u2 * 0.5;
    let w2 = -um * u * u2 * 0.5;
    let w3 = um * u * u1 * (1.0 / 6.0);
    Some(w0 * t[i - 1] + w1 * t[i] + w2 * t[i + 1] + w3 * t[i + 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both borders read from the tables are within 2e-8 of the kernel's, between and on the
    /// tables' points, up to the tables' end; below s_c = 0.05, b_l within 1e-6: there the
    /// kernel's own b_l loses digits, as s_l = s_c - √(π/2)(1 - erfcx(s_c/√2)) is a difference
    /// of near equals (about s_c²/√(2π)) and b is steep in s below s_l. b_u within 1e-8.
    #[test]
    fn the_tables_give_the_borders() {
        let (mut near_zero, mut worst_l, mut worst_u) = (0.0f64, 0.0f64, 0.0f64);
        for j in 10..39_500 {
            let s_c = j as f64 * 1e-4;
            let (b_l, b_u) = exact(s_c);
            let e = (lower(s_c).unwrap() / b_l - 1.0).abs();
            if s_c < 0.05 {
                near_zero = near_zero.max(e);
            } else {
                worst_l = worst_l.max(e);
            }
            worst_u = worst_u.max((upper(s_c).unwrap() / b_u - 1.0).abs());
        }
        assert!(near_zero < 1e-6, "b_l near 0: {near_zero:e}");
        assert!(worst_l < 2e-8 && worst_u < 1e-8, "{worst_l:e} {worst_u:e}");
        assert!(lower(4.0).is_none() && upper(f64::NAN).is_none());
    }
}
