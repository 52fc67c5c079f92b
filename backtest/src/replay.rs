//! Replaying an L2 event stream (the binary format's records) through the engine's book mirror
//! and the queue simulator, with a strategy that does nothing or one that keeps a bid and an ask
//! at the best and re-quotes on every event: what the replay-throughput benchmark times.
//!
//! A clear starts a snapshot: the levels that share its timestamp, and those marked as the
//! snapshot run's (Tardis's `is_snapshot` rows, at their own times), make the book; later
//! levels are deltas. Trades fill our resting orders through the queue model.

use crate::binary::{Kind, Record, Run};
use crate::queue::{QueueFill, QueueModel, Queues};
use engine::book::{L2Book, LevelAction, LevelUpdate};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayStrategy {
    /// Reads the book, sends nothing.
    Noop,
    /// One bid and one ask of `lots` at the best prices, moved whenever the best moves.
    Requote { lots: i64 },
}

/// One resting order of ours: client id and price.
type Order = Option<(u64, Price)>;

/// Our resting bid and ask, and the next client id.
struct Ours {
    bid: Order,
    ask: Order,
    next_id: u64,
}

impl Ours {
    /// Forgets the orders `fills` filled in full (no longer in `queues`).
    fn on_fills(&mut self, fills: &[QueueFill], queues: &Queues) {
        let gone = |id: u64| !queues.contains(id);
        for f in fills {
            for order in [&mut self.bid, &mut self.ask] {
                if order.is_some_and(|(id, _)| id == f.client_id) && gone(f.client_id) {
                    *order = None;
                }
            }
        }
    }

    /// Joins each side's best level with `lots` where our order is not there yet (moving it);
    /// how many orders were placed.
    fn requote(
        &mut self,
        book: &L2Book,
        queues: &mut Queues,
        instrument: InstrumentId,
        lots: i64,
    ) -> u64 {
        let mut placed = 0;
        let next_id = &mut self.next_id;
        for (side, ours) in [(Side::Buy, &mut self.bid), (Side::Sell, &mut self.ask)] {
            let best = match side {
                Side::Buy => book.best_bid(),
                Side::Sell => book.best_ask(),
            };
            let Some((price, shown)) = best else { continue };
            if ours.is_some_and(|(_, p)| p == price) {
                continue;
            }
            if let Some((id, _)) = ours.take() {
                queues.remove(id);
            }
            queues.join(*next_id, instrument, side, price, Qty(lots), shown);
            *ours = Some((*next_id, price));
            *next_id += 1;
            placed += 1;
        }
        placed
    }
}

/// What a replay did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    pub events: u64,
    pub trades: u64,
    pub fills: u64,
    pub filled_lots: i64,
    /// Orders placed (each re-quote is a cancel and a place).
    pub orders: u64,
    /// Deltas the mirror refused (none on a consistent stream).
    pub refused: u64,
}

/// A level record as the mirror's delta: a size of 0 deletes the level, a price the book does
/// not show is new, any other a change.
pub fn level_update(book: &L2Book, r: &Record) -> LevelUpdate {
    let action = if r.qty.0 == 0 {
        LevelAction::Delete
    } else if book.qty_at(r.side, r.price).0 == 0 {
        LevelAction::New
    } else {
        LevelAction::Change
    };
    LevelUpdate {
        side: r.side,
        action,
        price: r.price,
        qty: r.qty,
    }
}

/// Replays one instrument's records.
pub fn replay(records: impl Iterator<Item = Record>, strategy: ReplayStrategy) -> ReplayStats {
    let mut stats = ReplayStats::default();
    let mut book = L2Book::new();
    let mut queues = Queues::new(QueueModel::Conservative);
    let mut fills: Vec<QueueFill> = Vec::with_capacity(4);
    let mut bids: Vec<(Price, Qty)> = Vec::new();
    let mut asks: Vec<(Price, Qty)> = Vec::new();
    let mut snapshot_at: Option<Timestamp> = None;
    let mut seq = 0u64;
    let mut ours = Ours {
        bid: None,
        ask: None,
        next_id: 1,
    };
    for r in records {
        stats.events += 1;
        // A snapshot ends at the first record that is not one of its levels.
        if let Some(t) = snapshot_at {
            if r.kind != Kind::Level || (r.at != t && r.run == Run::Delta) {
                if book.apply_snapshot(seq, &bids, &asks).is_err() {
                    stats.refused += 1;
                }
                snapshot_at = None;
            }
        }
        match r.kind {
            Kind::Clear => {
                bids.clear();
                asks.clear();
                snapshot_at = Some(r.at);
                (ours.bid, ours.ask) = (None, None);
                queues = Queues::new(QueueModel::Conservative);
                continue;
            }
            Kind::Level if snapshot_at.is_some() => {
                match r.side {
                    Side::Buy => bids.push((r.price, r.qty)),
                    Side::Sell => asks.push((r.price, r.qty)),
                }
                continue;
            }
            Kind::Level => {
                if book
                    .apply_update(seq + 1, seq, &[level_update(&book, &r)])
                    .is_err()
                {
                    stats.refused += 1;
                }
                seq += 1;
            }
            Kind::Trade => {
                stats.trades += 1;
                fills.clear();
                queues.on_trade(r.instrument, r.side, r.price, r.qty, &mut fills);
                stats.fills += fills.len() as u64;
                stats.filled_lots += fills.iter().map(|f| f.qty.0).sum::<i64>();
                ours.on_fills(&fills, &queues);
            }
        }
        if let ReplayStrategy::Requote { lots } = strategy {
            stats.orders += ours.requote(&book, &mut queues, r.instrument, lots);
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::l2_stream::{L2Stream, L2StreamConfig};

    #[test]
    fn a_stream_replays_without_refusals_and_requotes_get_filled() {
        let stream = || L2Stream::new(L2StreamConfig::default(), 50_000, 3);
        let noop = replay(stream(), ReplayStrategy::Noop);
        assert_eq!(noop.refused, 0);
        assert_eq!(noop.events, stream().count() as u64);
        assert!(noop.trades > 2000);
        assert_eq!((noop.orders, noop.fills), (0, 0));
        let requote = replay(stream(), ReplayStrategy::Requote { lots: 1 });
        assert_eq!(requote.refused, 0);
        assert!(requote.orders > 100 && requote.fills > 0, "{requote:?}");
        // Never more than the orders placed could hold.
        assert!(requote.filled_lots as u64 <= requote.orders);
    }
}
