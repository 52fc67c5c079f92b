//! From a fair value and a distance to a resting price on the instrument's ticks, and the
//! integer arithmetic that keeps it fast and exact.

use engine::state::SeriesState;
use engine::tick_rule::Rounding;
pub(super) use engine::units::{ceil_i64, floor_i64};
use engine::units::{Price, Side};

/// `fair ± distance` (ETH) in price units, rounded away from fair to a valid tick and kept off
/// the opposite best so that the order rests (post-only), with the tick there (what the quote
/// carries). None for a bid that would be at or below zero.
pub(super) fn quote_price(
    s: &SeriesState,
    units_per_eth: f64,
    side: Side,
    fair: f64,
    distance: f64,
) -> Option<(Price, i64)> {
    let rule = &s.tick_rule;
    let (price, tick) = match side {
        Side::Sell => {
            let raw = Price(ceil_i64((fair + distance) * units_per_eth));
            match (rule.round_up(raw.max(Price(1))), s.top.bid) {
                ((p, _), Some((bid, _))) if p <= bid => {
                    let p = rule.next_up(bid);
                    (p, rule.tick_at(p))
                }
                (at_tick, _) => at_tick,
            }
        }
        Side::Buy => {
            let raw = Price(floor_i64((fair - distance) * units_per_eth));
            if raw.0 <= 0 {
                return None;
            }
            let mut p = rule.round(raw, Rounding::Down);
            if let Some((ask, _)) = s.top.ask {
                if p >= ask {
                    p = rule.next_down(ask);
                }
            }
            (p, rule.tick_at(p))
        }
    };
    (price.0 > 0).then_some((price, tick))
}

/// 1/x, exact when it is a whole number (1/0.0001 is 10000, not 10000.000000000002), so that
/// multiplying by it converts decimal units as dividing would.
pub(super) fn reciprocal(x: f64) -> f64 {
    let r = 1.0 / x;
    // Nearest whole number without libm's `round` (a call on the baseline target).
    let whole = floor_i64(r + 0.5) as f64;
    if (r - whole).abs() < 1e-9 * r {
        whole
    } else {
        r
    }
}

/// [`reciprocal`] of the last value asked, kept: a chain's series share their lot and price unit,
/// and two divisions a series showed in the profile of a requote.
#[derive(Clone, Copy, Debug)]
pub(super) struct LastReciprocal {
    x: f64,
    r: f64,
}

impl Default for LastReciprocal {
    fn default() -> LastReciprocal {
        // No value's bits are NaN's bits here: the first ask computes.
        LastReciprocal {
            x: f64::NAN,
            r: f64::NAN,
        }
    }
}

impl LastReciprocal {
    /// `reciprocal(x)`, computed only when `x` (bit for bit) is not the last one asked.
    pub fn of(&mut self, x: f64) -> f64 {
        if x.to_bits() != self.x.to_bits() {
            *self = LastReciprocal {
                x,
                r: reciprocal(x),
            };
        }
        self.r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kept reciprocal is always that of the value asked, whatever was asked before.
    #[test]
    fn the_last_reciprocal_follows_the_value() {
        let mut last = LastReciprocal::default();
        // Lots and price units are positive and finite (the instrument spec checks them).
        for x in [0.0001, 0.0001, 1.0, 0.0001, 0.25, 0.1, 3.0, 3.0, 0.0001] {
            assert_eq!(last.of(x).to_bits(), reciprocal(x).to_bits(), "{x}");
        }
        assert_eq!(reciprocal(0.0001), 10_000.0);
    }
}
