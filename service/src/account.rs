//! What the account holds, marked at the venue's marks: the cash the strategy counts as delta,
//! and the inventory's greeks and PnL the metrics show. f64 for watching and deciding; the money
//! itself is the ledger's exact decimals.

use crate::market::LiveMarket;
use engine::instrument::InstrumentKind;
use engine::position::Ledger;
use engine::pricing::{coin, OptionType};
use engine::Timestamp;
use rust_decimal::prelude::ToPrimitive;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Exposure {
    /// The ledger's cash with the perpetual's unrealized PnL, ETH (what `State::cash_eth` holds).
    pub cash_eth: f64,
    /// The USD delta, ETH: cash, each option's coin delta and coin value, the perpetual's N/S.
    pub delta_eth: f64,
    /// ETH per vol point.
    pub vega: f64,
    /// ETH of delta per USD the forward moves.
    pub gamma: f64,
    /// Cash, the options at their marks and the perpetual at the index, ETH, times the index.
    pub pnl_usd: f64,
}

/// The account's exposure at `now`. An option held without a mark yet counts at zero value and
/// zero greeks (the metrics lag until its ticker comes; the strategy never quotes it unmarked).
pub fn exposure(market: &LiveMarket, ledger: &Ledger, now: Timestamp) -> Exposure {
    let index = market.index().map_or(f64::NAN, |i| i.value);
    let instruments = market.instruments();
    let mut e = Exposure {
        cash_eth: ledger.cash().to_f64().unwrap_or(f64::NAN),
        ..Exposure::default()
    };
    let mut value_eth = 0.0;
    for (id, p) in ledger.iter() {
        let inst = instruments.get(id);
        let size = p.size().0;
        if size == 0 {
            continue;
        }
        match inst.kind() {
            InstrumentKind::Option { expiry, right, .. } => {
                let Some(m) = market.mark(id) else { continue };
                let contracts = size as f64 * inst.float_terms().lot;
                let kind = OptionType::from(*right);
                let t = now.years_until(expiry.settlement_time()).max(0.0);
                let strike = inst.float_terms().strike;
                let g = coin::greeks(kind, m.forward, strike, t, m.iv, 1.0);
                value_eth += contracts * m.price;
                e.delta_eth += contracts * (g.delta + g.price);
                e.vega += contracts * g.vega / 100.0;
                e.gamma += contracts * g.gamma;
            }
            _ if index.is_finite() && index > 0.0 => {
                // The inverse perpetual: N USD is N/S of delta; its PnL at the index is cash.
                e.cash_eth += p.unrealized_pnl_f64(inst, index);
                e.delta_eth += size as f64 * inst.float_terms().lot / index;
            }
            _ => {}
        }
    }
    e.delta_eth += e.cash_eth;
    e.pnl_usd = (e.cash_eth + value_eth) * index;
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use connectors::deribit::ticker::Ticker;
    use engine::position::Fill;
    use engine::{Instrument, Instruments, Price, Qty, Side};
    use rust_decimal::Decimal;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn a_call_sold_at_its_mark_is_flat_pnl_and_short_delta_and_vega() {
        let mut instruments = Instruments::new();
        let call =
            (instruments.intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())).unwrap();
        let mut m = LiveMarket::new(Arc::new(instruments), "ETH");
        let ticker = Ticker {
            instrument: "ETH-27MAR26-2000-C".into(),
            timestamp_ms: 1_772_323_200_000,
            mark_price: 0.05,
            mark_iv: Some(0.6),
            index_price: 2000.0,
            underlying_price: Some(2000.0),
            best_bid_price: None,
            best_ask_price: None,
        };
        m.on_ticker(&ticker, Instant::now());
        let mut ledger = Ledger::new();
        let fill = Fill {
            instrument: call,
            side: Side::Sell,
            price: Price(500),
            qty: Qty(10),
            fee: Decimal::ZERO,
            ts: Timestamp(0),
        };
        ledger.apply(m.instruments().get(call), &fill).unwrap();
        let e = exposure(&m, &ledger, Timestamp::from_millis(ticker.timestamp_ms));
        assert_eq!(e.cash_eth, 0.5);
        assert!(e.pnl_usd.abs() < 1e-9, "{e:?}");
        assert!(e.vega < 0.0 && e.gamma < 0.0, "{e:?}");
        // Short calls: short their delta, long the 0.5 ETH of premium.
        let g = coin::greeks(OptionType::Call, 2000.0, 2000.0, e_t(), 0.6, 1.0);
        let want = 0.5 - 10.0 * (g.delta + g.price);
        assert!((e.delta_eth - want).abs() < 1e-9, "{e:?} {want}");
    }

    fn e_t() -> f64 {
        let expiry = match Instrument::deribit("ETH-27MAR26-2000-C").unwrap().kind() {
            InstrumentKind::Option { expiry, .. } => expiry.settlement_time(),
            _ => unreachable!(),
        };
        Timestamp::from_millis(1_772_323_200_000).years_until(expiry)
    }
}
