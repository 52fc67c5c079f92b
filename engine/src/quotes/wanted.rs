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
