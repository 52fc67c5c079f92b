//! The maker's PnL split for the report: spread (each fill against the series' fair value when
//! it filled) and settlement (what expiry paid beyond the last mark); inventory is the rest. A
//! measurement in USD floats from the model's fair values, not the ledger: the ledger (in the
//! trader) holds the money. Each fill is also kept as a record (`fills.csv`).

use super::market::Market;
use super::summary::as_text;
use super::venue::VenueFill;
use crate::synthetic::path::IndexPoint;
use engine::position::Fill;
use engine::{Instrument, Side, Timestamp};
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attribution {
    pub fills: u64,
    pub spread_usd: f64,
    pub settlement_usd: f64,
    pub records: Vec<FillRecord>,
}

/// Who took a fill of ours.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Taker {
    /// A rolling holder, with the series' fair value it was judged against (ETH per contract).
    Holder { fair: f64 },
    /// The market: a trade in the data, or the opposite best reaching the order.
    Market,
}

/// One fill of the maker's (`fills.csv`, a row each).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FillRecord {
    #[serde(serialize_with = "as_text")]
    pub at: Timestamp,
    pub instrument: String,
    /// The maker's side.
    #[serde(serialize_with = "as_text")]
    pub side: Side,
    /// ETH per contract.
    pub price: f64,
    pub contracts: i64,
    /// The series' fair value it was measured against (ETH per contract; NaN if none).
    pub fair: f64,
    pub index_usd: f64,
    /// "holder", "market", or "package" (a leg of a package; its price is the leg's booked
    /// value, the package's edge is in the summary's spread).
    pub taker: &'static str,
}

impl FillRecord {
    /// A fill at `p` of `inst`: the maker's (side, price in ETH, contracts), against `fair`.
    fn new(
        p: IndexPoint,
        inst: &Instrument,
        (side, price, contracts): (Side, f64, i64),
        fair: f64,
        taker: &'static str,
    ) -> FillRecord {
        FillRecord {
            at: p.at,
            instrument: inst.name().to_string(),
            side,
            price,
            contracts,
            fair,
            index_usd: p.price,
            taker,
        }
    }
}

impl Attribution {
    /// Our `fills`, taken by `taker`, each against the holder's fair or else the series' fair
    /// value now, at the market's index.
    pub fn on_fills<M: Market>(&mut self, market: &M, fills: &[VenueFill], taker: Taker) {
        // Most steps have none: no index asked for.
        if fills.is_empty() {
            return;
        }
        let Some(p) = market.point() else { return };
        for f in fills {
            self.fills += 1;
            let fair = match taker {
                Taker::Holder { fair } => Some(fair),
                Taker::Market => market.fair(f.instrument).map(|g| g.price),
            };
            let inst = market.instruments().get(f.instrument);
            let px = inst.price_f64(f.price);
            if let Some(fair) = fair {
                let edge = match f.side {
                    Side::Buy => fair - px,
                    Side::Sell => px - fair,
                };
                self.spread_usd += edge * f.qty.0 as f64 * p.price;
            }
            let by = match taker {
                Taker::Holder { .. } => "holder",
                Taker::Market => "market",
            };
            let fair = fair.unwrap_or(f64::NAN);
            let record = FillRecord::new(p, inst, (f.side, px, f.qty.0), fair, by);
            self.records.push(record);
        }
    }

    /// A package sold to a holder: its legs recorded (taker "package", each against its
    /// `fair`), and the package's `edge` over fair (ETH) as spread at the index.
    pub fn on_package<M: Market>(&mut self, market: &M, legs: &[Fill], fair: &[f64], edge: f64) {
        let Some(p) = market.point() else { return };
        self.spread_usd += edge * p.price;
        for (f, fair) in legs.iter().zip(fair) {
            self.fills += 1;
            let inst = market.instruments().get(f.instrument);
            let px = inst.price_f64(f.price);
            let record = FillRecord::new(p, inst, (f.side, px, f.qty.0), *fair, "package");
            self.records.push(record);
        }
    }

    /// `lots` settled at `value` (ETH per contract) against their last mark, at index `twap`.
    pub fn on_settlement(&mut self, value: f64, last_mark: f64, lots: i64, twap: f64) {
        self.settlement_usd += (value - last_mark) * lots as f64 * twap;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_beyond_the_mark_is_counted_per_lot_at_the_twap() {
        let mut a = Attribution::default();
        // Short 10 marked at 0.05 that settled worth 0.2: the short lost 0.15 a contract.
        a.on_settlement(0.2, 0.05, -10, 2500.0);
        assert!((a.settlement_usd + 0.15 * 10.0 * 2500.0).abs() < 1e-9);
    }
}
