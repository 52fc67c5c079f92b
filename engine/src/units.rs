//! Integer price and size types used everywhere past the edges.
//!
//! A [`Price`] counts the instrument's price unit (its finest tick, e.g. 0.0001 ETH for Deribit ETH
//! options); a [`Qty`] counts its lot (the minimum amount step, e.g. 1 contract). Which decimal each
//! stands for lives in the instrument's [`crate::scale::Scale`]s, so arithmetic here is exact.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

/// A price in integer price units of one instrument.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(pub i64);

/// A size in integer lots of one instrument. Signed so that positions can use it; order and book
/// sizes are always positive (checked where they enter).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Qty(pub i64);

impl Qty {
    pub const ZERO: Qty = Qty(0);
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
    pub fn min(self, other: Qty) -> Qty {
        Qty(self.0.min(other.0))
    }
}

impl Add for Qty {
    type Output = Qty;
    fn add(self, o: Qty) -> Qty {
        Qty(self.0 + o.0)
    }
}
impl Sub for Qty {
    type Output = Qty;
    fn sub(self, o: Qty) -> Qty {
        Qty(self.0 - o.0)
    }
}
impl AddAssign for Qty {
    fn add_assign(&mut self, o: Qty) {
        self.0 += o.0;
    }
}
impl SubAssign for Qty {
    fn sub_assign(&mut self, o: Qty) {
        self.0 -= o.0;
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} units", self.0)
    }
}
impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} lots", self.0)
    }
}

/// The side of an order or a book level: `Buy` orders rest on the bid side, `Sell` on the ask.
/// Ordered (buy before sell) only so that keys holding a side can be sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
    /// +1 for a buy, -1 for a sell: the sign a fill gives a position.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
    /// True when `a` is a better price than `b` for an order on this side (higher bid, lower ask).
    #[inline]
    pub fn better(self, a: Price, b: Price) -> bool {
        match self {
            Side::Buy => a > b,
            Side::Sell => a < b,
        }
    }
    /// A sort key that rises as prices get better for this side (the price for bids, minus the
    /// price for asks): books sorted by it ascending keep their best level last.
    #[inline]
    pub fn book_key(self, p: Price) -> i64 {
        match self {
            Side::Buy => p.0,
            Side::Sell => -p.0,
        }
    }
    /// The price behind a [`Side::book_key`].
    #[inline]
    pub fn key_price(self, key: i64) -> Price {
        match self {
            Side::Buy => Price(key),
            Side::Sell => Price(-key),
        }
    }
    /// True when a `self`-side order at `limit` trades against a resting opposite order at `resting`.
    #[inline]
    pub fn crosses(self, limit: Price, resting: Price) -> bool {
        match self {
            Side::Buy => limit >= resting,
            Side::Sell => limit <= resting,
        }
    }
}

/// As Deribit names a direction (`buy`, `sell`), the inverse of `Display`.
impl std::str::FromStr for Side {
    type Err = String;
    fn from_str(s: &str) -> Result<Side, String> {
        match s {
            "buy" => Ok(Side::Buy),
            "sell" => Ok(Side::Sell),
            other => Err(format!("{other:?} is not buy or sell")),
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        })
    }
}

/// ⌊x⌋ for finite x within i64, without a call to libm's `floor` (the baseline x86-64 target
/// has no rounding instruction; prices and sizes are rounded this way on hot paths). NaN gives
/// 0 and values beyond i64 saturate, as `as` does.
pub fn floor_i64(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) > x {
        t - 1
    } else {
        t
    }
}

/// ⌈x⌉, as [`floor_i64`].
pub fn ceil_i64(x: f64) -> i64 {
    let t = x as i64;
    if (t as f64) < x {
        t + 1
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_reads_back_what_it_shows() {
        for side in [Side::Buy, Side::Sell] {
            assert_eq!(side.to_string().parse::<Side>(), Ok(side));
        }
        assert_eq!(
            "Buy".parse::<Side>(),
            Err("\"Buy\" is not buy or sell".into())
        );
    }
}
