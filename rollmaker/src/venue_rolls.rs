//! Roll demand at the local venue: the backtest's population of P (and N) holders
//! ([`RollFlow`], ROLLS.md) rolling as the synthetic market moves, each roll sent to the venue
//! as its two legs, immediate-or-cancel takes from the venue's takers' account: a P holder buys
//! back the call of the series it leaves and sells the call of the one it goes to (an N holder
//! the other way round). They take whatever is best at the venue, the house's levels or a
//! client's resting quotes, so a maker quoting rolls meets the flow it is built for.
//!
//! Simpler than the backtest's roll desk, and said here: every holder crosses at once (a
//! patient one only at the fair price or better, an impatient one up to `max_slippage_bps` of
//! its token's value through it), whatever is not filled is dropped, and the holder is taken to
//! hold the new series either way (the venue does not tell its feed what filled).

use backtest::roll_flow::{RollFlow, RollFlowConfig, RollRequest, Token};
use backtest::sim::market::Market;
use backtest::sim::prices::p_value;
use backtest::sim::synthetic_market::SyntheticMarket;
use connectors::venue::house::House;
use engine::tick_rule::Rounding;
use engine::Side;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the holders asked for, for whoever runs the venue.
#[derive(Debug, Default)]
pub struct RollCounts {
    pub rolls: AtomicU64,
    pub legs: AtomicU64,
}

impl RollCounts {
    pub fn report(&self) -> String {
        let (r, l) = (
            self.rolls.load(Ordering::Relaxed),
            self.legs.load(Ordering::Relaxed),
        );
        format!("{r} rolls asked, {l} legs sent as takes")
    }
}

/// The holders, and what they asked for so far.
pub struct Rolls {
    flow: RollFlow,
    pub counts: Arc<RollCounts>,
}

impl Rolls {
    /// `holders` P holders (ROLLS.md's default population otherwise) on `market` as it is now,
    /// seeded; None without holders.
    pub fn start(market: &SyntheticMarket, holders: usize, seed: u64) -> Option<Rolls> {
        let p = market.point().filter(|_| holders > 0)?;
        let value = |call| p_value(market, call);
        let config = RollFlowConfig {
            holders,
            ..RollFlowConfig::default()
        };
        let flow = RollFlow::new(config, p.price, market.listing(), value, seed);
        Some(Rolls {
            flow,
            counts: Arc::default(),
        })
    }

    /// The rolls whose triggers fire now, as the takers' legs.
    pub fn step(&mut self, market: &SyntheticMarket, out: &mut Vec<House>) {
        let Some(p) = market.point() else {
            return;
        };
        let mut requests = Vec::new();
        let value = |call| p_value(market, call);
        (self.flow).step(p.at, p.price, market.listing(), value, &mut requests);
        for r in requests {
            let legs = self.legs(market, &r);
            self.counts.rolls.fetch_add(1, Ordering::Relaxed);
            (self.counts.legs).fetch_add(legs.len() as u64, Ordering::Relaxed);
            out.extend(legs);
            self.flow.completed(r.holder, r.to);
        }
    }

    /// The two legs of `r`, or none where a series has no fair price.
    fn legs(&self, market: &SyntheticMarket, r: &RollRequest) -> Vec<House> {
        let (out_side, in_side) = match r.token {
            Token::P => (Side::Buy, Side::Sell),
            Token::N => (Side::Sell, Side::Buy),
        };
        let legs = [
            (r.from.call, out_side, r.from.qty),
            (r.to.call, in_side, r.to.qty),
        ];
        let mut out = Vec::new();
        for (id, side, qty) in legs {
            let inst = market.instruments().get(id);
            // The venue lists what the market lists (new series as they come).
            let Some(fair) = market.fair(id) else {
                return Vec::new();
            };
            let lots = qty.round();
            if lots < 1.0 {
                return Vec::new();
            }
            // The token's value in ETH a contract: what the slippage is counted against.
            let token_eth = match r.token {
                Token::P => 1.0 - fair.price,
                Token::N => fair.price,
            };
            let through = if r.patient {
                0.0
            } else {
                r.max_slippage_bps / 1e4 * token_eth
            };
            let limit = match side {
                Side::Buy => fair.price + through,
                Side::Sell => (fair.price - through).max(0.0),
            };
            // On the venue's grid, on the holder's side of the limit.
            let rounding = match side {
                Side::Buy => Rounding::Down,
                Side::Sell => Rounding::Up,
            };
            let Some(price) = inst.price_rounded_f64(limit, rounding) else {
                return Vec::new();
            };
            out.push(House::Take {
                instrument: inst.name().to_string(),
                side,
                price: inst.price_f64(price),
                amount: lots,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backtest::synthetic::path::Preset;

    #[test]
    fn the_crash_makes_holders_roll_and_each_roll_is_two_takes_on_the_grid() {
        let (mut market, path) = crate::venue_market::synthetic(Preset::Crash, 1, 0.0);
        let mut rolls = Rolls::start(&market, 200, 1).expect("holders");
        let mut out = Vec::new();
        // Twelve days of minutes: the crash comes on the tenth.
        for mut point in path.take(12 * 1440) {
            market.advance(&mut point);
            rolls.step(&market, &mut out);
        }
        let asked = rolls.counts.rolls.load(Ordering::Relaxed);
        assert!(asked > 0, "no roll in twelve days with a crash");
        assert_eq!(out.len() as u64, rolls.counts.legs.load(Ordering::Relaxed));
        assert!(!out.is_empty() && out.len() % 2 == 0, "{} legs", out.len());
        for leg in &out {
            let House::Take {
                instrument,
                price,
                amount,
                ..
            } = leg
            else {
                panic!("{leg:?}");
            };
            let inst = engine::Instrument::deribit(instrument).unwrap();
            let p = inst.price_of_f64(*price).expect("a price the venue takes");
            assert!(inst.tick_rule().is_on_tick(p), "{instrument} {price}");
            assert!(*amount >= 1.0 && amount.fract() == 0.0);
        }
        // A P holder leaves by buying its call back and enters by selling the new one.
        let sides: Vec<Side> = (out.iter().take(2))
            .map(|l| match l {
                House::Take { side, .. } => *side,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(sides, [Side::Buy, Side::Sell]);
    }
}
