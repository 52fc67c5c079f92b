//! What a strategy asks to have resting.

use super::manager::QuoteError;
use crate::instrument::InstrumentId;
use crate::state::Top;
use crate::tick_rule::TickRule;
use crate::units::{Price, Qty, Side};

/// Where a quote sits: instrument, side and ladder level (0 the closest to fair value). At most one
/// order rests per key. Ordered by instrument, then side (buy first), then level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QuoteKey {
    pub instrument: InstrumentId,
    pub side: Side,
    pub level: u8,
}

impl QuoteKey {
    /// The key as one number in its order: one comparison where the field-by-field order took
    /// a branch per field (a fifth of a requote's diff went to comparing keys).
    #[inline]
    fn rank(&self) -> u64 {
        (u64::from(self.instrument.0) << 16) | ((self.side as u64) << 8) | u64::from(self.level)
    }
}

impl Ord for QuoteKey {
    #[inline]
    fn cmp(&self, other: &QuoteKey) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for QuoteKey {
    #[inline]
    fn partial_cmp(&self, other: &QuoteKey) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
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

impl WantedQuote {
    /// `qty` at `price` on `side` of `instrument`, ladder `level`, with `rule`'s tick there.
    pub fn new(
        instrument: InstrumentId,
        (side, level): (Side, u8),
        price: Price,
        qty: Qty,
        rule: &TickRule,
    ) -> WantedQuote {
        WantedQuote {
            key: QuoteKey {
                instrument,
                side,
                level,
            },
            price,
            qty,
            tick: rule.tick_at(price),
        }
    }

    /// Kept off the other side's best `top` shows, as post-only needs (a bid a tick under the
    /// best ask, an ask a tick over the best bid, on `rule`'s grid); whether it moved. A bid
    /// pushed to zero or below is left there: the caller drops it.
    pub fn keep_off(&mut self, top: &Top, rule: &TickRule) -> bool {
        let moved = match self.key.side {
            Side::Buy => match top.ask {
                Some((ask, _)) if self.price >= ask => Some(rule.next_down(ask)),
                _ => None,
            },
            Side::Sell => match top.bid {
                Some((bid, _)) if self.price <= bid => Some(rule.next_up(bid)),
                _ => None,
            },
        };
        let Some(price) = moved else {
            return false;
        };
        self.price = price;
        self.tick = rule.tick_at(price);
        true
    }
}

/// `wanted` in key order, checked: each key once, prices and sizes positive (else the first bad
/// one in key order). Strategies mostly list their quotes in key order already (series by
/// series, bid before ask, level by level): then they are used where they are; otherwise a
/// sorted copy is made in `buffer`.
pub(super) fn in_key_order<'a>(
    wanted: &'a [WantedQuote],
    buffer: &'a mut Vec<WantedQuote>,
) -> Result<&'a [WantedQuote], QuoteError> {
    if in_order_and_positive(wanted) {
        return Ok(wanted);
    }
    // In strictly increasing key order: sorted, and no key can repeat.
    let sorted = if wanted.windows(2).all(|p| p[0].key < p[1].key) {
        wanted
    } else {
        buffer.clear();
        buffer.extend_from_slice(wanted);
        buffer.sort_unstable_by_key(|w| w.key);
        if let Some(pair) = buffer.windows(2).find(|p| p[0].key == p[1].key) {
            return Err(QuoteError::DuplicateKey(pair[0].key));
        }
        &buffer[..]
    };
    if let Some(w) = sorted.iter().find(|w| w.price.0 <= 0 || w.qty.0 <= 0) {
        return Err(QuoteError::BadQuote(w.key, w.price, w.qty));
    }
    Ok(sorted)
}

/// Whether `wanted` is in strictly increasing key order with every price and size positive:
/// the usual case, checked in one pass without early exits (a requote of the chain lists 1,500
/// quotes).
fn in_order_and_positive(wanted: &[WantedQuote]) -> bool {
    let Some(first) = wanted.first() else {
        return true;
    };
    let mut previous = first.key.rank();
    let mut ok = first.price.0 > 0 && first.qty.0 > 0;
    for w in &wanted[1..] {
        let rank = w.key.rank();
        ok &= previous < rank && w.price.0 > 0 && w.qty.0 > 0;
        previous = rank;
    }
    ok
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key((instrument, sell, level): (u32, bool, u8)) -> QuoteKey {
        QuoteKey {
            instrument: InstrumentId(instrument),
            side: if sell { Side::Sell } else { Side::Buy },
            level,
        }
    }

    /// Keys that often share fields (small values), and any at all.
    fn fields() -> impl Strategy<Value = (u32, bool, u8)> {
        (
            prop_oneof![0u32..3, any::<u32>()],
            any::<bool>(),
            prop_oneof![0u8..3, any::<u8>()],
        )
    }

    proptest! {
        /// The one-number order is the field-by-field one: instrument, side (buy first), level.
        #[test]
        fn keys_order_field_by_field(a in fields(), b in fields()) {
            let (ka, kb) = (key(a), key(b));
            let fields = |k: &QuoteKey| (k.instrument.0, k.side == Side::Sell, k.level);
            prop_assert_eq!(ka.cmp(&kb), fields(&ka).cmp(&fields(&kb)));
            prop_assert_eq!(ka == kb, ka.cmp(&kb).is_eq());
        }
    }
}
