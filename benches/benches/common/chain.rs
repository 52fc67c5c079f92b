//! What the pricing benches share: chain-like options on a forward of 3000, and the anchor's
//! implied vol of one (`implied-vol` 2.1.0, its default `calculate()`; 0 where it has none).

// Each bench that includes this uses part of it.
#![allow(dead_code)]

use ::implied_vol::{DefaultSpecialFn, ImpliedBlackVolatility};
use engine::pricing::{black76, OptionType};

pub const F: f64 = 3000.0;

#[derive(Clone, Copy)]
pub struct Case {
    pub kind: OptionType,
    pub k: f64,
    pub t: f64,
    pub vol: f64,
    pub price: f64,
}

/// `n` chain-like options, a deterministic spread (a Weyl sequence per coordinate): strikes
/// `k_lo..k_hi` times the forward, `days_lo..days_hi` to expiry (log-spaced), vols 40%-120%,
/// calls and puts alternating.
pub fn spread(n: usize, (k_lo, k_hi): (f64, f64), (days_lo, days_hi): (f64, f64)) -> Vec<Case> {
    (0..n)
        .map(|i| {
            let u = |a: f64| ((i as f64 + 0.5) * a).fract();
            let k = F * (k_lo.ln() + u(0.618_034) * (k_hi / k_lo).ln()).exp();
            let t = (days_lo / 365.0) * ((days_hi / days_lo).ln() * u(0.754_878)).exp();
            let vol = 0.4 + 0.8 * u(0.569_840);
            let kind = [OptionType::Call, OptionType::Put][i % 2];
            let price = black76::price(kind, F, k, t, vol, 1.0);
            Case {
                kind,
                k,
                t,
                vol,
                price,
            }
        })
        .collect()
}

#[inline]
pub fn anchor_implied_vol(kind: OptionType, price: f64, f: f64, k: f64, t: f64) -> f64 {
    ImpliedBlackVolatility::builder()
        .option_price(price)
        .forward(f)
        .strike(k)
        .expiry(t)
        .is_call(kind == OptionType::Call)
        .build_unchecked()
        .calculate::<DefaultSpecialFn>()
        .unwrap_or(0.0)
}
