//! One synthetic option's venue book: fair value plus a half-spread of vol points and delta, on
//! the instrument's ticks, levels deep; never crossed. Puts are priced from calls by parity.
//! [`MarketConfig`] shapes it (and the synthetic market's background trades).

use crate::synthetic::smile::SmileConfig;
use engine::pricing::Greeks;
use engine::state::Top;
use engine::tick_rule::{Rounding, TickRule};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketConfig {
    /// The synthetic smile (not in the config file: the built-in one).
    #[serde(skip)]
    pub smile: SmileConfig,
    /// The best bid and ask this many vol points from fair...
    pub half_spread_vol: f64,
    /// ...plus this many bps of the option's USD delta (ETH per contract).
    pub half_spread_delta_bps: f64,
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
            half_spread_vol: 2.0,
            half_spread_delta_bps: 10.0,
            depth_lots: 50,
            levels: 5,
            level_step_vol: 1.0,
            background_trades_per_day: 2000.0,
            background_lots: 5,
        }
    }
}

/// A listed option's fair value, the vol it was priced at, and the venue's best bid and ask
/// (the deeper levels are derived when asked for: most steps need only the top).
#[derive(Clone, Copy, Debug)]
pub(super) struct Priced {
    pub id: InstrumentId,
    pub fair: Greeks,
    pub vol: f64,
    pub bid: Option<(Price, Qty)>,
    pub ask: Option<(Price, Qty)>,
}

impl Priced {
    pub fn top(&self, at: Timestamp) -> Top {
        Top {
            bid: self.bid,
            ask: self.ask,
            live: true,
            updated: at,
        }
    }

    /// Prices at `fair` and sets the top: never crossed.
    pub fn reprice(&mut self, fair: Greeks, vol: f64, rule: &TickRule, config: &MarketConfig) {
        self.fair = fair;
        self.vol = vol;
        let depth = Qty(config.depth_lots);
        let bid = level(rule, &fair, config, Side::Buy, 0, None);
        self.bid = bid.map(|p| (p, depth));
        self.ask = level(rule, &fair, config, Side::Sell, 0, bid).map(|p| (p, depth));
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
        side_levels(rule, &self.fair, config, side, best_bid, config.levels, out);
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

/// Half the venue's spread around `fair` (ETH per contract).
pub(super) fn half_spread(fair: &Greeks, config: &MarketConfig) -> f64 {
    // Coin greeks: the USD delta is the coin delta plus the coin price.
    let delta_usd = (fair.delta + fair.price).abs();
    config.half_spread_vol * fair.vega / 100.0 + config.half_spread_delta_bps * 1e-4 * delta_usd
}

/// One side's levels, best first: each `level_step_vol` further from fair, at least a tick apart,
/// rounded away from fair; bids stop at the smallest price; asks stay above `best_bid`. At most
/// `levels` of them.
pub(super) fn side_levels(
    rule: &TickRule,
    fair: &Greeks,
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
        let Some(p) = level(rule, fair, config, side, k, beyond) else {
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
    config: &MarketConfig,
    side: Side,
    k: usize,
    beyond: Option<Price>,
) -> Option<Price> {
    const UNIT: f64 = 1e-4;
    let off = half_spread(fair, config) + k as f64 * config.level_step_vol * fair.vega / 100.0;
    let p = match side {
        Side::Buy => {
            let raw = ((fair.price - off) / UNIT).floor();
            if raw.is_nan() || raw < 1.0 {
                return None;
            }
            let p = rule.round(Price(raw as i64), Rounding::Down);
            match beyond {
                Some(l) if p >= l => rule.next_down(l),
                _ => p,
            }
        }
        Side::Sell => {
            let raw = ((fair.price + off) / UNIT).ceil().max(1.0);
            let p = rule.round(Price(raw as i64), Rounding::Up);
            match beyond {
                Some(l) if p <= l => rule.next_up(l),
                _ => p,
            }
        }
    };
    (p.0 >= 1).then_some(p)
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
