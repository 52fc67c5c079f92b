//! What things cost on a backtest market, in ETH per contract: a series' price, a holder crossing
//! its book (walking the levels, through the cheaper of the call and the put plus the future), a
//! P token's value. Pure functions of the market; the desk, the baselines and the venue share them.

use super::market::{average_price, Market};
use crate::roll_flow::Position;
use engine::instrument::Expiry;
use engine::{InstrumentId, Price, Qty, Side};
use std::collections::HashMap;

/// A price of instrument `id` in ETH.
pub fn eth<M: Market>(market: &M, id: InstrumentId, price: Price) -> f64 {
    market.instruments().get(id).price_f64(price)
}

/// The average price (ETH) of a holder on `side` crossing `lots` of call `id`, walking the
/// venue's displayed levels ([`average_price`]). None when that side of the book is empty.
pub fn sweep_price<M: Market>(
    market: &M,
    id: InstrumentId,
    side: Side,
    lots: i64,
    levels: &mut Vec<(Price, Qty)>,
) -> Option<f64> {
    market.levels(id, side.opposite(), levels);
    let eth_levels: Vec<(f64, i64)> = levels
        .iter()
        .map(|&(p, q)| (eth(market, id, p), q.0))
        .collect();
    average_price(&eth_levels, lots)
}

/// A holder crossing the book for `lots` takes the cheaper of the call and, where the market
/// lists it, the put plus the future (ROLLS.md's taker route): `call_cost` per contract, or the
/// put's plus `future_cost` (half the future's spread, ETH per contract).
pub fn cheaper_route<M: Market>(
    market: &M,
    id: InstrumentId,
    side: Side,
    lots: i64,
    call_cost: f64,
    future_cost: f64,
) -> f64 {
    match put_route_cost(market, id, side, lots, future_cost) {
        Some(put_cost) => put_cost.min(call_cost),
        None => call_cost,
    }
}

/// What crossing `lots` through the put of call `id`'s series and the future costs over fair per
/// contract (`future_cost` for the future's half-spread); None where the market lists no put.
pub fn put_route_cost<M: Market>(
    market: &M,
    id: InstrumentId,
    side: Side,
    lots: i64,
    future_cost: f64,
) -> Option<f64> {
    let put_cost = market.put_route(id)?.cost(side, lots)?;
    Some(put_cost + future_cost)
}

/// Half the ETH future's spread of `ticks` of its tick (0.05 USD on Deribit), in USD per ETH.
pub fn future_half_spread_usd(ticks: f64) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    let tick = engine::Instrument::deribit("ETH-PERPETUAL")
        .map(|f| f.tick_size_at(Price(1)).to_f64().unwrap_or(0.0))
        .unwrap_or(0.0);
    ticks * tick / 2.0
}

/// What the holder pays over fair per contract (ETH): buying above it, selling below.
pub fn holder_cost(side: Side, price: f64, fair: f64) -> f64 {
    match side {
        Side::Buy => price - fair,
        Side::Sell => fair - price,
    }
}

/// A P token's USD value: S - C, with C the fair value of `call`, the call of its series (NaN
/// where the market has no index or no longer lists the series).
pub fn p_value<M: Market>(market: &M, call: InstrumentId) -> f64 {
    let Some(p) = market.point() else {
        return f64::NAN;
    };
    match market.fair(call) {
        Some(fair) => p.price * (1.0 - fair.price),
        None => f64::NAN,
    }
}

/// USD value of the P tokens `held`: min(S_T, K) each once settled (at the index in `settled`),
/// else the fair value now.
pub fn held_value<M: Market>(market: &M, settled: &HashMap<Expiry, f64>, held: &Position) -> f64 {
    match settled.get(&held.expiry) {
        Some(st) => held.qty * st.min(held.strike),
        None => held.qty * p_value(market, held.call),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_pays_above_fair_buying_and_below_it_selling() {
        assert!((holder_cost(Side::Buy, 0.052, 0.05) - 0.002).abs() < 1e-15);
        assert!((holder_cost(Side::Sell, 0.048, 0.05) - 0.002).abs() < 1e-15);
        assert!(holder_cost(Side::Sell, 0.052, 0.05) < 0.0);
        // One 0.05 USD tick of the ETH future, half of it paid.
        assert_eq!(future_half_spread_usd(1.0), 0.025);
    }
}
