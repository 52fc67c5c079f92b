//! Which series the roll maker quotes, and on which side (ROLLS.md, seen from the maker).
//!
//! A P holder near its strike (S/K below `roll_ratio`) or near expiry (within `roll_days`) sells
//! P(K1, T1): the maker bids P there, i.e. **sells the call** N(K1, T1). The holder buys P(K2, T2)
//! with K2/S near `target_ratio` and T2 at least `horizon_days` out: the maker offers P there,
//! i.e. **buys the call**. The config guarantees the two sets never overlap.

use crate::config::{ExpiryRule, RollMakerConfig};
use chrono::{Datelike, Duration, Weekday};
use engine::units::Side;
use engine::Timestamp;

/// What the maker does in a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Holders roll out of it: sell the call (bid P).
    RollOut,
    /// Holders roll into it: buy the call (offer P).
    RollIn,
}

impl Role {
    /// The side of the call order.
    pub fn side(self) -> Side {
        match self {
            Role::RollOut => Side::Sell,
            Role::RollIn => Side::Buy,
        }
    }
}

/// Whether an expiry settling at `settles` passes the universe's rule.
pub fn expiry_listed(rule: ExpiryRule, settles: Timestamp) -> bool {
    let date = settles.to_datetime().date_naive();
    let last_friday =
        date.weekday() == Weekday::Fri && (date + Duration::days(7)).month() != date.month();
    match rule {
        ExpiryRule::All => true,
        ExpiryRule::Monthly => last_friday,
        ExpiryRule::Quarterly => last_friday && date.month() % 3 == 0,
    }
}

/// Whether a strike `k` settling in `days` is in the quoted universe (index at `s`).
pub fn in_universe(c: &RollMakerConfig, s: f64, k: f64, days: f64) -> bool {
    // Ratios compared by multiplication: this runs for every series on every requote.
    let u = &c.universe;
    days >= u.min_days && days <= u.max_days && k >= u.min_moneyness * s && k <= u.max_moneyness * s
}

/// The role of a call at strike `k` settling in `days`, with the index at `s`; None if the maker
/// does not quote it.
pub fn role(c: &RollMakerConfig, s: f64, k: f64, days: f64) -> Option<Role> {
    if !in_universe(c, s, k, days) {
        return None;
    }
    let r = &c.roll;
    if s < r.roll_ratio * k || days < r.roll_days {
        return Some(Role::RollOut);
    }
    if k <= r.target_ratio * s && k > (r.target_ratio - r.target_band) * s && days >= r.horizon_days
    {
        return Some(Role::RollIn);
    }
    None
}
