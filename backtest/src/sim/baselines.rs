//! The holders' alternatives, measured over the same run: every roll crossing the venue's book at
//! once (the taker), every roll through constant-product pools (the AMM), the same P positions
//! as ETH-backed loans (liquidations), and never rolling at all. The models are in
//! [`crate::baselines`]; this keeps their running totals.

use super::market::Market;
use super::prices::{held_value, p_value};
use super::run_config::RunConfig;
use super::settler::Settler;
use crate::amm::{AmmPools, PoolTrade};
use crate::baselines::Lending;
use crate::roll_flow::{Position, RollFlow, RollRequest, Token};
use crate::synthetic::path::IndexPoint;
use engine::instrument::Expiry;
use std::collections::HashMap;

pub struct Baselines {
    pub taker_cost_usd: f64,
    /// The same legs through the calls only, and through the puts and the future where listed.
    pub taker_calls_cost_usd: f64,
    pub taker_puts_cost_usd: f64,
    pub amm_cost_usd: f64,
    amm: AmmPools,
    pub lending: Lending,
    /// The P holders' starting positions and their USD value.
    initial: Vec<Position>,
    initial_usd: f64,
    /// The settlement index of each starting expiry that has settled.
    settled: HashMap<Expiry, f64>,
}

impl Baselines {
    /// The P holders of `flow` as they start, at `p`.
    pub fn start<M: Market>(
        flow: &RollFlow,
        market: &M,
        p: IndexPoint,
        config: &RunConfig,
    ) -> Baselines {
        let initial: Vec<Position> = flow
            .holders()
            .iter()
            .filter(|h| h.token == Token::P)
            .map(|h| h.position)
            .collect();
        let initial_usd = initial
            .iter()
            .map(|h| h.qty * p_value(market, h.call))
            .sum();
        let lending = Lending::new(
            config.lending.clone(),
            initial.iter().map(|h| (h.strike, h.qty)),
            p.price,
        );
        Baselines {
            taker_cost_usd: 0.0,
            taker_calls_cost_usd: 0.0,
            taker_puts_cost_usd: 0.0,
            amm_cost_usd: 0.0,
            amm: AmmPools::new(config.amm.clone()),
            lending,
            initial,
            initial_usd,
            settled: HashMap::new(),
        }
    }

    /// The step at `p`: loans liquidated; on a settlement scan, the starting expiries that have
    /// settled take the settler's TWAP.
    pub fn step(&mut self, p: IndexPoint, scan: bool, settler: &Settler) {
        self.lending.step(p.price);
        if !scan {
            return;
        }
        for e in self.initial.iter().map(|h| h.expiry) {
            if e.settlement_time() <= p.at && !self.settled.contains_key(&e) {
                self.settled.insert(e, settler.twap(p));
            }
        }
    }

    /// The roll `r`, at index `s`, through the series' pools: its token sold into the old
    /// series' pool, bought from the new one's, each at the market's fair value now.
    pub fn on_roll<M: Market>(&mut self, market: &M, s: f64, r: &RollRequest) {
        let trade = |p: &Position| {
            let p_usd = p_value(market, p.call);
            PoolTrade {
                call: p.call,
                token: r.token,
                qty: p.qty,
                fair_usd: match r.token {
                    Token::P => p_usd,
                    Token::N => s - p_usd,
                },
            }
        };
        if let Some(cost) = self.amm.roll(trade(&r.from), trade(&r.to)) {
            self.amm_cost_usd += cost;
        }
    }

    /// USD value of the P tokens `held` now, settled ones at their settlement.
    pub fn value<M: Market>(&self, market: &M, held: &Position) -> f64 {
        held_value(market, &self.settled, held)
    }

    /// The starting positions' value now, had they never rolled.
    pub fn no_roll_usd<M: Market>(&self, market: &M) -> f64 {
        self.initial
            .iter()
            .map(|h| self.value(market, h))
            .filter(|v| v.is_finite())
            .sum()
    }

    /// The change from the starting value to `usd`, bps (0 with no starting value).
    pub fn drift_bps(&self, usd: f64) -> f64 {
        if self.initial_usd > 0.0 {
            1e4 * (usd - self.initial_usd) / self.initial_usd
        } else {
            0.0
        }
    }

    pub fn has_holders(&self) -> bool {
        self.initial_usd > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baselines::LendingConfig;

    #[test]
    fn drift_is_measured_from_the_starting_value() {
        let b = Baselines {
            taker_cost_usd: 0.0,
            taker_calls_cost_usd: 0.0,
            taker_puts_cost_usd: 0.0,
            amm_cost_usd: 0.0,
            amm: AmmPools::new(crate::amm::AmmConfig {
                depth_usd: 1e6,
                fee: 0.003,
            }),
            lending: Lending::new(LendingConfig::default(), [], 2000.0),
            initial: Vec::new(),
            initial_usd: 1e5,
            settled: HashMap::new(),
        };
        assert!((b.drift_bps(0.99e5) + 100.0).abs() < 1e-9);
        assert!(b.has_holders());
    }
}
