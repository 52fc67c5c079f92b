//! The ETH perpetual the maker hedges its delta on, modelled where the data has no book of it
//! (chain snapshots, the synthetic market): the best bid is the index rounded down to the 0.05
//! USD tick, the ask `spread` ticks above it (`venue.future_spread_ticks` rounded to whole ticks,
//! at least one: Deribit's ETH-PERPETUAL usually shows one), so a buyer pays between 0 and one
//! tick over the index and a seller gets between 0 and one under, half a tick on average. It is
//! as deep as any hedge here needs (Deribit shows well over a million USD at its top; the
//! largest hedge of a run is in its summary); funding and the perpetual's basis to the index are
//! left out. Fees: Deribit's futures schedule (0.05% of the USD traded to the taker, nothing to
//! the maker), in ETH at the fill price, computed in decimals (28 significant digits: the
//! venue's own rounding of fees is not modelled).

use engine::position::Ledger;
use engine::state::{HedgeState, Top};
use engine::tick_rule::Rounding;
use engine::{InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Deribit's fee on the perpetual to a taker, a fraction of the USD traded.
pub const TAKER_FEE: Decimal = Decimal::from_parts(5, 0, 0, false, 4);

/// The modelled perpetual: instrument `id` of the market's registry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Perpetual {
    pub id: InstrumentId,
    /// Whole ticks between the bid and the ask.
    spread: i64,
}

/// What the hedge traded and what crossing cost it against the index.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HedgeTally {
    /// ETH of the perpetual traded (USD over the fill price).
    pub traded_eth: f64,
    /// The fills' distance from the index and their fees, USD.
    pub cost_usd: f64,
    /// The most USD traded at once.
    pub largest_usd: f64,
}

impl Perpetual {
    /// The perpetual `id`, its spread `spread_ticks` (rounded to whole ticks, at least one).
    pub fn new(id: InstrumentId, spread_ticks: f64) -> Perpetual {
        Perpetual {
            id,
            spread: (spread_ticks.round() as i64).max(1),
        }
    }

    /// The modelled best bid and ask at `index` (None without a usable index).
    pub fn top(&self, instruments: &Instruments, index: f64, at: Timestamp) -> Option<Top> {
        let inst = instruments.get(self.id);
        let unit = inst.float_terms().price_unit;
        if !(index.is_finite() && index > 0.0 && unit > 0.0) {
            return None;
        }
        let rule = inst.tick_rule();
        let below = rule.round(Price((index / unit).floor() as i64), Rounding::Down);
        let bid = Price(below.0 - (self.spread - 1) / 2 * rule.tick_at(below));
        let ask = Price(bid.0 + self.spread * rule.tick_at(bid));
        // Depth: as much as a hedge takes (see the module's note).
        let deep = Qty(i64::MAX / 4);
        (bid.0 > 0).then_some(Top {
            bid: Some((bid, deep)),
            ask: Some((ask, deep)),
            live: true,
            updated: at,
        })
    }

    /// What the strategy sees of the perpetual at `index`, holding `position` lots.
    pub fn state(
        &self,
        instruments: &Instruments,
        index: f64,
        at: Timestamp,
        position: Qty,
    ) -> Option<HedgeState> {
        let inst = instruments.get(self.id);
        let terms = inst.float_terms();
        Some(HedgeState {
            id: self.id,
            top: self.top(instruments, index, at)?,
            tick_rule: inst.tick_rule().clone(),
            price_unit: terms.price_unit,
            lot_usd: terms.lot,
            position,
        })
    }

    /// Where a take of `side` no worse than `limit` fills now: at the opposite best, if the
    /// limit reaches it.
    pub fn take_price(
        &self,
        instruments: &Instruments,
        index: f64,
        side: Side,
        limit: Price,
    ) -> Option<Price> {
        let top = self.top(instruments, index, Timestamp(0))?;
        let (best, _) = match side {
            Side::Buy => top.ask?,
            Side::Sell => top.bid?,
        };
        let reaches = match side {
            Side::Buy => limit >= best,
            Side::Sell => limit <= best,
        };
        reaches.then_some(best)
    }

    /// The taker fee, ETH, on `qty` lots at `price`.
    pub fn taker_fee(&self, instruments: &Instruments, price: Price, qty: Qty) -> Decimal {
        let inst = instruments.get(self.id);
        let usd = inst.qty_decimal(qty) * inst.spec().contract_size;
        let p = inst.price_decimal(price);
        if p <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        usd * TAKER_FEE / p
    }

    /// A fill of `qty` lots at `price` bought or sold (`side`) with `fee` ETH, against `index`.
    pub fn tally(
        &self,
        instruments: &Instruments,
        t: &mut HedgeTally,
        (side, price, qty, fee): (Side, Price, Qty, Decimal),
        index: f64,
    ) {
        let inst = instruments.get(self.id);
        let usd = qty.0 as f64 * inst.float_terms().lot;
        let p = inst.price_f64(price);
        t.traded_eth += usd / p;
        // Bought above the index or sold below it: the USD value given up at once.
        t.cost_usd += side.sign() as f64 * usd * (p - index) / p;
        t.cost_usd += fee.to_f64().unwrap_or(f64::NAN) * index;
        t.largest_usd = t.largest_usd.max(usd);
    }

    /// The position's unrealized PnL at `index` (ETH), in f64 (a model's figure: the ledger
    /// books money in decimals when the position closes).
    pub fn unrealized_eth(&self, instruments: &Instruments, ledger: &Ledger, index: f64) -> f64 {
        let Some(position) = ledger.position(self.id) else {
            return 0.0;
        };
        if position.size() == Qty(0) || !(index.is_finite() && index > 0.0) {
            return 0.0;
        }
        position.unrealized_pnl_f64(instruments.get(self.id), index)
    }

    /// The position's PnL so far at `index` (ETH): realized, less fees, and unrealized.
    pub fn pnl_eth(&self, instruments: &Instruments, ledger: &Ledger, index: f64) -> f64 {
        let cash = ledger
            .position(self.id)
            .map_or(0.0, |p| p.cash().to_f64().unwrap_or(f64::NAN));
        cash + self.unrealized_eth(instruments, ledger, index)
    }

    /// The position, USD (negative: short).
    pub fn position_usd(&self, instruments: &Instruments, ledger: &Ledger) -> f64 {
        ledger.size(self.id) as f64 * instruments.get(self.id).float_terms().lot
    }

    /// The position's USD delta at `index`, ETH: an inverse perpetual of N USD is N/S, and its
    /// unrealized PnL (ETH) as much again as any ETH held.
    pub fn delta_eth(&self, instruments: &Instruments, ledger: &Ledger, index: f64) -> f64 {
        let usd = self.position_usd(instruments, ledger);
        usd / index + self.unrealized_eth(instruments, ledger, index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use engine::position::Fill;
    use engine::Instrument;

    fn perpetual() -> (Instruments, Perpetual) {
        let mut instruments = Instruments::new();
        let id = instruments
            .intern(Instrument::deribit("ETH-PERPETUAL").unwrap())
            .unwrap();
        (instruments, Perpetual::new(id, 1.0))
    }

    #[test]
    fn the_book_is_a_tick_wide_around_the_index() {
        let (instruments, p) = perpetual();
        let top = p.top(&instruments, 2000.01, Timestamp(5)).unwrap();
        // 0.05 USD a price unit: the bid 2000.00, the ask 2000.05.
        assert_eq!(top.bid.unwrap().0, Price(40_000));
        assert_eq!(top.ask.unwrap().0, Price(40_001));
        assert!(p.top(&instruments, f64::NAN, Timestamp(5)).is_none());
        let wide = Perpetual::new(p.id, 3.0);
        let top = wide.top(&instruments, 2000.01, Timestamp(5)).unwrap();
        assert_eq!(
            (top.bid.unwrap().0, top.ask.unwrap().0),
            (Price(39_999), Price(40_002))
        );
        // A take fills at the opposite best when its limit reaches it.
        let buy = |limit| p.take_price(&instruments, 2000.01, Side::Buy, Price(limit));
        assert_eq!(buy(40_001), Some(Price(40_001)));
        assert_eq!(buy(40_000), None);
        let sell = p.take_price(&instruments, 2000.01, Side::Sell, Price(39_990));
        assert_eq!(sell, Some(Price(40_000)));
    }

    #[test]
    fn a_hedge_sold_and_marked_lower_gains_what_the_index_lost_in_usd() {
        let (instruments, p) = perpetual();
        let mut ledger = Ledger::new();
        // Sell 20,000 USD at 2000: 10 ETH of delta off; the fee 0.05% of 10 ETH.
        let fee = p.taker_fee(&instruments, Price(40_000), Qty(20_000));
        assert_eq!(fee, Decimal::new(5, 3));
        let fill = Fill {
            instrument: p.id,
            side: Side::Sell,
            price: Price(40_000),
            qty: Qty(20_000),
            fee,
            ts: Timestamp(0),
        };
        ledger.apply(instruments.get(p.id), &fill).unwrap();
        assert!((p.delta_eth(&instruments, &ledger, 2000.0) + 10.0).abs() < 1e-12);
        // At 1900: 20,000 x (1/1900 - 1/2000) ETH, worth 1000 USD at 1900.
        let up = p.unrealized_eth(&instruments, &ledger, 1900.0);
        assert!((up * 1900.0 - 1000.0).abs() < 1e-9, "{up}");
        let pnl = p.pnl_eth(&instruments, &ledger, 1900.0);
        assert!((pnl - (up - 0.005)).abs() < 1e-15);
        // The delta in USD terms: -20,000/1900 of the short, plus the ETH it has gained.
        let d = p.delta_eth(&instruments, &ledger, 1900.0);
        assert!((d - (-20_000.0 / 1900.0 + up)).abs() < 1e-12);
        let mut t = HedgeTally::default();
        p.tally(
            &instruments,
            &mut t,
            (Side::Sell, Price(40_000), Qty(20_000), fee),
            2000.01,
        );
        assert!((t.traded_eth - 10.0).abs() < 1e-12);
        // Sold 0.01 under the index (20,000 x 0.01 / 2000 = 0.1 USD) and paid 0.005 ETH.
        assert!(
            (t.cost_usd - (0.1 + 0.005 * 2000.01)).abs() < 1e-9,
            "{}",
            t.cost_usd
        );
        assert_eq!(t.largest_usd, 20_000.0);
    }
}
