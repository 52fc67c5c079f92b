//! An idealised delta hedge, measured beside the maker's PnL: at every hourly sample the maker's
//! USD delta (its ETH cash, plus each position's coin delta and coin price) is offset with the
//! ETH future at the index, paying half the future's spread on each change; between samples the
//! hedge gains or loses with the index. It measures what the maker earns once the direction is
//! taken out (the summary's `maker_pnl_hedged_usd`); it is not a trading part: the trader holds
//! no future, and the backtest's books have none to trade.

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeltaHedge {
    /// ETH of the future held (negative: short).
    position_eth: f64,
    last_index: f64,
    /// Half the future's spread, USD per ETH traded.
    half_spread_usd: f64,
    pub pnl_usd: f64,
    pub cost_usd: f64,
}

impl DeltaHedge {
    pub fn new(half_spread_usd: f64) -> DeltaHedge {
        DeltaHedge {
            half_spread_usd,
            ..DeltaHedge::default()
        }
    }

    /// The index is at `s`: the hedge's gain since the last.
    pub fn mark(&mut self, s: f64) {
        if self.last_index > 0.0 && s.is_finite() {
            self.pnl_usd += self.position_eth * (s - self.last_index);
        }
        if s.is_finite() {
            self.last_index = s;
        }
    }

    /// Rebalanced to offset a delta of `delta_eth` (ignored if not finite).
    pub fn rebalance(&mut self, delta_eth: f64) {
        if !delta_eth.is_finite() {
            return;
        }
        let target = -delta_eth;
        self.cost_usd += (target - self.position_eth).abs() * self.half_spread_usd;
        self.position_eth = target;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hedged_long_delta_loses_nothing_to_the_move_but_pays_the_spread() {
        let mut h = DeltaHedge::new(0.025);
        h.mark(2000.0);
        // Long 10 ETH of delta: short 10 of the future, half a tick each.
        h.rebalance(10.0);
        assert_eq!(h.cost_usd, 0.25);
        h.mark(1900.0);
        assert_eq!(h.pnl_usd, 1000.0, "the future gains what the delta lost");
        h.rebalance(4.0);
        assert!((h.cost_usd - 0.25 - 6.0 * 0.025).abs() < 1e-12);
        h.mark(f64::NAN);
        h.mark(2000.0);
        assert_eq!(h.pnl_usd, 1000.0 - 400.0);
    }
}
