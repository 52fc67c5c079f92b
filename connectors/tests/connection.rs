//! The connection on loopback against a scripted peer: it answers the venue's heartbeat, survives a
//! malformed frame, reconnects after the venue drops it, and subscribes each channel exactly once
//! on each connection.

use connectors::deribit::budget::{Budget, Limits};
use connectors::deribit::connection::{run, Command, Event, Options};
use connectors::deribit::session::Session;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

type Peer = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// The next request the client sent, as JSON.
async fn next_request(ws: &mut Peer) -> Value {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(t.as_str()).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("the client went away: {other:?}"),
        }
    }
}

async fn answer(ws: &mut Peer, request: &Value) {
    let reply = json!({"jsonrpc": "2.0", "id": request["id"], "result": "ok"});
    ws.send(Message::text(reply.to_string())).await.unwrap();
}

/// Answers the connection's opening requests; the channels it subscribed, in one list.
async fn opening(ws: &mut Peer) -> Vec<String> {
    let heartbeat = next_request(ws).await;
    assert_eq!(heartbeat["method"], "public/set_heartbeat");
    answer(ws, &heartbeat).await;
    let subscribe = next_request(ws).await;
    assert_eq!(subscribe["method"], "public/subscribe");
    answer(ws, &subscribe).await;
    let channels = subscribe["params"]["channels"].as_array().unwrap();
    channels
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn it_answers_heartbeats_survives_bad_frames_and_resubscribes_once_after_a_drop() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (commands, command_rx) = mpsc::channel(16);
    let (event_tx, mut events) = mpsc::channel(64);
    let options = Options {
        url,
        tick: Duration::from_millis(20),
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    };
    let session = Session::new(None, 10, 5_000);
    let channels = vec![
        "book.ETH-PERPETUAL.raw".to_string(),
        "trades.ETH-PERPETUAL.raw".to_string(),
    ];
    commands
        .send(Command::Subscribe(channels.clone()))
        .await
        .unwrap();
    let client = tokio::spawn(run(
        options,
        session,
        Budget::new(Limits::default()),
        command_rx,
        event_tx,
    ));

    let peer = async {
        // First connection: the opening, a test_request answered, a malformed frame, then a drop.
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        assert_eq!(opening(&mut ws).await, channels);
        let beat =
            json!({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}});
        ws.send(Message::text(beat.to_string())).await.unwrap();
        assert_eq!(next_request(&mut ws).await["method"], "public/test");
        ws.send(Message::text("{not json")).await.unwrap();
        let data = json!({"jsonrpc": "2.0", "method": "subscription", "params": {"channel": "trades.ETH-PERPETUAL.raw", "data": [1]}});
        ws.send(Message::text(data.to_string())).await.unwrap();
        drop(ws);
        // Second: the same channels, once, in one request; then nothing more is asked.
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        assert_eq!(opening(&mut ws).await, channels);
        let quiet = tokio::time::timeout(Duration::from_millis(200), next_request(&mut ws)).await;
        assert!(quiet.is_err(), "a second subscribe: {quiet:?}");
        commands.send(Command::Stop).await.unwrap();
    };
    tokio::time::timeout(Duration::from_secs(10), peer)
        .await
        .expect("the script ran in time");
    tokio::time::timeout(Duration::from_secs(5), client)
        .await
        .expect("stopped")
        .unwrap();

    let mut seen = Vec::new();
    while let Ok(e) = events.try_recv() {
        seen.push(e);
    }
    let connected = seen.iter().filter(|e| **e == Event::Connected).count();
    assert_eq!(connected, 2, "{seen:?}");
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::Malformed(m) if m.contains("{not json"))),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|e| matches!(e, Event::Disconnected { .. })),
        "{seen:?}"
    );
    let data = seen.iter().any(|e| matches!(e, Event::Session(connectors::deribit::session::Out::Data { channel, .. }) if channel == "trades.ETH-PERPETUAL.raw"));
    assert!(data, "{seen:?}");
}

/// `wss://` is spoken: against a peer that is not TLS the handshake fails as TLS, where a client
/// without TLS would refuse the scheme itself.
#[tokio::test]
async fn wss_addresses_go_through_tls() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((mut s, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = s.write_all(b"HTTP/1.1 400 not TLS\r\n\r\n").await;
        }
    });
    let url = format!("wss://localhost:{}/ws/api/v2", addr.port());
    let e = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap_err();
    let shown = e.to_string();
    assert!(
        !matches!(e, tokio_tungstenite::tungstenite::Error::Url(_)),
        "{shown}"
    );
    // rustls read the peer's plain-text answer as a record that is not TLS.
    assert!(shown.contains("InvalidContentType"), "{shown}");
}

/// A client allowed `per_second` matching-engine requests a second (one at once), its requests
/// timing out after `timeout_ms`, connected to the peer returned (its opening answered), asked
/// for `buys` orders at once.
async fn slow_client(
    per_second: u32,
    timeout_ms: i64,
    buys: u64,
) -> (
    mpsc::Sender<Command>,
    mpsc::Receiver<Event>,
    Peer,
    tokio::task::JoinHandle<()>,
) {
    use connectors::deribit::budget::Rate;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (commands, command_rx) = mpsc::channel(16);
    let (event_tx, events) = mpsc::channel(64);
    let options = Options {
        url,
        tick: Duration::from_millis(20),
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    };
    let limits = Limits {
        matching: Rate {
            per_second,
            burst: 1,
        },
        other: Rate {
            per_second: 20,
            burst: 20,
        },
    };
    let session = Session::new(None, 10, timeout_ms);
    let client = tokio::spawn(run(
        options,
        session,
        Budget::new(limits),
        command_rx,
        event_tx,
    ));
    let (tcp, _) = listener.accept().await.unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    let heartbeat = next_request(&mut ws).await;
    answer(&mut ws, &heartbeat).await;
    for tag in 1..=buys {
        let params = json!({"instrument_name": "ETH-PERPETUAL", "amount": 10, "price": 2000,
                            "label": format!("L{tag}")});
        let call = Command::Call {
            method: "private/buy".into(),
            params: params.into(),
            tag,
            since: None,
        };
        commands.send(call).await.unwrap();
    }
    (commands, events, ws, client)
}

/// Orders past the budget wait their turn in order, and the connection reads frames meanwhile:
/// a heartbeat is answered before the waiting orders go out.
#[tokio::test]
async fn over_budget_orders_wait_in_order_while_heartbeats_are_answered() {
    // Two matching-engine requests a second, one at once.
    let (commands, _events, mut ws, client) = slow_client(2, 5_000, 3).await;
    let first = next_request(&mut ws).await;
    assert_eq!(first["method"], "private/buy");
    // The other two wait for the budget; the venue's test_request is answered meanwhile.
    let beat = json!({"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}});
    ws.send(Message::text(beat.to_string())).await.unwrap();
    assert_eq!(next_request(&mut ws).await["method"], "public/test");
    let (second, third) = (next_request(&mut ws).await, next_request(&mut ws).await);
    assert_eq!(
        (&second["method"], &third["method"]),
        (&json!("private/buy"), &json!("private/buy"))
    );
    let ids = [&first["id"], &second["id"], &third["id"]].map(|v| v.as_u64().unwrap());
    assert!(ids[0] < ids[1] && ids[1] < ids[2], "in order: {ids:?}");
    commands.send(Command::Stop).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), client).await;
}

/// A book tick's re-price (a request asked with `since`) does not wait for the budget behind
/// other orders' requests; it does behind an earlier request for its own order.
#[tokio::test]
async fn a_re_price_goes_ahead_of_other_orders_requests_but_not_of_its_own() {
    // Two matching-engine requests a second, one at once: L1 goes, L2 and L3 wait.
    let (commands, _events, mut ws, client) = slow_client(2, 5_000, 3).await;
    assert_eq!(next_request(&mut ws).await["params"]["label"], "L1");
    let edit = |tag: u64, label: &str| Command::Call {
        method: "private/edit_by_label".into(),
        params: json!({"label": label, "amount": 10, "price": 2001}).into(),
        tag,
        since: Some(std::time::Instant::now()),
    };
    commands.send(edit(10, "L9")).await.unwrap();
    commands.send(edit(11, "L3")).await.unwrap();
    let mut sent = Vec::new();
    for _ in 0..4 {
        let r = next_request(&mut ws).await;
        sent.push(format!("{} {}", r["method"], r["params"]["label"]));
    }
    let expected = [
        r#""private/edit_by_label" "L9""#,
        r#""private/buy" "L2""#,
        r#""private/buy" "L3""#,
        r#""private/edit_by_label" "L3""#,
    ];
    assert_eq!(sent, expected);
    commands.send(Command::Stop).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), client).await;
}

/// Requests asked together go out in one write: two timed ones are told written at the same
/// moments (handed to the socket, and its write returned).
#[tokio::test]
async fn requests_asked_together_go_out_in_one_write() {
    let (commands, mut events, mut ws, client) = slow_client(2, 5_000, 0).await;
    let since = std::time::Instant::now();
    for tag in [20, 21] {
        let call = Command::Call {
            method: "private/get_positions".into(),
            params: json!({"currency": "ETH"}).into(),
            tag,
            since: Some(since),
        };
        commands.send(call).await.unwrap();
    }
    for _ in 0..2 {
        assert_eq!(
            next_request(&mut ws).await["method"],
            "private/get_positions"
        );
    }
    let mut written = Vec::new();
    while written.len() < 2 {
        let e = tokio::time::timeout(Duration::from_secs(5), events.recv()).await;
        if let Ok(Some(Event::Written {
            tag,
            to_write,
            took,
        })) = e
        {
            written.push((tag, to_write, took));
        }
    }
    assert_eq!((written[0].0, written[1].0), (20, 21));
    assert_eq!((written[0].1, written[0].2), (written[1].1, written[1].2));
    assert!(written[0].1 <= written[0].2);
    commands.send(Command::Stop).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), client).await;
}

/// A request that times out while waiting for the budget is not sent after: its owner was told
/// it timed out and has decided on that (a reconcile).
#[tokio::test]
async fn a_request_timed_out_in_the_queue_is_never_sent() {
    use connectors::deribit::session::Out;
    // One matching-engine request a second; requests time out after 300 ms.
    let (commands, mut events, mut ws, client) = slow_client(1, 300, 2).await;
    assert_eq!(next_request(&mut ws).await["method"], "private/buy");
    let second = tokio::time::timeout(Duration::from_millis(1_500), next_request(&mut ws)).await;
    assert!(second.is_err(), "sent after it timed out: {second:?}");
    let mut timed_out = false;
    while let Ok(e) = events.try_recv() {
        timed_out |= matches!(e, Event::Session(Out::TimedOut { id: 2, .. }));
    }
    assert!(timed_out, "the owner was told");
    commands.send(Command::Stop).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), client).await;
}
