//! The quote manager: the fewest actions, unchanged quotes left alone, never a duplicate order, the
//! rate cap, and venue answers that do not fit refused.

use engine::matching::OrderId;
use engine::order::OrderEvent;
use engine::quotes::{Action, QuoteError, QuoteKey, QuoteManager, QuoteRules, WantedQuote};
use engine::{InstrumentId, Price, Qty, Side, Timestamp};
use proptest::prelude::*;
use std::collections::HashMap;

const RULES: QuoteRules = QuoteRules {
    price_threshold_ticks: 2,
    size_threshold_lots: 1,
    max_actions_per_second: 1000,
};

fn key(instrument: u32, side: Side, level: u8) -> QuoteKey {
    QuoteKey {
        instrument: InstrumentId(instrument),
        side,
        level,
    }
}

fn quote(instrument: u32, side: Side, price: i64, qty: i64) -> WantedQuote {
    WantedQuote {
        key: key(instrument, side, 0),
        price: Price(price),
        qty: Qty(qty),
        tick: 5,
    }
}

fn t(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

fn run(m: &mut QuoteManager, now: i64, wanted: &[WantedQuote]) -> Vec<Action> {
    let mut out = Vec::new();
    m.reconcile(t(now), wanted, &mut out)
        .expect("valid wanted quotes");
    out
}

/// Acknowledges every place in `actions` and confirms every amend and cancel.
fn answer_all(m: &mut QuoteManager, actions: &[Action]) {
    for (i, a) in actions.iter().enumerate() {
        let result = match *a {
            Action::Place { client_id, .. } => {
                m.on_event(client_id, OrderEvent::Accepted(OrderId(1000 + i as u64)))
            }
            Action::Amend {
                client_id,
                price,
                amount,
            } => m.on_event(client_id, OrderEvent::Amended { price, amount }),
            Action::Cancel { client_id } => m.on_event(client_id, OrderEvent::Cancelled),
            Action::Take { .. } => unreachable!("the quote manager never takes"),
        };
        result.expect("a fitting answer");
    }
}

#[test]
fn places_once_then_leaves_unchanged_quotes_alone() {
    let mut m = QuoteManager::new(RULES, 1);
    let wanted = [quote(1, Side::Buy, 100, 10), quote(2, Side::Sell, 200, 5)];
    let first = run(&mut m, 0, &wanted);
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|a| matches!(a, Action::Place { .. })));
    // Not yet acknowledged: nothing is sent again.
    assert!(run(&mut m, 1, &wanted).is_empty());
    answer_all(&mut m, &first);
    assert!(run(&mut m, 2, &wanted).is_empty());
    assert_eq!(m.len(), 2);
}

#[test]
fn thresholds_keep_queue_place_but_never_give_away_edge() {
    let mut m = QuoteManager::new(RULES, 1);
    let placed = run(&mut m, 0, &[quote(1, Side::Buy, 100, 10)]);
    answer_all(&mut m, &placed);
    // Wanted bid 10 units (2 ticks of 5) higher: the live bid is 2 ticks behind: kept.
    assert!(run(&mut m, 1, &[quote(1, Side::Buy, 110, 10)]).is_empty());
    // 3 ticks behind: amended.
    let a = run(&mut m, 2, &[quote(1, Side::Buy, 115, 10)]);
    assert_eq!(
        a,
        vec![Action::Amend {
            client_id: 1,
            price: Price(115),
            amount: Qty(10)
        }]
    );
    answer_all(&mut m, &a);
    // Wanted bid lower by a single unit: the live one would overpay, so it moves at once.
    let a = run(&mut m, 3, &[quote(1, Side::Buy, 114, 10)]);
    assert!(matches!(
        a[..],
        [Action::Amend {
            price: Price(114),
            ..
        }]
    ));
    answer_all(&mut m, &a);
    // Size: one lot short is kept; a smaller wanted size is cut at once (risk limits).
    assert!(run(&mut m, 4, &[quote(1, Side::Buy, 114, 11)]).is_empty());
    let a = run(&mut m, 5, &[quote(1, Side::Buy, 114, 9)]);
    assert!(matches!(a[..], [Action::Amend { amount: Qty(9), .. }]));
}

#[test]
fn a_partial_fill_is_topped_up_by_amount_including_the_filled_part() {
    let mut m = QuoteManager::new(RULES, 1);
    let placed = run(&mut m, 0, &[quote(1, Side::Sell, 100, 10)]);
    answer_all(&mut m, &placed);
    m.on_event(1, OrderEvent::Filled { qty: Qty(4) }).unwrap();
    let a = run(&mut m, 1, &[quote(1, Side::Sell, 100, 10)]);
    assert_eq!(
        a,
        vec![Action::Amend {
            client_id: 1,
            price: Price(100),
            amount: Qty(14)
        }]
    );
}

#[test]
fn unwanted_quotes_are_cancelled_and_a_key_is_reused_only_after_the_cancel() {
    let mut m = QuoteManager::new(RULES, 1);
    let placed = run(&mut m, 0, &[quote(1, Side::Buy, 100, 10)]);
    answer_all(&mut m, &placed);
    let a = run(&mut m, 1, &[]);
    assert_eq!(a, vec![Action::Cancel { client_id: 1 }]);
    // Wanted back while the cancel is in flight: nothing yet.
    assert!(run(&mut m, 2, &[quote(1, Side::Buy, 100, 10)]).is_empty());
    answer_all(&mut m, &a);
    assert!(m.is_empty());
    let again = run(&mut m, 3, &[quote(1, Side::Buy, 100, 10)]);
    assert!(matches!(again[..], [Action::Place { client_id: 2, .. }]));
}

#[test]
fn rate_cap_orders_cancels_first_and_defers_the_rest() {
    let rules = QuoteRules {
        max_actions_per_second: 10,
        ..RULES
    };
    let mut m = QuoteManager::new(rules, 1);
    let many: Vec<WantedQuote> = (0..25).map(|i| quote(i, Side::Buy, 100, 1)).collect();
    let a = run(&mut m, 0, &many);
    assert_eq!(a.len(), 10);
    answer_all(&mut m, &a);
    // Half a second later: 5 more.
    let b = run(&mut m, 500, &many);
    assert_eq!(b.len(), 5);
    answer_all(&mut m, &b);
    // Drop all wanted quotes a second later: the cancels take the whole budget.
    let c = run(&mut m, 1500, &[]);
    assert_eq!(c.len(), 10);
    assert!(c.iter().all(|a| matches!(a, Action::Cancel { .. })));
}

#[test]
fn cancels_are_sent_before_amends_and_places() {
    let mut m = QuoteManager::new(RULES, 1);
    let first = run(
        &mut m,
        0,
        &[quote(1, Side::Buy, 100, 5), quote(2, Side::Buy, 100, 5)],
    );
    answer_all(&mut m, &first);
    // Key 1 moves (amend), key 2 goes (cancel), key 0 arrives (place): in key order the amend
    // would come first.
    let a = run(
        &mut m,
        1,
        &[quote(0, Side::Buy, 90, 5), quote(1, Side::Buy, 120, 5)],
    );
    assert!(
        matches!(
            a[..],
            [
                Action::Cancel { client_id: 2 },
                Action::Amend { client_id: 1, .. },
                Action::Place { .. }
            ]
        ),
        "{a:?}"
    );
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let mut m = QuoteManager::new(RULES, 1);
    let mut out = Vec::new();
    let dup = [quote(1, Side::Buy, 100, 1), quote(1, Side::Buy, 101, 2)];
    assert_eq!(
        m.reconcile(t(0), &dup, &mut out),
        Err(QuoteError::DuplicateKey(key(1, Side::Buy, 0)))
    );
    let zero = [quote(1, Side::Buy, 100, 0)];
    assert!(matches!(
        m.reconcile(t(0), &zero, &mut out),
        Err(QuoteError::BadQuote(..))
    ));
    assert!(out.is_empty() && m.is_empty());
    let placed = run(&mut m, 0, &[quote(1, Side::Buy, 100, 3)]);
    answer_all(&mut m, &placed);
    assert_eq!(
        m.on_event(99, OrderEvent::Cancelled),
        Err(QuoteError::UnknownOrder(99))
    );
    // An overfill is refused; the order keeps its 3 lots.
    assert!(m.on_event(1, OrderEvent::Filled { qty: Qty(4) }).is_err());
    assert_eq!(m.orders().next().map(|(_, o)| o.remaining()), Some(Qty(3)));
}

proptest! {
    /// Random wanted sets and random venue answers: at most one order per key, never a second
    /// place for a key that has a live order, and once everything is answered and the wanted set
    /// holds still, no more actions.
    #[test]
    fn never_duplicates(
        rounds in prop::collection::vec(
            (prop::collection::vec((0u32..6, any::<bool>(), 90i64..110, 1i64..5), 0..8), any::<u64>()),
            1..30,
        )
    ) {
        let mut m = QuoteManager::new(RULES, 1);
        let mut owner: HashMap<u64, QuoteKey> = HashMap::new();
        let mut pending: Vec<Action> = Vec::new();
        let mut last_wanted = Vec::new();
        for (i, (set, answer_bits)) in rounds.iter().enumerate() {
            let mut wanted: Vec<WantedQuote> = Vec::new();
            for &(inst, buy, price, qty) in set {
                let side = if buy { Side::Buy } else { Side::Sell };
                if wanted.iter().all(|w| w.key != key(inst, side, 0)) {
                    wanted.push(quote(inst, side, price, qty));
                }
            }
            let actions = run(&mut m, i as i64 * 10, &wanted);
            for a in &actions {
                if let Action::Place { client_id, key, .. } = *a {
                    let live_on_key = m.orders().filter(|(k, _)| **k == key).count();
                    prop_assert_eq!(live_on_key, 1);
                    owner.insert(client_id, key);
                }
            }
            pending.extend(actions);
            // Answer a random subset of what is in flight.
            let mut keep = Vec::new();
            for (j, a) in pending.drain(..).enumerate() {
                if answer_bits >> (j % 64) & 1 == 1 {
                    answer_all(&mut m, &[a]);
                } else {
                    keep.push(a);
                }
            }
            pending = keep;
            let mut keys: Vec<QuoteKey> = m.orders().map(|(k, _)| *k).collect();
            let n = keys.len();
            keys.dedup();
            prop_assert_eq!(keys.len(), n);
            last_wanted = wanted;
        }
        // Settle: answer everything, then the same wanted set needs at most one more round.
        let mut now = 10_000;
        for _ in 0..3 {
            answer_all(&mut m, &std::mem::take(&mut pending));
            pending = run(&mut m, now, &last_wanted);
            now += 10;
        }
        prop_assert!(pending.is_empty(), "still acting: {:?}", pending);
        prop_assert_eq!(m.len(), last_wanted.len());
    }
}

proptest! {
    /// The wanted quotes in key order (used where they are) or in any other order (sorted into
    /// a copy) give the same actions, round after round; a repeated key is refused either way.
    #[test]
    fn the_order_of_the_wanted_quotes_does_not_matter(
        rounds in prop::collection::vec(
            (prop::collection::vec((0u32..6, any::<bool>(), 0u8..3, 90i64..110, 1i64..5), 0..12), any::<u64>()),
            1..12,
        )
    ) {
        let (mut sorted_m, mut shuffled_m) = (QuoteManager::new(RULES, 1), QuoteManager::new(RULES, 1));
        for (i, (set, seed)) in rounds.iter().enumerate() {
            let mut wanted: Vec<WantedQuote> = set
                .iter()
                .map(|&(inst, buy, level, price, qty)| {
                    let side = if buy { Side::Buy } else { Side::Sell };
                    WantedQuote { key: key(inst, side, level), ..quote(inst, side, price, qty) }
                })
                .collect();
            let mut shuffled = wanted.clone();
            // A deterministic shuffle from the seed.
            for j in (1..shuffled.len()).rev() {
                shuffled.swap(j, (seed.rotate_left(j as u32) % (j as u64 + 1)) as usize);
            }
            wanted.sort_by_key(|w| w.key);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let ra = sorted_m.reconcile(t(i as i64 * 10), &wanted, &mut a);
            let rb = shuffled_m.reconcile(t(i as i64 * 10), &shuffled, &mut b);
            prop_assert_eq!(&ra, &rb);
            if wanted.windows(2).any(|p| p[0].key == p[1].key) {
                prop_assert!(matches!(ra, Err(QuoteError::DuplicateKey(_))));
            }
            prop_assert_eq!(&a, &b);
            answer_all(&mut sorted_m, &a);
            answer_all(&mut shuffled_m, &b);
        }
    }
}

/// One instrument reconciled: its orders brought to the wants (none: cancelled), the others'
/// left resting; a want on another instrument is refused and changes nothing.
#[test]
fn one_instrument_is_reconciled_alone() {
    let mut m = QuoteManager::new(RULES, 1);
    let placed = run(
        &mut m,
        0,
        &[quote(1, Side::Buy, 100, 5), quote(2, Side::Sell, 200, 5)],
    );
    answer_all(&mut m, &placed);
    let mut out = Vec::new();
    m.reconcile_instrument(t(1), InstrumentId(1), &[], &mut out)
        .unwrap();
    assert!(matches!(out[..], [Action::Cancel { .. }]), "{out:?}");
    assert_eq!(
        m.len(),
        2,
        "the cancel is in flight; instrument 2's order untouched"
    );
    out.clear();
    let e = m.reconcile_instrument(
        t(2),
        InstrumentId(1),
        &[quote(2, Side::Sell, 210, 5)],
        &mut out,
    );
    assert_eq!(e, Err(QuoteError::OtherInstrument(key(2, Side::Sell, 0))));
    assert!(out.is_empty());
}

proptest! {
    /// A wanted list asked for again while nothing changed is not diffed again: the same actions
    /// as a manager that diffs every call in full, round after round, with answers arriving in
    /// part, a rate cap that binds, and time standing still or moving.
    #[test]
    fn a_settled_list_needs_what_a_full_diff_needs(
        lists in prop::collection::vec(
            prop::collection::vec((0u32..4, any::<bool>(), 95i64..105, 1i64..4), 0..6), 1..4),
        rounds in prop::collection::vec((0usize..4, 0i64..400, any::<u64>()), 1..60),
        cap in prop_oneof![Just(2u32), Just(1000u32)],
    ) {
        let lists: Vec<Vec<WantedQuote>> = (lists.iter())
            .map(|set| {
                let mut wanted: Vec<WantedQuote> = Vec::new();
                for &(inst, buy, price, qty) in set {
                    let side = if buy { Side::Buy } else { Side::Sell };
                    if wanted.iter().all(|w| w.key != key(inst, side, 0)) {
                        wanted.push(quote(inst, side, price, qty));
                    }
                }
                wanted
            })
            .collect();
        let rules = QuoteRules { max_actions_per_second: cap, ..RULES };
        let (mut quick, mut full) = (QuoteManager::new(rules, 1), QuoteManager::new(rules, 1));
        let (mut now, mut pending) = (0i64, Vec::new());
        for (pick, step_ms, answer_bits) in rounds {
            let wanted = &lists[pick % lists.len()];
            now += step_ms;
            full.diff_in_full();
            let actions = run(&mut quick, now, wanted);
            prop_assert_eq!(&actions, &run(&mut full, now, wanted));
            pending.extend(actions);
            let mut keep = Vec::new();
            for (j, a) in pending.drain(..).enumerate() {
                if answer_bits >> (j % 64) & 1 == 1 {
                    answer_all(&mut quick, &[a]);
                    answer_all(&mut full, &[a]);
                } else {
                    keep.push(a);
                }
            }
            pending = keep;
        }
        let orders = |m: &QuoteManager| m.orders().map(|(k, o)| (*k, o.client_id)).collect::<Vec<_>>();
        prop_assert_eq!(orders(&quick), orders(&full));
    }
}
