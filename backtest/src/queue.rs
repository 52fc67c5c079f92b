//! Where our resting orders stand in the venue's queues, and what trades fill them.
//!
//! An order joins behind the quantity displayed at its price. It moves up when trades at its
//! price consume what is ahead, and, depending on the model, when displayed quantity at its price
//! is cancelled: `Conservative` assumes every cancel came from behind it (it never moves up on a
//! cancel); `Probabilistic` moves it up by the cancelled quantity times the share of the level
//! ahead of it (the expected position when cancels are spread evenly over the queue, as in the
//! queue-position literature). A trade through its price fills it. Each unit of a trade fills at
//! most one order: a trade is handed to our orders best price first, then oldest first, and what
//! one takes the next cannot.

use engine::{InstrumentId, Price, Qty, Side};
use rustc_hash::FxHashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueModel {
    Conservative,
    Probabilistic,
}

/// One resting order of ours as the simulator sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Resting {
    pub client_id: u64,
    pub instrument: InstrumentId,
    pub side: Side,
    pub price: Price,
    pub remaining: Qty,
    /// Displayed quantity (others') ahead of it at its price.
    pub ahead: i64,
    /// When it joined, counted over all instruments (a re-join is a new arrival).
    pub arrival: u64,
}

/// A fill of one of our orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueFill {
    pub client_id: u64,
    pub price: Price,
    pub qty: Qty,
}

/// Our resting orders, across instruments: kept by instrument, since every market event is
/// about one (a scan of all our orders at each was most of the replay's matching).
#[derive(Clone, Debug)]
pub struct Queues {
    model: QueueModel,
    /// Our orders on each instrument (by its id), in arrival order: the time priority among
    /// ours.
    on: Vec<Vec<Resting>>,
    /// Each resting order's instrument.
    instrument_of: FxHashMap<u64, InstrumentId>,
    arrivals: u64,
}

impl Queues {
    pub fn new(model: QueueModel) -> Queues {
        Queues {
            model,
            on: Vec::new(),
            instrument_of: FxHashMap::default(),
            arrivals: 0,
        }
    }

    /// All our resting orders, in arrival order.
    pub fn orders(&self) -> Vec<&Resting> {
        let mut all: Vec<&Resting> = self.on.iter().flatten().collect();
        all.sort_by_key(|o| o.arrival);
        all
    }

    /// Our resting orders on `instrument`, in arrival order.
    pub fn on(&self, instrument: InstrumentId) -> &[Resting] {
        self.on
            .get(instrument.0 as usize)
            .map_or(&[], Vec::as_slice)
    }

    pub fn contains(&self, client_id: u64) -> bool {
        self.instrument_of.contains_key(&client_id)
    }

    fn on_mut(&mut self, instrument: InstrumentId) -> &mut Vec<Resting> {
        let i = instrument.0 as usize;
        if self.on.len() <= i {
            self.on.resize_with(i + 1, Vec::new);
        }
        &mut self.on[i]
    }

    /// A new order joins behind `displayed` (others' quantity at its price now). Orders are kept
    /// in arrival order, which is the time priority among ours.
    pub fn join(
        &mut self,
        client_id: u64,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        qty: Qty,
        displayed: Qty,
    ) {
        self.arrivals += 1;
        let arrival = self.arrivals;
        self.instrument_of.insert(client_id, instrument);
        self.on_mut(instrument).push(Resting {
            client_id,
            instrument,
            side,
            price,
            remaining: qty,
            ahead: displayed.0.max(0),
            arrival,
        });
    }

    /// Removes an order (cancelled, or amended: an amend re-joins as a new arrival, except a pure
    /// size cut, which the caller applies with [`Queues::reduce`]).
    pub fn remove(&mut self, client_id: u64) -> Option<Resting> {
        let instrument = self.instrument_of.remove(&client_id)?;
        let orders = self.on_mut(instrument);
        let i = orders.iter().position(|o| o.client_id == client_id)?;
        Some(orders.remove(i))
    }

    fn find_mut(&mut self, client_id: u64) -> Option<&mut Resting> {
        let instrument = *self.instrument_of.get(&client_id)?;
        (self.on_mut(instrument).iter_mut()).find(|o| o.client_id == client_id)
    }

    /// A size cut keeps the place in the queue (Deribit's rule); cut to nothing, the order
    /// goes.
    pub fn reduce(&mut self, client_id: u64, remaining: Qty) {
        if let Some(o) = self.find_mut(client_id) {
            o.remaining = remaining.min(o.remaining);
            if o.remaining.0 <= 0 {
                self.remove(client_id);
            }
        }
    }

    /// An amend to `price` with `remaining` left to fill: a size cut at the same price keeps its
    /// place ([`Queues::reduce`]); a new price or a larger size joins the level's queue behind
    /// `displayed` (others' quantity there now), as on Deribit. False when the order is not
    /// resting (it filled or went).
    pub fn amend(
        &mut self,
        client_id: u64,
        price: Price,
        remaining: Qty,
        displayed: impl FnOnce(InstrumentId, Side) -> Qty,
    ) -> bool {
        let Some(o) = self.find_mut(client_id) else {
            return false;
        };
        if o.price == price && remaining <= o.remaining {
            self.reduce(client_id, remaining);
            return true;
        }
        let (instrument, side) = (o.instrument, o.side);
        self.remove(client_id);
        let ahead = displayed(instrument, side);
        self.join(client_id, instrument, side, price, remaining, ahead);
        true
    }

    /// Displayed quantity at a price fell from `before` to `after` with no trade to explain it:
    /// others cancelled. How far that moves our orders there depends on the model.
    pub fn on_cancel(
        &mut self,
        instrument: InstrumentId,
        side: Side,
        price: Price,
        before: Qty,
        after: Qty,
    ) {
        let cancelled = before.0 - after.0;
        if cancelled <= 0 || self.model == QueueModel::Conservative {
            return;
        }
        for o in (self.on_mut(instrument).iter_mut()).filter(|o| o.side == side && o.price == price)
        {
            // Expected cancelled quantity ahead, with cancels spread evenly over the level.
            let share = o.ahead as f64 / before.0.max(1) as f64;
            o.ahead = (o.ahead - (cancelled as f64 * share).round() as i64).max(0);
        }
    }

    /// The venue's best on the `aggressor`'s side of the book moved to `price`, reaching our
    /// orders on the other side (an ask at or below a best bid...): every one it reaches fills
    /// in full at its own price. The data shows no quantity, so none is consumed ahead.
    pub fn on_crossed(
        &mut self,
        instrument: InstrumentId,
        aggressor: Side,
        price: Price,
        fills: &mut Vec<QueueFill>,
    ) {
        let ours = aggressor.opposite();
        let before = fills.len();
        let Some(orders) = self.on.get_mut(instrument.0 as usize) else {
            return;
        };
        for o in orders
            .iter_mut()
            .filter(|o| o.side == ours && ours.crosses(o.price, price))
        {
            fills.push(QueueFill {
                client_id: o.client_id,
                price: o.price,
                qty: o.remaining,
            });
            o.remaining = Qty(0);
        }
        if fills.len() > before {
            self.drop_filled(instrument);
        }
    }

    /// The instrument's orders with nothing left to fill, gone.
    fn drop_filled(&mut self, instrument: InstrumentId) {
        let Some(orders) = self.on.get_mut(instrument.0 as usize) else {
            return;
        };
        for o in orders.iter().filter(|o| o.remaining.0 <= 0) {
            self.instrument_of.remove(&o.client_id);
        }
        orders.retain(|o| o.remaining.0 > 0);
    }

    /// A trade on `instrument`: `aggressor` took `qty` at `price`. Returns our fills; each unit
    /// of the trade fills at most one order.
    pub fn on_trade(
        &mut self,
        instrument: InstrumentId,
        aggressor: Side,
        price: Price,
        qty: Qty,
        fills: &mut Vec<QueueFill>,
    ) {
        let ours = aggressor.opposite();
        let Some(orders) = self.on.get_mut(instrument.0 as usize) else {
            return;
        };
        // Our orders the trade reaches: at its price or better for the aggressor (a sell
        // aggressor reaches bids at or above its price), best first, then oldest.
        let mut idx: Vec<usize> = (0..orders.len())
            .filter(|&i| orders[i].side == ours && ours.crosses(orders[i].price, price))
            .collect();
        if idx.is_empty() {
            return;
        }
        idx.sort_by(|&a, &b| {
            let (pa, pb) = (orders[a].price, orders[b].price);
            if pa == pb {
                a.cmp(&b)
            } else if ours.better(pa, pb) {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            }
        });
        let mut left = qty.0;
        for i in idx {
            if left <= 0 {
                break;
            }
            let o = &mut orders[i];
            if o.price == price {
                // At the trade's price: what is displayed ahead goes first.
                let used = left.min(o.ahead);
                o.ahead -= used;
                left -= used;
            }
            let take = left.min(o.remaining.0);
            if take > 0 {
                o.remaining.0 -= take;
                left -= take;
                fills.push(QueueFill {
                    client_id: o.client_id,
                    price: o.price,
                    qty: Qty(take),
                });
            }
        }
        self.drop_filled(instrument);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I: InstrumentId = InstrumentId(0);

    fn fills(q: &mut Queues, aggressor: Side, price: i64, qty: i64) -> Vec<QueueFill> {
        let mut f = Vec::new();
        q.on_trade(I, aggressor, Price(price), Qty(qty), &mut f);
        f
    }

    #[test]
    fn waits_behind_the_displayed_quantity_then_fills() {
        let mut q = Queues::new(QueueModel::Conservative);
        q.join(1, I, Side::Buy, Price(100), Qty(5), Qty(8));
        // 6 sold at 100: all of it goes to those ahead.
        assert!(fills(&mut q, Side::Sell, 100, 6).is_empty());
        assert_eq!(q.orders()[0].ahead, 2);
        // 4 more: 2 ahead, then 2 to us.
        let f = fills(&mut q, Side::Sell, 100, 4);
        assert_eq!(
            f,
            vec![QueueFill {
                client_id: 1,
                price: Price(100),
                qty: Qty(2)
            }]
        );
        // A trade below our bid went through it: filled, no queue to wait for.
        let f = fills(&mut q, Side::Sell, 95, 10);
        assert_eq!(f[0].qty, Qty(3));
        assert!(q.orders().is_empty());
        // A buy aggressor never fills our bid.
        q.join(2, I, Side::Buy, Price(100), Qty(5), Qty(0));
        assert!(fills(&mut q, Side::Buy, 100, 10).is_empty());
    }

    #[test]
    fn a_unit_of_a_trade_fills_one_order_best_price_then_oldest() {
        let mut q = Queues::new(QueueModel::Conservative);
        q.join(1, I, Side::Sell, Price(101), Qty(3), Qty(0));
        q.join(2, I, Side::Sell, Price(100), Qty(3), Qty(0));
        q.join(3, I, Side::Sell, Price(100), Qty(3), Qty(0));
        let f = fills(&mut q, Side::Buy, 101, 7);
        let total: i64 = f.iter().map(|x| x.qty.0).sum();
        assert_eq!(total, 7);
        assert_eq!(
            f.iter().map(|x| x.client_id).collect::<Vec<_>>(),
            vec![2, 3, 1]
        );
        assert_eq!(f[2].qty, Qty(1));
    }

    #[test]
    fn cancels_move_the_probabilistic_queue_only() {
        for (model, ahead) in [
            (QueueModel::Conservative, 8),
            (QueueModel::Probabilistic, 4),
        ] {
            let mut q = Queues::new(model);
            q.join(1, I, Side::Buy, Price(100), Qty(5), Qty(8));
            // 8 displayed ahead of us, of a level of 8: half of it cancelled.
            q.on_cancel(I, Side::Buy, Price(100), Qty(8), Qty(4));
            assert_eq!(q.orders()[0].ahead, ahead, "{model:?}");
        }
    }

    #[test]
    fn a_crossing_best_fills_what_it_reaches_in_full() {
        let mut q = Queues::new(QueueModel::Conservative);
        q.join(1, I, Side::Sell, Price(100), Qty(5), Qty(50));
        q.join(2, I, Side::Sell, Price(110), Qty(5), Qty(0));
        let mut f = Vec::new();
        // The best bid moved up to 105: the 100 ask is reached, the 110 one is not.
        q.on_crossed(I, Side::Buy, Price(105), &mut f);
        assert_eq!(
            f,
            vec![QueueFill {
                client_id: 1,
                price: Price(100),
                qty: Qty(5)
            }]
        );
        assert_eq!(q.orders().len(), 1);
    }

    #[test]
    fn a_size_cut_keeps_the_place() {
        let mut q = Queues::new(QueueModel::Conservative);
        q.join(1, I, Side::Buy, Price(100), Qty(5), Qty(8));
        q.reduce(1, Qty(2));
        assert_eq!((q.orders()[0].remaining, q.orders()[0].ahead), (Qty(2), 8));
        assert!(q.remove(1).is_some() && q.orders().is_empty());
    }
}
