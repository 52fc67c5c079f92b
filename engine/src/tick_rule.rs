//! Tick-size rules: which integer prices an instrument accepts.
//!
//! Prices are counted in the instrument's finest unit; a [`TickRule`] says which of those are valid.
//! Deribit steps its option tick by price level (`tick_size_steps`): the one function that applies
//! such a rule is [`TickRule::tick_at`], and everything else here is built on it.

use crate::units::Price;
use thiserror::Error;

/// From `from` upward (until the next step), valid prices are the multiples of `tick`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TickStep {
    pub from: Price,
    pub tick: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TickRule {
    steps: Vec<TickStep>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TickRuleError {
    #[error("a tick rule needs at least one step")]
    Empty,
    #[error("tick step {index}: tick {tick} must be positive")]
    NonPositiveTick { index: usize, tick: i64 },
    #[error("tick step {index}: steps must start at strictly rising prices")]
    NotRising { index: usize },
    #[error("tick step {index}: tick {tick} must be a multiple of the previous tick {previous}")]
    NotNested { index: usize, tick: i64, previous: i64 },
    #[error("tick step {index}: its start {from} must be a multiple of its tick {tick}")]
    UnalignedStart { index: usize, from: i64, tick: i64 },
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
        TickRule::stepped(vec![TickStep {
            from: Price(i64::MIN),
            tick,
        }])
    }

    /// A stepped rule. Each tick must be a multiple of the one below it and each step must start on
    /// its own tick, so that a price valid under a coarse tick is valid under every finer one and
    /// walking up or down tick by tick never skips a valid price.
    pub fn stepped(mut steps: Vec<TickStep>) -> Result<TickRule, TickRuleError> {
        if steps.is_empty() {
            return Err(TickRuleError::Empty);
        }
        // The first step covers every price below the second one.
        steps[0].from = Price(i64::MIN);
        for (index, s) in steps.iter().enumerate() {
            if s.tick <= 0 {
                return Err(TickRuleError::NonPositiveTick { index, tick: s.tick });
            }
            if index > 0 {
                let prev = steps[index - 1];
                if s.from <= prev.from {
                    return Err(TickRuleError::NotRising { index });
                }
                if s.tick % prev.tick != 0 {
                    return Err(TickRuleError::NotNested {
                        index,
                        tick: s.tick,
                        previous: prev.tick,
                    });
                }
                if s.from.0 % s.tick != 0 {
                    return Err(TickRuleError::UnalignedStart {
                        index,
                        from: s.from.0,
                        tick: s.tick,
                    });
                }
            }
        }
        Ok(TickRule { steps })
    }

    /// Deribit's ETH option rule in units of 0.0001 ETH: a 0.0001 tick below 0.005 ETH and a 0.0005
    /// tick from 0.005 up. Seen on every bid and ask of the shared 2026 chain data; live, the venue's
    /// `tick_size_steps` from `public/get_instruments` should be read instead.
    pub fn deribit_option() -> TickRule {
        TickRule {
            steps: vec![
                TickStep {
                    from: Price(i64::MIN),
                    tick: 1,
                },
                TickStep {
                    from: Price(50),
                    tick: 5,
                },
            ],
        }
    }

    pub fn steps(&self) -> &[TickStep] {
        &self.steps
    }

    /// The tick size that applies at `price`: the step whose range holds it.
    #[inline]
    pub fn tick_at(&self, price: Price) -> i64 {
        // Rules have one to a handful of steps: a backward scan beats a binary search.
        let mut i = self.steps.len() - 1;
        while i > 0 && price < self.steps[i].from {
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
        let t = self.tick_at(price);
        // The next multiple of t is never past the next step's start (a multiple of t itself).
        Price((price.0.div_euclid(t) + 1) * t)
    }

    /// The largest valid price strictly below `price`.
    pub fn next_down(&self, price: Price) -> Price {
        let below = price.0 - 1;
        let t = self.tick_at(Price(below));
        Price(below.div_euclid(t) * t)
    }

    /// `price` itself when valid, else the neighbouring valid price in the direction asked.
    pub fn round(&self, price: Price, rounding: Rounding) -> Price {
        if self.is_on_tick(price) {
            price
        } else {
            match rounding {
                Rounding::Down => self.next_down(price),
                Rounding::Up => self.next_up(price),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn deribit_option_tick_switches_at_half_a_cent() {
        let r = TickRule::deribit_option();
        assert_eq!(r.tick_at(Price(1)), 1);
        assert_eq!(r.tick_at(Price(49)), 1);
        assert_eq!(r.tick_at(Price(50)), 5);
        assert_eq!(r.tick_at(Price(150_000)), 5);
        assert!(r.is_on_tick(Price(49)));
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
        assert_eq!(TickRule::stepped(vec![]), Err(TickRuleError::Empty));
        assert!(matches!(
            TickRule::uniform(0),
            Err(TickRuleError::NonPositiveTick { .. })
        ));
        let s = |from, tick| TickStep {
            from: Price(from),
            tick,
        };
        assert!(matches!(
            TickRule::stepped(vec![s(0, 2), s(50, 5)]),
            Err(TickRuleError::NotNested { .. })
        ));
        assert!(matches!(
            TickRule::stepped(vec![s(0, 1), s(52, 5)]),
            Err(TickRuleError::UnalignedStart { .. })
        ));
        assert!(matches!(
            TickRule::stepped(vec![s(0, 1), s(50, 5), s(50, 10)]),
            Err(TickRuleError::NotRising { .. })
        ));
    }

    proptest! {
        #[test]
        fn neighbours_are_the_closest_valid_prices(p in -1_000i64..1_000) {
            let r = TickRule::stepped(vec![
                TickStep { from: Price(0), tick: 1 },
                TickStep { from: Price(50), tick: 5 },
                TickStep { from: Price(200), tick: 50 },
            ]).unwrap();
            let up = r.next_up(Price(p));
            let down = r.next_down(Price(p));
            prop_assert!(up > Price(p) && r.is_on_tick(up));
            prop_assert!(down < Price(p) && r.is_on_tick(down));
            // No valid price is skipped between them.
            for q in (down.0 + 1)..up.0 {
                prop_assert!(q == p || !r.is_on_tick(Price(q)), "skipped {q}");
            }
        }
    }
}
