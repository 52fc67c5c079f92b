//! Hand-built matching scenarios, including the pitfalls peer projects are known to have hit:
//! two orders filled from the same liquidity, queue position reset by an unrelated cancel, and
//! partial fills missing from the position.

use engine::instrument::Instrument;
use engine::matching::{
    CancelReason, MatchEvent, MatchingEngine, NewOrder, OrderId, OwnerId, PostOnly, Reject,
    TimeInForce,
};
use engine::position::{Fill, Ledger};
use engine::tick_rule::TickRule;
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use rust_decimal::Decimal;

const A: OwnerId = OwnerId(1);
const B: OwnerId = OwnerId(2);
const C: OwnerId = OwnerId(3);

fn eng() -> MatchingEngine {
    MatchingEngine::new(TickRule::deribit_option())
}

fn place(e: &mut MatchingEngine, owner: OwnerId, side: Side, price: i64, qty: i64) -> OrderId {
    let mut ev = Vec::new();
    e.submit(
        NewOrder::limit(owner, side, Price(price), Qty(qty)),
        &mut ev,
    )
    .unwrap()
}

fn fills(ev: &[MatchEvent]) -> Vec<(OrderId, i64, i64)> {
    ev.iter()
        .filter_map(|e| match e {
            MatchEvent::Fill {
                maker, price, qty, ..
            } => Some((*maker, price.0, qty.0)),
            _ => None,
        })
        .collect()
}

#[test]
fn price_then_time_priority_and_exact_partial_fills() {
    let mut e = eng();
    let a1 = place(&mut e, A, Side::Sell, 60, 3);
    let a2 = place(&mut e, B, Side::Sell, 60, 4);
    let a0 = place(&mut e, B, Side::Sell, 55, 2);
    let mut ev = Vec::new();
    let t = e
        .submit(NewOrder::limit(C, Side::Buy, Price(60), Qty(6)), &mut ev)
        .unwrap();
    // Best price first, then arrival order; fills at the maker's price.
    assert_eq!(fills(&ev), vec![(a0, 55, 2), (a1, 60, 3), (a2, 60, 1)]);
    assert!(matches!(
        ev.last(),
        Some(MatchEvent::Fill {
            taker_remaining: Qty(0),
            maker_remaining: Qty(3),
            ..
        })
    ));
    assert_eq!(e.order(t), None, "a filled taker does not rest");
    assert_eq!(e.order(a2).unwrap().remaining, Qty(3));
    assert_eq!(e.order(a2).unwrap().filled, Qty(1));
    assert_eq!(e.order(a1), None);
    assert_eq!(e.best_ask(), Some((Price(60), Qty(3))));
    assert_eq!(e.best_bid(), None);
}

#[test]
fn a_taker_larger_than_the_book_rests_its_remainder() {
    let mut e = eng();
    place(&mut e, A, Side::Sell, 60, 2);
    let mut ev = Vec::new();
    let t = e
        .submit(NewOrder::limit(B, Side::Buy, Price(65), Qty(5)), &mut ev)
        .unwrap();
    assert_eq!(
        ev.last(),
        Some(&MatchEvent::Rested {
            id: t,
            owner: B,
            side: Side::Buy,
            price: Price(65),
            qty: Qty(3)
        })
    );
    assert_eq!(e.best_bid(), Some((Price(65), Qty(3))));
    assert_eq!(e.best_ask(), None);
}

#[test]
fn the_same_liquidity_never_fills_two_orders() {
    let mut e = eng();
    let m = place(&mut e, A, Side::Sell, 60, 5);
    let mut ev = Vec::new();
    e.submit(NewOrder::limit(B, Side::Buy, Price(60), Qty(4)), &mut ev)
        .unwrap();
    let mut ev2 = Vec::new();
    let t2 = e
        .submit(NewOrder::limit(C, Side::Buy, Price(60), Qty(4)), &mut ev2)
        .unwrap();
    assert_eq!(fills(&ev), vec![(m, 60, 4)]);
    assert_eq!(fills(&ev2), vec![(m, 60, 1)]);
    assert_eq!(e.order(t2).unwrap().remaining, Qty(3));
    assert_eq!(e.order(m), None);
}

#[test]
fn post_only_rejects_or_slides_one_tick_behind_across_the_tick_step() {
    let mut e = eng();
    place(&mut e, A, Side::Sell, 50, 1); // 0.0050
    place(&mut e, A, Side::Buy, 45, 1);
    let mut ev = Vec::new();
    let mut o = NewOrder::limit(B, Side::Buy, Price(60), Qty(1));
    o.post_only = PostOnly::Reject;
    assert_eq!(
        e.submit(o, &mut ev),
        Err(Reject::PostOnlyWouldCross {
            price: Price(60),
            opposite: Price(50)
        })
    );
    assert!(ev.is_empty());
    o.post_only = PostOnly::Slide;
    let id = e.submit(o, &mut ev).unwrap();
    // Below 0.005 the tick is 0.0001: one tick behind 0.0050 is 0.0049.
    assert_eq!(e.order(id).unwrap().price, Price(49));
    let mut s = NewOrder::limit(B, Side::Sell, Price(40), Qty(1));
    s.post_only = PostOnly::Slide;
    let id = e.submit(s, &mut ev).unwrap();
    assert_eq!(e.order(id).unwrap().price, Price(50));
    // A post-only order that does not cross rests where it was asked.
    let mut quiet = NewOrder::limit(C, Side::Sell, Price(70), Qty(1));
    quiet.post_only = PostOnly::Reject;
    let id = e.submit(quiet, &mut ev).unwrap();
    assert_eq!(e.order(id).unwrap().price, Price(70));
    assert!(fills(&ev).is_empty());
}

#[test]
fn immediate_or_cancel_never_rests() {
    let mut e = eng();
    place(&mut e, A, Side::Sell, 60, 2);
    let mut ev = Vec::new();
    let mut o = NewOrder::limit(B, Side::Buy, Price(60), Qty(5));
    o.tif = TimeInForce::ImmediateOrCancel;
    let id = e.submit(o, &mut ev).unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(
        ev[1],
        MatchEvent::Cancelled {
            id,
            owner: B,
            remaining: Qty(3),
            reason: CancelReason::Unfilled
        }
    );
    assert_eq!(e.best_bid(), None);
    assert_eq!(e.open_orders(), 0);
    o.post_only = PostOnly::Reject;
    assert_eq!(e.submit(o, &mut ev), Err(Reject::PostOnlyImmediate));
}

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    let mut e = eng();
    let id = place(&mut e, A, Side::Buy, 45, 2);
    let mut ev = Vec::new();
    for (o, want) in [
        (
            NewOrder::limit(A, Side::Buy, Price(51), Qty(1)),
            Reject::OffTick(Price(51)),
        ),
        (
            NewOrder::limit(A, Side::Buy, Price(0), Qty(1)),
            Reject::NonPositivePrice(Price(0)),
        ),
        (
            NewOrder::limit(A, Side::Buy, Price(10), Qty(0)),
            Reject::NonPositiveQty(Qty(0)),
        ),
    ] {
        assert_eq!(e.submit(o, &mut ev), Err(want));
    }
    assert_eq!(e.cancel(B, id, &mut ev), Err(Reject::UnknownOrder(id)));
    assert_eq!(
        e.amend(A, id, Price(46), Qty(0), &mut ev),
        Err(Reject::AmendBelowFilled {
            amount: Qty(0),
            filled: Qty(0)
        })
    );
    assert!(ev.is_empty());
    assert_eq!(e.cancel(A, id, &mut ev), Ok(Qty(2)));
    assert_eq!(e.cancel(A, id, &mut ev), Err(Reject::UnknownOrder(id)));
    assert_eq!(e.open_orders(), 0);
}

#[test]
fn amend_size_down_keeps_priority_while_size_up_or_price_change_loses_it() {
    let mut e = eng();
    let first = place(&mut e, A, Side::Buy, 45, 5);
    let second = place(&mut e, B, Side::Buy, 45, 5);
    let mut ev = Vec::new();
    e.amend(A, first, Price(45), Qty(3), &mut ev).unwrap();
    assert_eq!(e.queue_ahead(first), Some(Qty(0)));
    assert_eq!(e.queue_ahead(second), Some(Qty(3)));
    assert_eq!(e.best_bid(), Some((Price(45), Qty(8))));
    e.amend(A, first, Price(45), Qty(4), &mut ev).unwrap();
    assert_eq!(
        e.queue_ahead(first),
        Some(Qty(5)),
        "size up goes to the back"
    );
    assert_eq!(e.queue_ahead(second), Some(Qty(0)));
    e.amend(B, second, Price(46), Qty(5), &mut ev).unwrap();
    e.amend(B, second, Price(45), Qty(5), &mut ev).unwrap();
    assert_eq!(
        e.queue_ahead(second),
        Some(Qty(4)),
        "a price change loses priority"
    );
    assert!(matches!(
        ev[0],
        MatchEvent::Amended {
            kept_priority: true,
            ..
        }
    ));
    assert!(matches!(
        ev[1],
        MatchEvent::Amended {
            kept_priority: false,
            ..
        }
    ));
}

#[test]
fn an_amend_through_the_book_trades_and_post_only_amends_are_checked() {
    let mut e = eng();
    let ask = place(&mut e, A, Side::Sell, 60, 2);
    let bid = place(&mut e, B, Side::Buy, 45, 5);
    let mut ev = Vec::new();
    e.amend(B, bid, Price(60), Qty(5), &mut ev).unwrap();
    assert_eq!(fills(&ev), vec![(ask, 60, 2)]);
    assert_eq!(e.order(bid).unwrap().remaining, Qty(3));
    assert_eq!(e.order(bid).unwrap().filled, Qty(2));
    assert_eq!(e.best_bid(), Some((Price(60), Qty(3))));

    let mut po = NewOrder::limit(C, Side::Sell, Price(70), Qty(1));
    po.post_only = PostOnly::Reject;
    let po = e.submit(po, &mut ev).unwrap();
    let before = e.order(po);
    assert!(matches!(
        e.amend(C, po, Price(60), Qty(1), &mut ev),
        Err(Reject::PostOnlyWouldCross { .. })
    ));
    assert_eq!(
        e.order(po),
        before,
        "a refused amend leaves the order as it was"
    );
    assert_eq!(e.queue_ahead(po), Some(Qty(0)));
}

#[test]
fn self_trade_prevention_cancels_the_resting_order_and_keeps_matching() {
    let mut e = eng();
    let own = place(&mut e, A, Side::Sell, 55, 2);
    let other = place(&mut e, B, Side::Sell, 55, 3);
    let mut ev = Vec::new();
    e.submit(NewOrder::limit(A, Side::Buy, Price(55), Qty(2)), &mut ev)
        .unwrap();
    assert_eq!(
        ev[0],
        MatchEvent::Cancelled {
            id: own,
            owner: A,
            remaining: Qty(2),
            reason: CancelReason::SelfTrade
        }
    );
    assert_eq!(fills(&ev), vec![(other, 55, 2)]);
    assert_eq!(e.order(own), None);
    assert_eq!(e.best_ask(), Some((Price(55), Qty(1))));
}

#[test]
fn queue_position_moves_only_for_what_is_ahead() {
    let mut e = eng();
    let ahead = place(&mut e, A, Side::Buy, 45, 4);
    let mine = place(&mut e, B, Side::Buy, 45, 2);
    let behind = place(&mut e, C, Side::Buy, 45, 7);
    let elsewhere = place(&mut e, C, Side::Buy, 44, 7);
    assert_eq!(e.queue_ahead(mine), Some(Qty(4)));
    let mut ev = Vec::new();
    // Unrelated cancels (behind us, other levels) leave the queue place alone.
    e.cancel(C, behind, &mut ev).unwrap();
    e.cancel(C, elsewhere, &mut ev).unwrap();
    assert_eq!(e.queue_ahead(mine), Some(Qty(4)));
    // A trade eats the order ahead first.
    e.submit(NewOrder::limit(C, Side::Sell, Price(45), Qty(3)), &mut ev)
        .unwrap();
    assert_eq!(e.queue_ahead(mine), Some(Qty(1)));
    e.cancel(A, ahead, &mut ev).unwrap();
    assert_eq!(e.queue_ahead(mine), Some(Qty(0)));
}

#[test]
fn ids_of_finished_orders_stop_resolving_even_when_their_slot_is_reused() {
    let mut e = eng();
    let old = place(&mut e, A, Side::Buy, 45, 1);
    let mut ev = Vec::new();
    e.cancel(A, old, &mut ev).unwrap();
    let new = place(&mut e, A, Side::Buy, 45, 1);
    assert_ne!(old, new);
    assert_eq!(e.order(old), None);
    assert_eq!(e.cancel(A, old, &mut ev), Err(Reject::UnknownOrder(old)));
    assert!(e.order(new).is_some());
}

#[test]
fn partial_fills_reach_the_position() {
    let inst = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
    let mut e = eng();
    let maker = place(&mut e, A, Side::Sell, 120, 10);
    let mut ledger_a = Ledger::new();
    let mut ev = Vec::new();
    for q in [3, 4] {
        e.submit(NewOrder::limit(B, Side::Buy, Price(120), Qty(q)), &mut ev)
            .unwrap();
    }
    for event in &ev {
        if let MatchEvent::Fill {
            maker: m,
            price,
            qty,
            ..
        } = event
        {
            assert_eq!(*m, maker);
            let fill = Fill {
                instrument: InstrumentId(0),
                side: Side::Sell,
                price: *price,
                qty: *qty,
                fee: Decimal::ZERO,
                ts: Timestamp(0),
            };
            ledger_a.apply(&inst, &fill).unwrap();
        }
    }
    let pos = ledger_a.position(InstrumentId(0)).unwrap();
    assert_eq!(pos.size(), Qty(-7));
    assert_eq!(pos.fill_count(), 2);
    assert_eq!(e.order(maker).unwrap().filled, Qty(7));
    assert_eq!(e.order(maker).unwrap().remaining, Qty(3));
}

#[test]
fn expiry_takes_every_open_order_off_the_book_and_expires_its_state() {
    use engine::order::{Order, OrderEvent, OrderStatus};
    let mut e = eng();
    let bid = place(&mut e, A, Side::Buy, 45, 2);
    let ask = place(&mut e, B, Side::Sell, 60, 3);
    let mut order = Order::new(1, InstrumentId(0), Side::Buy, Price(45), Qty(2));
    order.apply(OrderEvent::Accepted(bid)).unwrap();
    let mut ev = Vec::new();
    e.expire_all(&mut ev);
    assert_eq!(
        ev,
        vec![
            MatchEvent::Cancelled {
                id: bid,
                owner: A,
                remaining: Qty(2),
                reason: CancelReason::Expired
            },
            MatchEvent::Cancelled {
                id: ask,
                owner: B,
                remaining: Qty(3),
                reason: CancelReason::Expired
            },
        ]
    );
    for event in &ev {
        order.apply_match_event(event).unwrap();
    }
    assert_eq!(order.status(), OrderStatus::Expired);
    assert_eq!(e.open_orders(), 0);
    assert_eq!((e.best_bid(), e.best_ask()), (None, None));
    assert_eq!(e.order(bid), None);
    // The engine keeps working afterwards, on reused slots with fresh ids.
    let again = place(&mut e, A, Side::Buy, 45, 1);
    assert_ne!(again, bid);
    assert_eq!(e.best_bid(), Some((Price(45), Qty(1))));
}
