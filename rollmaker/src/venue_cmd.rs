//! `rollmaker venue`: the local venue (Deribit's JSON-RPC over WebSocket and HTTP) on this
//! machine, listing its market's options at its start and ETH-PERPETUAL. Its market is the
//! synthetic one or Deribit chain snapshots replayed (`--data`), moved a step every `--step-ms`
//! ([`crate::venue_market`]). Faults are injected on request (`--drop-per-minute` and the rest).

use crate::out::out;
use crate::venue_rolls::Rolls;
use crate::{snapshots, venue_market};
use anyhow::{bail, Context, Result};
use backtest::sim::market::Market;
use backtest::sim::synthetic_market::SyntheticMarket;
use backtest::synthetic::path::{IndexPath, Preset};
use clap::Args;
use connectors::deribit::budget::Rate;
use connectors::venue::core::VenueCore;
use connectors::venue::faults::{Faults, Injected};
use connectors::venue::server::Options;
use engine::Timestamp;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct VenueArgs {
    /// The port on 127.0.0.1 (0: any free one; the address is printed).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// An API key `CLIENT_ID:SECRET` (again for more accounts). Default: `local:local`, for
    /// loopback use only.
    #[arg(long = "key", value_name = "ID:SECRET")]
    keys: Vec<String>,
    /// The synthetic market the venue lists and shows.
    #[arg(long, value_enum, default_value_t = Preset::Calm)]
    preset: Preset,
    /// Replay Deribit chain snapshots (a .csv/.csv.gz file, or a folder of them) instead of the
    /// synthetic market: one snapshot a step, every option they name listed.
    #[arg(long)]
    data: Option<PathBuf>,
    /// With --data: from this time (2026-01-05, or 2026-01-05T08:00:00Z).
    #[arg(long, requires = "data")]
    from: Option<String>,
    /// With --data: up to this time (a date: its end).
    #[arg(long, requires = "data")]
    to: Option<String>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Background takers a day across the chain, each hitting a best price (and any client's
    /// order there) for 5 lots.
    #[arg(long, default_value_t = 2000.0)]
    takers_per_day: f64,
    /// P holders rolling as the synthetic market moves (ROLLS.md's population, $10M between
    /// them), each roll sent as its two legs taken from the venue's best; 0: none.
    #[arg(long, default_value_t = 200)]
    roll_holders: usize,
    /// Real milliseconds per minute of the synthetic market (1000: sixty times real time).
    #[arg(long, default_value_t = 1000)]
    step_ms: u64,
    /// Requests a second and the burst each connection may send (`RATE:BURST`); one past it is
    /// refused with too_many_requests and the connection closed, as Deribit does. The default is
    /// Deribit's published matching and other budgets together (5 + 20 a second, 20 + 100 at once).
    #[arg(long, default_value = "25:120")]
    rate_limit: String,
    /// What `get_account_summary` tells clients the limit is (`RATE:BURST`; default the
    /// `--rate-limit`): set it above to test a client that meets the limit anyway (as when
    /// another client shares the account's credits).
    #[arg(long)]
    tell_rate_limit: Option<String>,
    #[command(flatten)]
    faults: FaultArgs,
}

/// Faults injected on purpose, to test clients (all off by default). SIGUSR1 ends them: none
/// after it, and hung connections speak again.
#[derive(Args, Debug)]
struct FaultArgs {
    /// Connections dropped, per connection per minute.
    #[arg(long, default_value_t = 0.0)]
    drop_per_minute: f64,
    /// A malformed frame before a frame, per frame.
    #[arg(long, default_value_t = 0.0)]
    malformed: f64,
    /// A book change not sent (the next shows a change_id gap), per change.
    #[arg(long, default_value_t = 0.0)]
    lose_book_changes: f64,
    /// An order refused, per order.
    #[arg(long, default_value_t = 0.0)]
    refuse_orders: f64,
    /// A connection that stops answering, per connection per minute.
    #[arg(long, default_value_t = 0.0)]
    hang_per_minute: f64,
    /// Each frame held up to this long, milliseconds.
    #[arg(long, default_value_t = 0)]
    max_delay_ms: u64,
    /// A frame sent after the one that follows it, per frame.
    #[arg(long, default_value_t = 0.0)]
    reorder: f64,
    #[arg(long, default_value_t = 1)]
    fault_seed: u64,
}

impl FaultArgs {
    fn faults(&self) -> Result<Faults> {
        let f = Faults {
            drop_per_minute: self.drop_per_minute,
            malformed: self.malformed,
            lose_book_change: self.lose_book_changes,
            refuse_orders: self.refuse_orders,
            hang_per_minute: self.hang_per_minute,
            max_delay_ms: self.max_delay_ms,
            reorder: self.reorder,
            seed: self.fault_seed,
        };
        let probabilities = [
            ("--malformed", f.malformed),
            ("--lose-book-changes", f.lose_book_change),
            ("--refuse-orders", f.refuse_orders),
            ("--reorder", f.reorder),
        ];
        for (flag, p) in probabilities {
            if !(0.0..=1.0).contains(&p) {
                bail!("{flag} {p}: a probability, from 0 to 1");
            }
        }
        for (flag, r) in [
            ("--drop-per-minute", f.drop_per_minute),
            ("--hang-per-minute", f.hang_per_minute),
        ] {
            if !(r.is_finite() && r >= 0.0) {
                bail!("{flag} {r}: a rate, 0 or more");
            }
        }
        Ok(f)
    }
}

pub fn run(args: &VenueArgs) -> Result<()> {
    let mut keys = Vec::new();
    for k in &args.keys {
        let Some((id, secret)) = k
            .split_once(':')
            .filter(|(i, s)| !i.is_empty() && !s.is_empty())
        else {
            bail!("--key {k:?}: want CLIENT_ID:SECRET");
        };
        keys.push((id.to_string(), secret.to_string()));
    }
    if keys.is_empty() {
        keys.push(("local".to_string(), "local".to_string()));
    }
    let faults = args.faults.faults()?;
    let rate_limit = rate("--rate-limit", &args.rate_limit)?;
    let told = match &args.tell_rate_limit {
        Some(text) => rate("--tell-rate-limit", text)?,
        None => rate_limit,
    };
    if !(args.takers_per_day.is_finite() && args.takers_per_day >= 0.0) {
        bail!("--takers-per-day {}: 0 or more", args.takers_per_day);
    }
    let market = Feed::of(args)?;
    let instruments = match &market {
        Feed::Data(d) => d.first_listing(),
        Feed::Synthetic(s) => s.0.instruments().clone(),
    };
    let n = instruments.len();
    let keys: Vec<(&str, &str)> = keys.iter().map(|(i, s)| (i.as_str(), s.as_str())).collect();
    let mut core = VenueCore::new(instruments, &keys);
    core.tell_limits(told);
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .with_context(|| format!("binding 127.0.0.1:{}", args.port))?;
        let addr = listener.local_addr()?;
        out!(
            "listening on ws://{addr}/ws/api/v2 ({n} instruments, {} API keys)",
            keys.len()
        );
        let (house, feed_rx) = tokio::sync::mpsc::channel(4096);
        let step = Duration::from_millis(args.step_ms.max(1));
        let mut rolls = None;
        match market {
            Feed::Data(d) => tokio::spawn(venue_market::data_feed(d, step, house)),
            Feed::Synthetic(s) => {
                let (m, p) = *s;
                let r = Rolls::start(&m, args.roll_holders, args.seed);
                rolls = r.as_ref().map(|r| Arc::clone(&r.counts));
                tokio::spawn(venue_market::synthetic_feed(m, p, (step, r), house))
            }
        };
        let injected: Arc<Injected> = Arc::default();
        let options = Options {
            tick: Duration::from_millis(200),
            faults,
            injected: Arc::clone(&injected),
            rate_limit: Some(rate_limit),
        };
        tokio::spawn(end_faults_on_usr1(Arc::clone(&injected)));
        let serving = connectors::venue::server::serve(listener, core, Some(feed_rx), options);
        // Stopped by a signal: what was injected, for whoever ran the faults.
        tokio::select! {
            _ = serving => {}
            _ = stop_signal() => {
                out!("injected: {}", injected.report());
                if let Some(r) = &rolls {
                    out!("roll demand: {}", r.report());
                }
            }
        }
        Ok(())
    })
}

/// What moves the venue's market.
enum Feed {
    Synthetic(Box<(SyntheticMarket, IndexPath)>),
    Data(venue_market::DataMarket),
}

impl Feed {
    /// The chain snapshots of `--data` (from `--from` to `--to`), or the synthetic market.
    fn of(args: &VenueArgs) -> Result<Feed> {
        let Some(path) = &args.data else {
            let (m, p) = venue_market::synthetic(args.preset, args.seed, args.takers_per_day);
            return Ok(Feed::Synthetic(Box::new((m, p))));
        };
        let at = |flag: &str, t: &Option<String>, none: i64| match t {
            Some(text) => snapshots::parse_at(flag, text),
            None => Ok(Timestamp(none)),
        };
        let (from, to) = (
            at("--from", &args.from, i64::MIN)?,
            at("--to", &args.to, i64::MAX)?,
        );
        Ok(Feed::Data(venue_market::data(
            &snapshots::files(path)?,
            from,
            to,
        )?))
    }
}

/// SIGUSR1 ends the faults (a test then checks its client ends consistent with the venue).
/// (A closed stdout ends it quietly.)
async fn end_faults_on_usr1(injected: Arc<Injected>) -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut usr1 = signal(SignalKind::user_defined1())?;
        if usr1.recv().await.is_some() {
            injected.end();
            out!("faults ended: {}", injected.report());
        }
    }
    #[cfg(not(unix))]
    let _ = injected;
    Ok(())
}

/// SIGINT or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// `RATE:BURST`, both above 0.
fn rate(flag: &str, text: &str) -> Result<Rate> {
    (text.split_once(':'))
        .and_then(|(r, b)| {
            Some(Rate {
                per_second: r.parse().ok()?,
                burst: b.parse().ok()?,
            })
        })
        .filter(|r| r.per_second > 0 && r.burst > 0)
        .with_context(|| format!("{flag} {text:?}: want RATE:BURST, both above 0"))
}
