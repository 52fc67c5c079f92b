//! From a fair value and a distance to a resting price on the instrument's ticks, and the
//! integer arithmetic that keeps it fast and exact.

use engine::state::SeriesState;
use engine::tick_rule::Rounding;
pub(super) use engine::units::{ceil_i64, floor_i64};
use engine::units::{Price, Side};

/// `fair ± distance` (ETH) in price units, rounded away from fair to a valid tick and kept off
/// the opposite best so that the order rests (post-only). None for a bid that would be at or below
/// zero.
pub(super) fn quote_price(
    s: &SeriesState,
    units_per_eth: f64,
    side: Side,
    fair: f64,
    distance: f64,
) -> Option<Price> {
    let rule = &s.tick_rule;
    let price = match side {
        Side::Sell => {
            let raw = Price(ceil_i64((fair + distance) * units_per_eth));
            let mut p = rule.round(raw.max(Price(1)), Rounding::Up);
            if let Some((bid, _)) = s.top.bid {
                if p <= bid {
                    p = rule.next_up(bid);
                }
            }
            p
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
            p
        }
    };
    (price.0 > 0).then_some(price)
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
