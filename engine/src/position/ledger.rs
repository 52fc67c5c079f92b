//! Every instrument's position in one place, with the cash they and the transfers beside them
//! moved.

use super::{Fill, Position, PositionError};
use crate::instrument::{Instrument, InstrumentId};
use rust_decimal::Decimal;

/// Positions of every instrument, indexed by [`InstrumentId`].
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    positions: Vec<Position>,
    /// Cash received outside any fill's price (ETH): a package's net price beyond what its legs
    /// were booked at.
    transfers: Decimal,
    /// Every position's cash and the transfers, kept as fills, settlements and transfers change
    /// them: read at every requote, where a sum over every instrument ever traded grew with the
    /// run (a year's listings), and then the sum of two decimals showed in a profile of the
    /// whole loop. Exact either way.
    cash: Decimal,
    /// Fills and settlements applied: what a reader of the sizes compares to know that none
    /// has changed since it last looked.
    changes: u64,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Applies a fill to its instrument's position; `inst` must be that instrument.
    pub fn apply(&mut self, inst: &Instrument, fill: &Fill) -> Result<(), PositionError> {
        let i = fill.instrument.index();
        if self.positions.len() <= i {
            self.positions.resize_with(i + 1, Position::default);
        }
        let before = self.positions[i].cash;
        self.changes += 1;
        let applied = self.positions[i].apply(inst, fill);
        self.cash += self.positions[i].cash - before;
        applied
    }

    /// Closes the position in `inst` at its settlement value (see [`Position::settle`]).
    pub fn settle(
        &mut self,
        inst: &Instrument,
        id: InstrumentId,
        value: Decimal,
        fee: Decimal,
    ) -> Result<Decimal, PositionError> {
        match self.positions.get_mut(id.index()) {
            Some(p) => {
                let before = p.cash;
                self.changes += 1;
                let settled = p.settle(inst, value, fee);
                self.cash += p.cash - before;
                settled
            }
            None => Ok(Decimal::ZERO),
        }
    }

    pub fn position(&self, id: InstrumentId) -> Option<&Position> {
        self.positions.get(id.index())
    }

    /// Fills and settlements applied so far: equal counts, equal sizes.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Signed lots held in `id` (0 for an instrument never traded).
    pub fn size(&self, id: InstrumentId) -> i64 {
        self.positions.get(id.index()).map_or(0, |p| p.size)
    }

    /// Cash across every instrument (see [`Position::cash`]), and the transfers.
    pub fn cash(&self) -> Decimal {
        self.cash
    }

    /// `amount` received (paid, if negative) beside the fills: a package trade's price beyond
    /// its legs' booked prices. Exact; kept apart from any position.
    pub fn transfer(&mut self, amount: Decimal) {
        self.transfers += amount;
        self.cash += amount;
    }

    /// What [`Ledger::transfer`] has moved in all.
    pub fn transfers(&self) -> Decimal {
        self.transfers
    }

    /// Fees across every instrument, settlement fees included.
    pub fn fees(&self) -> Decimal {
        self.positions.iter().map(|p| p.fees).sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = (InstrumentId, &Position)> {
        self.positions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.fills > 0)
            .map(|(i, p)| (InstrumentId(i as u32), p))
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{d, fill};
    use super::*;
    use crate::units::{Qty, Side};

    #[test]
    fn ledger_keeps_one_position_per_instrument() {
        let a = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        let mut l = Ledger::new();
        let mut f = fill(Side::Buy, 100, 2, "0");
        f.instrument = InstrumentId(3);
        l.apply(&a, &f).unwrap();
        assert_eq!(l.position(InstrumentId(3)).unwrap().size(), Qty(2));
        assert_eq!(l.position(InstrumentId(0)).unwrap().size(), Qty(0));
        assert_eq!(l.iter().count(), 1);
        assert_eq!(l.size(InstrumentId(3)), 2);
        assert_eq!(l.size(InstrumentId(9)), 0);
        assert_eq!(l.cash(), d("-0.02"));
    }

    /// The cash kept is the positions' plus the transfers after every change, and each fill
    /// or settlement counts as a change (what readers of the sizes compare).
    #[test]
    fn ledger_cash_and_changes_follow_every_change() {
        let a = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        let mut l = Ledger::new();
        assert_eq!((l.cash(), l.changes()), (Decimal::ZERO, 0));
        l.apply(&a, &fill(Side::Buy, 100, 2, "0")).unwrap();
        assert_eq!((l.cash(), l.changes()), (d("-0.02"), 1));
        l.transfer(d("0.005"));
        assert_eq!((l.cash(), l.changes()), (d("-0.015"), 1));
        l.apply(&a, &fill(Side::Sell, 150, 1, "0")).unwrap();
        assert_eq!((l.cash(), l.changes()), (d("0.000"), 2));
        let settled = l.settle(&a, InstrumentId(0), d("0.01"), Decimal::ZERO);
        assert!(settled.is_ok());
        assert_eq!(l.changes(), 3);
        let sum: Decimal = l.iter().map(|(_, p)| p.cash).sum();
        assert_eq!(l.cash(), sum + l.transfers());
    }
}
