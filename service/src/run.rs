//! `rollmaker run`: the service put together. In order: the metrics server; the connection
//! (tokio), signed in; the venue's listing of the currency's options and perpetual; the journal
//! replayed into a new trader (its fills booked, its trades never told twice, client ids past
//! every one used); the trading thread started; the channels subscribed; then the gateway
//! forwards the connection's events until SIGINT or SIGTERM, when the trading thread cancels
//! everything at the venue, books what comes meanwhile, and the service exits 0.

use crate::config::ServiceConfig;
use crate::desk::{Desk, Input};
use crate::first_listing;
use crate::gateway::{Gateway, Route};
use crate::journal::{Entry, Journal, JournalWriter, Notify};
use crate::latency::Latencies;
use crate::listing::{add_journaled, instrument_channels};
use crate::market::LiveMarket;
use crate::metrics::{self, Health, Metrics};
use crate::record;
use crate::trading_thread::trading_thread;
use anyhow::{bail, Context, Result};
use connectors::deribit::budget::{Budget, Limits};
use connectors::deribit::changes::Tracker;
use connectors::deribit::connection::{self, Command, Event, Options};
use connectors::deribit::credentials::Credentials;
use connectors::deribit::session::Session;
use engine::quotes::QuoteRules;
use engine::trader::Trader;
use engine::Instruments;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use strategies::RollMakerConfig;
use tokio::sync::{mpsc, oneshot};

/// Requests and events queued between the connection and the rest, each way.
const QUEUE: usize = 16_384;

/// Runs the service of `config` (metrics on `metrics_addr` if given) until a signal; where its
/// time went.
pub fn run(config: &ServiceConfig, metrics_addr: Option<SocketAddr>) -> Result<Latencies> {
    let strategy_path = config.strategy_path();
    let strategy_config = RollMakerConfig::load(&strategy_path)?;
    let credentials = credentials(config)?;
    let journal = Journal::open(&config.service.journal)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(serve(
        config,
        metrics_addr.unwrap_or(config.service.metrics),
        (strategy_config, credentials, journal),
    ))
}

fn credentials(config: &ServiceConfig) -> Result<Credentials> {
    let v = &config.venue;
    Ok(
        match (&v.client_id, &v.client_secret, &v.credentials_file) {
            (Some(id), Some(secret), _) => Credentials::new(id.clone(), secret.clone()),
            (_, _, Some(path)) => Credentials::from_file(path)?,
            _ => Credentials::from_env().context("no API key in the config")?,
        },
    )
}

async fn serve(
    config: &ServiceConfig,
    metrics_addr: SocketAddr,
    (strategy_config, credentials, journal): (RollMakerConfig, Credentials, Journal),
) -> Result<Latencies> {
    let (metrics, health) = (Arc::new(Metrics::new()), Arc::new(Health::default()));
    let listener = tokio::net::TcpListener::bind(metrics_addr)
        .await
        .with_context(|| format!("serving the metrics on {metrics_addr}"))?;
    let metrics_addr = listener.local_addr().unwrap_or(metrics_addr);
    tracing::info!("metrics on http://{metrics_addr}/metrics, health on /health");
    tokio::spawn(metrics::serve(listener, metrics.clone(), health.clone()));
    let v = &config.venue;
    let busy_poll = config.service.busy_poll;
    let (commands, mut events, handover, connection) = connect(v, credentials, busy_poll);
    let (give_desk, mut done) = trading_thread(&config.service, (connection, &commands))?;
    let mut signals = Signals::new()?;
    let listed = tokio::select! {
        listed = first_listing::listing(&commands, &mut events, &v.currency) => Some(listed?),
        _ = signals.next() => None,
    };
    let Some((mut instruments, limits)) = listed else {
        return Ok(Latencies::default());
    };
    commands.send(Command::Limits(limits)).await?;
    let listed_now = instruments.len();
    // Read once: the names of expired series it holds, then the replay.
    let entries = journal.entries()?;
    let expired = add_journaled(&mut instruments, &entries);
    let instruments = Arc::new(instruments);
    tracing::info!("{listed_now} instruments listed, {expired} more the journal names");
    let rules = capped(strategy_config.quote_rules(), &limits);
    let (inputs, input_rx) = crossbeam::channel::unbounded();
    let told = inputs.clone();
    let notify: Notify = Box::new(move |t| drop(told.send(Input::Journaled(t))));
    let parts = (strategy_config, rules, (journal, notify));
    let shared = (&metrics, &health);
    let mut desk = desk(config, (&instruments, &entries), parts, &commands, shared)?;
    let (stopping, latencies) = (desk.stop_flag(), desk.latencies());
    let (listed, listings) = crossbeam::channel::unbounded();
    desk.listings = Some(listed);
    if give_desk.send((desk, input_rx)).is_err() {
        bail!("the trading thread ended before the trading started");
    }
    commands
        .send(Command::Subscribe(channels(
            config,
            &instruments,
            listed_now,
        )))
        .await?;
    let _ = inputs.send(Input::Authenticated);
    let shared = (metrics, latencies);
    let gateway = Gateway::new(instruments, inputs.clone(), shared, true).with_listings(listings);
    if handover.send((gateway, events)).is_err() {
        bail!("the connection ended before the trading started");
    }
    let ended = loop {
        tokio::select! {
            _ = signals.next() => {
                tracing::info!("signal: cancelling everything and stopping");
                stopping.store(true, std::sync::atomic::Ordering::Relaxed);
                let _ = inputs.send(Input::Stop);
            }
            ended = &mut done => break ended,
        }
    };
    let _ = commands.send(Command::Stop).await;
    match ended {
        Ok(result) => Ok(result?),
        Err(_) => bail!("the trading thread ended without a word"),
    }
}

/// The connection (to be run): where to send it commands, where the start-up reads its
/// events, and where the gateway is handed over to it.
#[allow(clippy::type_complexity)]
fn connect(
    v: &crate::config::VenueSection,
    credentials: Credentials,
    give_way: bool,
) -> (
    mpsc::Sender<Command>,
    mpsc::UnboundedReceiver<Event>,
    oneshot::Sender<(Gateway, mpsc::UnboundedReceiver<Event>)>,
    impl Future<Output = ()> + Send + 'static,
) {
    let timeout_ms = (v.request_timeout_seconds * 1000.0) as i64;
    let session = Session::new(Some(credentials), v.heartbeat_seconds, timeout_ms);
    let (commands, command_rx) = mpsc::channel(QUEUE);
    let (route, events, handover) = Route::new(give_way);
    let options = Options {
        url: v.url.clone(),
        tick: Duration::from_millis(100),
        min_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(10),
    };
    let budget = Budget::new(Limits::default());
    let connection = connection::run(options, session, budget, command_rx, route);
    (commands, events, handover, connection)
}

/// The quote manager's rules, its actions a second capped at the account's matching rate.
fn capped(mut rules: QuoteRules, limits: &Limits) -> QuoteRules {
    if rules.max_actions_per_second > limits.matching.per_second {
        tracing::warn!(
            "quotes.max_actions_per_second {} is above the account's matching-engine limit: {} a second",
            rules.max_actions_per_second,
            limits.matching.per_second
        );
        rules.max_actions_per_second = limits.matching.per_second;
    }
    rules
}

/// The desk: the journal's `entries` replayed into a new trader and tracker.
fn desk(
    config: &ServiceConfig,
    (instruments, entries): (&Arc<Instruments>, &[(u64, Entry)]),
    (strategy_config, rules, (journal, notify)): (RollMakerConfig, QuoteRules, (Journal, Notify)),
    commands: &mpsc::Sender<Command>,
    (metrics, health): (&Arc<Metrics>, &Arc<Health>),
) -> Result<Desk> {
    let replayed = record::replay(instruments, entries)
        .with_context(|| format!("journal {}", config.service.journal.display()))?;
    tracing::info!(
        "journal: {} entries, {} fills, last client id {}",
        replayed.entries,
        replayed.fills.len(),
        replayed.last_client_id
    );
    // Client ids never repeat across restarts, even for intents a crash lost before they were
    // flushed: past every one journaled, and past a thousand a millisecond since the epoch.
    let now_ms = crate::desk::wall_ms() as u64;
    let first_client_id = (replayed.last_client_id + 1).max(now_ms * 1000);
    let mut trader = Trader::new(rules, first_client_id);
    record::restore(&mut trader, instruments, &replayed);
    let mut tracker = Tracker::new();
    replayed
        .fills
        .iter()
        .for_each(|(t, _)| tracker.remember_trade(t));
    let journal = JournalWriter::start(journal, notify).context("starting the journal's thread")?;
    let market = LiveMarket::new(Arc::clone(instruments), &config.venue.currency);
    let strategy = Box::new(strategies::RollMaker::new(strategy_config));
    let shared = (Arc::clone(metrics), Arc::clone(health));
    let last_fill_ms = (replayed.fills.iter())
        .map(|(_, f)| f.ts.0 / 1_000_000)
        .max();
    let mut desk = Desk::new(
        market,
        trader,
        tracker,
        strategy,
        journal,
        commands.clone(),
        shared,
        config,
    );
    desk.last_fill_ms = last_fill_ms;
    Ok(desk)
}

/// The book and ticker of every instrument listed (the first `listed`), our changes, and the
/// market's trades.
fn channels(config: &ServiceConfig, instruments: &Instruments, listed: usize) -> Vec<String> {
    let ids: Vec<_> = instruments.iter().map(|(id, _)| id).take(listed).collect();
    let mut out = instrument_channels(instruments, &ids, &config.venue.book_interval);
    out.push(format!("user.changes.any.{}.raw", config.venue.currency));
    out.push(format!("trades.any.{}.100ms", config.venue.currency));
    if config.mmp.is_some() {
        out.push(crate::desk::trigger_channel(&config.venue.currency));
    }
    out
}

/// SIGINT and SIGTERM, listened for from the start (a signal that comes between two polls is
/// kept for the next).
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                int: signal(SignalKind::interrupt()).context("listening for SIGINT")?,
                term: signal(SignalKind::terminate()).context("listening for SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
