//! The socket around a [`Session`]: connects (again after every drop, with jittered exponential
//! backoff), feeds it every frame and a tick every `tick`, sends what it asks within the request
//! [`Budget`], and hands its owner what happened over a channel. The owner talks to it with
//! [`Command`]s. `ws://` (the local venue) or `wss://` (Deribit: rustls, the Mozilla roots built
//! in, so nothing is read from the machine's store).

use super::budget::{Budget, Limits};
use super::frame::{Frame, Params};
use super::session::{Millis, Out, Outgoing, Session};
use backon::{BackoffBuilder, ExponentialBuilder};
use futures_util::{SinkExt, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// What the owner asks of the connection.
#[derive(Debug)]
pub enum Command {
    /// A request; its answer, refusal or time-out comes back as an [`Out`] whose `id` is `tag`
    /// (the owner's own number for it: a client order id, say).
    Call {
        method: String,
        params: Params,
        tag: u64,
        /// When the frame this request answers was read (a book tick's re-price): the time
        /// from then to this request written to the socket comes back as [`Event::Written`].
        since: Option<Instant>,
    },
    Subscribe(Vec<String>),
    /// The account's request limits (from `private/get_account_summary`): the budget follows
    /// them (still halved if the venue has said too many).
    Limits(Limits),
    /// Unsubscribe and subscribe again (a book gone out of sequence: a new snapshot).
    Resubscribe(String),
    /// Close and stop reconnecting.
    Stop,
}

/// What the connection tells its owner: the session's [`Out`]s (the requests it sends apart),
/// and the socket's own events.
#[derive(Debug, PartialEq)]
pub enum Event {
    Session(Out),
    Connected,
    /// The socket closed or failed; the connection will retry after `retry_in`.
    Disconnected {
        why: String,
        retry_in: Duration,
    },
    /// A message that is not a frame, with its text (the connection stays up).
    Malformed(String),
    /// A request asked with `since` written to the socket, that long after its frame was read
    /// (`to_write`: framed and handed to the socket's write, where it leaves the process;
    /// `took`: when that write returned, the rest being the kernel's).
    Written {
        tag: u64,
        to_write: Duration,
        took: Duration,
    },
}

/// Where a connection's events go, as they happen, on the connection's task (so: read, hand on).
pub trait Events: Send {
    /// One event; `read`: when the frame it came from was read off the socket (now, for the
    /// socket's own events). False once the owner is gone (the connection then stops).
    fn event(&mut self, event: Event, read: Instant) -> impl Future<Output = bool> + Send;
}

impl Events for mpsc::Sender<Event> {
    async fn event(&mut self, event: Event, _read: Instant) -> bool {
        self.send(event).await.is_ok()
    }
}

pub struct Options {
    pub url: String,
    pub tick: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

/// Runs the connection until `Command::Stop` or the owner hangs up.
pub async fn run(
    options: Options,
    mut session: Session,
    mut budget: Budget,
    mut commands: mpsc::Receiver<Command>,
    mut events: impl Events,
) {
    let start = Instant::now();
    let now = move || start.elapsed().as_millis() as Millis;
    let backoff = || {
        ExponentialBuilder::new()
            .with_min_delay(options.min_backoff)
            .with_max_delay(options.max_backoff)
            .without_max_times()
            .with_jitter()
            .build()
    };
    let mut delays = backoff();
    let mut tags = HashMap::new();
    loop {
        // TCP_NODELAY: an order is sent when written, not held back while an earlier frame
        // is unacknowledged (Nagle's algorithm: up to a delayed ACK's 40 ms).
        let connecting = tokio_tungstenite::connect_async_with_config(&options.url, None, true);
        let why = match connecting.await {
            Ok((ws, _)) => {
                delays = backoff();
                if stale_commands(&mut commands, &mut session, &mut budget, &mut events).await {
                    return;
                }
                if !events.event(Event::Connected, Instant::now()).await {
                    return;
                }
                let mut link = Link {
                    ws,
                    budget: &mut budget,
                    events: &mut events,
                    tags: &mut tags,
                    read: Instant::now(),
                    waiting: Default::default(),
                    retry_at: None,
                    timed: HashMap::new(),
                    labels: HashMap::new(),
                };
                let ended = link
                    .serve(&mut session, &mut commands, options.tick, &now)
                    .await;
                session.on_disconnected();
                match ended {
                    Ended::Stopped => return,
                    Ended::Dropped(why) => why,
                }
            }
            Err(e) => e.to_string(),
        };
        let retry_in = delays.next().unwrap_or(options.max_backoff);
        let lost = Event::Disconnected { why, retry_in };
        if !events.event(lost, Instant::now()).await {
            return;
        }
        tokio::time::sleep(retry_in).await;
    }
}

/// What the owner asked while the connection was down, before the new one serves: a request
/// is not sent (it was decided on what the owner knew before the drop; the reconcile after the
/// sign-in says what stands) but answered as timed out; subscriptions and limits are kept. True
/// when the owner asked to stop.
async fn stale_commands(
    commands: &mut mpsc::Receiver<Command>,
    session: &mut Session,
    budget: &mut Budget,
    events: &mut impl Events,
) -> bool {
    while let Ok(command) = commands.try_recv() {
        match command {
            Command::Call { method, tag, .. } => {
                let timed_out = Event::Session(Out::TimedOut { id: tag, method });
                if !events.event(timed_out, Instant::now()).await {
                    return true;
                }
            }
            Command::Subscribe(channels) => {
                let channels: Vec<&str> = channels.iter().map(String::as_str).collect();
                session.subscribe(0, &channels, &mut Vec::new());
            }
            Command::Limits(limits) => {
                let slowed = budget.slowed;
                budget.set(limits, slowed);
            }
            // A new connection subscribes every channel afresh.
            Command::Resubscribe(_) => {}
            Command::Stop => return true,
        }
    }
    false
}

enum Ended {
    Stopped,
    Dropped(String),
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Link<'a, E> {
    ws: Ws,
    budget: &'a mut Budget,
    events: &'a mut E,
    /// The owner's tag of each request of its own not yet answered, by the session's id.
    tags: &'a mut HashMap<u64, u64>,
    /// When the frame being handled was read (or the tick or command came).
    read: Instant,
    /// Requests waiting for the budget, in order, matching engine's and others' apart; when to
    /// try again. The connection reads frames meanwhile (a heartbeat is answered on time).
    waiting: [VecDeque<Outgoing>; 2],
    retry_at: Option<tokio::time::Instant>,
    /// The owner's tag and `since` of each request it asked to be told the writing of (a book
    /// tick's re-price: it waits behind no other order's request, [`Link::queue_at`]).
    timed: HashMap<u64, (u64, Instant)>,
    /// The label (the order) of each request not yet sent that names one.
    labels: HashMap<u64, String>,
}

impl<E: Events> Link<'_, E> {
    async fn serve(
        &mut self,
        session: &mut Session,
        commands: &mut mpsc::Receiver<Command>,
        tick: Duration,
        now: &impl Fn() -> Millis,
    ) -> Ended {
        let mut out = Vec::new();
        session.on_connected(now(), &mut out);
        if let Err(why) = self.flush(session, &mut out).await {
            return Ended::Dropped(why);
        }
        let mut ticks = tokio::time::interval(tick);
        loop {
            let retry = self.retry_at;
            // In this order: the timers (ready seldom, never starved by a flood of frames),
            // then orders out before frames in (a re-price is written before the next frame
            // is read).
            tokio::select! {
                biased;
                _ = ticks.tick() => {
                    self.read = Instant::now();
                    session.on_tick(now(), &mut out);
                }
                // The budget allows the next waiting request: `flush` sends it.
                _ = tokio::time::sleep_until(retry.unwrap_or_else(tokio::time::Instant::now)), if retry.is_some() => {}
                command = commands.recv() => match command {
                    Some(Command::Call { method, params, tag, since }) => {
                        let label = params.label().map(str::to_string);
                        let id = session.call(now(), &method, params, &mut out);
                        self.tags.insert(id, tag);
                        if let Some(l) = label {
                            self.labels.insert(id, l);
                        }
                        if let Some(s) = since {
                            self.timed.insert(id, (tag, s));
                        }
                    }
                    Some(Command::Subscribe(channels)) => {
                        let channels: Vec<&str> = channels.iter().map(String::as_str).collect();
                        session.subscribe(now(), &channels, &mut out);
                    }
                    Some(Command::Limits(limits)) => {
                        let slowed = self.budget.slowed;
                        self.budget.set(limits, slowed);
                    }
                    Some(Command::Resubscribe(channel)) => session.resubscribe(now(), &channel, &mut out),
                    Some(Command::Stop) | None => {
                        let _ = self.ws.close(None).await;
                        return Ended::Stopped;
                    }
                },
                message = self.ws.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        self.read = Instant::now();
                        match Frame::parse(text.as_str()) {
                            Ok(frame) => session.on_frame(now(), frame, &mut out),
                            Err(e) => { self.events.event(Event::Malformed(e.to_string()), self.read).await; }
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return Ended::Dropped("closed by the venue".into()),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Ended::Dropped(e.to_string()),
                },
            }
            if let Err(why) = self.flush(session, &mut out).await {
                return Ended::Dropped(why);
            }
        }
    }

    /// Queues the session's requests and sends what the budget allows (an over-budget request
    /// waits its turn, the frames read meanwhile), and hands the rest to the owner.
    async fn flush(&mut self, session: &Session, out: &mut Vec<Out>) -> Result<(), String> {
        for o in out.drain(..) {
            match o {
                Out::Send(request) => {
                    let q = usize::from(!super::budget::is_matching(&request.method));
                    let at = self.queue_at(q, request.id);
                    self.waiting[q].insert(at, request);
                }
                Out::Ended { why } => {
                    // Deribit ended it for too many requests: slower from now on.
                    if why.contains("10028") {
                        self.budget.slow_down();
                    }
                    let ended = Event::Session(Out::Ended { why: why.clone() });
                    self.events.event(ended, self.read).await;
                    return Err(format!("the session ended: {why}"));
                }
                other => {
                    let other = self.tagged(other);
                    self.events.event(Event::Session(other), self.read).await;
                }
            }
        }
        self.send_waiting(session).await
    }

    /// The waiting requests the budget allows, in order within each bucket; when to try again
    /// for the rest. One the session has since timed out is not sent: its owner was told, and
    /// decided on that.
    async fn send_waiting(&mut self, session: &Session) -> Result<(), String> {
        self.retry_at = None;
        for q in 0..2 {
            while let Some(front) = self.waiting[q].front() {
                if !session.is_pending(front.id) {
                    let gone = self.waiting[q].pop_front();
                    gone.map(|g| (self.timed.remove(&g.id), self.labels.remove(&g.id)));
                    continue;
                }
                if let Err(wait) = self.budget.spend(&front.method) {
                    let at = tokio::time::Instant::now() + wait;
                    self.retry_at = Some(self.retry_at.map_or(at, |r| r.min(at)));
                    break;
                }
                let Some(request) = self.waiting[q].pop_front() else {
                    break;
                };
                self.labels.remove(&request.id);
                let timed = self.timed.remove(&request.id);
                // Framed into the socket's buffer (a frame this small is not written yet),
                // then written: the time to the write is taken between the two.
                let text = Message::text(request.into_text());
                self.ws.feed(text).await.map_err(|e| e.to_string())?;
                let to_write = timed.map(|(_, since)| since.elapsed());
                self.ws.flush().await.map_err(|e| e.to_string())?;
                if let (Some((tag, since)), Some(to_write)) = (timed, to_write) {
                    let took = since.elapsed();
                    let written = Event::Written {
                        tag,
                        to_write,
                        took,
                    };
                    self.events.event(written, self.read).await;
                }
            }
        }
        Ok(())
    }

    /// Where request `id` waits in bucket `q`: at the back, or, a re-price, ahead of every
    /// other order's request, behind only what must go first: an earlier request for the same
    /// order, an earlier re-price, and one naming no order (a cancel-all). Under a tight budget
    /// a re-price would otherwise wait behind a whole requote's orders while its quote stands.
    fn queue_at(&self, q: usize, id: u64) -> usize {
        let queue = &self.waiting[q];
        if !self.timed.contains_key(&id) {
            return queue.len();
        }
        let label = self.labels.get(&id);
        let barrier = |r: &Outgoing| {
            let other = self.labels.get(&r.id);
            self.timed.contains_key(&r.id) || other.is_none() || other == label
        };
        queue.iter().rposition(barrier).map_or(0, |i| i + 1)
    }

    /// An answer, refusal or time-out of the owner's request under the owner's tag.
    fn tagged(&mut self, mut out: Out) -> Out {
        if let Out::Answer { id, .. } | Out::Refused { id, .. } | Out::TimedOut { id, .. } =
            &mut out
        {
            if let Some(tag) = self.tags.remove(id) {
                *id = tag;
            }
        }
        out
    }
}
