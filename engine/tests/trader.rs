//! The trader: strategy in, actions out, venue events back into the quote manager and the ledger;
//! whatever does not take effect is counted by reason.

use engine::instrument::Instrument;
use engine::matching::OrderId;
use engine::position::Fill;
use engine::quotes::{Action, QuoteKey, QuoteRules, WantedQuote, WantedTake};
use engine::state::State;
use engine::strategy::{Strategy, Wanted};
use engine::trader::{Refusal, Trader, VenueEvent};
use engine::{InstrumentId, Instruments, Price, Qty, Side, Timestamp};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// Wants exactly the quotes it is given.
struct Scripted(Vec<WantedQuote>);

/// Wants to cross with exactly the takes it is given.
struct Taking(Vec<WantedTake>);

impl Strategy for Taking {
    fn name(&self) -> &'static str {
        "taking"
    }
    fn quotes(&mut self, _: &State, out: &mut Wanted) {
        out.takes.extend_from_slice(&self.0);
    }
}

impl Strategy for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }
    fn quotes(&mut self, _: &State, out: &mut Wanted) {
        out.quotes.extend_from_slice(&self.0);
    }
}

fn state() -> State {
    State {
        now: Timestamp(0),
        underlying: "ETH".into(),
        index: None,
        expiries: Vec::new(),
        series: Vec::new(),
        surface: None,
        hedge: None,
        cash_eth: 0.0,
    }
}

fn setup() -> (Instruments, InstrumentId, Trader) {
    let mut instruments = Instruments::new();
    let id = instruments
        .intern(Instrument::deribit("ETH-27MAR26-2000-C").unwrap())
        .unwrap();
    let rules = QuoteRules {
        price_threshold_ticks: 0,
        size_threshold_lots: 0,
        max_actions_per_second: 100,
    };
    (instruments, id, Trader::new(rules, 1))
}

fn offer(id: InstrumentId, price: i64, qty: i64) -> WantedQuote {
    WantedQuote {
        key: QuoteKey {
            instrument: id,
            side: Side::Sell,
            level: 0,
        },
        price: Price(price),
        qty: Qty(qty),
        tick: 5,
    }
}

fn fill(id: InstrumentId, side: Side, price: i64, qty: i64, fee: &str) -> Fill {
    Fill {
        instrument: id,
        side,
        price: Price(price),
        qty: Qty(qty),
        fee: fee.parse().unwrap(),
        ts: Timestamp(0),
    }
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn a_quote_placed_filled_and_settled_is_booked_once() {
    let (instruments, id, mut trader) = setup();
    let mut actions = Vec::new();
    trader.requote(
        Timestamp(0),
        &state(),
        &mut Scripted(vec![offer(id, 515, 10)]),
        &mut actions,
    );
    let [Action::Place { client_id, .. }] = actions[..] else {
        panic!("{actions:?}")
    };
    assert_eq!(trader.order(client_id), Some((id, Side::Sell)));
    trader.on_event(
        &instruments,
        VenueEvent::Accepted {
            client_id,
            venue_id: OrderId(7),
        },
    );
    trader.on_event(
        &instruments,
        VenueEvent::Filled {
            client_id,
            fill: fill(id, Side::Sell, 515, 4, "0.0012"),
        },
    );
    assert_eq!(trader.position(id), Qty(-4));
    assert_eq!(trader.ledger().cash(), d("0.2048"));
    // The rest of the order still rests: the same wants send nothing.
    actions.clear();
    trader.requote(
        Timestamp(1),
        &state(),
        &mut Scripted(vec![offer(id, 515, 6)]),
        &mut actions,
    );
    assert!(actions.is_empty(), "{actions:?}");
    // Expiry: the order ends, the short pays 0.2 a contract and a 0.0006 fee.
    trader.on_event(&instruments, VenueEvent::Expired { client_id });
    trader.on_event(
        &instruments,
        VenueEvent::Settled {
            instrument: id,
            value: d("0.2"),
            fee: d("0.0006"),
            at: Timestamp(2),
        },
    );
    assert_eq!(trader.position(id), Qty(0));
    assert_eq!(trader.ledger().cash(), d("0.2048") - d("0.8") - d("0.0006"));
    assert_eq!(trader.ledger().fees(), d("0.0018"));
    assert!(trader.manager().is_empty());
    assert!(trader.refusals().is_empty(), "{:?}", trader.refusals());
}

#[test]
fn nothing_refused_is_dropped_silently() {
    let (instruments, id, mut trader) = setup();
    let mut actions = Vec::new();
    // The same key twice: refused whole, nothing sent.
    let twice = vec![offer(id, 515, 1), offer(id, 520, 1)];
    trader.requote(Timestamp(0), &state(), &mut Scripted(twice), &mut actions);
    assert!(actions.is_empty());
    trader.requote(
        Timestamp(0),
        &state(),
        &mut Scripted(vec![offer(id, 515, 2)]),
        &mut actions,
    );
    let [Action::Place { client_id, .. }] = actions[..] else {
        panic!("{actions:?}")
    };
    trader.on_event(&instruments, VenueEvent::Rejected { client_id });
    trader.on_event(&instruments, VenueEvent::Cancelled { client_id: 99 });
    trader.on_event(&instruments, VenueEvent::Refused { client_id: 98 });
    let counts: Vec<(Refusal, u64)> = trader.refusals().iter().map(|(r, n)| (*r, *n)).collect();
    assert_eq!(
        counts,
        [
            (Refusal::BadWantedQuotes, 1),
            (Refusal::OrderRejected, 1),
            (Refusal::ActionRefused, 1),
            (Refusal::UnknownOrder, 2),
        ]
    );
    // A fill past the order's amount: booked (the venue says we traded), and counted.
    actions.clear();
    trader.requote(
        Timestamp(5),
        &state(),
        &mut Scripted(vec![offer(id, 515, 2)]),
        &mut actions,
    );
    let [Action::Place { client_id, .. }] = actions[..] else {
        panic!("{actions:?}")
    };
    let accepted = VenueEvent::Accepted {
        client_id,
        venue_id: OrderId(1),
    };
    trader.on_event(&instruments, accepted);
    let over = fill(id, Side::Sell, 515, 3, "0");
    trader.on_event(
        &instruments,
        VenueEvent::Filled {
            client_id,
            fill: over,
        },
    );
    assert_eq!(trader.position(id), Qty(-3));
    assert_eq!(trader.refusals()[&Refusal::ImpossibleEvent], 1);
    assert_eq!(Refusal::ImpossibleEvent.to_string(), "impossible_event");
}

proptest! {
    /// Positions and cash equal the sum of the fills the venue reported, whatever the order of
    /// acknowledgements and fills.
    #[test]
    fn the_ledger_is_the_sum_of_the_fills(
        fs in prop::collection::vec((any::<bool>(), 1i64..2_000, 1i64..20, 0i64..1_000), 1..40)
    ) {
        let (instruments, id, mut trader) = setup();
        let (mut size, mut cash) = (0i64, Decimal::ZERO);
        for (buy, p, q, fee) in fs {
            let side = if buy { Side::Buy } else { Side::Sell };
            let f = Fill { fee: Decimal::new(fee, 6), ..fill(id, side, p, q, "0") };
            trader.on_event(&instruments, VenueEvent::Filled { client_id: 1, fill: f });
            size += side.sign() * q;
            cash -= Decimal::from(side.sign() * q) * Decimal::new(p, 4) + f.fee;
        }
        prop_assert_eq!(trader.position(id), Qty(size));
        prop_assert_eq!(trader.ledger().cash(), cash);
    }
}

#[test]
fn a_take_is_sent_booked_as_it_fills_and_forgotten_when_it_ends() {
    let (mut instruments, _, mut trader) = setup();
    let perp = instruments
        .intern(Instrument::deribit("ETH-PERPETUAL").unwrap())
        .unwrap();
    let take = |qty| WantedTake {
        instrument: perp,
        side: Side::Sell,
        price: Price(40_000), // 2000 USD on the 0.05 tick
        qty: Qty(qty),
    };
    let mut actions = Vec::new();
    trader.requote(
        Timestamp(0),
        &state(),
        &mut Taking(vec![take(3000)]),
        &mut actions,
    );
    let [Action::Take {
        client_id,
        side,
        qty,
        ..
    }] = actions[..]
    else {
        panic!("{actions:?}")
    };
    assert_eq!((side, qty), (Side::Sell, Qty(3000)));
    assert!(trader.manager().is_empty(), "a take never rests");
    // Wanted again before it is answered: not sent twice.
    let mut again = Vec::new();
    let wants = &mut Taking(vec![take(3000)]);
    trader.requote(Timestamp(0), &state(), wants, &mut again);
    assert!(again.is_empty(), "{again:?}");
    let sold = |qty, price| VenueEvent::Filled {
        client_id,
        fill: fill(perp, Side::Sell, price, qty, "0"),
    };
    trader.on_event(&instruments, sold(1000, 40_000));
    trader.on_event(&instruments, sold(2000, 40_000));
    assert_eq!(
        trader.position(perp),
        Qty(-3000),
        "3000 USD of the perpetual short"
    );
    // Filled whole: it has ended, so an event for it now is of an order the trader does not know.
    trader.on_event(&instruments, VenueEvent::Cancelled { client_id });
    assert_eq!(trader.refusals().get(&Refusal::UnknownOrder), Some(&1));

    // Another, partly filled, its rest cancelled; then a bad take: counted, not sent.
    actions.clear();
    trader.requote(
        Timestamp(1),
        &state(),
        &mut Taking(vec![take(500), take(0)]),
        &mut actions,
    );
    let [Action::Take {
        client_id: next, ..
    }] = actions[..]
    else {
        panic!("{actions:?}")
    };
    assert_ne!(next, client_id, "ids are never reused");
    assert_eq!(trader.refusals().get(&Refusal::BadWantedQuotes), Some(&1));
    let bought = VenueEvent::Filled {
        client_id: next,
        fill: fill(perp, Side::Buy, 38_000, 200, "0"),
    };
    trader.on_event(&instruments, bought);
    trader.on_event(&instruments, VenueEvent::Cancelled { client_id: next });
    assert_eq!(trader.position(perp), Qty(-2800));
    // Inverse: 200 USD sold at 2000 and bought back at 1900 realize 200 x (1/1900 - 1/2000) ETH.
    let realized = trader.ledger().position(perp).unwrap().realized_pnl();
    assert_eq!(
        realized,
        d("200") * (d("1") / d("1900") - d("1") / d("2000"))
    );
    assert_eq!(trader.refusals().get(&Refusal::UnknownOrder), Some(&1));
}

/// A book tick re-prices its own series only: an offer the new best bid reaches moves a tick over
/// it; the other series' orders are left alone; a tick that reaches nothing sends nothing.
#[test]
fn a_book_tick_moves_only_its_series_quotes_off_the_other_side() {
    let (mut instruments, call, mut trader) = setup();
    let other = (instruments.intern(Instrument::deribit("ETH-27MAR26-2500-C").unwrap())).unwrap();
    let mut actions = Vec::new();
    let wants = vec![offer(call, 515, 10), offer(other, 300, 10)];
    trader.requote(Timestamp(0), &state(), &mut Scripted(wants), &mut actions);
    for a in &actions {
        let Action::Place { client_id, .. } = *a else {
            panic!("{a:?}")
        };
        let accepted = VenueEvent::Accepted {
            client_id,
            venue_id: OrderId(client_id),
        };
        trader.on_event(&instruments, accepted);
    }
    actions.clear();
    let rule = instruments.get(call).tick_rule().clone();
    let top = |bid: i64| engine::state::Top {
        bid: Some((Price(bid), Qty(1))),
        ask: None,
        live: true,
        updated: Timestamp(0),
    };
    trader.reprice(Timestamp(1), call, (&top(500), &rule), &mut actions);
    assert!(
        actions.is_empty(),
        "the bid is under the offer: {actions:?}"
    );
    trader.reprice(Timestamp(2), call, (&top(515), &rule), &mut actions);
    let [Action::Amend {
        client_id, price, ..
    }] = actions[..]
    else {
        panic!("{actions:?}")
    };
    assert_eq!(trader.order(client_id), Some((call, Side::Sell)));
    assert_eq!(price, rule.next_up(Price(515)));
    assert_eq!(
        trader.manager().len(),
        2,
        "the other series' order is left alone"
    );
}
