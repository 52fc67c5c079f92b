//! Replaying an L2 event stream (the binary format's records) through the engine's book mirror
//! and the queue simulator, with a strategy that does nothing or one that keeps a bid and an ask
//! at the best and re-quotes on every event: what the replay-throughput benchmark times.
//!
//! A clear starts a snapshot: the levels that share its timestamp, and those marked as the
//! snapshot run's (Tardis's `is_snapshot` rows, at their own times), make the book; later
//! levels are deltas. Trades fill our resting orders through the queue model.
//!
//! With an order latency ([`replay_with_latency`]) each place and cancel reaches the venue that
//! long after the event that decided it: an order joins the queue behind what its level shows
//! when it arrives, and cannot fill before. The strategy's own view is optimistic: it counts an
//! order sent as resting (it learns of fills at once).

use crate::binary::{Kind, Record, Run};
use crate::events::latency::LatencyModel;
use crate::events::timeline::Timeline;
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

/// One of our requests, as the venue applies it when it arrives.
#[derive(Clone, Copy)]
enum Request {
    Join {
        id: u64,
        side: Side,
        price: Price,
        lots: i64,
    },
    Remove {
        id: u64,
    },
}

/// Where our requests go: into the queues at once, or an order latency later.
struct Venue<'a> {
    queues: Queues,
    latency: Option<&'a mut dyn LatencyModel>,
    in_flight: Timeline<Request>,
    instrument: InstrumentId,
}

impl Venue<'_> {
    /// `request`, decided at `now` with `shown` displayed at its price (a join without latency
    /// queues behind that).
    fn send(&mut self, now: Timestamp, request: Request, shown: Qty) {
        match self.latency.as_mut() {
            Some(l) => {
                let at = Timestamp(now.0 + l.delay_nanos());
                self.in_flight.push(at, request);
            }
            None => self.apply(request, shown),
        }
    }

    fn apply(&mut self, request: Request, shown: Qty) {
        match request {
            Request::Join {
                id,
                side,
                price,
                lots,
            } => (self.queues).join(id, self.instrument, side, price, Qty(lots), shown),
            Request::Remove { id } => {
                self.queues.remove(id);
            }
        }
    }

    /// The requests that have arrived by `now`, each behind what `book` shows at its price.
    fn arrive(&mut self, now: Timestamp, book: &L2Book) {
        while let Some((_, request)) = self.in_flight.pop_due(now) {
            let shown = match request {
                Request::Join { side, price, .. } => book.qty_at(side, price),
                Request::Remove { .. } => Qty(0),
            };
            self.apply(request, shown);
        }
    }
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
    fn requote(&mut self, now: Timestamp, book: &L2Book, venue: &mut Venue, lots: i64) -> u64 {
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
                venue.send(now, Request::Remove { id }, Qty(0));
            }
            let join = Request::Join {
                id: *next_id,
                side,
                price,
                lots,
            };
            venue.send(now, join, shown);
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

/// Replays one instrument's records; our requests reach the queues at once.
pub fn replay(records: impl Iterator<Item = Record>, strategy: ReplayStrategy) -> ReplayStats {
    replay_on(records, strategy, None)
}

/// Replays one instrument's records, each of our requests reaching the venue an
/// `order_latency` after the event that decided it.
pub fn replay_with_latency(
    records: impl Iterator<Item = Record>,
    strategy: ReplayStrategy,
    order_latency: &mut dyn LatencyModel,
) -> ReplayStats {
    replay_on(records, strategy, Some(order_latency))
}

fn replay_on(
    records: impl Iterator<Item = Record>,
    strategy: ReplayStrategy,
    latency: Option<&mut dyn LatencyModel>,
) -> ReplayStats {
    let mut stats = ReplayStats::default();
    let mut book = L2Book::new();
    let mut venue = Venue {
        queues: Queues::new(QueueModel::Conservative),
        latency,
        in_flight: Timeline::new(),
        instrument: InstrumentId(0),
    };
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
        venue.instrument = r.instrument;
        // Our requests that have reached the venue go before the event.
        venue.arrive(r.at, &book);
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
                venue.queues = Queues::new(QueueModel::Conservative);
                venue.in_flight = Timeline::new();
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
                (venue.queues).on_trade(r.instrument, r.side, r.price, r.qty, &mut fills);
                stats.fills += fills.len() as u64;
                stats.filled_lots += fills.iter().map(|f| f.qty.0).sum::<i64>();
                ours.on_fills(&fills, &venue.queues);
            }
        }
        if let ReplayStrategy::Requote { lots } = strategy {
            stats.orders += ours.requote(r.at, &book, &mut venue, lots);
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
        // Through the latency's timeline with no delay: the same run (a request arrives before
        // the next event, behind what the book shows then, as when applied at once).
        let mut zero = crate::events::latency::Constant { nanos: 0 };
        let now = replay_with_latency(stream(), ReplayStrategy::Requote { lots: 1 }, &mut zero);
        assert_eq!(now, requote);
        // With 1 us: other fills (orders in flight miss trades, and join behind what shows when
        // they arrive), none refused, never more than the orders placed could hold.
        let mut one_us = crate::events::latency::Constant { nanos: 1_000 };
        let late = replay_with_latency(stream(), ReplayStrategy::Requote { lots: 1 }, &mut one_us);
        assert_eq!((late.refused, late.events), (0, requote.events));
        assert!(late.fills > 0 && late != requote, "{late:?} {requote:?}");
        assert!(late.filled_lots as u64 <= late.orders);
    }

    /// An order sent just before a trade through its price reaches the venue after it: no fill.
    /// Sent early enough, it fills.
    #[test]
    fn an_order_in_flight_cannot_fill() {
        let rec = |at: i64, kind, side, price: i64, qty: i64| Record {
            at: Timestamp(at),
            instrument: InstrumentId(0),
            kind,
            side,
            price: Price(price),
            qty: Qty(qty),
            run: Run::Delta,
        };
        // A book of 100 / 101 (nothing displayed at our bid once it moves), then a sell through.
        let stream = |gap: i64| {
            vec![
                rec(0, Kind::Clear, Side::Buy, 0, 0),
                rec(0, Kind::Level, Side::Buy, 100, 1),
                rec(0, Kind::Level, Side::Sell, 101, 1),
                rec(10, Kind::Level, Side::Buy, 100, 0),
                rec(10, Kind::Level, Side::Buy, 99, 5),
                rec(10 + gap, Kind::Trade, Side::Sell, 99, 10),
            ]
        };
        let mut latency = crate::events::latency::Constant { nanos: 1_000 };
        let strategy = ReplayStrategy::Requote { lots: 1 };
        let soon = replay_with_latency(stream(500).into_iter(), strategy, &mut latency);
        assert_eq!(soon.fills, 0, "{soon:?}");
        let later = replay_with_latency(stream(5_000).into_iter(), strategy, &mut latency);
        assert_eq!(later.fills, 1, "{later:?}");
    }
}
