//! The trading thread: the strategy and the [`Trader`] (the backtest's trading core, unchanged)
//! fed market data and venue events over a crossbeam channel, sending orders to the connection.
//! The desk never waits on a socket, so a slow one never stalls pricing (spinning, the
//! connection's task runs on this thread while the desk waits for inputs: [`Waiting`]).
//!
//! Each turn: every input waiting is taken (books and tickers into the [`LiveMarket`], our
//! orders' changes through the [`Tracker`], the answers to our requests); what the venue said is
//! made durable in the journal, then booked; then, if quoting and due, one requote: the
//! strategy's wants through the quote manager, each action's intent made durable, then sent.
//! Quoting starts only after a reconcile ([`crate::reconciling`]), after every (re)connect.

use crate::config::KillSection;
use crate::journal::{Entry, JournalError, JournalWriter};
use crate::latency::{Latencies, Shared};
use crate::market::LiveMarket;
use crate::metrics::{Health, Metrics};
use crate::reconciling::Reconciling;
use connectors::deribit::book::BookMessage;
use connectors::deribit::changes::Tracker;
use connectors::deribit::connection::Command;
use crossbeam::channel::{Receiver, RecvTimeoutError};
use engine::quotes::Action;
use engine::strategy::Strategy;
use engine::trader::{Trader, VenueEvent};
use engine::InstrumentId;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

mod expiry;
mod input;
mod listing;
mod mmp;
pub(crate) use expiry::history_params;
pub use mmp::{index_name as mmp_index, trigger_channel};
mod quoting;
mod replies;
mod settling;
mod stopping;
mod waiting;
pub use input::Input;
pub use waiting::Waiting;

/// Tags at and above this are the desk's own requests; below, a tag is the order's client id.
pub const OWN_TAGS: u64 = 1 << 62;
const CANCEL_ALL: u64 = OWN_TAGS;

/// How long a stop waits for the venue to confirm its cancel-all.
const STOP_WAIT: Duration = Duration::from_secs(5);
/// Order requests sent and not answered past which no requote is made.
const MAX_IN_FLIGHT: usize = 100;
/// A requote at least this often while quoting, whatever moved (staleness is seen).
const REQUOTE_AT_LEAST: Duration = Duration::from_secs(1);
/// The metrics, the health and the loss limit at least this often (and after every requote).
const PUBLISH_EVERY: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// No connection (or not yet signed in).
    Offline(String),
    Reconciling(Reconciling),
    Quoting,
    Killed(String),
}

/// Everything the trading thread owns.
pub struct Desk {
    pub market: LiveMarket,
    pub trader: Trader,
    pub tracker: Tracker,
    pub strategy: Box<dyn Strategy + Send>,
    pub journal: JournalWriter,
    pub commands: mpsc::Sender<Command>,
    pub metrics: Arc<Metrics>,
    pub health: Arc<Health>,
    pub currency: String,
    pub book_interval: String,
    pub kill: KillSection,
    pub requote_every: Duration,
    /// How the thread waits for its inputs: set by [`Desk::run`] (spinning where it runs the
    /// connection too).
    waiting: Waiting,
    /// Feed seconds between two fits of the surface.
    pub refit_every: f64,
    pub phase: Phase,
    /// Scratch: the turn's venue events and their fills' trade ids, actions, entries.
    pub(crate) events: Vec<VenueEvent>,
    /// Venue events handed to the journal, under their ticket, until it says they are durable.
    unbooked: VecDeque<(u64, VenueEvent)>,
    /// The last ticket handed to the journal.
    ticket: u64,
    /// When the newest fill booked (journaled) was, on the venue's clock: a reconcile asks
    /// for our trades since.
    pub last_fill_ms: Option<i64>,
    pub(crate) trade_ids: VecDeque<String>,
    actions: Vec<Action>,
    /// The orders sent whose intents are not yet held for the journal, with their instrument.
    intents: Vec<(Action, Option<InstrumentId>)>,
    entries: Vec<Entry>,
    dirty: bool,
    /// A book tick re-priced orders this turn: they are written before the turn goes on.
    repriced: bool,
    last_requote: Option<Instant>,
    last_publish: Option<Instant>,
    /// When the settlement history was last asked for (an expired option held).
    last_delivery_ask: Option<Instant>,
    /// When the desk last looked whether to ask for it or for the listing.
    last_looked: Option<Instant>,
    /// When the listing was last asked for, how often to, and where new listings go (the
    /// gateway, which reads the frames).
    last_listing: Option<Instant>,
    relist_every: Duration,
    pub listings: Option<crossbeam::channel::Sender<Arc<engine::Instruments>>>,
    /// When the surface was last fitted, on the feed's clock.
    last_refit: Option<engine::Timestamp>,
    /// When each order refused in the last minute was.
    rejects: VecDeque<Instant>,
    /// Order requests sent and not yet answered (or timed out).
    in_flight: usize,
    /// Market Maker Protection, if asked for, and the end of the pause after a trigger.
    mmp: Option<crate::config::MmpSection>,
    frozen_until: Option<Instant>,
    /// Set by whoever asks the desk to stop (a signal), seen ahead of the inputs waiting.
    stopping: Arc<AtomicBool>,
    latencies: Shared,
    /// A journal write that failed while reading the inputs (the turn ends on it).
    failed: Option<JournalError>,
}

impl Desk {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        market: LiveMarket,
        trader: Trader,
        tracker: Tracker,
        strategy: Box<dyn Strategy + Send>,
        journal: JournalWriter,
        commands: mpsc::Sender<Command>,
        (metrics, health): (Arc<Metrics>, Arc<Health>),
        config: &crate::config::ServiceConfig,
    ) -> Desk {
        Desk {
            market,
            trader,
            tracker,
            strategy,
            journal,
            commands,
            metrics,
            health,
            currency: config.venue.currency.clone(),
            book_interval: config.venue.book_interval.clone(),
            kill: config.kill.clone(),
            requote_every: Duration::from_millis(config.service.requote_ms),
            waiting: Waiting::Sleep,
            refit_every: config.service.surface_seconds,
            phase: Phase::Offline("not connected yet".into()),
            events: Vec::new(),
            unbooked: VecDeque::new(),
            ticket: 0,
            last_fill_ms: None,
            trade_ids: VecDeque::new(),
            actions: Vec::new(),
            intents: Vec::new(),
            entries: Vec::new(),
            dirty: false,
            repriced: false,
            last_requote: None,
            last_publish: None,
            last_delivery_ask: None,
            last_looked: None,
            last_listing: None,
            relist_every: Duration::from_secs_f64(config.service.relist_seconds),
            listings: None,
            last_refit: None,
            rejects: VecDeque::new(),
            in_flight: 0,
            mmp: config.mmp.clone(),
            frozen_until: None,
            stopping: Arc::default(),
            latencies: Shared::default(),
            failed: None,
        }
    }

    /// Where the time goes: the desk records its part, the gateway the orders' writes.
    pub fn latencies(&self) -> Shared {
        self.latencies.clone()
    }

    /// Whether a signal asked the desk to stop.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// The flag that stops the desk ahead of its inputs (send an [`Input::Stop`] too, to wake
    /// it).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stopping)
    }

    /// Runs until [`Input::Stop`] or the inputs' sender is gone, on this thread; an error only
    /// where the journal cannot be written (everything is cancelled first). With `runtime`
    /// (the connection's, on this thread) the desk runs inside it, spinning, and gives way to
    /// the connection between its looks at the inputs.
    pub fn run(
        mut self,
        inputs: Receiver<Input>,
        runtime: Option<&tokio::runtime::Runtime>,
    ) -> Result<Latencies, JournalError> {
        match runtime {
            Some(r) => {
                self.waiting = Waiting::GiveWay;
                r.block_on(self.serve(inputs))
            }
            None => waiting::finish(self.serve(inputs)),
        }
    }

    async fn serve(mut self, inputs: Receiver<Input>) -> Result<Latencies, JournalError> {
        self.health.not_quoting("not connected yet");
        loop {
            // Idle: wake for the next requote (a busy wait only if asked, whatever `requote_ms`).
            let idle = self.requote_every.max(Duration::from_millis(5));
            let first = match self.waiting.next(&inputs, Instant::now() + idle).await {
                Ok(i) => Some(i),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return self.stop(&inputs).await,
            };
            let stop = self.take_inputs(first, &inputs);
            if std::mem::take(&mut self.repriced) {
                // A re-price's orders written before anything else this turn does.
                self.waiting.give_way().await;
            }
            if let Err(e) = self.failed.take().map_or_else(|| self.settle(), Err) {
                self.kill_now(&format!("{e}"));
                return Err(e);
            }
            if stop {
                return self.stop(&inputs).await;
            }
            let wall = Instant::now();
            if let Err(e) = self.requote(wall) {
                self.kill_now(&format!("{e}"));
                return Err(e);
            }
            // Looked at every tenth of a second, not every turn (whether an expired option is
            // held reads the whole ledger: time a re-priced order would wait for).
            let looked = self
                .last_looked
                .is_some_and(|t| wall.duration_since(t) < PUBLISH_EVERY);
            if self.phase == Phase::Quoting && !looked {
                self.last_looked = Some(wall);
                self.ask_deliveries(wall);
                self.ask_listing(wall);
            }
            if let Err(e) = self.release_intents().await {
                self.kill_now(&format!("{e}"));
                return Err(e);
            }
        }
    }

    /// `first` and what waits after it, in a bounded batch (a flood of data still yields to a
    /// requote), up to one that re-priced orders (they go out first); true when asked to stop (a stop goes ahead of whatever market data waits).
    fn take_inputs(&mut self, first: Option<Input>, inputs: &Receiver<Input>) -> bool {
        for input in first.into_iter().chain(inputs.try_iter().take(10_000)) {
            if matches!(input, Input::Stop) || self.is_stopping() {
                return true;
            }
            self.on_input(input);
            if self.repriced {
                break;
            }
        }
        false
    }

    fn on_input(&mut self, input: Input) {
        match input {
            Input::Book {
                id,
                message,
                received,
            } => self.on_book(id, &message, received),
            Input::Ticker { ticker, received } => {
                self.dirty |= self.market.on_ticker(&ticker, received);
            }
            Input::Changes(data) => self.on_changes(&data),
            Input::MmpTriggered(data) => self.on_mmp_trigger(&data),
            Input::Reply(out) => self.on_reply(out),
            Input::Journaled(Ok(ticket)) => self.book(ticket),
            Input::Journaled(Err(why)) => {
                let e = self.journal.failure(why);
                self.failed.get_or_insert(e);
            }
            Input::Authenticated => self.start_reconcile(),
            Input::Disconnected(why) => {
                self.market.all_stale("disconnected");
                if !matches!(self.phase, Phase::Killed(_)) {
                    self.phase = Phase::Offline(format!("disconnected: {why}"));
                    self.health.not_quoting(&format!("disconnected: {why}"));
                }
            }
            Input::Kill(why) => self.kill_now(&why),
            Input::Stop => {}
        }
    }

    fn on_book(&mut self, id: InstrumentId, message: &BookMessage, received: Instant) {
        use engine::book::BookStatus;
        let waiting =
            |s: &BookStatus| matches!(s, BookStatus::Stale(_) | BookStatus::AwaitingSnapshot);
        (self.latencies).record(|l| &mut l.to_desk, received.elapsed());
        let was_waiting = waiting(self.market.book(id).status());
        match self.market.on_book(id, message, received) {
            Ok(()) => {}
            // Changes before the snapshot a (re)subscription sends: nothing to apply them to.
            Err(_) if was_waiting => return,
            Err(e) if waiting(self.market.book(id).status()) => {
                // Out of sequence: the mirror is stale (the strategy pulls the series) until
                // the snapshot a new subscription sends. Counted once per gap.
                self.metrics.book_gaps.inc();
                let name = self.market.instruments().get(id).name();
                tracing::warn!("book {name}: {e}; subscribing again");
                let channel = format!("book.{name}.{}", self.book_interval);
                self.send(Command::Resubscribe(channel));
                return;
            }
            // Crossed: applied, not live (the strategy pulls the series) until it uncrosses.
            Err(_) => {}
        }
        self.dirty = true;
        if self.market.book(id).is_live() {
            if let Err(e) = self.reprice(id, received) {
                self.failed.get_or_insert(e);
            }
        }
    }

    /// Our orders' and trades' changes (`data` in `user.changes` shape) through the tracker.
    pub(crate) fn on_changes(&mut self, data: &Value) {
        let instruments = Arc::clone(self.market.instruments());
        if let Err(e) = self
            .tracker
            .on_changes(&instruments, data, &mut self.events)
        {
            self.metrics.malformed.inc();
            tracing::warn!("{e}: {data}");
        }
        self.trade_ids.extend(self.tracker.take_told());
    }

    /// A command to the connection. Its channel is deep; full means the socket has stalled
    /// for thousands of requests, and the reconcile after the reconnect sets things right.
    pub(crate) fn send(&self, command: Command) {
        if self.commands.try_send(command).is_err() {
            tracing::error!("the connection's queue is full or gone: a request dropped");
        }
    }
}

/// The wall clock, in milliseconds since the epoch (0 if it reads before it): the venue's
/// clock's terms (its trades' and freezes' times), and the floor of new client ids.
pub(crate) fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn client_id(a: &Action) -> u64 {
    match *a {
        Action::Place { client_id, .. }
        | Action::Amend { client_id, .. }
        | Action::Cancel { client_id }
        | Action::Take { client_id, .. } => client_id,
    }
}
