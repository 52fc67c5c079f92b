//! The local venue on a socket: JSON-RPC over WebSocket (any path for now; Deribit's is
//! `/ws/api/v2`). One task owns the [`VenueCore`] and is fed by every connection's task over a
//! channel, so requests are served one at a time in arrival order, as a matching engine must;
//! the core's heartbeat ticks every `tick`, and the house's market (`house`, if any) moves as its
//! feed says.

use super::core::VenueCore;
use super::house::House;
use super::{ConnId, Reply};
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

enum ToCore {
    Open(
        mpsc::UnboundedSender<Reply>,
        tokio::sync::oneshot::Sender<ConnId>,
    ),
    Text(ConnId, String),
    Gone(ConnId),
}

/// Serves `core` on `listener` until the listener fails; `house` moves the venue's own market.
pub async fn serve(
    listener: TcpListener,
    core: VenueCore,
    tick: Duration,
    house: Option<mpsc::Receiver<House>>,
) {
    let (to_core, inbox) = mpsc::unbounded_channel();
    tokio::spawn(run_core(core, inbox, tick, house));
    while let Ok((tcp, _)) = listener.accept().await {
        let to_core = to_core.clone();
        tokio::spawn(async move {
            if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                connection(ws, to_core).await;
            }
        });
    }
}

async fn run_core(
    mut core: VenueCore,
    mut inbox: mpsc::UnboundedReceiver<ToCore>,
    tick: Duration,
    mut house: Option<mpsc::Receiver<House>>,
) {
    let start = Instant::now();
    let now = || start.elapsed().as_millis() as i64;
    let mut conns: HashMap<ConnId, mpsc::UnboundedSender<Reply>> = HashMap::new();
    let mut ticks = tokio::time::interval(tick);
    let mut out = Vec::new();
    loop {
        tokio::select! {
            message = inbox.recv() => match message {
                Some(ToCore::Open(replies, id)) => {
                    let conn = core.connect();
                    conns.insert(conn, replies);
                    let _ = id.send(conn);
                }
                Some(ToCore::Text(conn, text)) => core.on_text(conn, now(), &text, &mut out),
                Some(ToCore::Gone(conn)) => {
                    conns.remove(&conn);
                    core.disconnect(conn, &mut out);
                }
                None => return,
            },
            _ = ticks.tick() => core.tick(now(), &mut out),
            h = next_house(&mut house) => match h {
                Some(h) => {
                    for refused in core.house(&h, now(), &mut out) {
                        tracing::debug!("house update refused: {refused}");
                    }
                }
                // The feed ended: the market stands still from here.
                None => house = None,
            },
        }
        for reply in out.drain(..) {
            let conn = match &reply {
                Reply::Text(c, _) | Reply::Close(c) => *c,
            };
            if let Some(tx) = conns.get(&conn) {
                let _ = tx.send(reply);
            }
        }
    }
}

/// The next house update, or never when there is no feed.
async fn next_house(house: &mut Option<mpsc::Receiver<House>>) -> Option<House> {
    match house {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

async fn connection(mut ws: Ws, to_core: mpsc::UnboundedSender<ToCore>) {
    let (replies, mut from_core) = mpsc::unbounded_channel();
    let (id_tx, id_rx) = tokio::sync::oneshot::channel();
    if to_core.send(ToCore::Open(replies, id_tx)).is_err() {
        return;
    }
    let Ok(conn) = id_rx.await else { return };
    loop {
        tokio::select! {
            message = ws.next() => match message {
                Some(Ok(Message::Text(t))) => {
                    if to_core.send(ToCore::Text(conn, t.to_string())).is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            reply = from_core.recv() => match reply {
                Some(Reply::Text(_, text)) => {
                    if ws.send(Message::text(text)).await.is_err() {
                        break;
                    }
                }
                Some(Reply::Close(_)) | None => {
                    let _ = ws.close(None).await;
                    break;
                }
            },
        }
    }
    let _ = to_core.send(ToCore::Gone(conn));
}
