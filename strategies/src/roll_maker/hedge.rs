//! The slow delta hedge on the perpetual.

use super::levels::floor_i64;
use crate::config::RollMakerConfig;
use engine::quotes::{QuoteKey, WantedQuote};
use engine::state::State;
use engine::strategy::{PullReason, Pulled, Wanted};
use engine::units::{Qty, Side};
use engine::Timestamp;

/// The slow delta hedge: when the options' net delta plus the hedge position's is beyond
/// `hedge.max_delta`, one resting order on the hedge instrument for the excess (never the whole
/// delta: the band is the point), at the passive best (the bid to buy, the ask to sell), so it
/// never crosses. A stale or empty book pulls it.
pub(super) fn hedge(
    config: &RollMakerConfig,
    state: &State,
    index: f64,
    option_delta: f64,
    out: &mut Wanted,
) {
    let Some(h) = &state.hedge else {
        return;
    };
    // An inverse perpetual of N USD is N/S of ETH exposure.
    let delta = option_delta + h.position.0 as f64 * h.lot_usd / index;
    let excess = delta.abs() - config.hedge.max_delta;
    if excess <= 0.0 {
        return;
    }
    let stale_nanos = (config.stale.book_seconds * Timestamp::NANOS_PER_SEC as f64) as i64;
    if !h.top.live || state.now.0 - h.top.updated.0 > stale_nanos {
        out.pulled.push(Pulled {
            series: Some(h.id),
            reason: PullReason::BookStale,
        });
        return;
    }
    let side = if delta > 0.0 { Side::Sell } else { Side::Buy };
    let best = match side {
        Side::Buy => h.top.bid,
        Side::Sell => h.top.ask,
    };
    let Some((price, _)) = best else {
        return;
    };
    // Whole lots, rounded down: never hedge more than the excess.
    let lots = floor_i64(excess * index / h.lot_usd);
    if lots <= 0 {
        return;
    }
    out.quotes.push(WantedQuote {
        key: QuoteKey {
            instrument: h.id,
            side,
            level: 0,
        },
        price,
        qty: Qty(lots),
        tick: h.tick_rule.tick_at(price),
    });
}
