//! The alternatives the report compares rolling against (ROLLS.md, "Baselines"), on the same path
//! and the same holders.
//!
//! - **Liquidation lending**: each P holder's position as an ETH-collateral loan with the same
//!   starting loan-to-value (K/S): q ETH deposited, K·q USD borrowed. Below a health factor of 1
//!   (collateral × liquidation threshold / debt), liquidators repay `close_factor` of the debt (all
//!   of it under `full_below_health`) and seize that value plus the bonus in ETH, which they sell
//!   into a linear depth curve (`depth_usd` per minute): everything sold in the same minute moves
//!   the price against all of it (the cascade). The borrower loses the bonus; the impact of the
//!   forced sales is reported beside it.
//!   Defaults in the spirit of Aave v3's ETH market (threshold 83%, bonus 5%, close factor 50%,
//!   all of the debt under 0.95); check the live market's values before quoting them.
//! - **AMM roll**: in [`crate::amm`] (pools that follow the market and the flow).
//! - **Do nothing**: the holder never rolls; its P position's value drifts from the dollar peg
//!   (and settles at min(S_T, K) at expiry).

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LendingConfig {
    pub liquidation_threshold: f64,
    pub bonus: f64,
    pub close_factor: f64,
    pub full_below_health: f64,
    pub depth_usd: f64,
}

impl Default for LendingConfig {
    fn default() -> Self {
        LendingConfig {
            liquidation_threshold: 0.83,
            bonus: 0.05,
            close_factor: 0.5,
            full_below_health: 0.95,
            depth_usd: 20_000_000.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Loan {
    collateral_eth: f64,
    debt_usd: f64,
}

/// The lending equivalents of a population of P holders.
#[derive(Clone, Debug)]
pub struct Lending {
    config: LendingConfig,
    loans: Vec<Loan>,
    initial_usd: f64,
    /// What borrowers lost to liquidation bonuses (USD).
    pub lost_usd: f64,
    /// What the forced sales cost in price impact (USD), all liquidations of a minute together.
    pub impact_usd: f64,
    /// ETH sold by liquidators.
    pub sold_eth: f64,
    pub liquidations: u64,
    /// Above this index every loan is healthy, with a margin over rounding: a step there
    /// looks at no loan (the Tardis market steps at every row's time, millions a day).
    all_healthy_above: f64,
}

impl Lending {
    /// One loan per `(strike, qty)` position at index `s0`.
    pub fn new(
        config: LendingConfig,
        positions: impl IntoIterator<Item = (f64, f64)>,
        s0: f64,
    ) -> Lending {
        let loans: Vec<Loan> = positions
            .into_iter()
            .map(|(strike, qty)| Loan {
                collateral_eth: qty,
                debt_usd: strike * qty,
            })
            .collect();
        let initial_usd = loans.iter().map(|l| l.collateral_eth * s0).sum();
        let mut lending = Lending {
            config,
            loans,
            initial_usd,
            lost_usd: 0.0,
            impact_usd: 0.0,
            sold_eth: 0.0,
            liquidations: 0,
            all_healthy_above: f64::INFINITY,
        };
        lending.healthy_above();
        lending
    }

    /// The index below which some loan is unhealthy (health = collateral × s × threshold /
    /// debt < 1), raised by a relative 1e-9 so that the exact test decides at the boundary.
    fn healthy_above(&mut self) {
        let threshold = self.config.liquidation_threshold;
        let trigger = (self.loans.iter())
            .filter(|l| l.debt_usd > 0.0)
            .map(|l| l.debt_usd / (l.collateral_eth * threshold))
            .fold(f64::NEG_INFINITY, f64::max);
        // A NaN or infinite trigger (debt left, no collateral): always look.
        self.all_healthy_above = if trigger.is_nan() || trigger == f64::INFINITY {
            f64::INFINITY
        } else {
            trigger * (1.0 + 1e-9)
        };
    }

    /// Liquidations at index `s` (one minute of the path).
    pub fn step(&mut self, s: f64) {
        if s > self.all_healthy_above {
            return;
        }
        let c = &self.config;
        // First what each unhealthy loan gives up, then the impact of selling it all at once.
        let mut seized: Vec<(usize, f64, f64)> = Vec::new();
        for (i, l) in self.loans.iter().enumerate() {
            if l.debt_usd <= 0.0 {
                continue;
            }
            let health = l.collateral_eth * s * c.liquidation_threshold / l.debt_usd;
            if health >= 1.0 {
                continue;
            }
            let share = if health < c.full_below_health {
                1.0
            } else {
                c.close_factor
            };
            let repaid = l.debt_usd * share;
            let eth = (repaid * (1.0 + c.bonus) / s).min(l.collateral_eth);
            seized.push((i, repaid, eth));
        }
        if seized.is_empty() {
            return;
        }
        let total_eth: f64 = seized.iter().map(|x| x.2).sum();
        // A linear book: selling u USD moves the average price by u/(2·depth) of it.
        let impact = (total_eth * s / (2.0 * c.depth_usd)).min(1.0);
        for (i, repaid, eth) in seized {
            let l = &mut self.loans[i];
            l.debt_usd -= repaid;
            l.collateral_eth -= eth;
            // The borrower gave eth·s of collateral for `repaid` of debt (under water, all of it
            // for less: the lender's bad debt, not the borrower's loss).
            self.lost_usd += (eth * s - repaid).max(0.0);
            self.impact_usd += eth * s * impact;
            self.sold_eth += eth;
            self.liquidations += 1;
        }
        self.healthy_above();
    }

    /// Borrowers' losses as bps of the collateral's starting value.
    pub fn loss_bps(&self) -> f64 {
        if self.initial_usd > 0.0 {
            1e4 * self.lost_usd / self.initial_usd
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Passing over the loans above the highest trigger changes nothing: the same liquidations
    /// as looking at every loan every step, on a path that falls through the triggers and
    /// hovers at them.
    #[test]
    fn skipping_healthy_steps_changes_nothing() {
        let loans = (0..50).map(|i| (1000.0 + 20.0 * i as f64, 1.0 + 0.1 * i as f64));
        let mut fast = Lending::new(LendingConfig::default(), loans, 2000.0);
        let mut every = fast.clone();
        let mut s = 2000.0;
        for i in 0..20_000 {
            // Down 60% over the walk, with a wiggle of ±1% every few steps.
            s *= 1.0 - 0.6 / 20_000.0 + 0.01 * ((i % 7) as f64 - 3.0) / 300.0;
            fast.step(s);
            every.all_healthy_above = f64::INFINITY;
            every.step(s);
        }
        assert!(fast.liquidations > 10, "{}", fast.liquidations);
        assert_eq!(fast.loans, every.loans);
        assert_eq!(
            (
                fast.lost_usd,
                fast.impact_usd,
                fast.sold_eth,
                fast.liquidations
            ),
            (
                every.lost_usd,
                every.impact_usd,
                every.sold_eth,
                every.liquidations
            )
        );
    }

    #[test]
    fn liquidation_starts_below_health_one_and_cascades() {
        // K/S = 0.6 at 2000: debt 1200 per ETH; health 1 at S = 1200/0.83 = 1446.
        let mut l = Lending::new(LendingConfig::default(), [(1200.0, 10.0)], 2000.0);
        l.step(1500.0);
        assert_eq!(l.liquidations, 0);
        l.step(1440.0);
        assert_eq!(l.liquidations, 1);
        // Half the debt repaid, the 5% bonus lost; the sale's impact beside it.
        let repaid = 6000.0;
        let eth = repaid * 1.05 / 1440.0;
        let impact = eth * 1440.0 / 40_000_000.0;
        assert!((l.lost_usd - 0.05 * repaid).abs() < 1e-6);
        assert!((l.impact_usd - eth * 1440.0 * impact).abs() < 1e-9);
        // A deep fall: under 0.95, everything goes.
        l.step(900.0);
        assert_eq!(l.loans[0].debt_usd, 0.0);
        assert!(l.loss_bps() > 0.0);
    }
}
