//! One side of one series quoted: the GLFT edge for the expiry's held vega, plus carry, at each
//! ladder level; each level's lots the most the series room and the limiter admit, in whole lots.

use super::levels::{floor_i64, quote_price};
use super::Priced;
use crate::config::RollMakerConfig;
use crate::glft::Glft;
use crate::limits::{Exposure, Limiter};
use engine::quotes::{QuoteKey, WantedQuote};
use engine::state::SeriesState;
use engine::strategy::Wanted;
use engine::units::{Qty, Side};

/// What quoting a side reads: the config, the edge per ladder level in vol points ([`Edges`])
/// of the series' expiry and side, the carry (ETH per contract to hold it to expiry), and the
/// series' lots per contract and price units per ETH (reciprocals, taken once: divisions are
/// the slow links of the per-level chain).
pub(super) struct Quoting<'a> {
    pub config: &'a RollMakerConfig,
    pub edge_vol: &'a [f64],
    pub carry: f64,
    pub lots_per_contract: f64,
    pub units_per_eth: f64,
}

/// Each ladder level's edge in vol points, per expiry and side, for one requote: the GLFT edge
/// at the expiry's held vega (never below `min_edge_vol`) plus the level's extra. The same for
/// every series of an expiry, so taken once per expiry rather than once per quote.
#[derive(Clone, Debug, Default)]
pub(super) struct Edges {
    /// `[expiry][side][level]`, flattened.
    edge_vol: Vec<f64>,
    levels: usize,
}

impl Edges {
    /// The edges at `held_vega` per expiry.
    pub fn fill(&mut self, config: &RollMakerConfig, glft: &Glft, held_vega: &[f64]) {
        let edge = &config.edge;
        self.levels = config.size.levels.len();
        self.edge_vol.clear();
        for &vega in held_vega {
            // Times the reciprocal, as before the split: the same rounding, the same quotes.
            let q = vega * (1.0 / edge.vega_unit);
            for glft in [glft.bid(q), glft.ask(q)] {
                let levels = config.size.levels.iter();
                self.edge_vol
                    .extend(levels.map(|l| glft.max(edge.min_edge_vol) + l.extra_edge_vol));
            }
        }
    }

    /// The levels' edges on `side` of `expiry`.
    pub fn of(&self, expiry: usize, side: Side) -> &[f64] {
        let at = (2 * expiry + usize::from(side == Side::Sell)) * self.levels;
        &self.edge_vol[at..at + self.levels]
    }
}

/// What one side of one series may add: the lots it may still add, and whether a fill grows
/// the position.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sizing {
    pub series_room: i64,
    pub adds_gross: bool,
}

/// Whole lots of `admitted` contracts, rounded down (the 1e-9 keeps an exact fit from being
/// lost to floating-point rounding).
fn whole_lots_of(admitted: f64, lots_per_contract: f64) -> i64 {
    floor_i64(admitted * lots_per_contract + 1e-9)
}

/// What `whole_lots_of` gives for `lots` of one contract each, all admitted: `lots` (none
/// below zero), as n · 1 · 1 + 1e-9 rounds down to n.
fn lots_of_one_contract(lots: i64) -> i64 {
    lots.max(0)
}

/// One contract's exposure bought or sold: the priced exposure, signed for `side`.
pub(super) fn per_contract(p: &Priced, side: Side) -> Exposure {
    match side {
        Side::Buy => p.exposure,
        Side::Sell => p.exposure.scaled(-1.0),
    }
}

impl Sizing {
    /// For `side` of series `s`; `reduce_only`: no more than the position it reduces (a
    /// lay-off).
    pub fn of(config: &RollMakerConfig, s: &SeriesState, side: Side, reduce_only: bool) -> Sizing {
        // Lots the series may still add on this side.
        let mut series_room = match side {
            Side::Buy => config.size.max_series_lots - s.position.0,
            Side::Sell => config.size.max_series_lots + s.position.0,
        }
        .max(0);
        if reduce_only {
            series_room = series_room.min(s.position.0.abs());
        }
        let adds_gross = match side {
            Side::Buy => s.position.0 >= 0,
            Side::Sell => s.position.0 <= 0,
        };
        Sizing {
            series_room,
            adds_gross,
        }
    }
}

impl Quoting<'_> {
    /// The wanted quotes on `side` of series `s` (priced `p`, sized `sizing`), level by level
    /// into `out`, each admitted by `limiter`.
    pub fn side(
        &self,
        limiter: &mut Limiter,
        s: &SeriesState,
        p: &Priced,
        side: Side,
        sizing: Sizing,
        out: &mut Wanted,
    ) {
        let config = self.config;
        let (vega_per_point, carry) = (p.exposure.vega, self.carry);
        let Sizing {
            mut series_room,
            adds_gross,
        } = sizing;
        let (lots_per_contract, units_per_eth) = (self.lots_per_contract, self.units_per_eth);
        // Where the limiter admits everything declared, it is not asked quote by quote: the
        // calls measured a tenth of a requote of the chain.
        let admits_all = limiter.admits_all(s.expiry);
        // Lots of one contract (Deribit's options) admitted whole come back as asked: the round
        // trip through contracts is skipped (about 5% of a requote of the chain).
        let whole_lots = admits_all && s.lot == 1.0 && lots_per_contract == 1.0;
        // One contract's exposure, once a side, where the limiter is asked.
        let exposure = (!admits_all).then(|| per_contract(p, side));
        let levels = config.size.levels.iter().zip(self.edge_vol);
        for (level, (l, &edge_vol)) in levels.enumerate() {
            let distance = edge_vol * vega_per_point + carry;
            let Some((price, tick)) = quote_price(s, units_per_eth, side, p.price, distance) else {
                break;
            };
            let lots = l.lots.min(series_room);
            let lots = if whole_lots {
                lots_of_one_contract(lots)
            } else {
                let wanted = lots as f64 * s.lot;
                let admitted = match exposure {
                    None => wanted.max(0.0),
                    Some(e) => limiter.admit(s.expiry, e, wanted, adds_gross),
                };
                whole_lots_of(admitted, lots_per_contract)
            };
            if lots <= 0 {
                break;
            }
            series_room -= lots;
            out.quotes.push(WantedQuote {
                key: QuoteKey {
                    instrument: s.id,
                    side,
                    level: level as u8,
                },
                price,
                qty: Qty(lots),
                tick,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `lots` asked of a limiter that admits everything comes to in whole lots, the long
    /// way `side` takes (through contracts of `lot`).
    fn whole_lots_admitted(lots: i64, lot: f64, lots_per_contract: f64) -> i64 {
        whole_lots_of((lots as f64 * lot).max(0.0), lots_per_contract)
    }

    proptest! {
        /// The short way `side` takes for lots of one contract admitted whole gives what the
        /// long way through contracts does.
        #[test]
        fn lots_of_one_contract_come_back_as_asked(lots in -1_000_000i64..1_000_000_000_000) {
            prop_assert_eq!(whole_lots_admitted(lots, 1.0, 1.0), lots_of_one_contract(lots));
        }
    }
}
