//! What a strategy asks to have resting.

use crate::instrument::InstrumentId;
use crate::units::{Price, Qty, Side};

/// Where a quote sits: instrument, side and ladder level (0 the closest to fair value). At most one
/// order rests per key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QuoteKey {
    pub instrument: InstrumentId,
    pub side: Side,
    pub level: u8,
}

/// One order the strategy wants resting, post-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WantedQuote {
    pub key: QuoteKey,
    pub price: Price,
    pub qty: Qty,
    /// The instrument's tick at `price`, in price units: the unit of the price threshold (the
    /// strategy knows the instrument; the manager does not).
    pub tick: i64,
}

/// An order the strategy wants to cross now: it takes what the book shows at `price` or better,
/// and the rest is cancelled (immediate-or-cancel, never post-only, never resting). The delta
/// hedge's: a hedge that waits for its price keeps the risk it is there to take off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WantedTake {
    pub instrument: InstrumentId,
    pub side: Side,
    /// The worst price it may trade at.
    pub price: Price,
    pub qty: Qty,
}
