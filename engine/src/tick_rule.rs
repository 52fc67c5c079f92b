//! Tick-size rules: which integer prices an instrument accepts.
//!
//! Prices are counted in the instrument's finest unit; a [`TickRule`] says which of those are valid.
//! Deribit steps its option tick by price level: `tick_size` applies up to and including the first
//! `tick_size_steps[].above_price`, each step's tick strictly above its price. The one function that
//! applies such a rule is [`TickRule::tick_at`], and everything else here is built on it.

use crate::units::Price;
use std::sync::Arc;
use thiserror::Error;

/// Strictly above `above` (up to the next step's `above`), valid prices are multiples of `tick`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickStep {
    pub above: Price,
    pub tick: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TickRule {
    /// Shared: every series of a state carries its rule, and a state is rebuilt and cloned
    /// often, so cloning one must not allocate (inline steps cost the quoting path a branch on
    /// every access).
    steps: Arc<[TickStep]>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TickRuleError {
    #[error("tick step {index}: tick {tick} must be positive")]
    NonPositiveTick { index: usize, tick: i64 },
    #[error("tick step {index}: steps must be above strictly rising prices")]
    NotRising { index: usize },
    #[error("tick step {index}: tick {tick} must be a multiple of the previous tick {previous}")]
    NotNested {
        index: usize,
        tick: i64,
        previous: i64,
    },
    #[error("tick step {index}: its threshold {above} must be a multiple of its tick {tick}")]
    UnalignedStart { index: usize, above: i64, tick: i64 },
}

/// Which way [`TickRule::round`] moves an off-tick price. There is no "nearest": a caller says
/// which side of the price it is willing to lose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Down,
    Up,
}

impl TickRule {
    /// One tick everywhere.
    pub fn uniform(tick: i64) -> Result<TickRule, TickRuleError> {
        TickRule::stepped(tick, &[])
    }

    /// Deribit's form: `tick` up to the first step's price, then each step's tick above its price.
    /// Each tick must be a multiple of the one before and each threshold a multiple of its step's
    /// tick, so that a price valid under a coarse tick is valid under every finer one and the
    /// thresholds themselves are valid prices.
    pub fn stepped(tick: i64, above: &[TickStep]) -> Result<TickRule, TickRuleError> {
        let mut steps = Vec::with_capacity(above.len() + 1);
        // The base tick covers everything up to the first threshold.
        steps.push(TickStep {
            above: Price(i64::MIN),
            tick,
        });
        steps.extend_from_slice(above);
        for (index, s) in steps.iter().enumerate() {
            if s.tick <= 0 {
                return Err(TickRuleError::NonPositiveTick {
                    index,
                    tick: s.tick,
                });
            }
            if index > 0 {
                let prev = steps[index - 1];
                if s.above <= prev.above {
                    return Err(TickRuleError::NotRising { index });
                }
                if s.tick % prev.tick != 0 {
                    return Err(TickRuleError::NotNested {
                        index,
                        tick: s.tick,
                        previous: prev.tick,
                    });
                }
                if s.above.0 % s.tick != 0 {
                    return Err(TickRuleError::UnalignedStart {
                        index,
                        above: s.above.0,
                        tick: s.tick,
                    });
                }
            }
        }
        Ok(TickRule {
            steps: steps.into(),
        })
    }

    /// Deribit's ETH option rule in units of 0.0001 ETH: `tick_size` 0.0001 and one step
    /// `{above_price: 0.005, tick_size: 0.0005}` (Deribit's tick change of 6 July 2023; every bid and
    /// ask in the shared 2026 chain data obeys it). Live, read the venue's `get_instruments`.
    pub fn deribit_option() -> TickRule {
        TickRule::stepped(
            1,
            &[TickStep {
                above: Price(50),
                tick: 5,
            }],
        )
        .expect("Deribit's option rule is well formed")
    }

    pub fn steps(&self) -> &[TickStep] {
        &self.steps
    }

    /// The tick size that applies at `price`: that of the last step whose threshold it is above.
    #[inline]
    pub fn tick_at(&self, price: Price) -> i64 {
        // Rules have one to a handful of steps: a backward scan beats a binary search.
        let mut i = self.steps.len() - 1;
        while i > 0 && price <= self.steps[i].above {
            i -= 1;
        }
        self.steps[i].tick
    }

    #[inline]
    pub fn is_on_tick(&self, price: Price) -> bool {
        price.0.rem_euclid(self.tick_at(price)) == 0
    }

    /// The smallest valid price strictly above `price`.
    pub fn next_up(&self, price: Price) -> Price {
        self.round_up(Price(price.0 + 1)).0
    }

    /// The largest valid price strictly below `price`.
    pub fn next_down(&self, price: Price) -> Price {
        let below = price.0 - 1;
        let t = self.tick_at(Price(below));
        // A multiple of a coarse tick is valid under the finer ticks below it too.
        Price(below.div_euclid(t) * t)
    }

    /// `price` itself when valid, else the neighbouring valid price in the direction asked.
    #[inline]
    pub fn round(&self, price: Price, rounding: Rounding) -> Price {
        match rounding {
            Rounding::Up => self.round_up(price).0,
            Rounding::Down => {
                let t = self.tick_at(price);
                // A multiple of the local tick is valid under the finer ticks below it too.
                Price(price.0 - rem_tick(price.0, t))
            }
        }
    }

    /// The smallest valid price at or above `price`, and the tick there. Rounding up never
    /// leaves the price's step: the next step's threshold is a multiple of the next tick, hence
    /// of this one ([`TickRule::stepped`] accepts no other rule), so the first multiple of this
    /// tick at or above `price` is at most that threshold.
    #[inline]
    pub fn round_up(&self, price: Price) -> (Price, i64) {
        let t = self.tick_at(price);
        // Whether the price is already on the grid is not branched on: about one price in `t`
        // is, and the branch was mispredicted often enough to show in a requote of the chain.
        let r = rem_tick(price.0, t);
        let up = Price(price.0 - r + if r == 0 { 0 } else { t });
        debug_assert_eq!(self.tick_at(up), t, "rounding up stays in the step");
        (up, t)
    }
}

/// `price.rem_euclid(tick)`, without a division where the tick is one unit (the finest step of
/// most rules: Deribit's options below 0.005 ETH).
#[inline]
fn rem_tick(price: i64, tick: i64) -> i64 {
    if tick == 1 {
        0
    } else {
        price.rem_euclid(tick)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn deribit_option_tick_switches_above_half_a_cent() {
        let r = TickRule::deribit_option();
        assert_eq!(r.tick_at(Price(1)), 1);
        assert_eq!(r.tick_at(Price(49)), 1);
        // "if price <= 0.005 then the tick size is 0.0001"
        assert_eq!(r.tick_at(Price(50)), 1);
        assert_eq!(r.tick_at(Price(51)), 5);
        assert_eq!(r.tick_at(Price(150_000)), 5);
        assert!(r.is_on_tick(Price(49)));
        assert!(r.is_on_tick(Price(50)));
        assert!(r.is_on_tick(Price(55)));
        assert!(!r.is_on_tick(Price(51)));
        assert!(!r.is_on_tick(Price(54)));
    }

    #[test]
    fn neighbours_cross_the_step_boundary() {
        let r = TickRule::deribit_option();
        assert_eq!(r.next_up(Price(48)), Price(49));
        assert_eq!(r.next_up(Price(49)), Price(50));
        assert_eq!(r.next_up(Price(50)), Price(55));
        assert_eq!(r.next_up(Price(52)), Price(55));
        assert_eq!(r.next_down(Price(50)), Price(49));
        assert_eq!(r.next_down(Price(55)), Price(50));
        assert_eq!(r.next_down(Price(53)), Price(50));
        assert_eq!(r.round(Price(53), Rounding::Down), Price(50));
        assert_eq!(r.round(Price(53), Rounding::Up), Price(55));
        assert_eq!(r.round(Price(55), Rounding::Up), Price(55));
    }

    #[test]
    fn bad_rules_are_refused() {
        assert!(matches!(
            TickRule::uniform(0),
            Err(TickRuleError::NonPositiveTick { .. })
        ));
        let s = |above, tick| TickStep {
            above: Price(above),
            tick,
        };
        assert!(matches!(
            TickRule::stepped(2, &[s(50, 5)]),
            Err(TickRuleError::NotNested { .. })
        ));
        assert!(matches!(
            TickRule::stepped(1, &[s(52, 5)]),
            Err(TickRuleError::UnalignedStart { .. })
        ));
        assert!(matches!(
            TickRule::stepped(1, &[s(50, 5), s(50, 10)]),
            Err(TickRuleError::NotRising { .. })
        ));
        assert!(matches!(
            TickRule::stepped(1, &[s(50, 0)]),
            Err(TickRuleError::NonPositiveTick { index: 1, .. })
        ));
    }

    proptest! {
        #[test]
        fn neighbours_are_the_closest_valid_prices(p in -1_000i64..1_000) {
            let r = TickRule::stepped(1, &[
                TickStep { above: Price(50), tick: 5 },
                TickStep { above: Price(200), tick: 50 },
            ]).unwrap();
            let up = r.next_up(Price(p));
            let down = r.next_down(Price(p));
            prop_assert!(up > Price(p) && r.is_on_tick(up));
            prop_assert!(down < Price(p) && r.is_on_tick(down));
            // No valid price is skipped between them.
            for q in (down.0 + 1)..up.0 {
                prop_assert!(q == p || !r.is_on_tick(Price(q)), "skipped {q}");
            }
            // Rounding is the price itself on a tick, else the neighbour on the side asked.
            let on = r.is_on_tick(Price(p));
            prop_assert_eq!(r.round(Price(p), Rounding::Up), if on { Price(p) } else { up });
            prop_assert_eq!(r.round(Price(p), Rounding::Down), if on { Price(p) } else { down });
        }
    }
}
