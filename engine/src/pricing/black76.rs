//! Black-76: a European option on a forward `F`, discounted by `df` (= e^{-r t}).
//!
//! `call = df·(F Φ(d1) - K Φ(d2))`, `put = df·(K Φ(-d2) - F Φ(-d1))`,
//! `d1 = ln(F/K)/(σ√t) + σ√t/2`, `d2 = d1 - σ√t`. Greeks are with respect to `F` and `σ`; theta
//! is `-∂V/∂t` holding `F`, `K`, `σ` and the rate `r = -ln(df)/t` fixed.
//!
//! The price goes through the normalised Black function, so a far out-of-the-money option keeps
//! its relative precision (1e-150 is a number, not zero) and inverts exactly with
//! [`implied_vol`](fn@super::implied_vol). The greeks reuse its exponential: `φ(d1) = v·√(K/F)` with `v` the
//! normalised vega, and `Φ(d1)` then needs only Cody's rational factor.

use super::greeks::{Greeks, OptionType};
use super::normal::norm_cdf_from_pdf;
use super::normalised::black_and_vega;

/// The undiscounted Black price.
#[inline]
pub fn undiscounted_price(kind: OptionType, f: f64, k: f64, t: f64, vol: f64) -> f64 {
    debug_assert!(f > 0.0 && k > 0.0 && t >= 0.0 && vol >= 0.0);
    let intrinsic = (kind.sign() * (f - k)).max(0.0);
    let s = vol * t.sqrt();
    if s <= 0.0 {
        return intrinsic;
    }
    // Reflect onto the out-of-the-money call: the in-the-money option is intrinsic plus the
    // out-of-the-money one (put-call parity), and b is symmetric in the put/call flip of x.
    let x = (f / k).ln();
    let root_fk = (f * k).sqrt();
    intrinsic + root_fk * black_and_vega(-x.abs(), s, f.min(k) / root_fk).0
}

/// The discounted Black-76 price.
#[inline]
pub fn price(kind: OptionType, f: f64, k: f64, t: f64, vol: f64, df: f64) -> f64 {
    df * undiscounted_price(kind, f, k, t, vol)
}

/// Price and greeks.
#[inline]
pub fn greeks(kind: OptionType, f: f64, k: f64, t: f64, vol: f64, df: f64) -> Greeks {
    let sign = kind.sign();
    let intrinsic = (sign * (f - k)).max(0.0);
    let sqrt_t = t.sqrt();
    let s = vol * sqrt_t;
    // Deribit prices with zero rates: skip the logarithm then.
    let rate = if df == 1.0 || t <= 0.0 {
        0.0
    } else {
        -df.ln() / t
    };
    if s <= 0.0 {
        // No time value: the option is its discounted intrinsic; delta is the digital step.
        let value = df * intrinsic;
        return Greeks {
            price: value,
            delta: if intrinsic > 0.0 { df * sign } else { 0.0 },
            theta: rate * value,
            ..Greeks::default()
        };
    }
    let x = (f / k).ln();
    let root_fk = (f * k).sqrt();
    let (b, v) = black_and_vega(-x.abs(), s, f.min(k) / root_fk);
    let price = df * (intrinsic + root_fk * b);
    // Two divisions serve all the greeks.
    let inv_s = 1.0 / s;
    let inv_f = 1.0 / f;
    let inv_vol = sqrt_t * inv_s;
    let pdf_d1 = v * root_fk * inv_f;
    let d1 = x * inv_s + 0.5 * s;
    let d2 = d1 - s;
    let vega = df * f * pdf_d1 * sqrt_t;
    Greeks {
        price,
        delta: sign * df * norm_cdf_from_pdf(sign * d1, pdf_d1),
        gamma: df * pdf_d1 * inv_f * inv_s,
        vega,
        theta: -0.5 * df * f * pdf_d1 * vol * vol * inv_s + rate * price,
        vanna: -df * pdf_d1 * d2 * inv_vol,
        volga: vega * d1 * d2 * inv_vol,
    }
}
