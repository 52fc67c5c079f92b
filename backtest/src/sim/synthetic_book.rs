//! One synthetic option's venue book: fair value plus the half-spread the real chain shows for its
//! expiry and moneyness ([`SpreadTable`], measured by `rollmaker calibrate`), on the instrument's
//! ticks, levels deep; never crossed. Puts are priced from calls by parity. [`MarketConfig`]
//! shapes it (and the synthetic market's background trades).

use crate::calibrate::{spread_unit, SpreadTable};
use crate::synthetic::smile::SmileConfig;
use engine::pricing::{Greeks, OptionType};
use engine::state::Top;
use engine::tick_rule::{Rounding, TickRule};
use engine::units::{ceil_i64, floor_i64};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketConfig {
    /// The synthetic smile (not in the config file: the built-in one).
    #[serde(skip)]
    pub smile: SmileConfig,
    /// The best bid and ask this far from fair, by expiry and moneyness (`[book.spread]`).
    pub spread: SpreadTable,
    /// Lots displayed on each level.
    pub depth_lots: i64,
    /// Levels a side.
    pub levels: usize,
    /// Vol points between levels.
    pub level_step_vol: f64,
    pub background_trades_per_day: f64,
    pub background_lots: i64,
}

impl Default for MarketConfig {
    fn default() -> Self {
        MarketConfig {
            smile: SmileConfig::default(),
            spread: measured_spreads(),
            depth_lots: 50,
            levels: 5,
            level_step_vol: 1.0,
            background_trades_per_day: 2000.0,
            background_lots: 5,
        }
    }
}

/// The real chain's median half-spreads, as `rollmaker calibrate --data
/// ../shared/data/deribit_eth_chain/` printed them on 2026-12-02 (813 snapshots, 2025-12-30 to
/// 2026-08-22; `backtest/configs/backtest.toml` holds the same table): vol points, and in the
/// money beyond 5% bps of the USD delta.
pub fn measured_spreads() -> SpreadTable {
    SpreadTable {
        days: vec![7.0, 30.0, 90.0, 180.0, 400.0],
        moneyness: vec![0.6, 0.8, 0.95, 1.05, 1.2, 1.5, 3.0],
        calls: vec![
            vec![35.00, 60.05, 77.88, 2.23, 1.74, 3.49, 5.98],
            vec![32.72, 53.14, 38.54, 0.82, 0.74, 1.17, 2.82],
            vec![13.21, 30.15, 23.76, 0.51, 0.43, 0.57, 1.40],
            vec![18.85, 32.86, 23.42, 0.43, 0.37, 0.37, 0.71],
            vec![29.35, 38.97, 34.13, 0.50, 0.44, 0.39, 0.46],
        ],
        puts: vec![
            vec![10.12, 4.22, 1.83, 2.27, 392.50, 55.00, 447.50],
            vec![3.46, 1.35, 0.81, 0.81, 61.13, 209.11, 694.50],
            vec![1.55, 0.74, 0.49, 0.49, 49.28, 120.98, 790.10],
            vec![0.92, 0.48, 0.40, 0.42, 29.26, 123.00, 763.17],
            vec![0.69, 0.51, 0.49, 0.56, 85.95, 185.13, 1195.29],
        ],
    }
}

/// A listed option's fair value, the vol it was priced at, its half-spread, and the venue's best
/// bid and ask (the deeper levels are derived when asked for: most steps need only the top).
#[derive(Clone, Copy, Debug)]
pub(super) struct Priced {
    pub id: InstrumentId,
    pub fair: Greeks,
    pub vol: f64,
    /// Half the venue's spread (ETH per contract).
    pub half: f64,
    pub bid: Option<(Price, Qty)>,
    pub ask: Option<(Price, Qty)>,
}

impl Priced {
    /// Option `id`, not priced yet.
    pub fn unpriced(id: InstrumentId) -> Priced {
        Priced {
            id,
            fair: Greeks::default(),
            vol: 0.0,
            half: 0.0,
            bid: None,
            ask: None,
        }
    }

    pub fn top(&self, at: Timestamp) -> Top {
        Top {
            bid: self.bid,
            ask: self.ask,
            live: true,
            updated: at,
        }
    }

    /// Prices at `fair` with half-spread `half` and sets the top: never crossed.
    pub fn reprice(
        &mut self,
        fair: Greeks,
        vol: f64,
        half: f64,
        rule: &TickRule,
        config: &MarketConfig,
    ) {
        self.fair = fair;
        self.vol = vol;
        self.half = half;
        let depth = Qty(config.depth_lots);
        let bid = level(rule, &fair, half, config, Side::Buy, 0, None);
        self.bid = bid.map(|p| (p, depth));
        self.ask = level(rule, &fair, half, config, Side::Sell, 0, bid).map(|p| (p, depth));
    }

    /// One side of the book, `config.levels` deep, best first (its first level is the top).
    pub fn side(
        &self,
        rule: &TickRule,
        config: &MarketConfig,
        side: Side,
        out: &mut Vec<(Price, Qty)>,
    ) {
        out.clear();
        let best_bid = self.bid.map(|b| b.0);
        let levels = config.levels;
        side_levels(
            rule, &self.fair, self.half, config, side, best_bid, levels, out,
        );
    }
}

/// The put's coin greeks from the call's of the same strike, forward `f` and no discounting:
/// c - p = 1 - K/F in coin, so only the delta (by K/F) and gamma (by -K/F²) differ. A deep
/// out-of-the-money put's parity price can round below zero (-4e-17): it is floored at 0.
pub(super) fn put_by_parity(call: Greeks, f: f64, k: f64) -> Greeks {
    Greeks {
        price: (call.price - (1.0 - k / f)).max(0.0),
        delta: call.delta - k / f,
        gamma: call.gamma + k / (f * f),
        ..call
    }
}

/// Half the venue's spread around `fair` (ETH per contract) for an option of `kind`, `days` from
/// expiry, at strike over forward `km`: the table's measure times its unit for this option.
pub(super) fn half_spread(
    kind: OptionType,
    days: f64,
    km: f64,
    fair: &Greeks,
    config: &MarketConfig,
) -> f64 {
    config.spread.half_spread_units(kind, days, km) * spread_unit(kind, km, fair)
}

/// One side's levels, best first: each `level_step_vol` further from fair, at least a tick apart,
/// rounded away from fair; bids stop at the smallest price; asks stay above `best_bid`. At most
/// `levels` of them.
#[allow(clippy::too_many_arguments)]
pub(super) fn side_levels(
    rule: &TickRule,
    fair: &Greeks,
    half: f64,
    config: &MarketConfig,
    side: Side,
    best_bid: Option<Price>,
    levels: usize,
    out: &mut Vec<(Price, Qty)>,
) {
    let depth = Qty(config.depth_lots);
    let mut last: Option<Price> = None;
    for k in 0..levels.min(config.levels) {
        let beyond = match side {
            Side::Buy => last,
            Side::Sell => last.or(best_bid),
        };
        let Some(p) = level(rule, fair, half, config, side, k, beyond) else {
            break;
        };
        out.push((p, depth));
        last = Some(p);
    }
}

/// The price of level `k` (0: the best) on `side`, strictly beyond `beyond` (the level before, or
/// for the best ask the best bid); None where a bid would be below the smallest price.
pub(super) fn level(
    rule: &TickRule,
    fair: &Greeks,
    half: f64,
    config: &MarketConfig,
    side: Side,
    k: usize,
    beyond: Option<Price>,
) -> Option<Price> {
    const UNIT: f64 = 1e-4;
    let off = half + k as f64 * config.level_step_vol * fair.vega / 100.0;
    let p = match side {
        Side::Buy => {
            let p = rule.round(
                Price(floor_units((fair.price - off) / UNIT)?),
                Rounding::Down,
            );
            match beyond {
                Some(l) if p >= l => rule.next_down(l),
                _ => p,
            }
        }
        Side::Sell => {
            let p = rule.round(Price(ceil_units((fair.price + off) / UNIT)), Rounding::Up);
            match beyond {
                Some(l) if p <= l => rule.next_up(l),
                _ => p,
            }
        }
    };
    (p.0 >= 1).then_some(p)
}

// Floor and ceiling without the library calls (`engine::units`): four per option a step.

/// `x.floor()` as units where it is at least 1; None below (and for NaN).
fn floor_units(x: f64) -> Option<i64> {
    if x.is_nan() || x < 1.0 {
        return None;
    }
    Some(floor_i64(x))
}

/// `x.ceil().max(1.0)` as units (1 for NaN).
fn ceil_units(x: f64) -> i64 {
    if x > 1.0 {
        ceil_i64(x)
    } else {
        1
    }
}

/// Knuth's method: the means here are small (a few per step).
pub(super) fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> u32 {
    let limit = (-mean).exp();
    let mut k = 0;
    let mut prod: f64 = rng.random();
    while prod > limit {
        k += 1;
        prod *= rng.random::<f64>();
    }
    k
}

#[cfg(test)]
mod tests {
    use super::{ceil_units, floor_units};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn units_are_the_floor_and_the_ceiling(x in -10.0f64..1e12, frac in 0u8..4) {
            // Whole numbers and their neighbours too, where a conversion would slip.
            let x = match frac {
                0 => x.round(),
                1 => f64::from_bits(x.round().to_bits() + 1),
                _ => x,
            };
            let floor = x.floor();
            prop_assert_eq!(floor_units(x), (floor >= 1.0).then_some(floor as i64));
            prop_assert_eq!(ceil_units(x), x.ceil().max(1.0) as i64);
        }
    }

    #[test]
    fn nan_has_no_floor_and_a_ceiling_of_one() {
        assert_eq!((floor_units(f64::NAN), ceil_units(f64::NAN)), (None, 1));
    }
}
