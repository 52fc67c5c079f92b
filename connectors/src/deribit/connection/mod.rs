//! The socket around a [`Session`]: connects (again after every drop, with jittered exponential
//! backoff), feeds it every frame and a tick every `tick`, sends what it asks within the request
//! [`Budget`], and hands its owner what happened over a channel. The owner talks to it with
//! [`Command`]s. `ws://` (the local venue) or `wss://` (Deribit: rustls, the Mozilla roots built
//! in, so nothing is read from the machine's store).

use super::budget::{Budget, Limits};
use super::frame::Params;
use super::session::{Millis, Out, Session};
use backon::{BackoffBuilder, ExponentialBuilder};
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

mod link;
use link::{Ended, Link};

/// The most commands taken at once before the socket is looked at again.
const TAKEN_AT_ONCE: usize = 64;

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
                let mut link = Link::new(ws, &mut budget, &mut events, &mut tags);
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
