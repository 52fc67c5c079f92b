//! Implied vols of many options at once (a chain), W at a time in SIMD lanes.
//!
//! The method of [`implied_vol`](fn@super::implied_vol): Let's Be Rational's four-branch rational
//! guess, then third-order Householder steps on the branch's objective (1/ln b, b, or
//! ln(b_max - b)). Here every branch is evaluated and selected, the three objectives share one
//! step formula (the top one is the bottom one with the sign of b'/b flipped and no 1/ln term),
//! both steps are always taken, and the normalised Black function is Jaeckel's erfcx form
//! `b = ½·E·(erfcx(-d1/√2) - erfcx(-d2/√2))`, `E = e^{-h²/2-s²/8}`, with b/v and (b_max - b)/v
//! taken without E so that ln b never underflows.
//!
//! A lane is handed to the scalar `implied_vol` when its inputs are not a clean out-of-bounds-free
//! price (every error is the scalar function's, with its message), when its s = σ√t comes out
//! below [`MIN_S`](super::batch::MIN_S) (near the money the erfcx form loses `log10(1/s)`
//! digits), or when anything in it is not finite.

mod guess;

use super::batch::MIN_S;
use super::greeks::OptionType;
use super::implied_vol::{implied_vol, ImpliedVolError};
use super::lanes::{
    cbrt_positive, erfcx_non_negative, exp, inverse_norm_cdf, ln_positive, one_minus_erfcx,
};
use super::normal::{FRAC_1_SQRT_2PI, LN_SQRT_2PI, SQRT_2PI, SQRT_PI_OVER_2};
use super::rational_cubic::{control_lanes, interpolate_lanes, Node};
use super::simd::{run_on, Block};
use guess::{guess, step, Guess};
use std::f64::consts::{FRAC_1_SQRT_2, PI};

pub use super::simd::{batch_path, BatchPath};

/// One option price to invert: the arguments of [`implied_vol`](fn@super::implied_vol).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IvInput {
    pub kind: OptionType,
    pub price: f64,
    pub f: f64,
    pub k: f64,
    pub t: f64,
    pub df: f64,
}

impl IvInput {
    /// The scalar implied vol of this one price.
    pub fn implied_vol(&self) -> Result<f64, ImpliedVolError> {
        implied_vol(self.kind, self.price, self.f, self.k, self.t, self.df)
    }
}

/// The implied vol of every input, into `out` (of the same length), on the widest path. Any
/// input is accepted: a bad one gets the scalar function's error.
pub fn implied_vol_batch(inputs: &[IvInput], out: &mut [Result<f64, ImpliedVolError>]) {
    run_on(batch_path(), inputs, out);
}

/// [`implied_vol_batch`] on a given path; a path this CPU lacks falls back to the next narrower.
pub fn implied_vol_batch_on(
    path: BatchPath,
    inputs: &[IvInput],
    out: &mut [Result<f64, ImpliedVolError>],
) {
    run_on(path, inputs, out);
}

impl Block for IvInput {
    type Out = Result<f64, ImpliedVolError>;
    const PAD: IvInput = IvInput {
        kind: OptionType::Call,
        price: 0.2,
        f: 1.0,
        k: 1.0,
        t: 1.0,
        df: 1.0,
    };
    fn scalar(&self) -> Self::Out {
        self.implied_vol()
    }
    #[inline(always)]
    fn block<const W: usize>(inputs: &[IvInput], out: &mut [Self::Out]) {
        block::<W>(inputs, out);
    }
}

/// W prices, in stages (reduce, guess, step, step), each a plain loop over the lanes with no loop
/// inside it: the compiler vectorises only innermost loops.
#[inline(always)]
fn block<const W: usize>(inputs: &[IvInput], out: &mut [Result<f64, ImpliedVolError>]) {
    let (mut sign, mut price, mut f, mut k, mut t, mut df) =
        ([0.0; W], [0.0; W], [0.0; W], [0.0; W], [0.0; W], [0.0; W]);
    for i in 0..W {
        let c = &inputs[i];
        sign[i] = c.kind.sign();
        price[i] = c.price;
        f[i] = c.f;
        k[i] = c.k;
        t[i] = c.t;
        df[i] = c.df;
    }
    // One array per quantity (not arrays of structs): stride-1 loads and stores vectorise.
    let (mut beta, mut x, mut b_max, mut ln_beta, mut ln_gap) =
        ([0.0; W], [0.0; W], [0.0; W], [0.0; W], [0.0; W]);
    let mut clean = [false; W];
    for i in 0..W {
        let r = reduce(sign[i], price[i], f[i], k[i], t[i], df[i]);
        (beta[i], x[i], b_max[i], ln_beta[i], ln_gap[i]) =
            (r.beta, r.x, r.b_max, r.ln_beta, r.ln_gap);
        clean[i] = r.clean;
    }
    let reduced = |i: usize| Reduced {
        beta: beta[i],
        x: x[i],
        b_max: b_max[i],
        ln_beta: ln_beta[i],
        ln_gap: ln_gap[i],
        clean: clean[i],
    };
    let (mut s, mut lowest, mut top) = ([0.0; W], [false; W], [false; W]);
    for i in 0..W {
        let g = guess(&reduced(i));
        (s[i], lowest[i], top[i]) = (g.s, g.lowest, g.top);
    }
    for _ in 0..2 {
        for i in 0..W {
            let g = Guess {
                s: s[i],
                lowest: lowest[i],
                top: top[i],
            };
            s[i] = step(&reduced(i), &g);
        }
    }
    for i in 0..W {
        let s = s[i];
        // NaN fails this test too.
        out[i] = if clean[i] && (MIN_S..f64::INFINITY).contains(&s) {
            Ok(s / t[i].sqrt())
        } else {
            inputs[i].implied_vol()
        };
    }
}

/// A price reduced to the normalised out-of-the-money call: b(x, s) = β, x <= 0, β < b_max.
#[derive(Clone, Copy)]
struct Reduced {
    beta: f64,
    x: f64,
    b_max: f64,
    ln_beta: f64,
    ln_gap: f64,
    /// False where the scalar function must decide (an error, or no time value).
    clean: bool,
}

/// The reduction of implied_vol, with each of its error tests folded into `clean`; an unclean
/// lane runs on harmless numbers and is discarded.
#[inline(always)]
fn reduce(sign: f64, price: f64, f: f64, k: f64, t: f64, df: f64) -> Reduced {
    let p = price / df;
    let intrinsic = (sign * (f - k)).max(0.0);
    let maximum = if sign > 0.0 { f } else { k };
    let time_value = p - intrinsic;
    let rounding = 2.0 * f64::EPSILON * intrinsic.max(p);
    let beta = time_value / (f * k).sqrt();
    let b_max = (f.min(k) / f.max(k)).sqrt();
    let finite = |v: f64| v.abs() < f64::INFINITY;
    let clean = (f > 0.0)
        & finite(f)
        & (k > 0.0)
        & finite(k)
        & (t > 0.0)
        & finite(t)
        & (df > 0.0)
        & finite(df)
        & finite(price)
        & (p < maximum)
        & (time_value > rounding)
        & (beta >= f64::MIN_POSITIVE)
        & (beta < b_max);
    let ratio = if clean { f / k } else { 2.0 };
    let b_max = if clean { b_max } else { 0.5f64.sqrt() };
    let beta = if clean { beta } else { 0.1 };
    Reduced {
        beta,
        x: -ln_positive(ratio).abs(),
        b_max,
        ln_beta: ln_positive(beta),
        ln_gap: ln_positive(b_max - beta),
        clean,
    }
}

/// b(x, s) and what the steps need of it, for x <= 0, s > 0.
struct Kernel {
    h: f64,
    inv_s: f64,
    b: f64,
    /// The normalised vega b' = E/√(2π), and its logarithm (which never underflows).
    v: f64,
    ln_v: f64,
    /// b/v and (b_max - b)/v.
    scaled_b: f64,
    scaled_gap: f64,
}

#[inline(always)]
fn kernel(x: f64, s: f64, b_max: f64) -> Kernel {
    // Divisions are what the lanes wait on (the divider is the one unit not fully pipelined):
    // each reciprocal is taken once and multiplied in.
    let inv_s = 1.0 / s;
    let h = x * inv_s;
    let d1 = h + 0.5 * s;
    let d2 = h - 0.5 * s;
    let c1 = erfcx_non_negative(d1.abs() * FRAC_1_SQRT_2);
    let c2 = erfcx_non_negative(-d2 * FRAC_1_SQRT_2);
    let ln_v = -0.5 * h * h - 0.125 * s * s - LN_SQRT_2PI;
    let v = exp(ln_v);
    let b_max_over_v = b_max / v;
    // Below d1 = 0, b = ½E(c1 - c2); above, b_max - b = ½E(c1 + c2).
    let low = d1 <= 0.0;
    let direct = SQRT_PI_OVER_2 * if low { c1 - c2 } else { c1 + c2 };
    let scaled_b = if low { direct } else { b_max_over_v - direct };
    let scaled_gap = if low { b_max_over_v - direct } else { direct };
    let b = if low { v * direct } else { b_max - v * direct };
    Kernel {
        h,
        inv_s,
        b,
        v,
        ln_v,
        scaled_b,
        scaled_gap,
    }
}

#[inline(always)]
fn pick(c: bool, a: Node, b: Node) -> Node {
    Node {
        x: if c { a.x } else { b.x },
        y: if c { a.y } else { b.y },
        slope: if c { a.slope } else { b.slope },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::black76;

    /// The lane arithmetic alone (no scalar fallback) inverts a chain's prices: every option with
    /// time value (σ√t is above MIN_S throughout) comes out of the two steps within 1e-12 of its s,
    /// or within what its price resolves.
    #[test]
    fn lanes_invert_without_fallback() {
        let f = 3000.0;
        let mut n = 0;
        for i in 0..21 {
            let k = f * (-0.8 + 1.6 * i as f64 / 20.0).exp();
            for j in 0..15 {
                let t = (1.0 + 3.0 * j as f64) / 52.0;
                for l in 0..10 {
                    let vol = 0.2 + 0.15 * l as f64;
                    for kind in [OptionType::Call, OptionType::Put] {
                        let price = black76::price(kind, f, k, t, vol, 0.97);
                        let r = reduce(kind.sign(), price, f, k, t, 0.97);
                        if !r.clean {
                            // Deep in the money for a week: no time value left in a double.
                            assert!(implied_vol(kind, price, f, k, t, 0.97).is_err());
                            continue;
                        }
                        let mut g = guess(&r);
                        g.s = step(&r, &g);
                        g.s = step(&r, &g);
                        // What the price can resolve: two ulps of it, through the vega.
                        let greeks = black76::greeks(kind, f, k, t, vol, 0.97);
                        let ulp = price * f64::EPSILON;
                        let attainable = (2.0 * ulp / (greeks.vega * vol)).max(1e-12);
                        let want = vol * t.sqrt();
                        assert!(
                            ((g.s - want) / want).abs() < attainable,
                            "k {k} t {t} vol {vol} {kind}: s {} vs {want}",
                            g.s
                        );
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 6000, "{n} of 6,300");
    }
}
