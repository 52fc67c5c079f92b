//! How eagerly live orders follow the wanted ones: the thresholds under which a live order is
//! left alone, keeping its queue place, and the cap on actions per second.

use super::wanted::WantedQuote;
use crate::order::Order;
use crate::units::Side;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuoteRules {
    /// A live order up to this many ticks less aggressive than wanted is left alone.
    pub price_threshold_ticks: i64,
    /// A live order up to this many lots smaller than wanted is left alone.
    pub size_threshold_lots: i64,
    /// At most this many actions (place, amend, cancel) in any second.
    pub max_actions_per_second: u32,
}

/// True when the live order may stay for `w`: not more aggressive, not larger, and within the
/// thresholds of it.
pub(super) fn keeps(rules: &QuoteRules, order: &Order, w: &WantedQuote) -> bool {
    // Price units by which the live order is less aggressive than wanted (negative: more).
    let behind = match order.side {
        Side::Buy => w.price.0 - order.price.0,
        Side::Sell => order.price.0 - w.price.0,
    };
    let short = w.qty.0 - order.remaining().0;
    behind >= 0
        && behind <= rules.price_threshold_ticks * w.tick.max(1)
        && short >= 0
        && short <= rules.size_threshold_lots
}
