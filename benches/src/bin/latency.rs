//! The live latency harness: the local venue in this process, listing `--instruments` ETH options
//! (1,000) and the perpetual, its house moving `--updates` books a second (5,000: random options,
//! one level a side about the mark, up to 15% off it and up to 6% wide, so that some reach the
//! service's quotes) and sending every ticker once a second (the index a few dollars about
//! 2,000), and `rollmaker run`'s service on its own thread, subscribed to all of it over loopback
//! (`book.*.raw`, `ticker.*.100ms`, `user.changes`), quoting the roll maker with the shipped
//! `live_local.toml` (`--busy-poll`: its trading thread spins). After a warm-up, `--seconds` are
//! measured; then the service is stopped (SIGINT) and prints where its time went
//! (hdrhistogram): tick to quote (a book frame read off the socket to the order it caused, its
//! series re-priced, handed to the socket's write), its parts (to the trading thread, to the
//! connection), the write's return, the whole-chain requote and the journal's hand-over of the
//! intents. Beside it, the loopback round trip (`public/test` from here, under the same load).
//!
//! `cargo run --release -p benches --bin latency -- --seconds 20 [--busy-poll] [--pin-core N]`

use connectors::deribit::budget::Rate;
use connectors::deribit::ticker::Ticker;
use connectors::venue::core::VenueCore;
use connectors::venue::house::House;
use connectors::venue::server::{serve, Options};
use engine::pricing::{coin, OptionType};
use engine::tick_rule::Rounding;
use engine::{Instrument, Instruments, Price};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    (args.iter().position(|a| a == name))
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(default)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `n` options: Fridays from next week on, strikes 100 apart from 1,000, calls and puts.
fn listing(n: usize) -> Vec<(Instrument, f64)> {
    let mut out = Vec::new();
    let today = chrono::DateTime::from_timestamp(now_ms() / 1000, 0)
        .expect("the clock reads a date")
        .date_naive();
    let mut day = today + chrono::Days::new(7);
    while out.len() < n {
        use chrono::Datelike;
        while day.weekday() != chrono::Weekday::Fri {
            day = day + chrono::Days::new(1);
        }
        let code = day.format("%-d%b%y").to_string().to_uppercase();
        let years = (day - today).num_days() as f64 / 365.0;
        for k in 0..50 {
            for right in ["C", "P"] {
                let strike = 1_000 + 100 * k;
                let name = format!("ETH-{code}-{strike}-{right}");
                let kind = if right == "C" {
                    OptionType::Call
                } else {
                    OptionType::Put
                };
                let fair = coin::price(kind, 2_000.0, strike as f64, years, 0.6, 1.0);
                if let Ok(i) = Instrument::deribit(&name) {
                    out.push((i, fair));
                }
            }
        }
        day = day + chrono::Days::new(7);
    }
    out.truncate(n);
    out
}

/// A price on `inst`'s grid near `eth`, rounded `rounding`.
fn on_grid(inst: &Instrument, eth: f64, rounding: Rounding) -> f64 {
    let tick = inst.price_rounded_f64(eth, rounding);
    inst.price_f64(tick.unwrap_or(inst.tick_rule().round(Price(1), Rounding::Up)))
}

/// The house: `updates` books a second and every ticker each second, until the venue is gone.
async fn house(options: Vec<(Instrument, f64)>, updates: f64, tx: mpsc::Sender<House>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let per_ms = updates / 1000.0;
    let mut owed = 0.0;
    let mut ticks = tokio::time::interval(Duration::from_millis(1));
    let mut last_tickers = Instant::now() - Duration::from_secs(2);
    loop {
        ticks.tick().await;
        if last_tickers.elapsed() >= Duration::from_secs(1) {
            last_tickers = Instant::now();
            let index = 2_000.0 + rng.random_range(-5.0..5.0);
            for (inst, fair) in &options {
                let t = Ticker {
                    instrument: inst.name().to_string(),
                    timestamp_ms: now_ms(),
                    mark_price: fair.max(1e-4),
                    mark_iv: Some(0.6),
                    index_price: index,
                    underlying_price: Some(index),
                    best_bid_price: None,
                    best_ask_price: None,
                };
                if tx.send(House::Ticker(t)).await.is_err() {
                    return;
                }
            }
        }
        owed += per_ms;
        while owed >= 1.0 {
            owed -= 1.0;
            let (inst, fair) = &options[rng.random_range(0..options.len())];
            // About the mark, up to 15% off it, from a tick or so wide to 6%: the books that
            // reach the service's quotes make it re-price them (kept off the new best).
            let mid = fair * (1.0 + rng.random_range(-0.15..0.15));
            let spread = fair * rng.random_range(0.0..0.06) + 0.0005;
            let size = rng.random_range(1..50) as f64;
            let book = House::Book {
                instrument: inst.name().to_string(),
                bids: vec![(on_grid(inst, mid - spread, Rounding::Down), size)],
                asks: vec![(on_grid(inst, mid + spread, Rounding::Up), size + 1.0)],
            };
            if tx.send(book).await.is_err() {
                return;
            }
        }
    }
}

/// `public/test` round trips from here for `seconds`, one every 10 ms.
async fn round_trips(url: String, seconds: f64) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("bounds");
    let connecting = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true);
    let Ok((mut ws, _)) = connecting.await else {
        return h;
    };
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let mut id = 0u64;
    while Instant::now() < until {
        id += 1;
        let req =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": "public/test", "params": {}});
        let sent = Instant::now();
        if ws.send(Message::text(req.to_string())).await.is_err() {
            break;
        }
        while let Some(Ok(m)) = ws.next().await {
            if m.to_text()
                .is_ok_and(|t| t.contains(&format!("\"id\":{id},")))
            {
                h.saturating_record(sent.elapsed().as_nanos() as u64);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h
}

/// The shipped `live_local.toml` pointed at `url`, its journal in `dir`, metrics on any port,
/// `.raw` books, `busy_poll` as asked, and `--pin-core N` as `pin_core` (run the harness under
/// `taskset` to keep the rest off that core).
fn service_config(
    url: &str,
    dir: &std::path::Path,
    busy_poll: bool,
) -> service::config::ServiceConfig {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shipped = std::fs::read_to_string(root.join("strategies/configs/live_local.toml"))
        .expect("the shipped live config");
    let mut config = service::config::ServiceConfig::from_toml(&shipped, "live_local.toml")
        .expect("the shipped live config reads");
    config.venue.url = url.to_string();
    config.venue.book_interval = "raw".into();
    let s = &mut config.service;
    s.strategy = root.join("strategies/configs/roll_maker.toml");
    s.journal = dir.join("j.redb");
    s.metrics = ([127, 0, 0, 1], 0).into();
    s.busy_poll = busy_poll;
    s.pin_core = Some(arg("--pin-core", -1.0))
        .filter(|n| *n >= 0.0)
        .map(|n| n as usize);
    config.path = dir.join("latency.toml");
    config
}

fn main() {
    let (n, updates, seconds) = (
        arg("--instruments", 1000.0) as usize,
        arg("--updates", 5000.0),
        arg("--seconds", 20.0),
    );
    let busy_poll = std::env::args().any(|a| a == "--busy-poll");
    let options = listing(n);
    let mut instruments = Instruments::new();
    for (i, _) in &options {
        instruments.intern(i.clone()).expect("distinct names");
    }
    let perpetual = Instrument::deribit("ETH-PERPETUAL").expect("the perpetual");
    instruments.intern(perpetual).expect("distinct");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a port");
    let url = format!("ws://{}/ws/api/v2", listener.local_addr().expect("bound"));
    let mut core = VenueCore::new(instruments, &[("local", "local")]);
    // A market maker's limits, not the lowest tier's.
    core.tell_limits(Rate {
        per_second: 500,
        burst: 2_000,
    });
    let (tx, rx) = mpsc::channel(65_536);
    runtime.spawn(serve(
        listener,
        core,
        Some(rx),
        Options::plain(Duration::from_millis(200)),
    ));
    runtime.spawn(house(options, updates, tx));

    let dir = std::env::temp_dir().join(format!("rollmaker-latency-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp folder");
    let config = service_config(&url, &dir, busy_poll);
    let svc = std::thread::spawn(move || service::run::run(&config, None));
    println!("{n} options and the perpetual, {updates} book updates a second; warming up 5 s");
    std::thread::sleep(Duration::from_secs(5));
    let trips = runtime.block_on(round_trips(url, seconds));
    if svc.is_finished() {
        // Ended on its own (a config it refused, say): no signal to catch.
        return println!("the service ended early: {:?}", svc.join());
    }
    let pid = std::process::id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-s", "INT", &pid])
        .status();
    match svc.join() {
        Ok(Ok(latencies)) => println!("{latencies}"),
        other => println!("the service failed: {other:?}"),
    }
    let us = |q: f64| trips.value_at_quantile(q) as f64 / 1e3;
    println!(
        "loopback round trip (public/test): n {}, p50 {:.1} us, p99 {:.1} us",
        trips.len(),
        us(0.5),
        us(0.99)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
