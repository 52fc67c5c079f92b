//! The maker's PnL split for the report: spread (each fill against the series' fair value when
//! it filled) and settlement (what expiry paid beyond the last mark); inventory is the rest. A
//! measurement in USD floats from the model's fair values, not the ledger: the ledger (in the
//! trader) holds the money.

use super::market::Market;
use super::venue::VenueFill;
use engine::Side;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attribution {
    pub fills: u64,
    pub spread_usd: f64,
    pub settlement_usd: f64,
}

impl Attribution {
    /// Our `fills`, each against `fair` (ETH per contract) or else the series' fair value now, at
    /// the market's index.
    pub fn on_fills<M: Market>(&mut self, market: &M, fills: &[VenueFill], fair: Option<f64>) {
        let Some(p) = market.point() else { return };
        for f in fills {
            self.fills += 1;
            let fair = fair.or_else(|| market.fair(f.instrument).map(|g| g.price));
            if let Some(fair) = fair {
                let px = market.instruments().get(f.instrument).price_f64(f.price);
                let edge = match f.side {
                    Side::Buy => fair - px,
                    Side::Sell => px - fair,
                };
                self.spread_usd += edge * f.qty.0 as f64 * p.price;
            }
        }
    }

    /// `lots` settled at `value` (ETH per contract) against their last mark, at index `twap`.
    pub fn on_settlement(&mut self, value: f64, last_mark: f64, lots: i64, twap: f64) {
        self.settlement_usd += (value - last_mark) * lots as f64 * twap;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settlement_beyond_the_mark_is_counted_per_lot_at_the_twap() {
        let mut a = Attribution::default();
        // Short 10 marked at 0.05 that settled worth 0.2: the short lost 0.15 a contract.
        a.on_settlement(0.2, 0.05, -10, 2500.0);
        assert!((a.settlement_usd + 0.15 * 10.0 * 2500.0).abs() < 1e-9);
    }
}
