//! The connector against the local venue injecting faults on loopback: malformed frames are
//! counted and survived, a lost book change shows as a gap in the mirror, a refused order comes
//! back as a refusal, dropped connections are reconnected. What the venue injected is compared
//! with what the client saw.

use connectors::deribit::book::BookMessage;
use connectors::deribit::budget::Rate;
use connectors::deribit::connection::{Command, Event};
use connectors::deribit::session::Out;
use connectors::venue::core::VenueCore;
use connectors::venue::faults::{Faults, Injected};
use connectors::venue::house::House;
use connectors::venue::server::{serve, Options};
use engine::book::{BookStatus, L2Book};
use engine::{Instrument, Instruments};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

mod common;
use common::client;

const PERP: &str = "ETH-PERPETUAL";

/// A venue listing the perpetual, injecting `faults`; its address, its market's feed, and the
/// counts of what it injected.
async fn venue(
    faults: Faults,
    rate_limit: Option<Rate>,
) -> (String, mpsc::Sender<House>, Arc<Injected>) {
    let mut instruments = Instruments::new();
    instruments
        .intern(Instrument::deribit(PERP).unwrap())
        .unwrap();
    let core = VenueCore::new(instruments, &[("desk", "s1")]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws/api/v2", listener.local_addr().unwrap());
    let injected = Arc::new(Injected::default());
    let options = Options {
        tick: Duration::from_millis(50),
        faults,
        injected: injected.clone(),
        rate_limit,
    };
    let (house, feed) = mpsc::channel(1024);
    tokio::spawn(serve(listener, core, Some(feed), options));
    (url, house, injected)
}

fn level(i: usize) -> House {
    let bid = 2000.0 + 0.05 * i as f64;
    House::Book {
        instrument: PERP.into(),
        bids: vec![(bid, 1000.0)],
        asks: vec![(bid + 0.05, 1000.0)],
    }
}

#[tokio::test]
async fn malformed_frames_are_survived_and_a_lost_book_change_shows_as_a_gap() {
    let faults = Faults {
        malformed: 0.2,
        lose_book_change: 0.2,
        seed: 7,
        ..Faults::default()
    };
    let (url, house, injected) = venue(faults, None).await;
    let common::Client {
        commands,
        mut events,
    } = client(&url, ("desk", "s1"), &["book.ETH-PERPETUAL.raw"], 2_000);
    let perp = Instrument::deribit(PERP).unwrap();
    let mut book = L2Book::new();
    let (mut malformed, mut gaps, mut changes) = (0u64, 0u64, 0u64);
    // The market moves 200 times, once the client has its snapshot.
    let (subscribed, snapshot_seen) = tokio::sync::oneshot::channel::<()>();
    let mut subscribed = Some(subscribed);
    tokio::spawn(async move {
        let _ = snapshot_seen.await;
        for i in 0..200 {
            house.send(level(i)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });
    let lost = || injected.lost_book_changes.load(Ordering::Relaxed);
    let script = async {
        // Every change either arrives or was lost (the first update makes the snapshot's book).
        while changes + lost() < 199 {
            let Some(e) = events.recv().await else { break };
            match e {
                Event::Malformed(_) => malformed += 1,
                Event::Session(Out::Data { data, .. }) => {
                    let m = BookMessage::parse(&perp, &mut data.reader()).unwrap();
                    changes += u64::from(!m.snapshot);
                    if m.snapshot {
                        subscribed.take().map(|s| s.send(()));
                    }
                    if m.apply(&mut book).is_err() && matches!(book.status(), BookStatus::Stale(_))
                    {
                        gaps += 1;
                    }
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), script)
        .await
        .expect("in time");
    commands.send(Command::Stop).await.unwrap();
    let n = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    assert!(
        n(&injected.malformed) > 0 && n(&injected.lost_book_changes) > 0,
        "{}",
        injected.report()
    );
    // Every malformed frame injected before the client left was seen and counted by it.
    assert!(
        malformed > 0 && malformed <= n(&injected.malformed),
        "{malformed} seen; {}",
        injected.report()
    );
    assert!(
        gaps > 0,
        "no gap seen after {} lost changes",
        n(&injected.lost_book_changes)
    );
}

#[tokio::test]
async fn a_refused_order_comes_back_refused_and_dropped_connections_come_back() {
    let faults = Faults {
        refuse_orders: 1.0,
        drop_per_minute: 120.0,
        seed: 3,
        ..Faults::default()
    };
    let (url, _house, injected) = venue(faults, None).await;
    let common::Client {
        commands,
        mut events,
    } = client(&url, ("desk", "s1"), &[], 2_000);
    let (mut connected, mut refused) = (0, None);
    let script = async {
        while connected < 3 || refused.is_none() {
            match events.recv().await {
                Some(Event::Connected) => connected += 1,
                Some(Event::Session(Out::Authenticated { .. })) if refused.is_none() => {
                    let sell = json!({"instrument_name": PERP, "amount": 10.0, "price": 2000.0, "label": "rm-1"});
                    let call = Command::Call {
                        method: "private/sell".into(),
                        params: sell.into(),
                        tag: 1,
                        since: None,
                    };
                    commands.send(call).await.unwrap();
                }
                Some(Event::Session(Out::Refused { code, .. })) => refused = Some(code),
                Some(_) => {}
                None => break,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), script)
        .await
        .expect("in time");
    commands.send(Command::Stop).await.unwrap();
    assert_eq!(refused, Some(11_000));
    assert_eq!(injected.refused_orders.load(Ordering::Relaxed), 1);
    assert!(
        injected.dropped.load(Ordering::Relaxed) >= 2,
        "{}",
        injected.report()
    );
}

/// Past the venue's own rate limit a request is refused with too_many_requests and the session
/// ends; the client comes back (slower: its budget halves) instead of dying.
#[tokio::test]
async fn too_many_requests_ends_the_session_and_the_client_comes_back() {
    let (url, _house, injected) = venue(
        Faults::default(),
        Some(Rate {
            per_second: 5,
            burst: 5,
        }),
    )
    .await;
    let common::Client {
        commands,
        mut events,
    } = client(&url, ("desk", "s1"), &[], 2_000);
    let (mut connected, mut ended) = (0, None);
    let script = async {
        while connected < 2 {
            match events.recv().await {
                Some(Event::Connected) => connected += 1,
                Some(Event::Session(Out::Authenticated { .. })) if ended.is_none() => {
                    // Past the venue's 5 at once (the client's own budget allows 100).
                    for _ in 0..10 {
                        let call = Command::Call {
                            method: "public/get_time".into(),
                            params: json!({}).into(),
                            tag: 0,
                            since: None,
                        };
                        commands.send(call).await.unwrap();
                    }
                }
                Some(Event::Session(Out::Ended { why })) => ended = Some(why),
                Some(_) => {}
                None => break,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), script)
        .await
        .expect("in time");
    commands.send(Command::Stop).await.unwrap();
    let why = ended.expect("the session ended");
    assert!(why.contains("10028"), "{why}");
    assert_eq!(
        injected.rate_limited.load(Ordering::Relaxed),
        1,
        "{}",
        injected.report()
    );
    assert_eq!(connected, 2, "it came back");
}
