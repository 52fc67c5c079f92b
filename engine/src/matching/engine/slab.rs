//! The engine's storage and queue operations: the order slab and its free list, linking an
//! order into its price level's FIFO (resting), unlinking it, and taking liquidity from the
//! opposite side.

use super::{Level, MatchingEngine, Node, OrderView, NIL};
use crate::matching::types::{CancelReason, MatchEvent, OrderId, OwnerId, Reject};
use crate::units::{Qty, Side};

impl MatchingEngine {
    #[inline]
    pub(super) fn alloc(&mut self, mut node: Node) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                node.gen = self.nodes[slot as usize].gen;
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Frees a slot that is not linked into any level; its id stops resolving.
    #[inline]
    pub(super) fn release(&mut self, slot: u32) {
        let n = &mut self.nodes[slot as usize];
        n.live = false;
        n.gen = n.gen.wrapping_add(1);
        self.free.push(slot);
    }

    #[inline]
    pub(super) fn id_of(&self, slot: u32) -> OrderId {
        OrderId(((self.nodes[slot as usize].gen as u64) << 32) | slot as u64)
    }

    #[inline]
    pub(super) fn lookup(&self, id: OrderId) -> Option<u32> {
        let slot = (id.0 & 0xffff_ffff) as u32;
        let n = self.nodes.get(slot as usize)?;
        (n.live && n.gen as u64 == id.0 >> 32).then_some(slot)
    }

    pub(super) fn slot_of(&self, owner: OwnerId, id: OrderId) -> Result<u32, Reject> {
        match self.lookup(id) {
            Some(slot) if self.nodes[slot as usize].owner == owner => Ok(slot),
            _ => Err(Reject::UnknownOrder(id)),
        }
    }

    pub(super) fn view(&self, slot: u32) -> OrderView {
        let n = &self.nodes[slot as usize];
        OrderView {
            id: self.id_of(slot),
            owner: n.owner,
            side: n.side,
            price: n.price,
            remaining: n.remaining,
            filled: n.filled,
        }
    }

    /// Appends the order at `slot` to the back of its price level.
    #[inline]
    pub(super) fn rest(&mut self, slot: u32, events: &mut Vec<MatchEvent>) {
        let (side, price, qty, owner) = {
            let n = &self.nodes[slot as usize];
            (n.side, n.price, n.remaining, n.owner)
        };
        let book = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let i = match book.find(price) {
            Ok(i) => i,
            Err(i) => {
                let key = book.side.book_key(price);
                book.levels.insert(
                    i,
                    Level {
                        key,
                        price,
                        qty: Qty::ZERO,
                        count: 0,
                        head: NIL,
                        tail: NIL,
                    },
                );
                i
            }
        };
        let level = &mut book.levels[i];
        let tail = level.tail;
        level.qty += qty;
        level.count += 1;
        level.tail = slot;
        if tail == NIL {
            level.head = slot;
        } else {
            self.nodes[tail as usize].next = slot;
        }
        let n = &mut self.nodes[slot as usize];
        n.prev = tail;
        n.next = NIL;
        events.push(MatchEvent::Rested {
            id: self.id_of(slot),
            owner,
            side,
            price,
            qty,
        });
    }

    /// Takes a resting order out of its level (the slot stays allocated).
    pub(super) fn unlink(&mut self, slot: u32) {
        let (side, price, qty, prev, next) = {
            let n = &self.nodes[slot as usize];
            (n.side, n.price, n.remaining, n.prev, n.next)
        };
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
        let book = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let i = book
            .find(price)
            .expect("a resting order's level exists while the order rests");
        let level = &mut book.levels[i];
        if prev == NIL {
            level.head = next;
        }
        if next == NIL {
            level.tail = prev;
        }
        level.qty -= qty;
        level.count -= 1;
        if level.count == 0 {
            book.levels.remove(i);
        }
    }

    /// Trades the order at `slot` (not resting) against the opposite side while it crosses.
    /// Orders of the same owner met on the way are cancelled, not traded.
    pub(super) fn take_liquidity(&mut self, slot: u32, events: &mut Vec<MatchEvent>) {
        let taker_id = self.id_of(slot);
        let (side, limit, owner) = {
            let n = &self.nodes[slot as usize];
            (n.side, n.price, n.owner)
        };
        let mut left = self.nodes[slot as usize].remaining;
        let mut traded = Qty::ZERO;
        let (nodes, free, book) = match side {
            Side::Buy => (&mut self.nodes, &mut self.free, &mut self.asks),
            Side::Sell => (&mut self.nodes, &mut self.free, &mut self.bids),
        };
        while left.0 > 0 {
            let Some(level) = book.levels.last_mut() else {
                break;
            };
            if !side.crosses(limit, level.price) {
                break;
            }
            // Every maker visited is used up (or cancelled) except possibly the last, so the
            // queue is always consumed from its head.
            while left.0 > 0 && level.head != NIL {
                let m = level.head as usize;
                let maker = &mut nodes[m];
                let maker_id = OrderId(((maker.gen as u64) << 32) | m as u64);
                let done = if maker.owner == owner {
                    level.qty -= maker.remaining;
                    events.push(MatchEvent::Cancelled {
                        id: maker_id,
                        owner,
                        remaining: maker.remaining,
                        reason: CancelReason::SelfTrade,
                    });
                    true
                } else {
                    let q = left.min(maker.remaining);
                    maker.remaining -= q;
                    maker.filled += q;
                    level.qty -= q;
                    left -= q;
                    traded += q;
                    events.push(MatchEvent::Fill {
                        maker: maker_id,
                        maker_owner: maker.owner,
                        taker: taker_id,
                        taker_owner: owner,
                        taker_side: side,
                        price: level.price,
                        qty: q,
                        maker_remaining: maker.remaining,
                        taker_remaining: left,
                    });
                    maker.remaining.0 == 0
                };
                if done {
                    let next = maker.next;
                    maker.live = false;
                    maker.gen = maker.gen.wrapping_add(1);
                    free.push(m as u32);
                    level.head = next;
                    level.count -= 1;
                    if next == NIL {
                        level.tail = NIL;
                    } else {
                        nodes[next as usize].prev = NIL;
                    }
                }
            }
            if level.count == 0 {
                book.levels.pop();
            }
        }
        let n = &mut self.nodes[slot as usize];
        n.remaining = left;
        n.filled += traded;
    }
}
