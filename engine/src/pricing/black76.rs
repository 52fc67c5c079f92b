//! Black-76: a European option on a forward `F`, discounted by `df` (= e^{-r t}).
//!
//! `call = df·(F Φ(d1) - K Φ(d2))`, `put = df·(K Φ(-d2) - F Φ(-d1))`,
//! `d1 = ln(F/K)/(σ√t) + σ√t/2`, `d2 = d1 - σ√t`. Greeks are with respect to `F` and `σ`; theta
//! is `-∂V/∂t` holding `F`, `K`, `σ` and the rate `r = -ln(df)/t` fixed.
//!
//! The price goes through the normalised Black function, so a far out-of-the-money option keeps
//! its relative precision (1e-150 is a number, not zero) and inverts exactly with
//! [`super::implied_vol`].

use super::greeks::{Greeks, OptionType};
use super::normal::{norm_cdf, norm_pdf};
use super::normalised::normalised_black;

/// The undiscounted Black price.
#[inline]
pub fn undiscounted_price(kind: OptionType, f: f64, k: f64, t: f64, vol: f64) -> f64 {
    debug_assert!(f > 0.0 && k > 0.0 && t >= 0.0 && vol >= 0.0);
    let theta = kind.sign();
    let intrinsic = (theta * (f - k)).max(0.0);
    let s = vol * t.sqrt();
    if s <= 0.0 {
        return intrinsic;
    }
    let x = (f / k).ln();
    // Reflect onto the out-of-the-money call: the in-the-money option is intrinsic plus the
    // out-of-the-money one (put-call parity), and b is symmetric in the put/call flip of x.
    intrinsic + (f * k).sqrt() * normalised_black(-x.abs(), s)
}

/// The discounted Black-76 price.
#[inline]
pub fn price(kind: OptionType, f: f64, k: f64, t: f64, vol: f64, df: f64) -> f64 {
    df * undiscounted_price(kind, f, k, t, vol)
}

/// Price and greeks.
pub fn greeks(kind: OptionType, f: f64, k: f64, t: f64, vol: f64, df: f64) -> Greeks {
    let value = price(kind, f, k, t, vol, df);
    let theta_sign = kind.sign();
    let sqrt_t = t.sqrt();
    let s = vol * sqrt_t;
    let rate = if t > 0.0 { -df.ln() / t } else { 0.0 };
    if s <= 0.0 {
        // No time value: the option is its discounted intrinsic; delta is the digital step.
        let itm = theta_sign * (f - k) > 0.0;
        return Greeks {
            price: value,
            delta: if itm { df * theta_sign } else { 0.0 },
            theta: rate * value,
            ..Greeks::default()
        };
    }
    let d1 = (f / k).ln() / s + 0.5 * s;
    let d2 = d1 - s;
    let pdf = norm_pdf(d1);
    let vega = df * f * pdf * sqrt_t;
    Greeks {
        price: value,
        delta: theta_sign * df * norm_cdf(theta_sign * d1),
        gamma: df * pdf / (f * s),
        vega,
        theta: -df * f * pdf * vol / (2.0 * sqrt_t) + rate * value,
        vanna: -df * pdf * d2 / vol,
        volga: vega * d1 * d2 / vol,
    }
}
