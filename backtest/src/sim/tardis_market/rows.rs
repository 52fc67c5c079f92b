//! What each Tardis row does to the market: a chain quote updates the listing and the index, a
//! snapshot or level row the books (cancels inferred where a level falls by more than the step's
//! trades took), a trade is printed; and the chain is rebuilt when due.

use super::super::market::{LevelCancel, Market, MarketTrade};
use super::TardisMarket;
use crate::chain::{ChainRow, Snapshot};
use crate::synthetic::path::IndexPoint;
use crate::tardis::{ChainQuote, Origin};
use engine::instrument::{Expiry, InstrumentKind};
use engine::pricing::OptionType;
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// What the step's trades took at each (instrument, resting side, price).
pub(super) type Traded = FxHashMap<(InstrumentId, Side, Price), i64>;

impl TardisMarket {
    pub(super) fn on_quote(&mut self, at: Timestamp, id: InstrumentId, q: &ChainQuote) {
        if q.expiration <= at {
            return;
        }
        // The nearest expiry's underlying is the index.
        if q.underlying_price > 0.0 && self.index.is_none_or(|(e, _)| q.expiration <= e) {
            self.index = Some((q.expiration, q.underlying_price));
        }
        self.quotes.insert(id, q.clone());
        self.changed = true;
        self.first_quote.get_or_insert(at);
    }

    /// A `book_snapshot_25` row: the book replaced by its levels.
    pub(super) fn on_snapshot(
        &mut self,
        origin: &Origin,
        id: InstrumentId,
        bids: &[(Price, Qty)],
        asks: &[(Price, Qty)],
    ) {
        if let Err(e) = self.book(id).snapshot(bids, asks) {
            let name = self.instruments().get(id).name();
            self.skip(origin, format!("{name}: {e}"));
        }
    }

    /// An `incremental_book_L2` row: one level's new size (a reset clears the book first).
    pub(super) fn on_level(
        &mut self,
        origin: &Origin,
        id: InstrumentId,
        reset: bool,
        side: Side,
        (p, q): (Price, Qty),
    ) {
        // Most steps have no trade: no key hashed for an empty map.
        let took = match self.traded.is_empty() {
            true => 0,
            false => self.traded.remove(&(id, side, p)).unwrap_or(0),
        };
        let book = self.book(id);
        // The first row of a snapshot run: the book starts again from nothing.
        let cleared = if reset {
            book.snapshot(&[], &[])
        } else {
            Ok(())
        };
        let shows = match cleared.and_then(|_| book.set(side, p, q)) {
            Ok(shows) => shows,
            Err(e) => {
                let name = self.instruments().get(id).name();
                return self.skip(origin, format!("{name}: {e}"));
            }
        };
        let before = shows.0 - took;
        if !reset && q.0 < before {
            self.cancels.push(LevelCancel {
                instrument: id,
                side,
                price: p,
                before: Qty(before),
                after: q,
            });
        }
    }

    /// A `trades` row: printed for the step, and remembered at the level it took from.
    pub(super) fn on_trade(&mut self, id: InstrumentId, side: Side, (price, qty): (Price, Qty)) {
        *self.traded.entry((id, side.opposite(), price)).or_default() += qty.0;
        self.trades.push(MarketTrade {
            instrument: id,
            aggressor: side,
            price,
            qty,
        });
    }

    /// Rebuilds the chain when quotes changed and it is due, or a listed series expired; moves
    /// the index to the next expiry once the nearest has gone.
    pub(super) fn rebuild(&mut self, at: Timestamp) {
        let since = |t: Option<Timestamp>| t.map_or(0.0, |t| (at.0 - t.0) as f64 / 1e9);
        // Only asked when quotes changed (a division at every step otherwise).
        let due = || match self.rebuilt {
            Some(r) => since(Some(r)) >= self.rebuild_seconds,
            None => self.first_quote.is_some() && since(self.first_quote) >= self.rebuild_seconds,
        };
        let expired = self.next_expiry.is_some_and(|e| e <= at);
        if (self.changed && due()) || expired {
            self.quotes.retain(|q| q.expiration > at);
            let (snapshot, ids) = self.snapshot(at);
            if !snapshot.rows.is_empty() {
                self.chain.advance_known(snapshot, &ids);
                self.rebuilt = Some(at);
                self.changed = false;
                self.next_expiry = self.chain.series().iter().map(|s| s.settles).min();
                // Books of options that have settled are not needed again.
                let instruments = self.chain.instruments();
                self.books.retain(|id, _| match instruments.get(id).kind() {
                    InstrumentKind::Option { expiry, .. } => expiry.settlement_time() > at,
                    _ => false,
                });
            }
        }
        if self.index.is_some_and(|(e, _)| e <= at) {
            self.index = self.nearest_index(at);
        }
        if self.rebuilt.is_some() {
            if let Some((_, price)) = self.index {
                self.point = Some(IndexPoint {
                    at,
                    price,
                    vol: 0.0,
                });
            }
        }
    }

    /// The chain of the latest quotes as a snapshot at `now`, and each row's option: live
    /// options only, every row with the nearest expiry's underlying as the index.
    fn snapshot(&mut self, now: Timestamp) -> (Snapshot, Vec<InstrumentId>) {
        let index = self.index.map_or(f64::NAN, |(_, price)| price);
        let codes = &mut self.expiry_codes;
        let mut ids = Vec::new();
        let rows = self
            .quotes
            .iter()
            .filter(|(_, q)| q.expiration > now)
            .filter_map(|(id, q)| {
                let InstrumentKind::Option { expiry, right, .. } =
                    self.chain.instruments().get(id).kind()
                else {
                    return None;
                };
                ids.push(id);
                Some(ChainRow {
                    instrument: q.symbol.clone(),
                    expiry: expiry_code(codes, *expiry),
                    kind: OptionType::from(*right),
                    strike: q.strike,
                    underlying: q.underlying_price,
                    t: now.years_until(q.expiration),
                    bid: q.bid.map(|b| b.0),
                    ask: q.ask.map(|a| a.0),
                    mark: q.mark,
                    mark_iv: q.mark_iv,
                    index,
                })
            })
            .collect();
        let snapshot = Snapshot {
            timestamp: now,
            rows,
        };
        (snapshot, ids)
    }

    /// The nearest live expiry quoted and its underlying price.
    fn nearest_index(&self, now: Timestamp) -> Option<(Timestamp, f64)> {
        self.quotes
            .iter()
            .map(|(_, q)| q)
            .filter(|q| q.expiration > now && q.underlying_price > 0.0)
            .min_by_key(|q| q.expiration)
            .map(|q| (q.expiration, q.underlying_price))
    }
}

/// `expiry`'s code (`27MAR26`), from `codes` or written there the first time.
fn expiry_code(codes: &mut Vec<(Expiry, Arc<str>)>, expiry: Expiry) -> Arc<str> {
    if let Some((_, code)) = codes.iter().find(|(e, _)| *e == expiry) {
        return code.clone();
    }
    let code: Arc<str> = expiry.to_string().into();
    codes.push((expiry, code.clone()));
    code
}
