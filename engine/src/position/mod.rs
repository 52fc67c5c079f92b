//! Positions built from fills. Realized PnL matches closing fills against open lots first in,
//! first out, so for linear instruments every figure is an exact integer count of price units times
//! lots, turned into the settlement currency only when asked.
//!
//! Cash is the settlement currency that fills and settlements moved: premiums paid and received
//! (linear instruments; an inverse one moves only its realized PnL), fees, and settlement payouts.
//! A series settled at expiry is closed at its settlement value ([`Position::settle`]).
//!
//! Where money is rounded: nowhere for [`PnlStyle::Linear`] instruments. For
//! [`PnlStyle::Inverse`] ones (USD amounts settled in coin) PnL needs `1/price`, which `Decimal`
//! carries to 28 significant digits; [`Position::avg_price`] divides the same way.

use crate::instrument::{Instrument, InstrumentId, PnlStyle};
use crate::matching::Execution;
use crate::time::Timestamp;
use crate::units::{Price, Qty, Side};
use rust_decimal::Decimal;
use std::collections::VecDeque;
use thiserror::Error;

mod ledger;
pub use ledger::Ledger;

/// One execution of ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fill {
    pub instrument: InstrumentId,
    pub side: Side,
    pub price: Price,
    pub qty: Qty,
    /// Paid in the settlement currency (negative for a rebate); the venue's fee model decides it.
    pub fee: Decimal,
    pub ts: Timestamp,
}

impl Fill {
    /// Our fill from one side of a matching-engine fill; `fee` comes from the venue's fee model.
    pub fn from_execution(
        instrument: InstrumentId,
        e: &Execution,
        fee: Decimal,
        ts: Timestamp,
    ) -> Fill {
        Fill {
            instrument,
            side: e.side,
            price: e.price,
            qty: e.qty,
            fee,
            ts,
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PositionError {
    #[error("{instrument}: fill of {qty} at {price}: size must be positive")]
    NonPositiveQty {
        instrument: String,
        qty: Qty,
        price: Price,
    },
    #[error("{instrument}: fill at {price}: price must be positive")]
    NonPositivePrice { instrument: String, price: Price },
    #[error("{instrument}: PnL out of range")]
    Overflow { instrument: String },
    #[error("{instrument}: settlement value {value} must not be negative")]
    NegativeSettlement { instrument: String, value: Decimal },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Lot {
    price: Price,
    qty: i64,
}

/// The position in one instrument.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Signed lots: positive long, negative short.
    size: i64,
    /// Open lots, oldest first, all on the side of `size`.
    lots: VecDeque<Lot>,
    realized: Decimal,
    fees: Decimal,
    /// Settlement currency in (positive) or out, fees included.
    cash: Decimal,
    fills: u64,
}

impl Position {
    pub fn size(&self) -> Qty {
        Qty(self.size)
    }
    /// Realized PnL in the settlement currency, before fees.
    pub fn realized_pnl(&self) -> Decimal {
        self.realized
    }
    pub fn fees_paid(&self) -> Decimal {
        self.fees
    }
    pub fn fill_count(&self) -> u64 {
        self.fills
    }
    /// Settlement currency received less paid: premiums (linear instruments) or realized PnL
    /// (inverse ones), less fees, plus settlement payouts. Exact.
    pub fn cash(&self) -> Decimal {
        self.cash
    }

    /// Sum of price x lots over the open lots (signed like the size), exact.
    pub fn open_cost_units(&self) -> i128 {
        let sign = self.size.signum() as i128;
        self.lots
            .iter()
            .map(|l| l.price.0 as i128 * l.qty as i128)
            .sum::<i128>()
            * sign
    }

    /// Average entry price of the open lots as a decimal (see the module note on rounding).
    pub fn avg_price(&self, inst: &Instrument) -> Option<Decimal> {
        if self.size == 0 {
            return None;
        }
        let cost = Decimal::from_i128_with_scale(self.open_cost_units(), 0);
        Some(cost / Decimal::from(self.size) * inst.price_scale().unit())
    }

    pub fn apply(&mut self, inst: &Instrument, fill: &Fill) -> Result<(), PositionError> {
        let name = || inst.name().to_string();
        if fill.qty.0 <= 0 {
            return Err(PositionError::NonPositiveQty {
                instrument: name(),
                qty: fill.qty,
                price: fill.price,
            });
        }
        if fill.price.0 <= 0 {
            return Err(PositionError::NonPositivePrice {
                instrument: name(),
                price: fill.price,
            });
        }
        let dir = fill.side.sign();
        let mut left = fill.qty.0;
        let mut realized = Decimal::ZERO;
        // Close opposite lots first in, first out.
        while left > 0 && self.size.signum() == -dir {
            let lot = self
                .lots
                .front_mut()
                .expect("a non-zero size has open lots");
            let q = left.min(lot.qty);
            // The open lot is on the side opposite the fill: -dir.
            realized += lot_pnl(inst, -dir, lot.price, fill.price, q)
                .ok_or_else(|| PositionError::Overflow { instrument: name() })?;
            lot.qty -= q;
            if lot.qty == 0 {
                self.lots.pop_front();
            }
            self.size += dir * q;
            left -= q;
        }
        if left > 0 {
            self.lots.push_back(Lot {
                price: fill.price,
                qty: left,
            });
            self.size += dir * left;
        }
        self.cash += match inst.spec().pnl {
            PnlStyle::Linear => {
                let contracts = contracts(inst, fill.qty.0)
                    .ok_or_else(|| PositionError::Overflow { instrument: name() })?;
                -(inst.price_decimal(fill.price) * contracts * Decimal::from(dir))
            }
            PnlStyle::Inverse => realized,
        } - fill.fee;
        self.realized += realized;
        self.fees += fill.fee;
        self.fills += 1;
        Ok(())
    }

    /// Expiry: the open lots close at `value` (settlement currency per contract, as the venue
    /// pays it), less `fee`. Returns the PnL realized against the lots' entry prices. A negative
    /// value is refused and changes nothing.
    pub fn settle(
        &mut self,
        inst: &Instrument,
        value: Decimal,
        fee: Decimal,
    ) -> Result<Decimal, PositionError> {
        let name = || inst.name().to_string();
        if value < Decimal::ZERO {
            return Err(PositionError::NegativeSettlement {
                instrument: name(),
                value,
            });
        }
        let overflow = || PositionError::Overflow { instrument: name() };
        let dir = Decimal::from(self.size.signum());
        let mut realized = Decimal::ZERO;
        for l in &self.lots {
            let per = value - inst.price_decimal(l.price);
            realized += per * contracts(inst, l.qty).ok_or_else(overflow)? * dir;
        }
        self.cash += value * contracts(inst, self.size).ok_or_else(overflow)? - fee;
        self.realized += realized;
        self.fees += fee;
        self.lots.clear();
        self.size = 0;
        Ok(realized)
    }

    /// [`Position::unrealized_pnl`] in f64 at a mark off the grid (`mark`, the instrument's
    /// price currency): for models and reports, never for booking money (a strategy reads it at
    /// every requote, where decimal division would cost more than the rest of its work).
    pub fn unrealized_pnl_f64(&self, inst: &Instrument, mark: f64) -> f64 {
        let dir = self.size.signum() as f64;
        let terms = inst.float_terms();
        let per_lot = inst.float_terms().lot;
        let price = |p: Price| p.0 as f64 * terms.price_unit;
        let sum: f64 = match inst.spec().pnl {
            PnlStyle::Linear => self
                .lots
                .iter()
                .map(|l| (mark - price(l.price)) * l.qty as f64)
                .sum(),
            PnlStyle::Inverse => self
                .lots
                .iter()
                .map(|l| (1.0 / price(l.price) - 1.0 / mark) * l.qty as f64)
                .sum(),
        };
        sum * per_lot * dir
    }

    /// What the open lots would realize if closed at `mark`, in the settlement currency.
    pub fn unrealized_pnl(&self, inst: &Instrument, mark: Price) -> Option<Decimal> {
        let dir = self.size.signum();
        self.lots.iter().try_fold(Decimal::ZERO, |acc, l| {
            Some(acc + lot_pnl(inst, dir, l.price, mark, l.qty)?)
        })
    }
}

/// `lots` in contracts (signed like `lots`).
fn contracts(inst: &Instrument, lots: i64) -> Option<Decimal> {
    inst.lot_scale()
        .to_decimal(lots)
        .checked_mul(inst.spec().contract_size)
}

/// PnL of `q` lots opened on side `dir` (+1 long, -1 short) at `entry` and closed at `exit`.
fn lot_pnl(inst: &Instrument, dir: i64, entry: Price, exit: Price, q: i64) -> Option<Decimal> {
    let contracts = contracts(inst, q)?;
    match inst.spec().pnl {
        PnlStyle::Linear => {
            let units = (exit.0 as i128 - entry.0 as i128) * dir as i128;
            inst.price_scale()
                .to_decimal_wide(units)?
                .checked_mul(contracts)
        }
        PnlStyle::Inverse => {
            let (e, x) = (inst.price_decimal(entry), inst.price_decimal(exit));
            let per = Decimal::ONE.checked_div(e)? - Decimal::ONE.checked_div(x)?;
            contracts.checked_mul(per)?.checked_mul(Decimal::from(dir))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    pub(super) fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    pub(super) fn fill(side: Side, price: i64, qty: i64, fee: &str) -> Fill {
        Fill {
            instrument: InstrumentId(0),
            side,
            price: Price(price),
            qty: Qty(qty),
            fee: d(fee),
            ts: Timestamp(0),
        }
    }

    #[test]
    fn option_position_realizes_fifo_and_flips() {
        let inst = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        let mut p = Position::default();
        p.apply(&inst, &fill(Side::Buy, 100, 3, "0.0009")).unwrap(); // 3 @ 0.0100
        p.apply(&inst, &fill(Side::Buy, 200, 1, "0.0003")).unwrap(); // 1 @ 0.0200
        assert_eq!(p.size(), Qty(4));
        assert_eq!(p.avg_price(&inst), Some(d("0.0125")));
        // Sell 5 @ 0.0150: closes 3 @ 0.0100 (+0.015) and 1 @ 0.0200 (-0.005), opens 1 short.
        p.apply(&inst, &fill(Side::Sell, 150, 5, "0.0015")).unwrap();
        assert_eq!(p.realized_pnl(), d("0.010"));
        assert_eq!(p.size(), Qty(-1));
        assert_eq!(p.avg_price(&inst), Some(d("0.0150")));
        assert_eq!(p.fees_paid(), d("0.0027"));
        assert_eq!(p.unrealized_pnl(&inst, Price(100)), Some(d("0.005")));
        assert_eq!(p.fill_count(), 3);
    }

    #[test]
    fn inverse_perpetual_pnl_is_in_coin() {
        let inst = Instrument::deribit("ETH-PERPETUAL").unwrap();
        let mut p = Position::default();
        // Long 3000 USD at 2000.00, sold at 2500.00: 3000 * (1/2000 - 1/2500) = 0.3 ETH.
        p.apply(&inst, &fill(Side::Buy, 40_000, 3000, "0")).unwrap();
        p.apply(&inst, &fill(Side::Sell, 50_000, 3000, "0"))
            .unwrap();
        assert_eq!(p.realized_pnl(), d("0.3"));
        assert_eq!(p.size(), Qty(0));
        assert_eq!(p.avg_price(&inst), None);
    }

    #[test]
    fn bad_fills_are_refused_and_change_nothing() {
        let inst = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        let mut p = Position::default();
        p.apply(&inst, &fill(Side::Buy, 100, 1, "0")).unwrap();
        let before = p.clone();
        let err = p.apply(&inst, &fill(Side::Buy, 100, 0, "0")).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("ETH-27MAR26-2000-C: fill of 0 lots"));
        assert!(p.apply(&inst, &fill(Side::Sell, -5, 1, "0")).is_err());
        assert_eq!(p, before);
    }

    #[test]
    fn settlement_closes_the_lots_at_the_value_and_pays_the_cash() {
        let inst = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        let mut p = Position::default();
        // Short 10 at 0.0515, fee 0.003: cash 0.512.
        p.apply(&inst, &fill(Side::Sell, 515, 10, "0.003")).unwrap();
        assert_eq!(p.cash(), d("0.512"));
        // Settles at 0.2 a contract, delivery fee 0.0015: pays 2.0015.
        let realized = p.settle(&inst, d("0.2"), d("0.0015")).unwrap();
        assert_eq!(realized, d("-1.485"));
        assert_eq!(p.cash(), d("-1.4895"));
        assert_eq!(p.size(), Qty(0));
        assert_eq!(p.fees_paid(), d("0.0045"));
        assert_eq!(p.realized_pnl() - p.fees_paid(), p.cash());
        let before = p.clone();
        assert!(p.settle(&inst, d("-0.1"), d("0")).is_err());
        assert_eq!(p, before);
    }
}
