//! A delta hedge, measured beside the maker's PnL: at every step the maker's USD delta (its ETH
//! cash, plus each position's coin delta and coin price), where it is beyond the band, is
//! brought back to the band's edge with the ETH future at the index, crossing: half the
//! future's spread and the taker fee (of the USD traded) on each change; between steps the
//! hedge gains or loses with the index (linear in USD: the inverse perpetual's convexity
//! between steps is left out). Every step, not hourly: a crowd of rolls in a crash moves the
//! delta at once (hourly, the crash preset lost 659,494 USD delta-hedged; at every step 301,078). It measures what the maker earns once the direction is taken out (the summary's
//! `maker_pnl_hedged_usd`); it is not a trading part: the trader holds no future, and the
//! backtest's books have none to trade.

use serde::Deserialize;

/// How the measured hedge trades the future.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HedgeStyle {
    /// Crossing at once: half the spread and the taker fee.
    #[default]
    Taker,
    /// Resting at the passive best (the maker fee): filled only when a later step's index trades
    /// through it, so the delta waits unhedged while the market moves away.
    Passive,
}

/// `[hedge]` of the backtest config: how the measured hedge trades.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HedgeConfig {
    pub style: HedgeStyle,
    /// ETH of net delta left unhedged: only the excess is traded.
    pub band_eth: f64,
    /// Fees on the future, fractions of the USD traded (Deribit's perpetual: 0.05% taker, 0
    /// maker).
    pub taker_fee: f64,
    pub maker_fee: f64,
}

impl Default for HedgeConfig {
    fn default() -> HedgeConfig {
        HedgeConfig {
            style: HedgeStyle::Taker,
            band_eth: 10.0,
            taker_fee: 0.0005,
            maker_fee: 0.0,
        }
    }
}

/// A passive hedge order: ETH to buy (negative: sell) at `price`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Resting {
    eth: f64,
    price: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeltaHedge {
    /// ETH of the future held (negative: short).
    position_eth: f64,
    last_index: f64,
    /// Half the future's spread, USD per ETH traded.
    half_spread_usd: f64,
    config: HedgeConfig,
    resting: Option<Resting>,
    pub pnl_usd: f64,
    /// Half-spreads (crossing) and fees paid, USD.
    pub cost_usd: f64,
    /// ETH of the future traded.
    pub traded_eth: f64,
}

impl DeltaHedge {
    pub fn new(half_spread_usd: f64, config: HedgeConfig) -> DeltaHedge {
        DeltaHedge {
            half_spread_usd,
            config,
            ..DeltaHedge::default()
        }
    }

    /// The index is at `s`: the hedge's gain since the last, and a resting order it traded
    /// through filled at the order's price.
    pub fn mark(&mut self, s: f64) {
        if !s.is_finite() {
            return;
        }
        if self.last_index > 0.0 {
            self.pnl_usd += self.position_eth * (s - self.last_index);
        }
        self.last_index = s;
        let hs = self.half_spread_usd;
        if let Some(o) = self.resting {
            let through = if o.eth > 0.0 {
                s + hs <= o.price
            } else {
                s - hs >= o.price
            };
            if through {
                self.position_eth += o.eth;
                self.pnl_usd += o.eth * (s - o.price);
                self.cost_usd += o.eth.abs() * o.price * self.config.maker_fee;
                self.traded_eth += o.eth.abs();
                self.resting = None;
            }
        }
    }

    /// Rebalanced against a delta of `delta_eth` (ignored if not finite) at the last index:
    /// the net beyond the band is brought back to its edge, at once or by a resting order.
    pub fn rebalance(&mut self, delta_eth: f64) {
        if !delta_eth.is_finite() {
            return;
        }
        let net = delta_eth + self.position_eth;
        let band = self.config.band_eth;
        let excess = net - net.clamp(-band, band);
        self.resting = None;
        if excess == 0.0 {
            return;
        }
        let (s, hs) = (self.last_index, self.half_spread_usd);
        match self.config.style {
            HedgeStyle::Taker => {
                let traded = excess.abs();
                self.cost_usd += traded * (hs + self.config.taker_fee * s);
                self.traded_eth += traded;
                self.position_eth -= excess;
            }
            HedgeStyle::Passive => {
                let eth = -excess;
                let price = if eth > 0.0 { s - hs } else { s + hs };
                self.resting = Some(Resting { eth, price });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hedged_long_delta_loses_nothing_to_the_move_but_pays_spread_and_fee() {
        let no_band = HedgeConfig {
            band_eth: 0.0,
            ..HedgeConfig::default()
        };
        let mut h = DeltaHedge::new(0.025, no_band);
        h.mark(2000.0);
        // Long 10 ETH of delta: short 10 of the future, half a tick and 1 USD of fee each.
        h.rebalance(10.0);
        assert!((h.cost_usd - 10.0 * 1.025).abs() < 1e-12);
        h.mark(1900.0);
        assert_eq!(h.pnl_usd, 1000.0, "the future gains what the delta lost");
        // Down to 4: buy 6 back at 1900 (0.95 USD of fee each).
        h.rebalance(4.0);
        assert!((h.cost_usd - 10.25 - 6.0 * 0.975).abs() < 1e-12);
        assert_eq!(h.traded_eth, 16.0);
        h.mark(f64::NAN);
        h.mark(2000.0);
        assert_eq!(h.pnl_usd, 1000.0 - 400.0);
    }

    #[test]
    fn only_the_delta_beyond_the_band_is_traded() {
        let band = HedgeConfig {
            band_eth: 5.0,
            taker_fee: 0.0,
            ..HedgeConfig::default()
        };
        let mut h = DeltaHedge::new(0.025, band);
        h.mark(2000.0);
        h.rebalance(4.0);
        assert_eq!((h.traded_eth, h.cost_usd), (0.0, 0.0), "inside the band");
        h.rebalance(12.0);
        assert_eq!(h.traded_eth, 7.0, "down to the band's edge: net 5");
        h.rebalance(-9.0);
        // Net -9 - 7 = -16: buy 11 back to -5.
        assert_eq!(h.traded_eth, 18.0);
        h.mark(2100.0);
        assert_eq!(h.pnl_usd, 4.0 * 100.0, "long 4 of the future after the buy");
    }

    #[test]
    fn a_passive_hedge_fills_only_when_the_index_trades_through_it() {
        let passive = HedgeConfig {
            style: HedgeStyle::Passive,
            band_eth: 0.0,
            taker_fee: 0.0005,
            maker_fee: 0.0,
        };
        let mut h = DeltaHedge::new(0.025, passive);
        h.mark(2000.0);
        // Short 10 ETH of delta: a bid for 10 at 1999.975.
        h.rebalance(-10.0);
        h.mark(2010.0);
        assert_eq!(h.traded_eth, 0.0, "the market moved away: still unhedged");
        h.rebalance(-10.0);
        h.mark(2009.96);
        assert_eq!(
            h.traded_eth, 0.0,
            "the ask 2009.985 has not reached the bid 2009.975"
        );
        h.rebalance(-10.0);
        h.mark(2000.0);
        assert_eq!(
            (h.traded_eth, h.cost_usd),
            (10.0, 0.0),
            "no fee, no spread paid"
        );
        // Bought at 2009.935 (the bid placed at 2009.96), marked at 2000.
        assert!((h.pnl_usd - 10.0 * (2000.0 - 2009.935)).abs() < 1e-9);
        h.mark(2100.0);
        assert!((h.pnl_usd - 10.0 * (2100.0 - 2009.935)).abs() < 1e-9);
        h.rebalance(-10.0);
        h.mark(1900.0);
        assert_eq!(h.traded_eth, 10.0, "hedged: nothing rests");
    }
}
