//! The AMM roll baseline (ROLLS.md, "Baselines" 1): a constant-product pool per token series (the
//! P or N token of a series against USD), seeded with `depth_usd` a side at fair value when a
//! roll first needs it. Arbitrageurs bring a pool back toward fair when the market has moved it,
//! but only to within the fee (beyond it they gain nothing), and each holder's trade moves it. So
//! a roller pays the curve and the fee from wherever the market and earlier rolls left the pool:
//! rolls in the same direction, or a market moving against the pool's side, cost more; a pool the
//! flow pushed the other way can cost less. The pools are arbitraged when a roll trades with them
//! (at that moment's fair), which is where the continuous arbitrage would have left them.

use engine::InstrumentId;
use std::collections::HashMap;

use crate::roll_flow::Token;

/// The AMM's settings (`[amm]`).
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmmConfig {
    /// USD a side each pool starts with, at fair.
    pub depth_usd: f64,
    /// Fee on each trade, a fraction of what goes in.
    pub fee: f64,
}

/// A pool's reserves: tokens and USD; tokens x USD stays constant across a trade (its fee is
/// added to the reserves after).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pool {
    tokens: f64,
    usd: f64,
}

/// The most of a pool's tokens one trade can take: beyond it the curve's price is taken as the
/// price there (a trade the pool could not fill is priced, not dropped).
const MAX_TAKE: f64 = 0.9;

impl Pool {
    fn seeded(value: f64, depth_usd: f64) -> Pool {
        Pool {
            tokens: depth_usd / value,
            usd: depth_usd,
        }
    }

    /// Arbitraged to within `fee` of `fair` (USD a token).
    fn arbitrage(&mut self, fair: f64, fee: f64) {
        let price = self.usd / self.tokens;
        let target = if price < fair * (1.0 - fee) {
            fair * (1.0 - fee)
        } else if price > fair * (1.0 + fee) {
            fair * (1.0 + fee)
        } else {
            return;
        };
        let k = self.tokens * self.usd;
        self.tokens = (k / target).sqrt();
        self.usd = (k * target).sqrt();
    }

    /// A holder sells `q` tokens: the USD it receives.
    fn sell(&mut self, q: f64, fee: f64) -> f64 {
        let k = self.tokens * self.usd;
        let usd = k / (self.tokens + q * (1.0 - fee));
        let out = self.usd - usd;
        self.tokens += q;
        self.usd = usd;
        out
    }

    /// A holder buys `q` tokens: the USD it pays, the fee included.
    fn buy(&mut self, q: f64, fee: f64) -> f64 {
        let take = q.min(MAX_TAKE * self.tokens);
        let k = self.tokens * self.usd;
        let usd = k / (self.tokens - take);
        let curve = usd - self.usd;
        // What the pool could not give, at the curve's price where it stopped.
        let beyond = (q - take) * usd / (self.tokens - take);
        let paid = (curve + beyond) / (1.0 - fee);
        self.tokens -= take;
        self.usd += paid;
        paid
    }
}

/// One side of a roll through the pools: the series (its call), the token, how many, and the
/// token's fair value in USD.
#[derive(Clone, Copy, Debug)]
pub struct PoolTrade {
    pub call: InstrumentId,
    pub token: Token,
    pub qty: f64,
    pub fair_usd: f64,
}

/// The pools of every series rolls have used.
#[derive(Clone, Debug)]
pub struct AmmPools {
    config: AmmConfig,
    pools: HashMap<(InstrumentId, bool), Pool>,
}

impl AmmPools {
    pub fn new(config: AmmConfig) -> AmmPools {
        AmmPools {
            config,
            pools: HashMap::new(),
        }
    }

    /// A roll: `sell` into its pool, then `buy` from its pool. The holder's cost against fair,
    /// USD (None when a token has no usable fair value).
    pub fn roll(&mut self, sell: PoolTrade, buy: PoolTrade) -> Option<f64> {
        let usable = |t: &PoolTrade| t.fair_usd > 0.0 && t.fair_usd.is_finite() && t.qty > 0.0;
        if !(usable(&sell) && usable(&buy)) {
            return None;
        }
        let fee = self.config.fee;
        let received = self.pool(&sell).sell(sell.qty, fee);
        let paid = self.pool(&buy).buy(buy.qty, fee);
        Some((sell.qty * sell.fair_usd - received) + (paid - buy.qty * buy.fair_usd))
    }

    /// The pool of `t`'s series and token, seeded the first time and arbitraged to its fair.
    fn pool(&mut self, t: &PoolTrade) -> &mut Pool {
        let (depth, fee) = (self.config.depth_usd, self.config.fee);
        let pool = self
            .pools
            .entry((t.call, t.token == Token::P))
            .or_insert_with(|| Pool::seeded(t.fair_usd, depth));
        pool.arbitrage(t.fair_usd, fee);
        pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trade(call: u32, qty: f64, fair_usd: f64) -> PoolTrade {
        PoolTrade {
            call: InstrumentId(call),
            token: Token::P,
            qty,
            fair_usd,
        }
    }

    fn pools(fee: f64) -> AmmPools {
        AmmPools::new(AmmConfig {
            depth_usd: 1e6,
            fee,
        })
    }

    #[test]
    fn a_first_roll_pays_the_curve_on_each_leg() {
        // 10,000 USD of tokens each way into fresh pools of 1e6 a side, no fee: u^2 / (D + u)
        // selling, u^2 / (D - u) buying.
        let mut amm = pools(0.0);
        let cost = amm
            .roll(trade(0, 10.0, 1000.0), trade(1, 20.0, 500.0))
            .unwrap();
        let (u, d) = (1e4, 1e6);
        let expected = u * u / (d + u) + u * u / (d - u);
        assert!((cost - expected).abs() < 1e-6, "{cost} vs {expected}");
    }

    #[test]
    fn rolls_the_same_way_cost_more_until_the_market_moves_the_pools_back() {
        let fee = 0.003;
        let mut amm = pools(fee);
        let first = amm
            .roll(trade(0, 10.0, 1000.0), trade(1, 20.0, 500.0))
            .unwrap();
        // The arbitrage stops at the fee: the next roller finds both pools against it.
        let second = amm
            .roll(trade(0, 10.0, 1000.0), trade(1, 20.0, 500.0))
            .unwrap();
        assert!(second > first, "{second} vs {first}");
        // Had the old series' fair fallen 2% meanwhile, the pool the first roller pushed down
        // would sit at fair again: the next roller pays about what the first did.
        let mut moved = pools(fee);
        moved.roll(trade(0, 10.0, 1000.0), trade(1, 20.0, 500.0));
        let after_fall = moved
            .roll(trade(0, 10.0, 980.0), trade(1, 20.0, 500.0))
            .unwrap();
        assert!(after_fall < second, "{after_fall} vs {second}");
    }

    #[test]
    fn a_trade_beyond_the_pool_is_priced_not_dropped() {
        let mut amm = pools(0.0);
        // The pool holds 2,000 tokens of 500 USD: buying 3,000 takes 1,800 on the curve and
        // prices the rest where the curve stopped.
        let cost = amm
            .roll(trade(0, 1.0, 1000.0), trade(1, 3000.0, 500.0))
            .unwrap();
        assert!(cost.is_finite() && cost > 0.0);
        assert!(amm
            .roll(trade(0, 1.0, f64::NAN), trade(1, 1.0, 500.0))
            .is_none());
    }
}
