//! One connection's life on its socket: the owner's commands taken, the venue's frames read,
//! the requests sent within the budget (in order within each bucket, a re-price ahead of other
//! orders'), every answer handed to the owner under its tag.

use super::{Command, Event, Events, TAKEN_AT_ONCE};
use crate::deribit::budget::Budget;
use crate::deribit::frame::Frame;
use crate::deribit::session::{Millis, Out, Outgoing, Session};
use futures_util::{SinkExt, StreamExt};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

pub(super) enum Ended {
    Stopped,
    Dropped(String),
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(super) struct Link<'a, E> {
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
    /// Scratch: the owner's tag and `since` of each timed request in the write being made.
    fed: Vec<(u64, Instant)>,
}

impl<'a, E: Events> Link<'a, E> {
    pub(super) fn new(
        ws: Ws,
        budget: &'a mut Budget,
        events: &'a mut E,
        tags: &'a mut HashMap<u64, u64>,
    ) -> Link<'a, E> {
        Link {
            ws,
            budget,
            events,
            tags,
            read: Instant::now(),
            waiting: Default::default(),
            retry_at: None,
            timed: HashMap::new(),
            labels: HashMap::new(),
            fed: Vec::new(),
        }
    }

    pub(super) async fn serve(
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
                command = commands.recv() => {
                    // Every command waiting taken at once: orders asked together (a re-price
                    // of both sides) go out in one write.
                    let mut next = command;
                    for _ in 0..TAKEN_AT_ONCE {
                        if !self.take(next, session, now(), &mut out) {
                            let _ = self.ws.close(None).await;
                            return Ended::Stopped;
                        }
                        let Ok(c) = commands.try_recv() else { break };
                        next = Some(c);
                    }
                }
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

    /// One command of the owner's (`None`: the owner is gone); false when it is to stop.
    fn take(
        &mut self,
        command: Option<Command>,
        session: &mut Session,
        now: Millis,
        out: &mut Vec<Out>,
    ) -> bool {
        match command {
            Some(Command::Call {
                method,
                params,
                tag,
                since,
            }) => {
                let label = params.label().map(str::to_string);
                let id = session.call(now, &method, params, out);
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
                session.subscribe(now, &channels, out);
            }
            Some(Command::Limits(limits)) => {
                let slowed = self.budget.slowed;
                self.budget.set(limits, slowed);
            }
            Some(Command::Resubscribe(channel)) => session.resubscribe(now, &channel, out),
            Some(Command::Stop) | None => return false,
        }
        true
    }

    /// Queues the session's requests and sends what the budget allows (an over-budget request
    /// waits its turn, the frames read meanwhile), and hands the rest to the owner.
    async fn flush(&mut self, session: &Session, out: &mut Vec<Out>) -> Result<(), String> {
        for o in out.drain(..) {
            match o {
                Out::Send(request) => {
                    let q = usize::from(!crate::deribit::budget::is_matching(&request.method));
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
        self.fed.clear();
        let mut any = false;
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
                self.fed.extend(self.timed.remove(&request.id));
                // Framed into the socket's buffer (a frame this small is not written yet):
                // what the budget allows now goes in one write.
                let text = Message::text(request.into_text());
                self.ws.feed(text).await.map_err(|e| e.to_string())?;
                any = true;
            }
        }
        if !any {
            return Ok(());
        }
        // The time to the write is taken as it is called, and again as it returns.
        let handed = Instant::now();
        self.ws.flush().await.map_err(|e| e.to_string())?;
        let returned = Instant::now();
        for i in 0..self.fed.len() {
            let (tag, since) = self.fed[i];
            let to_write = handed.saturating_duration_since(since);
            let took = returned.saturating_duration_since(since);
            let written = Event::Written {
                tag,
                to_write,
                took,
            };
            self.events.event(written, self.read).await;
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
