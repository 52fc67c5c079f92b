//! The matching engine against a deliberately naive reference model on random operation sequences:
//! identical events and identical books after every step, plus the invariants (never crossed at
//! rest, quantity conserved, order state machines and positions agree with the fills).

use engine::instrument::Instrument;
use engine::matching::{
    CancelReason, MatchEvent, MatchingEngine, NewOrder, OrderId, OwnerId, PostOnly, Reject,
    TimeInForce,
};
use engine::order::{Order, OrderEvent};
use engine::position::{Fill, Ledger};
use engine::tick_rule::TickRule;
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use proptest::prelude::*;
use rust_decimal::Decimal;

// ---- the reference: a flat list of orders, searched by brute force on every step ---------------

#[derive(Clone, Debug)]
struct RefOrder {
    handle: usize,
    owner: u32,
    side: Side,
    price: i64,
    remaining: i64,
    filled: i64,
    seq: u64,
    post_only: PostOnly,
}

/// Events with orders named by handle (the index of the submit that created them).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Fill {
        maker: usize,
        taker: usize,
        price: i64,
        qty: i64,
        maker_rem: i64,
        taker_rem: i64,
    },
    Rested {
        h: usize,
        price: i64,
        qty: i64,
    },
    Cancelled {
        h: usize,
        rem: i64,
        reason: CancelReason,
    },
    Amended {
        h: usize,
        price: i64,
        qty: i64,
        kept: bool,
    },
}

struct RefBook {
    ticks: TickRule,
    orders: Vec<RefOrder>,
    seq: u64,
}

impl RefBook {
    fn best_opposite(&self, side: Side) -> Option<i64> {
        let it = self
            .orders
            .iter()
            .filter(|o| o.side != side)
            .map(|o| o.price);
        match side {
            Side::Buy => it.min(),
            Side::Sell => it.max(),
        }
    }

    fn post_only_price(&self, side: Side, price: i64, mode: PostOnly) -> Result<i64, Reject> {
        let Some(opp) = self.best_opposite(side) else {
            return Ok(price);
        };
        let crosses = match side {
            Side::Buy => price >= opp,
            Side::Sell => price <= opp,
        };
        match (mode, crosses) {
            (PostOnly::Off, _) | (_, false) => Ok(price),
            (PostOnly::Reject, true) => Err(Reject::PostOnlyWouldCross {
                price: Price(price),
                opposite: Price(opp),
            }),
            (PostOnly::Slide, true) => {
                let p = match side {
                    Side::Buy => self.ticks.next_down(Price(opp)).0,
                    Side::Sell => self.ticks.next_up(Price(opp)).0,
                };
                if p <= 0 {
                    Err(Reject::NonPositivePrice(Price(p)))
                } else {
                    Ok(p)
                }
            }
        }
    }

    /// The taker (not in `orders`) trades against the best crossing order, one at a time.
    fn take(&mut self, taker: &mut RefOrder, out: &mut Vec<Ev>) {
        while taker.remaining > 0 {
            let best = self
                .orders
                .iter()
                .enumerate()
                .filter(|(_, o)| {
                    o.side != taker.side
                        && match taker.side {
                            Side::Buy => o.price <= taker.price,
                            Side::Sell => o.price >= taker.price,
                        }
                })
                .min_by_key(|(_, o)| {
                    let p = match taker.side {
                        Side::Buy => o.price,
                        Side::Sell => -o.price,
                    };
                    (p, o.seq)
                })
                .map(|(i, _)| i);
            let Some(i) = best else { break };
            if self.orders[i].owner == taker.owner {
                let o = self.orders.remove(i);
                out.push(Ev::Cancelled {
                    h: o.handle,
                    rem: o.remaining,
                    reason: CancelReason::SelfTrade,
                });
                continue;
            }
            let m = &mut self.orders[i];
            let q = taker.remaining.min(m.remaining);
            m.remaining -= q;
            m.filled += q;
            taker.remaining -= q;
            taker.filled += q;
            out.push(Ev::Fill {
                maker: m.handle,
                taker: taker.handle,
                price: m.price,
                qty: q,
                maker_rem: m.remaining,
                taker_rem: taker.remaining,
            });
            if m.remaining == 0 {
                self.orders.remove(i);
            }
        }
    }

    fn rest(&mut self, mut o: RefOrder, out: &mut Vec<Ev>) {
        self.seq += 1;
        o.seq = self.seq;
        out.push(Ev::Rested {
            h: o.handle,
            price: o.price,
            qty: o.remaining,
        });
        self.orders.push(o);
    }

    fn check_price(&self, p: i64) -> Result<(), Reject> {
        if p <= 0 {
            Err(Reject::NonPositivePrice(Price(p)))
        } else if !self.ticks.is_on_tick(Price(p)) {
            Err(Reject::OffTick(Price(p)))
        } else {
            Ok(())
        }
    }

    fn submit(&mut self, handle: usize, o: &NewOrder, out: &mut Vec<Ev>) -> Result<(), Reject> {
        if o.qty.0 <= 0 {
            return Err(Reject::NonPositiveQty(o.qty));
        }
        self.check_price(o.price.0)?;
        if o.tif == TimeInForce::ImmediateOrCancel && o.post_only != PostOnly::Off {
            return Err(Reject::PostOnlyImmediate);
        }
        let price = self.post_only_price(o.side, o.price.0, o.post_only)?;
        let mut t = RefOrder {
            handle,
            owner: o.owner.0,
            side: o.side,
            price,
            remaining: o.qty.0,
            filled: 0,
            seq: 0,
            post_only: o.post_only,
        };
        self.take(&mut t, out);
        if t.remaining > 0 {
            if o.tif == TimeInForce::ImmediateOrCancel {
                out.push(Ev::Cancelled {
                    h: handle,
                    rem: t.remaining,
                    reason: CancelReason::Unfilled,
                });
            } else {
                self.rest(t, out);
            }
        }
        Ok(())
    }

    fn find(&self, owner: u32, handle: usize) -> Option<usize> {
        self.orders
            .iter()
            .position(|o| o.handle == handle && o.owner == owner)
    }

    fn cancel(&mut self, owner: u32, handle: usize, out: &mut Vec<Ev>) -> Option<i64> {
        let i = self.find(owner, handle)?;
        let o = self.orders.remove(i);
        out.push(Ev::Cancelled {
            h: handle,
            rem: o.remaining,
            reason: CancelReason::Requested,
        });
        Some(o.remaining)
    }

    fn amend(
        &mut self,
        owner: u32,
        handle: usize,
        id: OrderId,
        price: i64,
        amount: i64,
        out: &mut Vec<Ev>,
    ) -> Result<(), Reject> {
        let i = self.find(owner, handle).ok_or(Reject::UnknownOrder(id))?;
        self.check_price(price)?;
        let o = &self.orders[i];
        if amount <= o.filled {
            return Err(Reject::AmendBelowFilled {
                amount: Qty(amount),
                filled: Qty(o.filled),
            });
        }
        let rem = amount - o.filled;
        if price == o.price && rem <= o.remaining {
            self.orders[i].remaining = rem;
            out.push(Ev::Amended {
                h: handle,
                price,
                qty: rem,
                kept: true,
            });
            return Ok(());
        }
        let price = self.post_only_price(o.side, price, o.post_only)?;
        let mut t = self.orders.remove(i);
        t.price = price;
        t.remaining = rem;
        out.push(Ev::Amended {
            h: handle,
            price,
            qty: rem,
            kept: false,
        });
        self.take(&mut t, out);
        if t.remaining > 0 {
            self.rest(t, out);
        }
        Ok(())
    }

    fn expire_all(&mut self, out: &mut Vec<Ev>) {
        for side in [Side::Buy, Side::Sell] {
            for (h, _, rem, _) in self.side(side) {
                out.push(Ev::Cancelled {
                    h,
                    rem,
                    reason: CancelReason::Expired,
                });
            }
        }
        self.orders.clear();
    }

    /// Resting orders of one side in priority order: (handle, price, remaining, filled).
    fn side(&self, side: Side) -> Vec<(usize, i64, i64, i64)> {
        let mut v: Vec<&RefOrder> = self.orders.iter().filter(|o| o.side == side).collect();
        v.sort_by_key(|o| {
            (
                match side {
                    Side::Buy => -o.price,
                    Side::Sell => o.price,
                },
                o.seq,
            )
        });
        v.iter()
            .map(|o| (o.handle, o.price, o.remaining, o.filled))
            .collect()
    }

    fn queue_ahead(&self, handle: usize) -> Option<i64> {
        let me = self.orders.iter().find(|o| o.handle == handle)?;
        Some(
            self.orders
                .iter()
                .filter(|o| o.side == me.side && o.price == me.price && o.seq < me.seq)
                .map(|o| o.remaining)
                .sum(),
        )
    }
}

// ---- random operations ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Submit {
        owner: u32,
        buy: bool,
        price: i64,
        qty: i64,
        ioc: bool,
        post_only: u8,
    },
    Cancel {
        pick: usize,
        wrong_owner: bool,
    },
    Amend {
        pick: usize,
        price: i64,
        amount: i64,
    },
    Expire,
}

fn op() -> impl Strategy<Value = Op> {
    // Prices around 0.0050 ETH so the tick step (0.0001 below, 0.0005 above) is crossed often;
    // some are off tick on purpose.
    let price = 40i64..=70;
    prop_oneof![
        50 => (0u32..3, any::<bool>(), price.clone(), 1i64..8, prop::bool::weighted(0.15), 0u8..6)
            .prop_map(|(owner, buy, price, qty, ioc, post_only)| Op::Submit {
                owner, buy, price, qty, ioc, post_only
            }),
        20 => (any::<usize>(), prop::bool::weighted(0.1))
            .prop_map(|(pick, wrong_owner)| Op::Cancel { pick, wrong_owner }),
        20 => (any::<usize>(), price, 0i64..10)
            .prop_map(|(pick, price, amount)| Op::Amend { pick, price, amount }),
        // Rare: an expiry clears the book mid-sequence.
        1 => Just(Op::Expire),
    ]
}

fn to_ev(e: &MatchEvent, handle_of: &dyn Fn(OrderId) -> usize) -> Ev {
    match *e {
        MatchEvent::Fill {
            maker,
            taker,
            price,
            qty,
            maker_remaining,
            taker_remaining,
            ..
        } => Ev::Fill {
            maker: handle_of(maker),
            taker: handle_of(taker),
            price: price.0,
            qty: qty.0,
            maker_rem: maker_remaining.0,
            taker_rem: taker_remaining.0,
        },
        MatchEvent::Rested { id, price, qty, .. } => Ev::Rested {
            h: handle_of(id),
            price: price.0,
            qty: qty.0,
        },
        MatchEvent::Cancelled {
            id,
            remaining,
            reason,
            ..
        } => Ev::Cancelled {
            h: handle_of(id),
            rem: remaining.0,
            reason,
        },
        MatchEvent::Amended {
            id,
            price,
            qty,
            kept_priority,
            ..
        } => Ev::Amended {
            h: handle_of(id),
            price: price.0,
            qty: qty.0,
            kept: kept_priority,
        },
    }
}

struct Tracked {
    id: OrderId,
    owner: u32,
    side: Side,
    order: Order,
    submitted: i64,
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let ticks = TickRule::deribit_option();
    let inst = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
    let mut eng = MatchingEngine::new(ticks.clone());
    let mut reference = RefBook {
        ticks: ticks.clone(),
        orders: Vec::new(),
        seq: 0,
    };
    let mut tracked: Vec<Tracked> = Vec::new();
    let mut ledgers: Vec<Ledger> = (0..3).map(|_| Ledger::new()).collect();
    let mut signed_fills = [0i64; 3];
    let mut events = Vec::new();
    let mut want = Vec::new();

    for op in ops {
        events.clear();
        want.clear();
        match op {
            Op::Submit {
                owner,
                buy,
                price,
                qty,
                ioc,
                post_only,
            } => {
                let side = if buy { Side::Buy } else { Side::Sell };
                let o = NewOrder {
                    owner: OwnerId(owner),
                    side,
                    price: Price(price),
                    qty: Qty(qty),
                    tif: if ioc {
                        TimeInForce::ImmediateOrCancel
                    } else {
                        TimeInForce::GoodTilCancelled
                    },
                    post_only: match post_only {
                        0 => PostOnly::Reject,
                        1 => PostOnly::Slide,
                        _ => PostOnly::Off,
                    },
                };
                let handle = tracked.len();
                let got = eng.submit(o, &mut events);
                let expect = reference.submit(handle, &o, &mut want);
                prop_assert_eq!(got.err(), expect.err());
                if let Ok(id) = got {
                    let mut order =
                        Order::new(handle as u64, InstrumentId(0), side, o.price, o.qty);
                    order.apply(OrderEvent::Accepted(id)).unwrap();
                    tracked.push(Tracked {
                        id,
                        owner,
                        side,
                        order,
                        submitted: qty,
                    });
                }
            }
            Op::Cancel { pick, wrong_owner } => {
                if tracked.is_empty() {
                    continue;
                }
                let h = pick % tracked.len();
                let owner = if wrong_owner {
                    (tracked[h].owner + 1) % 3
                } else {
                    tracked[h].owner
                };
                let got = eng.cancel(OwnerId(owner), tracked[h].id, &mut events);
                let expect = reference.cancel(owner, h, &mut want);
                prop_assert_eq!(got.ok().map(|q| q.0), expect);
            }
            Op::Amend {
                pick,
                price,
                amount,
            } => {
                if tracked.is_empty() {
                    continue;
                }
                let h = pick % tracked.len();
                let (id, owner) = (tracked[h].id, tracked[h].owner);
                let got = eng.amend(OwnerId(owner), id, Price(price), Qty(amount), &mut events);
                let expect = reference.amend(owner, h, id, price, amount, &mut want);
                prop_assert_eq!(got, expect);
            }
            Op::Expire => {
                eng.expire_all(&mut events);
                reference.expire_all(&mut want);
            }
        }

        // Same events, in the same order.
        let ids: Vec<OrderId> = tracked.iter().map(|t| t.id).collect();
        let handle_of = |id: OrderId| {
            ids.iter()
                .position(|&x| x == id)
                .expect("events name known orders")
        };
        let got: Vec<Ev> = events.iter().map(|e| to_ev(e, &handle_of)).collect();
        prop_assert_eq!(&got, &want);

        // Events drive each order's state machine and each owner's position without error.
        for e in &events {
            for t in tracked.iter_mut() {
                t.order
                    .apply_match_event(e)
                    .map_err(|err| TestCaseError::fail(err.to_string()))?;
            }
            for x in e.executions().into_iter().flatten() {
                let f = Fill::from_execution(InstrumentId(0), &x, Decimal::ZERO, Timestamp(0));
                ledgers[x.owner.0 as usize].apply(&inst, &f).unwrap();
                signed_fills[x.owner.0 as usize] += x.side.sign() * x.qty.0;
            }
        }

        // Same book, order by order, and the same queue places.
        for side in [Side::Buy, Side::Sell] {
            let got: Vec<_> = eng
                .orders(side)
                .map(|v| (handle_of(v.id), v.price.0, v.remaining.0, v.filled.0))
                .collect();
            prop_assert_eq!(got, reference.side(side));
            // Level totals equal the sum of their orders.
            for (price, qty, count) in eng.levels(side) {
                let at: Vec<_> = eng.orders(side).filter(|o| o.price == price).collect();
                prop_assert_eq!(qty.0, at.iter().map(|o| o.remaining.0).sum::<i64>());
                prop_assert_eq!(count as usize, at.len());
            }
        }
        for (h, t) in tracked.iter().enumerate() {
            prop_assert_eq!(eng.queue_ahead(t.id).map(|q| q.0), reference.queue_ahead(h));
        }

        // Never crossed at rest.
        if let (Some((b, _)), Some((a, _))) = (eng.best_bid(), eng.best_ask()) {
            prop_assert!(b < a, "crossed at rest: {:?} >= {:?}", b, a);
        }

        // Quantity conserved per order: filled + open never exceeds what was asked for, and an
        // order's view agrees with its state machine.
        for t in &tracked {
            if let Some(v) = eng.order(t.id) {
                prop_assert_eq!(v.filled, t.order.filled);
                prop_assert_eq!(v.filled + v.remaining, t.order.amount);
                prop_assert!(t.order.status().is_working());
                prop_assert_eq!(v.side, t.side);
            } else {
                prop_assert!(!t.order.status().is_working() || t.submitted == 0);
            }
        }
        // Every fill moved both positions: sizes equal the sum of each owner's fills, and the
        // market as a whole is flat.
        for owner in 0..3 {
            let size = ledgers[owner]
                .position(InstrumentId(0))
                .map_or(0, |p| p.size().0);
            prop_assert_eq!(size, signed_fills[owner]);
        }
        prop_assert_eq!(signed_fills.iter().sum::<i64>(), 0);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn engine_matches_the_naive_reference(ops in prop::collection::vec(op(), 1..120)) {
        run(ops)?;
    }
}
