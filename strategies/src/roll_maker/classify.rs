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

/// What an expiry allows, from its calendar and its days to settlement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpiryWindow {
    /// It passes the universe's expiry rule.
    pub listed: bool,
    /// Listed, and within the universe's days.
    pub quoted: bool,
    /// Within `roll_days`: holders roll out of every strike.
    pub near: bool,
    /// At least `horizon_days` out: holders may roll in.
    pub far: bool,
}

/// The universe and the roll flow at one index level `s`, for classifying many series: what
/// depends on the expiry is taken once per expiry ([`Roles::expiry`]), and the products of the
/// index and the config's ratios once per requote (the same products as one series at a time
/// would take: the same comparisons).
#[derive(Clone, Copy, Debug)]
pub struct Roles<'a> {
    c: &'a RollMakerConfig,
    s: f64,
    k_min: f64,
    k_max: f64,
    target_max: f64,
    target_min: f64,
}

impl Roles<'_> {
    pub fn new(c: &RollMakerConfig, s: f64) -> Roles<'_> {
        let (u, r) = (&c.universe, &c.roll);
        Roles {
            c,
            s,
            k_min: u.min_moneyness * s,
            k_max: u.max_moneyness * s,
            target_max: r.target_ratio * s,
            target_min: (r.target_ratio - r.target_band) * s,
        }
    }

    /// The window of an expiry settling at `settles`, `days` from now.
    pub fn expiry(&self, settles: Timestamp, days: f64) -> ExpiryWindow {
        let (u, r) = (&self.c.universe, &self.c.roll);
        let listed = expiry_listed(u.expiries, settles);
        ExpiryWindow {
            listed,
            quoted: listed && days >= u.min_days && days <= u.max_days,
            near: days < r.roll_days,
            far: days >= r.horizon_days,
        }
    }

    /// Whether a call at strike `k` in an expiry of window `w` is in the quoted universe.
    pub fn in_universe(&self, w: ExpiryWindow, k: f64) -> bool {
        w.quoted && k >= self.k_min && k <= self.k_max
    }

    /// The role of a call at strike `k` in an expiry of window `w`; None if the maker does not
    /// quote it.
    pub fn role(&self, w: ExpiryWindow, k: f64) -> Option<Role> {
        if !self.in_universe(w, k) {
            return None;
        }
        if self.s < self.c.roll.roll_ratio * k || w.near {
            return Some(Role::RollOut);
        }
        if k <= self.target_max && k > self.target_min && w.far {
            return Some(Role::RollIn);
        }
        None
    }
}
