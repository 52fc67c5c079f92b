//! The L2 mirror against a plain map on random snapshots and deltas.

use engine::book::{BookError, BookStatus, L2Book, LevelAction, LevelUpdate};
use engine::{Price, Qty, Side};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
struct Msg {
    skip_seq: bool,
    levels: Vec<(bool, u8, i64, i64)>,
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        prop::bool::weighted(0.03),
        prop::collection::vec((any::<bool>(), 0u8..3, 1i64..40, 0i64..5), 0..4),
    )
        .prop_map(|(skip_seq, levels)| Msg { skip_seq, levels })
}

proptest! {
    #[test]
    fn mirror_tracks_a_map_and_reports_every_desync(msgs in prop::collection::vec(msg(), 1..80)) {
        let mut book = L2Book::new();
        let mut bids: BTreeMap<i64, i64> = (5..15).map(|p| (p, 1)).collect();
        let mut asks: BTreeMap<i64, i64> = (25..35).map(|p| (p, 1)).collect();
        let snap = |m: &BTreeMap<i64, i64>| m.iter().map(|(&p, &q)| (Price(p), Qty(q))).collect::<Vec<_>>();
        book.apply_snapshot(100, &snap(&bids), &snap(&asks)).unwrap();
        let mut seq = 100u64;
        let mut stale = false;
        for m in msgs {
            let prev = if m.skip_seq { seq + 1 } else { seq };
            let new_seq = seq + 2;
            let updates: Vec<LevelUpdate> = m.levels.iter().map(|&(buy, a, p, q)| LevelUpdate {
                side: if buy { Side::Buy } else { Side::Sell },
                action: [LevelAction::New, LevelAction::Change, LevelAction::Delete][a as usize],
                price: Price(p),
                qty: Qty(q),
            }).collect();
            // What the model says should happen.
            let mut nb = bids.clone();
            let mut na = asks.clone();
            let mut ok = !m.skip_seq;
            for u in &updates {
                let side = if u.side == Side::Buy { &mut nb } else { &mut na };
                let exists = side.contains_key(&u.price.0);
                ok &= match u.action {
                    LevelAction::New => !exists && u.qty.0 > 0,
                    LevelAction::Change => exists && u.qty.0 > 0,
                    LevelAction::Delete => exists,
                };
                match u.action {
                    LevelAction::Delete => { side.remove(&u.price.0); }
                    _ => { side.insert(u.price.0, u.qty.0); }
                }
            }
            let res = book.apply_update(new_seq, prev, &updates);
            if stale {
                prop_assert!(matches!(res, Err(BookError::Stale { .. })), "{:?}", res);
                continue;
            }
            if !ok {
                prop_assert!(matches!(res, Err(BookError::Desync { .. })), "{:?}", res);
                prop_assert!(matches!(book.status(), BookStatus::Stale(_)));
                stale = true;
                continue;
            }
            bids = nb;
            asks = na;
            seq = new_seq;
            let crossed = match (bids.keys().next_back(), asks.keys().next()) {
                (Some(b), Some(a)) => b >= a,
                _ => false,
            };
            prop_assert_eq!(res.is_err(), crossed);
            prop_assert_eq!(book.is_live(), !crossed);
            let got_b: Vec<_> = book.depth(Side::Buy, usize::MAX).map(|(p, q)| (p.0, q.0)).collect();
            let want_b: Vec<_> = bids.iter().rev().map(|(&p, &q)| (p, q)).collect();
            prop_assert_eq!(got_b, want_b);
            let got_a: Vec<_> = book.depth(Side::Sell, usize::MAX).map(|(p, q)| (p.0, q.0)).collect();
            let want_a: Vec<_> = asks.iter().map(|(&p, &q)| (p, q)).collect();
            prop_assert_eq!(got_a, want_a);
            for p in 1..40 {
                prop_assert_eq!(book.qty_at(Side::Buy, Price(p)).0, *bids.get(&p).unwrap_or(&0));
            }
        }
    }
}
