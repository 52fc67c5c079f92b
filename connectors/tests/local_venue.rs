//! The local venue's core read by the connector's own parsers (no socket): auth, a book kept by
//! the engine's mirror through the venue's snapshot and changes, a maker's quote accepted and
//! filled by another account as the trader's venue events, a post-only order refused,
//! reconciliation's lists, cancel-on-disconnect, and a missed heartbeat closing the connection.

use connectors::deribit::book::BookMessage;
use connectors::deribit::changes::Tracker;
use connectors::deribit::frame::Frame;
use connectors::venue::core::VenueCore;
use connectors::venue::Reply;
use engine::book::L2Book;
use engine::trader::VenueEvent;
use engine::{Instrument, Instruments, Price, Qty};
use serde_json::{json, Value};

const CALL: &str = "ETH-27MAR26-2000-C";

fn venue() -> (VenueCore, Instruments) {
    let mut instruments = Instruments::new();
    instruments
        .intern(Instrument::deribit(CALL).unwrap())
        .unwrap();
    let venue = VenueCore::new(instruments.clone(), &[("maker", "s1"), ("taker", "s2")]);
    (venue, instruments)
}

/// `public/auth`'s params for client credentials.
fn credentials(id: &str, secret: &str) -> Value {
    json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret})
}

fn rpc(venue: &mut VenueCore, conn: u64, id: u64, method: &str, params: Value) -> Vec<Frame> {
    let mut out = Vec::new();
    let text = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
    venue.on_text(conn, 1_000 * id as i64, &text, &mut out);
    frames(conn, out)
}

/// The frames sent to `conn`.
fn frames(conn: u64, out: Vec<Reply>) -> Vec<Frame> {
    out.into_iter()
        .filter_map(|r| match r {
            Reply::Text(c, t) if c == conn => Some(Frame::parse(&t).unwrap()),
            _ => None,
        })
        .collect()
}

fn result(frames: &[Frame], id: u64) -> Result<Value, (i64, String)> {
    for f in frames {
        match f {
            Frame::Result { id: i, result } if *i == id => return Ok(result.clone()),
            Frame::Error {
                id: i,
                code,
                message,
            } if *i == id => return Err((*code, message.clone())),
            _ => {}
        }
    }
    panic!("no answer to {id}: {frames:?}")
}

/// The maker's view: its book mirror and its order events.
struct View {
    book: L2Book,
    tracker: Tracker,
    events: Vec<VenueEvent>,
}

impl View {
    fn read(&mut self, instruments: &Instruments, frames: &[Frame]) {
        for f in frames {
            let Frame::Subscription { channel, data } = f else {
                continue;
            };
            if channel.starts_with("book.") {
                let m = BookMessage::parse(
                    instruments.get(engine::InstrumentId(0)),
                    &mut data.reader(),
                )
                .unwrap();
                m.apply(&mut self.book).unwrap();
            } else {
                self.tracker
                    .on_changes(instruments, &data.value().unwrap(), &mut self.events)
                    .unwrap();
            }
        }
    }
}

#[test]
fn a_maker_and_a_taker_meet_on_the_local_venue() {
    let (mut v, instruments) = venue();
    let (maker, taker) = (v.connect(), v.connect());
    let mut view = View {
        book: L2Book::new(),
        tracker: Tracker::new(),
        events: Vec::new(),
    };
    let bad = rpc(
        &mut v,
        maker,
        1,
        "public/auth",
        credentials("maker", "nope"),
    );
    assert_eq!(result(&bad, 1), Err((13004, "invalid_credentials".into())));
    let unauthorized = rpc(&mut v, maker, 2, "private/buy", json!({}));
    assert_eq!(result(&unauthorized, 2).unwrap_err().0, 13009);
    rpc(&mut v, maker, 3, "public/auth", credentials("maker", "s1"));
    rpc(&mut v, taker, 4, "public/auth", credentials("taker", "s2"));
    let subscribed = rpc(
        &mut v,
        maker,
        5,
        "private/subscribe",
        json!({"channels": [format!("book.{CALL}.raw"), "user.changes.option.ETH.raw"]}),
    );
    view.read(&instruments, &subscribed);
    assert!(view.book.is_live() && view.book.best_ask().is_none());

    // The maker's post-only offer: accepted, in the book.
    let offer = json!({"instrument_name": CALL, "amount": 10.0, "price": 0.052, "label": "rm-41", "post_only": true, "reject_post_only": true});
    let placed = rpc(&mut v, maker, 6, "private/sell", offer);
    assert_eq!(result(&placed, 6).unwrap()["order"]["order_state"], "open");
    view.read(&instruments, &placed);
    assert_eq!(view.book.best_ask(), Some((Price(520), Qty(10))));
    assert!(matches!(
        view.events[..],
        [VenueEvent::Accepted { client_id: 41, .. }]
    ));

    // The taker lifts 4; the maker is told its fill, and its book moves (change ids not +1).
    let lift = json!({"instrument_name": CALL, "amount": 4.0, "price": 0.052, "time_in_force": "immediate_or_cancel"});
    let mut out = Vec::new();
    v.on_text(
        taker,
        7_000,
        &json!({"jsonrpc": "2.0", "id": 7, "method": "private/buy", "params": lift}).to_string(),
        &mut out,
    );
    // The taker's answer carries its trade, as Deribit's does.
    let answer = result(&frames(taker, out.clone()), 7).unwrap();
    let trades = answer["trades"].as_array().unwrap();
    assert_eq!((trades.len(), &trades[0]["amount"]), (1, &json!(4.0)));
    view.read(&instruments, &frames(maker, out));
    let VenueEvent::Filled {
        client_id: 41,
        fill,
    } = view.events[1]
    else {
        panic!("{:?}", view.events)
    };
    assert_eq!((fill.price, fill.qty), (Price(520), Qty(4)));
    assert_eq!(view.book.best_ask(), Some((Price(520), Qty(6))));

    // A post-only order that would cross is refused, never re-priced.
    let cross = json!({"instrument_name": CALL, "amount": 1.0, "price": 0.052, "label": "rm-42", "post_only": true, "reject_post_only": true});
    let taker_bid = rpc(&mut v, taker, 8, "private/buy", cross);
    assert_eq!(
        result(&taker_bid, 8),
        Err((11054, "post_only_reject".into()))
    );

    // Reconciliation's lists (a short position's size is negative, as Deribit's).
    let open = result(
        &rpc(
            &mut v,
            maker,
            9,
            "private/get_open_orders_by_currency",
            json!({"currency": "ETH"}),
        ),
        9,
    )
    .unwrap();
    assert_eq!(
        (open[0]["label"].as_str(), open[0]["filled_amount"].as_f64()),
        (Some("rm-41"), Some(4.0))
    );
    let positions = result(
        &rpc(
            &mut v,
            maker,
            10,
            "private/get_positions",
            json!({"currency": "ETH"}),
        ),
        10,
    )
    .unwrap();
    assert_eq!(
        (
            positions[0]["size"].as_f64(),
            positions[0]["direction"].as_str()
        ),
        (Some(-4.0), Some("sell"))
    );

    // The maker asks for cancel-on-disconnect and drops: the taker's book view loses the offer.
    rpc(
        &mut v,
        maker,
        11,
        "private/enable_cancel_on_disconnect",
        json!({"scope": "connection"}),
    );
    let watch = rpc(
        &mut v,
        taker,
        12,
        "public/subscribe",
        json!({"channels": [format!("book.{CALL}.raw")]}),
    );
    let mut taker_book = L2Book::new();
    let apply = |book: &mut L2Book, frames: &[Frame]| {
        for f in frames {
            if let Frame::Subscription { data, .. } = f {
                BookMessage::parse(instruments.get(engine::InstrumentId(0)), &mut data.reader())
                    .unwrap()
                    .apply(book)
                    .unwrap();
            }
        }
    };
    apply(&mut taker_book, &watch);
    assert_eq!(taker_book.best_ask(), Some((Price(520), Qty(6))));
    let mut out = Vec::new();
    v.disconnect(maker, &mut out);
    apply(&mut taker_book, &frames(taker, out));
    assert_eq!(taker_book.best_ask(), None, "cancelled on disconnect");
}

#[test]
fn a_missed_heartbeat_closes_the_connection() {
    let (mut v, _) = venue();
    let c = v.connect();
    rpc(
        &mut v,
        c,
        1,
        "public/set_heartbeat",
        json!({"interval": 10}),
    );
    let mut out = Vec::new();
    v.tick(10_999, &mut out);
    assert!(out.is_empty());
    v.tick(11_000, &mut out);
    assert!(matches!(
        &frames(c, out)[..],
        [Frame::Heartbeat { test_request: true }]
    ));
    // Answered: the next one comes ten seconds on; unanswered, the connection closes.
    rpc(&mut v, c, 2, "public/test", json!({}));
    let mut out = Vec::new();
    v.tick(21_000, &mut out);
    assert_eq!(frames(c, out.clone()).len(), 1);
    v.tick(31_000, &mut out);
    assert!(out.contains(&Reply::Close(c)), "{out:?}");
    let unknown = rpc(&mut v, c, 3, "private/levitate", json!({}));
    assert_eq!(
        result(&unknown, 3),
        Err((-32601, "Method not found".into()))
    );
}

#[test]
fn the_house_shows_a_market_and_its_takers_fill_clients() {
    use connectors::venue::house::House;
    use engine::Side;
    let (mut v, instruments) = venue();
    let maker = v.connect();
    let mut view = View {
        book: L2Book::new(),
        tracker: Tracker::new(),
        events: Vec::new(),
    };
    rpc(&mut v, maker, 1, "public/auth", credentials("maker", "s1"));
    let sub = rpc(
        &mut v,
        maker,
        2,
        "private/subscribe",
        json!({"channels": [format!("book.{CALL}.raw"), "user.changes.option.ETH.raw"]}),
    );
    view.read(&instruments, &sub);
    // The market's levels, and again as it moves: the old ones go.
    let book = |bid: f64, ask: f64| House::Book {
        instrument: CALL.into(),
        bids: vec![(bid, 5.0)],
        asks: vec![(ask, 5.0)],
    };
    let mut out = Vec::new();
    assert!(v.house(&book(0.05, 0.054), 1_000, &mut out).is_empty());
    assert!(v.house(&book(0.0505, 0.0545), 2_000, &mut out).is_empty());
    view.read(&instruments, &frames(maker, std::mem::take(&mut out)));
    assert_eq!(view.book.best_bid(), Some((Price(505), Qty(5))));
    assert_eq!(view.book.best_ask(), Some((Price(545), Qty(5))));
    // The maker bids inside; a background seller hits it before the house's bid.
    let bid = json!({"instrument_name": CALL, "amount": 3.0, "price": 0.051, "label": "rm-7", "post_only": true, "reject_post_only": true});
    view.read(&instruments, &rpc(&mut v, maker, 3, "private/buy", bid));
    let take = House::Take {
        instrument: CALL.into(),
        side: Side::Sell,
        price: 0.05,
        amount: 4.0,
    };
    assert!(v.house(&take, 3_000, &mut out).is_empty());
    view.read(&instruments, &frames(maker, std::mem::take(&mut out)));
    let fills: Vec<_> = view
        .events
        .iter()
        .filter_map(|e| match e {
            VenueEvent::Filled { fill, .. } => Some((fill.price, fill.qty)),
            _ => None,
        })
        .collect();
    assert_eq!(fills, [(Price(510), Qty(3))]);
    // The rest (1) traded with the house's bid.
    assert_eq!(view.book.best_bid(), Some((Price(505), Qty(4))));
    // A level off the grid is refused and named; the rest of the update applies.
    let off = House::Book {
        instrument: CALL.into(),
        bids: vec![(0.05003, 1.0), (0.05, 2.0)],
        asks: vec![],
    };
    let refused = v.house(&off, 4_000, &mut out);
    assert_eq!(refused.len(), 1);
    assert!(refused[0].contains("0.05003"), "{refused:?}");
    view.read(&instruments, &frames(maker, out));
    assert_eq!(view.book.best_bid(), Some((Price(500), Qty(2))));
}

/// A trader that was away (restarted) learns from the venue's lists what happened: the fill it
/// missed, the orders gone, the order of ours it never knew, and the position to match.
#[test]
fn reconciliation_against_the_local_venue_tells_what_happened_while_away() {
    use connectors::deribit::reconcile;
    let (mut v, instruments) = venue();
    let (maker, taker, desk) = (v.connect(), v.connect(), v.connect());
    for (c, id, secret) in [
        (maker, "maker", "s1"),
        (taker, "taker", "s2"),
        (desk, "maker", "s1"),
    ] {
        rpc(&mut v, c, 1, "public/auth", credentials(id, secret));
    }
    let offer = |label: &str, price: f64| json!({"instrument_name": CALL, "amount": 10.0, "price": price, "label": label, "post_only": true, "reject_post_only": true});
    rpc(&mut v, maker, 2, "private/sell", offer("rm-1", 0.052));
    rpc(&mut v, maker, 3, "private/sell", offer("rm-2", 0.055));
    // While the trader is away: 4 of rm-1 bought, rm-2 cancelled from another connection of the
    // account, and an order labelled as ours placed there that the trader never sent.
    let lift = json!({"instrument_name": CALL, "amount": 4.0, "price": 0.052, "time_in_force": "immediate_or_cancel"});
    rpc(&mut v, taker, 4, "private/buy", lift);
    rpc(
        &mut v,
        desk,
        5,
        "private/cancel_by_label",
        json!({"label": "rm-2", "currency": "ETH"}),
    );
    rpc(&mut v, desk, 6, "private/sell", offer("rm-9", 0.06));
    // The trader thinks 1, 2 and 3 live (3 never reached the venue).
    let open = result(
        &rpc(
            &mut v,
            maker,
            7,
            "private/get_open_orders_by_currency",
            json!({"currency": "ETH"}),
        ),
        7,
    )
    .unwrap();
    let trades = result(
        &rpc(
            &mut v,
            maker,
            8,
            "private/get_user_trades_by_currency",
            json!({"currency": "ETH"}),
        ),
        8,
    )
    .unwrap();
    let mut tracker = Tracker::new();
    let r = reconcile::orders(
        &instruments,
        &mut tracker,
        &[1, 2, 3].into(),
        &open,
        &trades,
    )
    .unwrap();
    let VenueEvent::Filled { client_id: 1, fill } = r.events[0] else {
        panic!("{:?}", r.events)
    };
    assert_eq!((fill.price, fill.qty), (Price(520), Qty(4)));
    assert_eq!(
        &r.events[1..],
        [
            VenueEvent::Cancelled { client_id: 2 },
            VenueEvent::Cancelled { client_id: 3 }
        ]
    );
    assert_eq!((r.orphans, r.foreign), (vec!["rm-9".to_string()], 0));
    let positions = result(
        &rpc(
            &mut v,
            maker,
            9,
            "private/get_positions",
            json!({"currency": "ETH"}),
        ),
        9,
    )
    .unwrap();
    let call = engine::InstrumentId(0);
    let gaps = reconcile::position_gaps(&instruments, &[], &positions).unwrap();
    assert_eq!(gaps, [(CALL.to_string(), Qty(0), Qty(-4))]);
    let held = [(call, Qty(-4))];
    assert!(reconcile::position_gaps(&instruments, &held, &positions)
        .unwrap()
        .is_empty());
}

#[test]
fn the_venue_takes_a_fresh_client_signature_and_refuses_the_rest() {
    use connectors::deribit::signature::sign;
    let (mut v, _) = venue();
    let c = v.connect();
    // `rpc` puts the venue's clock at 1000 x the request id (milliseconds).
    let auth = |ts: i64, secret: &str| {
        json!({"grant_type": "client_signature", "client_id": "maker", "timestamp": ts,
               "nonce": "n0nce", "data": "", "signature": sign(secret, ts, "n0nce", "")})
    };
    let stale = rpc(&mut v, c, 100, "public/auth", auth(100_000 - 61_000, "s1"));
    assert_eq!(
        result(&stale, 100),
        Err((13004, "invalid_credentials".into()))
    );
    let wrong = rpc(&mut v, c, 101, "public/auth", auth(101_000, "s2"));
    assert_eq!(
        result(&wrong, 101),
        Err((13004, "invalid_credentials".into()))
    );
    let unauthorized = rpc(&mut v, c, 102, "private/get_positions", json!({}));
    assert_eq!(result(&unauthorized, 102).unwrap_err().0, 13009);
    let ok = rpc(&mut v, c, 103, "public/auth", auth(103_000 - 30_000, "s1"));
    assert!(result(&ok, 103).unwrap()["access_token"].is_string());
    assert_eq!(
        result(
            &rpc(&mut v, c, 104, "private/get_positions", json!({})),
            104
        ),
        Ok(json!([]))
    );
}

#[test]
fn the_house_ticker_reaches_its_subscribers_and_new_ones_get_the_last() {
    use connectors::deribit::ticker::Ticker;
    use connectors::venue::house::House;
    let (mut v, _) = venue();
    let (early, late) = (v.connect(), v.connect());
    let channel = format!("ticker.{CALL}.100ms");
    rpc(
        &mut v,
        early,
        1,
        "public/subscribe",
        json!({"channels": [channel]}),
    );
    let t = Ticker {
        instrument: CALL.into(),
        timestamp_ms: 1_774_000_000_000,
        mark_price: 0.0512,
        mark_iv: Some(0.65),
        index_price: 2000.0,
        underlying_price: Some(2004.5),
        best_bid_price: None,
        best_ask_price: None,
    };
    let mut out = Vec::new();
    v.house(&House::Ticker(t.clone()), 2_000, &mut out);
    let got = |frames: Vec<Frame>| -> Vec<Ticker> {
        frames
            .into_iter()
            .filter_map(|f| match f {
                Frame::Subscription { data, .. } => {
                    Some(Ticker::parse(&mut data.reader()).unwrap())
                }
                _ => None,
            })
            .collect()
    };
    assert_eq!(got(frames(early, out)), std::slice::from_ref(&t));
    // A later subscriber gets the last one at once.
    let sub = rpc(
        &mut v,
        late,
        3,
        "public/subscribe",
        json!({"channels": [format!("ticker.{CALL}.raw")]}),
    );
    assert_eq!(got(sub), [t]);
    let unknown = rpc(
        &mut v,
        late,
        4,
        "public/subscribe",
        json!({"channels": ["ticker.ETH-1JAN30-1-C.raw"]}),
    );
    assert_eq!(result(&unknown, 4).unwrap_err().0, -32602);
}

/// Each instrument's engine numbers its own orders: orders on two instruments with the same
/// number in their engines are still two orders, each edited and cancelled by its own label.
#[test]
fn orders_on_two_instruments_are_told_apart_by_label() {
    let mut instruments = Instruments::new();
    for name in [CALL, "ETH-27MAR26-2500-C"] {
        instruments
            .intern(Instrument::deribit(name).unwrap())
            .unwrap();
    }
    let mut v = VenueCore::new(instruments, &[("maker", "s1")]);
    let c = v.connect();
    rpc(&mut v, c, 1, "public/auth", credentials("maker", "s1"));
    let offer = |name: &str, label: &str| json!({"instrument_name": name, "amount": 1.0, "price": 0.05, "label": label, "post_only": true, "reject_post_only": true});
    let a = result(&rpc(&mut v, c, 2, "private/sell", offer(CALL, "rm-1")), 2).unwrap();
    let b = result(
        &rpc(
            &mut v,
            c,
            3,
            "private/sell",
            offer("ETH-27MAR26-2500-C", "rm-2"),
        ),
        3,
    )
    .unwrap();
    assert_ne!(a["order"]["order_id"], b["order"]["order_id"]);
    let edit = json!({"label": "rm-1", "instrument_name": CALL, "amount": 2.0, "price": 0.051});
    let edited = result(&rpc(&mut v, c, 4, "private/edit_by_label", edit), 4).unwrap();
    assert_eq!(edited["order"]["instrument_name"], CALL);
    assert_eq!(edited["order"]["amount"], 2.0);
    let cancel = json!({"label": "rm-2", "currency": "ETH"});
    assert_eq!(
        result(&rpc(&mut v, c, 5, "private/cancel_by_label", cancel), 5),
        Ok(json!(1))
    );
    let open = result(
        &rpc(
            &mut v,
            c,
            6,
            "private/get_open_orders_by_currency",
            json!({"currency": "ETH"}),
        ),
        6,
    )
    .unwrap();
    let labels: Vec<&str> = open
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["rm-1"]);
}

/// `book.*.100ms` carries the same sequence as `.raw`: its snapshot, then each change.
#[test]
fn the_100ms_book_channel_gets_the_changes_in_sequence() {
    let (mut v, instruments) = venue();
    let (watcher, maker) = (v.connect(), v.connect());
    rpc(&mut v, maker, 1, "public/auth", credentials("maker", "s1"));
    let mut view = View {
        book: L2Book::new(),
        tracker: Tracker::new(),
        events: Vec::new(),
    };
    let channels = json!({"channels": [format!("book.{CALL}.100ms")]});
    view.read(
        &instruments,
        &rpc(&mut v, watcher, 2, "public/subscribe", channels),
    );
    assert!(view.book.is_live());
    let offer = json!({"instrument_name": CALL, "amount": 3.0, "price": 0.05, "label": "rm-1"});
    let mut out = Vec::new();
    let text = json!({"jsonrpc": "2.0", "id": 3, "method": "private/sell", "params": offer});
    v.on_text(maker, 3_000, &text.to_string(), &mut out);
    let seen = frames(watcher, out);
    assert_eq!(seen.len(), 1, "{seen:?}");
    view.read(&instruments, &seen);
    assert_eq!(view.book.best_ask(), Some((Price(500), Qty(3))));
}

/// Orders that end are forgotten once their answers and notifications are out: a house
/// replacing its levels for hours holds its open orders only.
#[test]
fn the_venue_holds_open_orders_only() {
    use connectors::venue::house::House;
    let (mut v, _) = venue();
    let c = v.connect();
    rpc(&mut v, c, 1, "public/auth", credentials("maker", "s1"));
    let mut out = Vec::new();
    for i in 0..1_000 {
        let bid = [0.04, 0.0405, 0.041][i as usize % 3];
        let book = House::Book {
            instrument: CALL.into(),
            bids: vec![(bid, 5.0)],
            asks: vec![(0.06, 5.0)],
        };
        assert!(v.house(&book, 1_000 + i64::from(i), &mut out).is_empty());
    }
    assert_eq!(v.orders_kept(), 2);
    // A client's order filled whole is forgotten too; its label then names nothing.
    let offer = json!({"instrument_name": CALL, "amount": 1.0, "price": 0.05, "label": "rm-1"});
    rpc(&mut v, c, 2, "private/sell", offer);
    let lift = House::Take {
        instrument: CALL.into(),
        side: engine::Side::Buy,
        price: 0.05,
        amount: 1.0,
    };
    v.house(&lift, 2_000, &mut out);
    assert_eq!(v.orders_kept(), 2);
    let cancel = json!({"label": "rm-1", "currency": "ETH"});
    assert_eq!(
        result(&rpc(&mut v, c, 3, "private/cancel_by_label", cancel), 3),
        Ok(json!(0))
    );
}

#[test]
fn an_expiry_delivers_the_positions_ends_the_orders_and_closes_the_book() {
    use connectors::venue::house::House;
    let (mut v, _) = venue();
    let (maker, taker) = (v.connect(), v.connect());
    rpc(&mut v, maker, 1, "public/auth", credentials("maker", "s1"));
    rpc(&mut v, taker, 2, "public/auth", credentials("taker", "s2"));
    let order = |price: f64, amount: f64, label: &str| json!({"instrument_name": CALL, "amount": amount, "price": price, "label": label});
    rpc(&mut v, maker, 3, "private/buy", order(0.05, 3.0, "rm-1"));
    rpc(&mut v, taker, 4, "private/sell", order(0.05, 3.0, ""));
    rpc(&mut v, maker, 5, "private/sell", order(0.06, 2.0, "rm-2"));
    let deliver = |index_price: f64| House::Deliver {
        instrument: CALL.into(),
        index_price,
    };
    let mut out = Vec::new();
    assert_eq!(v.house(&deliver(0.0), 6_000, &mut out).len(), 1, "no price");
    assert!(v.house(&deliver(2_500.0), 7_000, &mut out).is_empty());
    let ask = |v: &mut VenueCore, conn, id, method: &str, params| {
        result(&rpc(v, conn, id, method, params), id).unwrap()
    };
    // The maker's open order ended with the book, and its position was paid out.
    assert_eq!(
        ask(
            &mut v,
            maker,
            7,
            "private/get_open_orders_by_currency",
            json!({})
        ),
        json!([])
    );
    assert_eq!(
        ask(&mut v, maker, 8, "private/get_positions", json!({})),
        json!([])
    );
    // Paid at (2500 - 2000) / 2500 = 0.2 ETH a contract: the maker's 3 long, the taker's 3 short.
    let history = ask(
        &mut v,
        maker,
        9,
        "private/get_settlement_history_by_currency",
        json!({"currency": "ETH", "type": "delivery"}),
    );
    let s = &history["settlements"][0];
    assert_eq!(
        (s["instrument_name"].as_str(), s["position"].as_f64()),
        (Some(CALL), Some(3.0))
    );
    assert_eq!(
        (s["mark_price"].as_f64(), s["index_price"].as_f64()),
        (Some(0.2), Some(2_500.0))
    );
    assert_eq!(s["timestamp"].as_i64(), Some(7_000));
    let theirs = ask(
        &mut v,
        taker,
        10,
        "private/get_settlement_history_by_currency",
        json!({"currency": "ETH"}),
    );
    assert_eq!(theirs["settlements"][0]["position"].as_f64(), Some(-3.0));
    let none = ask(
        &mut v,
        maker,
        11,
        "private/get_settlement_history_by_currency",
        json!({"currency": "ETH", "type": "bankruptcy"}),
    );
    assert_eq!(none["settlements"], json!([]));
    // Closed: no more orders, listed as inactive, and delivered once.
    let refused = result(
        &rpc(&mut v, maker, 12, "private/buy", order(0.05, 1.0, "rm-3")),
        12,
    );
    assert!(refused.is_err(), "{refused:?}");
    let listed = ask(&mut v, maker, 13, "public/get_instruments", json!({}));
    assert_eq!(listed[0]["is_active"], json!(false));
    assert_eq!(
        v.house(&deliver(2_500.0), 8_000, &mut out).len(),
        1,
        "delivered already"
    );
}

#[test]
fn the_markets_trades_reach_the_trades_channels_as_the_takers_side() {
    use connectors::deribit::trades;
    let (mut v, _) = venue();
    let (maker, taker, watcher) = (v.connect(), v.connect(), v.connect());
    rpc(&mut v, maker, 1, "public/auth", credentials("maker", "s1"));
    rpc(&mut v, taker, 2, "public/auth", credentials("taker", "s2"));
    let channels = [
        format!("trades.{CALL}.raw"),
        "trades.option.ETH.100ms".into(),
    ];
    let sub = rpc(
        &mut v,
        watcher,
        3,
        "public/subscribe",
        json!({"channels": channels}),
    );
    assert!(result(&sub, 3).is_ok());
    let refused = rpc(
        &mut v,
        watcher,
        4,
        "public/subscribe",
        json!({"channels": ["trades.ETH-1JAN20-1-C.raw"]}),
    );
    assert!(result(&refused, 4).is_err(), "an instrument not listed");
    let order = |price: f64| json!({"instrument_name": CALL, "amount": 2.0, "price": price});
    rpc(&mut v, maker, 5, "private/buy", order(0.05));
    let mut out = Vec::new();
    let text = json!({"jsonrpc": "2.0", "id": 6, "method": "private/sell", "params": order(0.05)});
    v.on_text(taker, 6_000, &text.to_string(), &mut out);
    let seen = frames(watcher, out);
    assert_eq!(seen.len(), 2, "one message a channel: {seen:?}");
    for f in &seen {
        let Frame::Subscription { data, .. } = f else {
            panic!("{f:?}");
        };
        let list = trades::parse(&mut data.reader()).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (list[0].direction, list[0].amount, list[0].price),
            (engine::Side::Sell, 2.0, 0.05)
        );
    }
}

#[test]
fn trades_older_than_a_day_come_only_when_asked_as_historical_and_page() {
    let (mut v, _) = venue();
    let (maker, taker) = (v.connect(), v.connect());
    rpc(&mut v, maker, 1, "public/auth", credentials("maker", "s1"));
    rpc(&mut v, taker, 2, "public/auth", credentials("taker", "s2"));
    let hour = 3_600_000;
    let at = |v: &mut VenueCore, conn, id: u64, now: i64, method: &str, params: Value| {
        let mut out = Vec::new();
        let text = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        v.on_text(conn, now, &text.to_string(), &mut out);
        result(&frames(conn, out), id).unwrap()
    };
    let order = |label: &str| json!({"instrument_name": CALL, "amount": 1.0, "price": 0.05, "label": label});
    // Three trades: at 0 h, 10 h and 30 h.
    for (k, h) in [0, 10, 30].into_iter().enumerate() {
        let id = 10 + 2 * k as u64;
        at(
            &mut v,
            maker,
            id,
            h * hour,
            "private/buy",
            order(&format!("rm-{id}")),
        );
        at(&mut v, taker, id + 1, h * hour, "private/sell", order(""));
    }
    let now = 35 * hour;
    let ids = |answer: &Value| -> Vec<i64> {
        (answer["trades"].as_array().unwrap().iter())
            .map(|t| t["timestamp"].as_i64().unwrap() / hour)
            .collect()
    };
    let recent = at(
        &mut v,
        maker,
        20,
        now,
        "private/get_user_trades_by_currency",
        json!({"currency": "ETH", "count": 1000}),
    );
    assert_eq!(
        (ids(&recent), &recent["has_more"]),
        (vec![30], &json!(false)),
        "the last day only"
    );
    let method = "private/get_user_trades_by_currency_and_time";
    let since = |start: i64, count: u64| {
        json!({"currency": "ETH", "start_timestamp": start,
        "end_timestamp": now, "count": count, "sorting": "asc", "historical": true})
    };
    let page = at(&mut v, maker, 21, now, method, since(0, 2));
    assert_eq!((ids(&page), &page["has_more"]), (vec![0, 10], &json!(true)));
    let rest = at(&mut v, maker, 22, now, method, since(10 * hour, 2));
    assert_eq!(
        (ids(&rest), &rest["has_more"]),
        (vec![10, 30], &json!(false))
    );
    let without = at(
        &mut v,
        maker,
        23,
        now,
        method,
        json!({"currency": "ETH", "start_timestamp": 0}),
    );
    assert_eq!(
        ids(&without),
        [30],
        "not historical: the last day only, newest first"
    );
}

#[test]
fn a_series_listed_later_is_listed_and_trades() {
    use connectors::venue::house::House;
    let (mut v, _) = venue();
    let maker = v.connect();
    rpc(&mut v, maker, 1, "public/auth", credentials("maker", "s1"));
    let later = "ETH-24APR26-2500-C";
    let order = json!({"instrument_name": later, "amount": 1.0, "price": 0.05, "label": "rm-1"});
    let before = rpc(&mut v, maker, 2, "private/buy", order.clone());
    assert!(result(&before, 2).is_err(), "not listed yet");
    let mut out = Vec::new();
    let list = House::List {
        instrument: later.into(),
    };
    assert!(v.house(&list, 3_000, &mut out).is_empty());
    assert!(
        v.house(&list, 3_000, &mut out).is_empty(),
        "again: nothing changes"
    );
    let bad = House::List {
        instrument: "not a name".into(),
    };
    assert_eq!(v.house(&bad, 3_000, &mut out).len(), 1);
    let listed = result(
        &rpc(&mut v, maker, 4, "public/get_instruments", json!({})),
        4,
    )
    .unwrap();
    let names: Vec<&str> = (listed.as_array().unwrap().iter())
        .filter_map(|i| i["instrument_name"].as_str())
        .collect();
    assert_eq!(names, [CALL, later]);
    assert!(result(&rpc(&mut v, maker, 5, "private/buy", order), 5).is_ok());
}

#[test]
fn the_house_never_takes_a_clients_order_its_level_slides_behind_it() {
    use connectors::venue::house::House;
    let (mut v, _) = venue();
    let maker = v.connect();
    rpc(&mut v, maker, 1, "public/auth", credentials("maker", "s1"));
    let ask = json!({"instrument_name": CALL, "amount": 2.0, "price": 0.05, "label": "rm-1"});
    rpc(&mut v, maker, 2, "private/sell", ask);
    // The market moved up through the maker's stale offer: the house's bid shows behind it.
    let book = House::Book {
        instrument: CALL.into(),
        bids: vec![(0.055, 5.0)],
        asks: vec![(0.06, 5.0)],
    };
    let mut out = Vec::new();
    assert!(v.house(&book, 3_000, &mut out).is_empty());
    let positions = result(
        &rpc(&mut v, maker, 3, "private/get_positions", json!({})),
        3,
    );
    assert_eq!(positions, Ok(json!([])), "not filled by the house");
    let open = result(
        &rpc(
            &mut v,
            maker,
            4,
            "private/get_open_orders_by_currency",
            json!({}),
        ),
        4,
    );
    assert_eq!(open.unwrap()[0]["filled_amount"], json!(0.0));
}
