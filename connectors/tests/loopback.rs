//! The connector against the local venue on loopback: two accounts connect, authenticate and
//! subscribe through the real connection; the maker's post-only offer is accepted and the taker's
//! order fills it, which reaches the maker as the trader's events; when the maker's connection
//! closes the venue cancels what it left resting.

use connectors::deribit::changes::Tracker;
use connectors::deribit::connection::{Command, Event};
use connectors::deribit::session::Out;
use connectors::venue::core::VenueCore;
use engine::trader::VenueEvent;
use engine::{Instrument, Instruments, Price, Qty};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpListener;

mod common;
use common::{client, Client};

const CALL: &str = "ETH-27MAR26-2000-C";

/// The next session output of `c` that `f` picks.
async fn until<T>(c: &mut Client, mut f: impl FnMut(&Out) -> Option<T>) -> T {
    loop {
        match c.events.recv().await.expect("the connection is up") {
            Event::Session(o) => {
                if let Some(t) = f(&o) {
                    return t;
                }
            }
            Event::Disconnected { why, .. } => panic!("disconnected: {why}"),
            _ => {}
        }
    }
}

async fn authenticated(c: &mut Client) {
    until(c, |o| matches!(o, Out::Authenticated { .. }).then_some(())).await;
}

async fn call(c: &mut Client, method: &str, params: Value) -> Value {
    let command = Command::Call {
        method: method.into(),
        params: params.into(),
        tag: 0,
        since: None,
    };
    c.commands.send(command).await.unwrap();
    until(c, |o| match o {
        Out::Answer { result, .. } => Some(result.clone()),
        Out::Refused { code, message, .. } => panic!("{method} refused: {code} {message}"),
        _ => None,
    })
    .await
}

#[tokio::test]
async fn a_quote_placed_through_the_connector_is_filled_on_the_local_venue() {
    let mut instruments = Instruments::new();
    instruments
        .intern(Instrument::deribit(CALL).unwrap())
        .unwrap();
    let venue = VenueCore::new(instruments.clone(), &[("maker", "s1"), ("taker", "s2")]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws/api/v2", listener.local_addr().unwrap());
    let options = connectors::venue::server::Options::plain(Duration::from_millis(50));
    tokio::spawn(connectors::venue::server::serve(
        listener, venue, None, options,
    ));

    let script = async {
        let mut maker = client(
            &url,
            ("maker", "s1"),
            &["user.changes.option.ETH.raw"],
            5_000,
        );
        let mut taker = client(&url, ("taker", "s2"), &[], 5_000);
        authenticated(&mut maker).await;
        authenticated(&mut taker).await;
        let offer = json!({"instrument_name": CALL, "amount": 10.0, "price": 0.052, "label": "rm-41",
                           "post_only": true, "reject_post_only": true});
        let placed = call(&mut maker, "private/sell", offer).await;
        assert_eq!(placed["order"]["order_state"], "open");
        let lift = json!({"instrument_name": CALL, "amount": 4.0, "price": 0.052, "time_in_force": "immediate_or_cancel"});
        call(&mut taker, "private/buy", lift).await;
        // The maker's own channel: accepted, then the fill.
        let mut tracker = Tracker::new();
        let mut seen = Vec::new();
        while !seen.iter().any(|e| matches!(e, VenueEvent::Filled { .. })) {
            let data = until(&mut maker, |o| match o {
                Out::Data { channel, data } if channel.starts_with("user.changes") => {
                    Some(data.value().unwrap())
                }
                _ => None,
            })
            .await;
            tracker.on_changes(&instruments, &data, &mut seen).unwrap();
        }
        assert!(
            matches!(seen[0], VenueEvent::Accepted { client_id: 41, .. }),
            "{seen:?}"
        );
        let VenueEvent::Filled {
            client_id: 41,
            fill,
        } = seen[1]
        else {
            panic!("{seen:?}")
        };
        assert_eq!((fill.price, fill.qty), (Price(520), Qty(4)));
        // The maker's connection closes with 6 still offered: the venue cancels them
        // (cancel-on-disconnect, asked for at connect), as a new connection of its account sees.
        maker.commands.send(Command::Stop).await.unwrap();
        while maker.events.recv().await.is_some() {}
        let mut again = client(&url, ("maker", "s1"), &[], 5_000);
        authenticated(&mut again).await;
        let open = call(
            &mut again,
            "private/get_open_orders_by_currency",
            json!({"currency": "ETH"}),
        )
        .await;
        assert_eq!(open, json!([]), "an order outlived its connection");
        let positions = call(
            &mut again,
            "private/get_positions",
            json!({"currency": "ETH"}),
        )
        .await;
        assert_eq!(positions[0]["size"], -4.0);
        for c in [&again, &taker] {
            c.commands.send(Command::Stop).await.unwrap();
        }
    };
    tokio::time::timeout(Duration::from_secs(10), script)
        .await
        .expect("the script ran in time");
}
