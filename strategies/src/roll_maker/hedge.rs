//! The delta hedge on the perpetual.

use super::levels::floor_i64;
use crate::config::{HedgeStyle, RollMakerConfig};
use engine::quotes::{WantedQuote, WantedTake};
use engine::state::State;
use engine::strategy::{PullReason, Pulled, Wanted};
use engine::units::{Qty, Side};
use engine::Timestamp;

/// The delta hedge: when the maker's USD delta (its cash, the options' `options_usd_delta` and
/// the perpetual's) is beyond `hedge.max_delta`, an order on the hedge instrument for the excess
/// (never the whole delta: the band is the point). `taker`: crossing at the opposite best,
/// immediate-or-cancel; `passive`: resting at the passive best (the bid to buy, the ask to sell),
/// never crossing. A stale or empty book pulls it.
pub(super) fn hedge(
    config: &RollMakerConfig,
    state: &State,
    index: f64,
    options_usd_delta: f64,
    out: &mut Wanted,
) {
    let Some(h) = &state.hedge else {
        return;
    };
    // ETH cash is delta to a maker counting in USD; an inverse perpetual of N USD is N/S more
    // (its unrealized PnL is in the cash: `State::cash_eth`).
    let delta = state.cash_eth + options_usd_delta + h.position.0 as f64 * h.lot_usd / index;
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
    let taker = config.hedge.style == HedgeStyle::Taker;
    let best = match (side, taker) {
        (Side::Buy, false) | (Side::Sell, true) => h.top.bid,
        (Side::Sell, false) | (Side::Buy, true) => h.top.ask,
    };
    let Some((price, _)) = best else {
        return;
    };
    // Whole lots, rounded down: never hedge more than the excess.
    let lots = floor_i64(excess * index / h.lot_usd);
    if lots <= 0 {
        return;
    }
    if taker {
        return out.takes.push(WantedTake {
            instrument: h.id,
            side,
            price,
            qty: Qty(lots),
        });
    }
    out.quotes.push(WantedQuote::new(
        h.id,
        (side, 0),
        price,
        Qty(lots),
        &h.tick_rule,
    ));
}
