//! The local venue on a socket: JSON-RPC over WebSocket (any path; Deribit's is `/ws/api/v2`)
//! and over HTTP at `/api/v2/{method}` ([`http`]). One task owns the [`VenueCore`] and is fed by every connection's task over a
//! channel, so requests are served one at a time in arrival order, as a matching engine must;
//! the core's heartbeat ticks every `tick`, the house's market (`house`, if any) moves as its
//! feed says, and the [`Faults`] asked for are injected on the way in and out.

use super::core::{error, VenueCore};
use super::faults::{Dice, Faults, Injected, MALFORMED};
use super::house::House;
use super::http;
use super::{ConnId, Reply};
use crate::deribit::budget::Rate;
use futures_util::{SinkExt, StreamExt};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
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

/// How the venue runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// How often heartbeats (and the per-minute faults) are checked.
    pub tick: Duration,
    pub faults: Faults,
    /// Where what was injected is counted.
    pub injected: Arc<Injected>,
    /// Requests a second and the burst each connection may send; one past it is refused with
    /// `too_many_requests` (10028) and the connection closed, as Deribit does. None: no limit.
    pub rate_limit: Option<Rate>,
}

impl Options {
    /// No faults, heartbeats checked every `tick`.
    pub fn plain(tick: Duration) -> Options {
        Options {
            tick,
            faults: Faults::default(),
            injected: Arc::default(),
            rate_limit: None,
        }
    }
}

/// Serves `core` on `listener` until the listener fails; `house` moves the venue's own market.
pub async fn serve(
    listener: TcpListener,
    core: VenueCore,
    house: Option<mpsc::Receiver<House>>,
    options: Options,
) {
    let (to_core, inbox) = mpsc::unbounded_channel();
    let (delay, reorder, seed) = (
        options.faults.max_delay_ms,
        options.faults.reorder,
        options.faults.seed,
    );
    let injected = options.injected.clone();
    tokio::spawn(run_core(core, inbox, house, options));
    let mut n = 0u64;
    while let Ok((tcp, _)) = listener.accept().await {
        n += 1;
        // Each frame out as it is written (Nagle's algorithm would hold a small one back
        // while an earlier one is unacknowledged), as Deribit's own.
        let _ = tcp.set_nodelay(true);
        let to_core = to_core.clone();
        let dice = Dice::new(
            Faults {
                max_delay_ms: delay,
                reorder,
                seed: seed ^ n.wrapping_mul(0x9e37_79b9),
                ..Faults::default()
            },
            injected.clone(),
        );
        tokio::spawn(async move {
            // The HTTP API or a WebSocket, told apart by the request line.
            let mut first = [0u8; 16];
            let n = tcp.peek(&mut first).await.unwrap_or(0);
            if http::is_http_api(&first[..n]) {
                return http_request(tcp, to_core).await;
            }
            if let Ok(ws) = tokio_tungstenite::accept_async(tcp).await {
                connection(ws, to_core, dice).await;
            }
        });
    }
}

/// The core's task: requests, heartbeats, the house's market, and the faults in the middle.
struct CoreTask {
    core: VenueCore,
    rate_limit: Option<governor::Quota>,
    limiters: HashMap<ConnId, governor::DefaultDirectRateLimiter>,
    /// Connections the venue has ended (past the rate limit): what they still send is not read.
    ended: HashSet<ConnId>,
    conns: HashMap<ConnId, mpsc::UnboundedSender<Reply>>,
    hung: HashSet<ConnId>,
    dice: Dice,
    tick_seconds: f64,
    out: Vec<Reply>,
}

async fn run_core(
    core: VenueCore,
    mut inbox: mpsc::UnboundedReceiver<ToCore>,
    mut house: Option<mpsc::Receiver<House>>,
    options: Options,
) {
    // Milliseconds since the epoch, as Deribit's timestamps (and signatures) are.
    let now = || {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        since.map_or(0, |d| d.as_millis() as i64)
    };
    let mut ticks = tokio::time::interval(options.tick);
    let quota = options.rate_limit.map(|r| r.quota(false));

    let mut t = CoreTask {
        core,
        rate_limit: quota,
        limiters: HashMap::new(),
        ended: HashSet::new(),
        conns: HashMap::new(),
        hung: HashSet::new(),
        dice: Dice::new(options.faults, options.injected),
        tick_seconds: options.tick.as_secs_f64(),
        out: Vec::new(),
    };
    loop {
        tokio::select! {
            message = inbox.recv() => match message {
                Some(ToCore::Open(replies, id)) => {
                    let conn = t.core.connect();
                    t.conns.insert(conn, replies);
                    if let Some(q) = t.rate_limit {
                        t.limiters.insert(conn, governor::RateLimiter::direct(q));
                    }
                    let _ = id.send(conn);
                }
                Some(ToCore::Text(conn, text)) => t.request(conn, now(), &text),
                Some(ToCore::Gone(conn)) => {
                    t.conns.remove(&conn);
                    t.hung.remove(&conn);
                    t.limiters.remove(&conn);
                    t.ended.remove(&conn);
                    t.core.disconnect(conn, &mut t.out);
                }
                None => return,
            },
            _ = ticks.tick() => t.tick(now()),
            h = next_house(&mut house) => match h {
                Some(h) => {
                    for refused in t.core.house(&h, now(), &mut t.out) {
                        tracing::debug!("house update refused: {refused}");
                    }
                }
                // The feed ended: the market stands still from here.
                None => house = None,
            },
        }
        t.route();
    }
}

impl CoreTask {
    /// A request, or its refusal where an order is to be refused.
    fn request(&mut self, conn: ConnId, now: i64, text: &str) {
        if self.ended.contains(&conn) {
            return;
        }
        let over = self.limiters.get(&conn).is_some_and(|l| l.check().is_err());
        if over {
            Injected::count(&self.dice.injected.rate_limited);
            self.ended.insert(conn);
            self.refuse(conn, text, (10_028, "too_many_requests"));
            self.out.push(Reply::Close(conn));
            return;
        }
        let is_order = text.contains("\"private/buy\"") || text.contains("\"private/sell\"");
        if is_order && self.dice.roll(self.dice.faults.refuse_orders) {
            Injected::count(&self.dice.injected.refused_orders);
            self.refuse(conn, text, (11_000, "refused (injected fault)"));
            return;
        }
        self.core.on_text(conn, now, text, &mut self.out);
    }

    /// The request `text` answered with the error `code`, `message`.
    fn refuse(&mut self, conn: ConnId, text: &str, (code, message): (i64, &str)) {
        let id = serde_json::from_str::<serde_json::Value>(text).map(|v| v["id"].as_u64());
        let refusal = error(id.ok().flatten(), (code, message));
        self.out.push(Reply::Text(conn, refusal));
    }

    /// Heartbeats, and the per-minute faults.
    fn tick(&mut self, now: i64) {
        self.core.tick(now, &mut self.out);
        if self.dice.injected.ended() {
            self.hung.clear();
        }
        let conns: Vec<ConnId> = self.conns.keys().copied().collect();
        for conn in conns {
            let f = self.dice.faults.clone();
            if self.dice.per_minute(f.drop_per_minute, self.tick_seconds) {
                Injected::count(&self.dice.injected.dropped);
                self.out.push(Reply::Close(conn));
            } else if !self.hung.contains(&conn)
                && self.dice.per_minute(f.hang_per_minute, self.tick_seconds)
            {
                Injected::count(&self.dice.injected.hung);
                self.hung.insert(conn);
            }
        }
    }

    /// What the core said, to each connection: nothing to a hung one, book changes lost and
    /// malformed frames slipped in as the faults say.
    fn route(&mut self) {
        for reply in std::mem::take(&mut self.out) {
            let conn = match &reply {
                Reply::Text(c, _) | Reply::Close(c) => *c,
            };
            let Some(tx) = self.conns.get(&conn) else {
                continue;
            };
            if let Reply::Text(_, text) = &reply {
                if self.hung.contains(&conn) {
                    continue;
                }
                let change =
                    text.contains("\"type\":\"change\"") && text.contains("\"channel\":\"book.");
                if change && self.dice.roll(self.dice.faults.lose_book_change) {
                    Injected::count(&self.dice.injected.lost_book_changes);
                    continue;
                }
                if self.dice.roll(self.dice.faults.malformed) {
                    Injected::count(&self.dice.injected.malformed);
                    let _ = tx.send(Reply::Text(conn, MALFORMED.to_string()));
                }
            }
            let _ = tx.send(reply);
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

/// One HTTP request: signed in by its header if it has one, served, answered, gone.
async fn http_request(mut tcp: tokio::net::TcpStream, to_core: mpsc::UnboundedSender<ToCore>) {
    let call = match http::read_request(&mut tcp).await {
        Ok((verb, target, auth, body)) => http::call_of(&verb, &target, auth.as_deref(), &body),
        Err(why) => Err(why),
    };
    let call = match call {
        Ok(c) => c,
        Err(why) => {
            let text = error(None, (-32600, &format!("Invalid Request: {why}")));
            return http::respond(&mut tcp, 400, &text).await;
        }
    };
    let (replies, mut from_core) = mpsc::unbounded_channel();
    let (id_tx, id_rx) = tokio::sync::oneshot::channel();
    if to_core.send(ToCore::Open(replies, id_tx)).is_err() {
        return;
    }
    let Ok(conn) = id_rx.await else { return };
    let mut link = OneShot {
        to_core: &to_core,
        from_core: &mut from_core,
        conn,
    };
    let answer = match call.auth {
        Some(auth) => match link.ask(1, "public/auth", auth).await {
            Some(a) if a.contains("\"error\"") => Some((401, a)),
            Some(_) => None,
            None => Some((401, String::new())),
        },
        None => None,
    };
    let (status, text) = match answer {
        Some(refused) => refused,
        None => {
            let answer = link.ask(2, &call.method, call.params).await;
            (200, answer.unwrap_or_default())
        }
    };
    let _ = to_core.send(ToCore::Gone(conn));
    let status = if text.contains("\"error\"") && status == 200 {
        400
    } else {
        status
    };
    http::respond(&mut tcp, status, &text).await;
}

/// An HTTP request's connection to the core.
struct OneShot<'a> {
    to_core: &'a mpsc::UnboundedSender<ToCore>,
    from_core: &'a mut mpsc::UnboundedReceiver<Reply>,
    conn: ConnId,
}

impl OneShot<'_> {
    /// The answer's text to request `id` (None: the core has gone).
    async fn ask(&mut self, id: u64, method: &str, params: serde_json::Value) -> Option<String> {
        let rpc =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.to_core
            .send(ToCore::Text(self.conn, rpc.to_string()))
            .ok()?;
        loop {
            let Reply::Text(_, text) = self.from_core.recv().await? else {
                return None;
            };
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            if v["id"] == id {
                return Some(text);
            }
        }
    }
}

async fn connection(mut ws: Ws, to_core: mpsc::UnboundedSender<ToCore>, mut dice: Dice) {
    let (replies, mut from_core) = mpsc::unbounded_channel();
    let (id_tx, id_rx) = tokio::sync::oneshot::channel();
    if to_core.send(ToCore::Open(replies, id_tx)).is_err() {
        return;
    }
    let Ok(conn) = id_rx.await else { return };
    // A frame held back to go after the next one (reordering).
    let mut held: Option<String> = None;
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
                    let delay = dice.delay_ms();
                    if delay > 0 {
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                    }
                    if held.is_none() && dice.roll(dice.faults.reorder) {
                        Injected::count(&dice.injected.reordered);
                        held = Some(text);
                        continue;
                    }
                    let frames = std::iter::once(text).chain(held.take());
                    let mut failed = false;
                    for f in frames {
                        failed |= ws.send(Message::text(f)).await.is_err();
                    }
                    if failed {
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
