//! Black-76 price and greeks of many options at once: a chain reprice.
//!
//! The same quantities as [`black76::greeks`], computed W options side by side in SIMD lanes:
//! every branch of the scalar path becomes a select, and e^x, ln x and erfcx come from
//! [`lanes`](super::lanes). The out-of-the-money normalised price is
//! `b = ½·E·(erfcx(-d1/√2) - erfcx(-d2/√2))`, `E = exp(-h²/2 - s²/8)`, `h = x/s` (Jaeckel's
//! erfcx form: one exponential shared by the price, the vega and Φ(d1)); where `d1 > 0` it is
//! `e^{x/2} - ½·E·(erfcx(d1/√2) + erfcx(-d2/√2))`.
//!
//! Accuracy against the scalar pricer (engine/tests/pricing_batch.rs): the difference of two
//! erfcx values loses `log10(|d2|/s)` digits where both are large, so far out of the money,
//! where the scalar path switches to series, the batch keeps absolute but not relative precision;
//! below e^{-708} of the forward the batch price is 0. Options with no time value (t = 0 or
//! vol = 0) go through the scalar function.
//!
//! Paths: AVX-512 (8 lanes) or AVX2 (4 lanes), chosen at run time ([`simd`](super::simd)),
//! giving bit-identical results; elsewhere the scalar [`black76::greeks`] per option.

use super::black76;
use super::greeks::{Greeks, OptionType};

use super::lanes::{erfcx_non_negative, exp, ln_positive};
use super::normal::{FRAC_1_SQRT_2PI, SQRT_PI_OVER_2};
use super::simd::{run_on, Block};
use std::f64::consts::FRAC_1_SQRT_2;

pub use super::simd::{batch_path, BatchPath};

/// One Black-76 option: the arguments of [`black76::greeks`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlackInput {
    pub kind: OptionType,
    pub f: f64,
    pub k: f64,
    pub t: f64,
    pub vol: f64,
    pub df: f64,
}

impl BlackInput {
    /// [`black76::greeks`] of this one option.
    pub fn greeks(&self) -> Greeks {
        black76::greeks(self.kind, self.f, self.k, self.t, self.vol, self.df)
    }
}

/// Price and greeks of every input, into `out` (of the same length), on the widest path.
/// Inputs are assumed valid, as for [`black76::greeks`]: check numbers from outside with
/// [`check_black`](super::input::check_black) first.
pub fn greeks_batch(inputs: &[BlackInput], out: &mut [Greeks]) {
    run_on(batch_path(), inputs, out);
}

/// [`greeks_batch`] on a given path; a path this CPU lacks falls back to the next narrower one.
pub fn greeks_batch_on(path: BatchPath, inputs: &[BlackInput], out: &mut [Greeks]) {
    run_on(path, inputs, out);
}

/// Below this σ√t an option goes through the scalar pricer: near the money the lanes' price is
/// `e^{x/2}` minus nearly as much (about s/√(2π) of it left), losing `log10(1/s)` digits, where
/// the scalar path has a series in s. It also takes t = 0 and vol = 0 (no time value). An ETH
/// option at 20% vol has s = 0.01 with 22 hours left.
pub const MIN_S: f64 = 0.01;

impl Block for BlackInput {
    type Out = Greeks;
    const PAD: BlackInput = BlackInput {
        kind: OptionType::Call,
        f: 1.0,
        k: 1.0,
        t: 1.0,
        vol: 0.5,
        df: 1.0,
    };
    fn scalar(&self) -> Greeks {
        self.greeks()
    }
    #[inline(always)]
    fn block<const W: usize>(inputs: &[BlackInput], out: &mut [Greeks]) {
        block::<W>(inputs, out);
    }
}

/// W options: transposed into one array per argument so the middle loop is plain lane-wise
/// arithmetic the compiler vectorises, then transposed back.
#[inline(always)]
fn block<const W: usize>(inputs: &[BlackInput], out: &mut [Greeks]) {
    let (mut sign, mut f, mut k, mut t, mut vol, mut df) =
        ([0.0; W], [0.0; W], [0.0; W], [0.0; W], [0.0; W], [0.0; W]);
    for i in 0..W {
        let c = &inputs[i];
        sign[i] = c.kind.sign();
        f[i] = c.f;
        k[i] = c.k;
        t[i] = c.t;
        vol[i] = c.vol;
        df[i] = c.df;
    }
    let mut g = [[0.0; 7]; W];
    for i in 0..W {
        g[i] = lane(sign[i], f[i], k[i], t[i], vol[i], df[i]);
    }
    for i in 0..W {
        let [price, delta, gamma, vega, theta, vanna, volga] = g[i];
        // Not taken for NaN either.
        out[i] = if vol[i] * vol[i] * t[i] >= MIN_S * MIN_S {
            Greeks {
                price,
                delta,
                gamma,
                vega,
                theta,
                vanna,
                volga,
            }
        } else {
            scalar_fallback(&inputs[i])
        };
    }
}

/// The scalar pricer for an option the lanes cannot price: rare, kept out of line so that it
/// does not shape the lanes' loop (inlined there by a whole-program build, the AVX-512 batch
/// ran 1.2x slower).
#[cold]
#[inline(never)]
fn scalar_fallback(input: &BlackInput) -> Greeks {
    input.greeks()
}

/// One option's price and greeks, branch-free: `[price, delta, gamma, vega, theta, vanna, volga]`.
/// Meaningless when σ√t is 0 (the caller replaces it). Divisions are kept where a reciprocal
/// would lengthen a dependency chain: sharing them measured slower (18.0 µs a 1,024-option batch
/// with nine, 22-23 µs with four), as the block is bound by latency, not by the divider.
#[inline(always)]
pub(super) fn lane(sign: f64, f: f64, k: f64, t: f64, vol: f64, df: f64) -> [f64; 7] {
    let ln_df = ln_positive(df);
    let x = ln_positive(f / k);
    let sqrt_t = t.sqrt();
    let s = vol * sqrt_t;
    let inv_s = 1.0 / s;
    let h = x * inv_s;
    // The out-of-the-money side: x <= 0.
    let h_otm = -h.abs();
    let d1_otm = h_otm + 0.5 * s;
    let d2_otm = h_otm - 0.5 * s;
    let e = exp(-0.5 * h_otm * h_otm - 0.125 * s * s);
    let c1 = erfcx_non_negative(d1_otm.abs() * FRAC_1_SQRT_2);
    let c2 = erfcx_non_negative(-d2_otm * FRAC_1_SQRT_2);
    let root_fk = (f * k).sqrt();
    let b = if d1_otm <= 0.0 {
        0.5 * e * (c1 - c2)
    } else {
        // e^{x/2} on the out-of-the-money side is √(min/max) = min/√(FK).
        f.min(k) / root_fk - 0.5 * e * (c1 + c2)
    };
    let intrinsic = (sign * (f - k)).max(0.0);
    let price = df * (intrinsic + root_fk * b);

    // As in black76::greeks: φ(d1) = v·√(K/F) with v = E/√(2π) the normalised vega, and
    // Φ(θ·d1) from the erfcx already taken at |d1|/√2 (c1 where x <= 0, c2 above).
    let inv_f = 1.0 / f;
    let pdf_d1 = e * FRAC_1_SQRT_2PI * root_fk * inv_f;
    let d1 = h + 0.5 * s;
    let d2 = d1 - s;
    let tail = pdf_d1 * SQRT_PI_OVER_2 * if x <= 0.0 { c1 } else { c2 };
    let cdf = if sign * d1 <= 0.0 { tail } else { 1.0 - tail };
    let inv_vol = sqrt_t * inv_s;
    let rate = -ln_df / t;
    let vega = df * f * pdf_d1 * sqrt_t;
    [
        price,
        sign * df * cdf,
        df * pdf_d1 * inv_f * inv_s,
        vega,
        -0.5 * df * f * pdf_d1 * vol * vol * inv_s + rate * price,
        -df * pdf_d1 * d2 * inv_vol,
        vega * d1 * d2 * inv_vol,
    ]
}
