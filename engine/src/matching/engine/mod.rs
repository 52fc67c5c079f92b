//! The matching engine proper. Orders live in a slab (a `Vec` with a free list) and are linked into
//! per-price FIFO queues; each side keeps its price levels in a `Vec` sorted best-last. An order id
//! packs the slab slot with a generation, so looking an order up costs one bounds check and no hash.

mod slab;

use super::types::{
    CancelReason, MatchEvent, NewOrder, OrderId, OwnerId, PostOnly, Reject, TimeInForce,
};
use crate::tick_rule::TickRule;
use crate::units::{Price, Qty, Side};

const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    gen: u32,
    live: bool,
    owner: OwnerId,
    side: Side,
    price: Price,
    remaining: Qty,
    filled: Qty,
    post_only: PostOnly,
    prev: u32,
    next: u32,
}

#[derive(Clone, Copy, Debug)]
struct Level {
    /// Price for bids, minus price for asks: ascending keys put the best level last.
    key: i64,
    price: Price,
    qty: Qty,
    count: u32,
    head: u32,
    tail: u32,
}

#[derive(Clone, Debug)]
struct BookSide {
    side: Side,
    levels: Vec<Level>,
}

impl BookSide {
    #[inline]
    fn find(&self, p: Price) -> Result<usize, usize> {
        let key = self.side.book_key(p);
        self.levels.binary_search_by(|l| l.key.cmp(&key))
    }
    #[inline]
    fn best_price(&self) -> Option<Price> {
        self.levels.last().map(|l| l.price)
    }
}

/// A resting order as seen from outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderView {
    pub id: OrderId,
    pub owner: OwnerId,
    pub side: Side,
    pub price: Price,
    pub remaining: Qty,
    pub filled: Qty,
}

#[derive(Clone, Debug)]
pub struct MatchingEngine {
    ticks: TickRule,
    nodes: Vec<Node>,
    free: Vec<u32>,
    bids: BookSide,
    asks: BookSide,
}

impl MatchingEngine {
    pub fn new(ticks: TickRule) -> MatchingEngine {
        MatchingEngine {
            ticks,
            nodes: Vec::new(),
            free: Vec::new(),
            bids: BookSide {
                side: Side::Buy,
                levels: Vec::new(),
            },
            asks: BookSide {
                side: Side::Sell,
                levels: Vec::new(),
            },
        }
    }

    pub fn tick_rule(&self) -> &TickRule {
        &self.ticks
    }

    // ---- requests -------------------------------------------------------------------------------

    /// Submits an order; its fills, cancels and resting are appended to `events`. A refused order
    /// changes nothing and gets no id.
    pub fn submit(
        &mut self,
        order: NewOrder,
        events: &mut Vec<MatchEvent>,
    ) -> Result<OrderId, Reject> {
        if order.qty.0 <= 0 {
            return Err(Reject::NonPositiveQty(order.qty));
        }
        self.check_price(order.price)?;
        if order.tif == TimeInForce::ImmediateOrCancel && order.post_only != PostOnly::Off {
            return Err(Reject::PostOnlyImmediate);
        }
        let price = self.post_only_price(order.side, order.price, order.post_only)?;
        let slot = self.alloc(Node {
            gen: 0,
            live: true,
            owner: order.owner,
            side: order.side,
            price,
            remaining: order.qty,
            filled: Qty::ZERO,
            post_only: order.post_only,
            prev: NIL,
            next: NIL,
        });
        let id = self.id_of(slot);
        self.take_liquidity(slot, events);
        let node = &self.nodes[slot as usize];
        if node.remaining.0 > 0 {
            if order.tif == TimeInForce::ImmediateOrCancel {
                events.push(MatchEvent::Cancelled {
                    id,
                    owner: order.owner,
                    remaining: node.remaining,
                    reason: CancelReason::Unfilled,
                });
                self.release(slot);
            } else {
                self.rest(slot, events);
            }
        } else {
            self.release(slot);
        }
        Ok(id)
    }

    /// Cancels an open order of `owner`; returns the size that was still open.
    pub fn cancel(
        &mut self,
        owner: OwnerId,
        id: OrderId,
        events: &mut Vec<MatchEvent>,
    ) -> Result<Qty, Reject> {
        let slot = self.slot_of(owner, id)?;
        let remaining = self.nodes[slot as usize].remaining;
        self.unlink(slot);
        self.release(slot);
        events.push(MatchEvent::Cancelled {
            id,
            owner,
            remaining,
            reason: CancelReason::Requested,
        });
        Ok(remaining)
    }

    /// Amends an open order to `price` and a new total `amount` (filled plus open, as Deribit's
    /// `private/edit`). Same price and a smaller or equal size keeps the queue place; any other
    /// change re-enters the order at the back of its new level, where it may trade (post-only
    /// rules apply again). A refused amend leaves the order as it was.
    pub fn amend(
        &mut self,
        owner: OwnerId,
        id: OrderId,
        price: Price,
        amount: Qty,
        events: &mut Vec<MatchEvent>,
    ) -> Result<(), Reject> {
        let slot = self.slot_of(owner, id)?;
        self.check_price(price)?;
        let node = &self.nodes[slot as usize];
        if amount <= node.filled {
            return Err(Reject::AmendBelowFilled {
                amount,
                filled: node.filled,
            });
        }
        let remaining = amount - node.filled;
        if price == node.price && remaining <= node.remaining {
            let cut = node.remaining - remaining;
            let side = node.side;
            self.nodes[slot as usize].remaining = remaining;
            let book = self.side_mut(side);
            if let Ok(i) = book.find(price) {
                book.levels[i].qty -= cut;
            }
            events.push(MatchEvent::Amended {
                id,
                owner,
                price,
                qty: remaining,
                kept_priority: true,
            });
            return Ok(());
        }
        let (side, post_only) = (node.side, node.post_only);
        let price = self.post_only_price(side, price, post_only)?;
        self.unlink(slot);
        let node = &mut self.nodes[slot as usize];
        node.price = price;
        node.remaining = remaining;
        events.push(MatchEvent::Amended {
            id,
            owner,
            price,
            qty: remaining,
            kept_priority: false,
        });
        self.take_liquidity(slot, events);
        if self.nodes[slot as usize].remaining.0 > 0 {
            self.rest(slot, events);
        } else {
            self.release(slot);
        }
        Ok(())
    }

    /// At expiry: every open order leaves the book, reported as cancelled with reason `Expired`,
    /// bids first, each side in priority order.
    pub fn expire_all(&mut self, events: &mut Vec<MatchEvent>) {
        for side in [Side::Buy, Side::Sell] {
            let open: Vec<OrderView> = self.orders(side).collect();
            for v in open {
                events.push(MatchEvent::Cancelled {
                    id: v.id,
                    owner: v.owner,
                    remaining: v.remaining,
                    reason: CancelReason::Expired,
                });
                let slot = (v.id.0 & 0xffff_ffff) as u32;
                self.release(slot);
            }
            self.side_mut(side).levels.clear();
        }
    }

    // ---- queries --------------------------------------------------------------------------------

    pub fn order(&self, id: OrderId) -> Option<OrderView> {
        let slot = self.lookup(id)?;
        Some(self.view(slot))
    }

    /// Size resting ahead of order `id` at its price: what must trade or cancel before it fills.
    pub fn queue_ahead(&self, id: OrderId) -> Option<Qty> {
        let slot = self.lookup(id)?;
        let mut ahead = Qty::ZERO;
        let mut cur = self.nodes[slot as usize].prev;
        while cur != NIL {
            ahead += self.nodes[cur as usize].remaining;
            cur = self.nodes[cur as usize].prev;
        }
        Some(ahead)
    }

    #[inline]
    pub fn best_bid(&self) -> Option<(Price, Qty)> {
        self.bids.levels.last().map(|l| (l.price, l.qty))
    }
    #[inline]
    pub fn best_ask(&self) -> Option<(Price, Qty)> {
        self.asks.levels.last().map(|l| (l.price, l.qty))
    }

    /// Price levels of one side, best first: (price, total size, order count).
    pub fn levels(&self, side: Side) -> impl Iterator<Item = (Price, Qty, u32)> + '_ {
        self.side(side)
            .levels
            .iter()
            .rev()
            .map(|l| (l.price, l.qty, l.count))
    }

    /// Every resting order of one side in priority order (best price, then time).
    pub fn orders(&self, side: Side) -> impl Iterator<Item = OrderView> + '_ {
        self.side(side).levels.iter().rev().flat_map(move |l| {
            let mut cur = l.head;
            std::iter::from_fn(move || {
                (cur != NIL).then(|| {
                    let v = self.view(cur);
                    cur = self.nodes[cur as usize].next;
                    v
                })
            })
        })
    }

    pub fn open_orders(&self) -> usize {
        self.nodes.len() - self.free.len()
    }

    // ---- internals ------------------------------------------------------------------------------

    fn check_price(&self, price: Price) -> Result<(), Reject> {
        if price.0 <= 0 {
            return Err(Reject::NonPositivePrice(price));
        }
        if !self.ticks.is_on_tick(price) {
            return Err(Reject::OffTick(price));
        }
        Ok(())
    }

    /// The price a post-only order may rest at, or the refusal.
    #[inline]
    fn post_only_price(&self, side: Side, price: Price, mode: PostOnly) -> Result<Price, Reject> {
        if mode == PostOnly::Off {
            return Ok(price);
        }
        let Some(opposite) = self.side(side.opposite()).best_price() else {
            return Ok(price);
        };
        if !side.crosses(price, opposite) {
            return Ok(price);
        }
        if mode == PostOnly::Reject {
            return Err(Reject::PostOnlyWouldCross { price, opposite });
        }
        let slid = match side {
            Side::Buy => self.ticks.next_down(opposite),
            Side::Sell => self.ticks.next_up(opposite),
        };
        if slid.0 <= 0 {
            return Err(Reject::NonPositivePrice(slid));
        }
        Ok(slid)
    }

    #[inline]
    fn side(&self, side: Side) -> &BookSide {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }
    #[inline]
    fn side_mut(&mut self, side: Side) -> &mut BookSide {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }
}
