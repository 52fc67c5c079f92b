//! Coin-margined (inverse) options, Deribit style: the price is quoted and paid in the coin,
//! `V_coin = V_usd / F` with `F` the forward of the option's expiry.
//!
//! Greeks follow Deribit's convention for coin options: `delta = F ∂V_coin/∂F = Δ_usd - V_coin`,
//! the change in the coin value per unit relative move, i.e. the position's exposure in coin;
//! `gamma = ∂delta/∂F`; vega, theta and volga are the USD ones divided by `F`; vanna is
//! `∂delta/∂σ`.

use super::black76;
use super::greeks::{Greeks, OptionType};

/// Coin greeks from the USD Black-76 greeks of the same option at forward `f`.
#[inline]
pub fn from_usd(usd: Greeks, f: f64) -> Greeks {
    let price = usd.price / f;
    let delta = usd.delta - price;
    Greeks {
        price,
        delta,
        gamma: usd.gamma - delta / f,
        vega: usd.vega / f,
        theta: usd.theta / f,
        vanna: usd.vanna - usd.vega / f,
        volga: usd.volga / f,
    }
}

/// The coin price.
pub fn price(kind: OptionType, f: f64, k: f64, t: f64, vol: f64, df: f64) -> f64 {
    black76::price(kind, f, k, t, vol, df) / f
}

/// The coin price and greeks.
pub fn greeks(kind: OptionType, f: f64, k: f64, t: f64, vol: f64, df: f64) -> Greeks {
    from_usd(black76::greeks(kind, f, k, t, vol, df), f)
}
