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

/// What quoting a side reads: the config, the edge model, the vega held in the series' expiry,
/// and the series' lots per contract and price units per ETH (reciprocals, taken once: divisions
/// are the slow links of the per-level chain).
pub(super) struct Quoting<'a> {
    pub config: &'a RollMakerConfig,
    pub glft: &'a Glft,
    pub held_vega: f64,
    pub lots_per_contract: f64,
    pub units_per_eth: f64,
}

/// What one side of one series may add to the limits: its exposure per contract (signed for
/// the side), the lots it may still add, and whether a fill grows the position.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sizing {
    pub per_contract: Exposure,
    pub series_room: i64,
    pub adds_gross: bool,
}

impl Sizing {
    /// For `side` of series `s` (priced `p`); `reduce_only`: no more than the position it
    /// reduces (a lay-off).
    pub fn of(
        config: &RollMakerConfig,
        s: &SeriesState,
        p: &Priced,
        side: Side,
        reduce_only: bool,
    ) -> Sizing {
        let per_contract = match side {
            Side::Buy => p.exposure,
            Side::Sell => p.exposure.scaled(-1.0),
        };
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
            per_contract,
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
        // Times the reciprocal, as before the split: the same rounding, the same quotes.
        let q = self.held_vega * (1.0 / config.edge.vega_unit);
        let glft = match side {
            Side::Buy => self.glft.bid(q),
            Side::Sell => self.glft.ask(q),
        };
        let vega_per_point = p.exposure.vega;
        let carry = config.edge.carry_bps_per_year * 1e-4 * p.t;
        let Sizing {
            per_contract,
            mut series_room,
            adds_gross,
        } = sizing;
        let (lots_per_contract, units_per_eth) = (self.lots_per_contract, self.units_per_eth);
        // Where the limiter admits everything declared, it is not asked quote by quote: the
        // calls measured a tenth of a requote of the chain.
        let admits_all = limiter.admits_all(s.expiry);
        for (level, l) in config.size.levels.iter().enumerate() {
            let edge_vol = glft.max(config.edge.min_edge_vol) + l.extra_edge_vol;
            let distance = edge_vol * vega_per_point + carry;
            let Some((price, tick)) = quote_price(s, units_per_eth, side, p.price, distance) else {
                break;
            };
            let lots = l.lots.min(series_room);
            let wanted = lots as f64 * s.lot;
            let admitted = if admits_all {
                wanted.max(0.0)
            } else {
                limiter.admit(s.expiry, per_contract, wanted, adds_gross)
            };
            // Whole lots only, rounded down (the 1e-9 keeps an exact fit from being lost to
            // floating-point rounding).
            let lots = floor_i64(admitted * lots_per_contract + 1e-9);
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
