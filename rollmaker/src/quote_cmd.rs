//! `rollmaker quote`: what the roll maker (or the two-sided baseline) would rest on one real chain
//! snapshot, with a given config, as JSON: each quote with its fair value and its distance from it
//! in vol points, and what was pulled and why. The way to see a config change in the strategy's
//! output.

use crate::out::out;
use crate::snapshots::{parse_at, snapshot_at};
use anyhow::{Context, Result};
use backtest::chain_state::state_from_snapshot;
use clap::Args;
use engine::pricing::{coin, OptionType};
use engine::quotes::WantedQuote;
use engine::state::State;
use engine::{Instruments, Side};
use serde_json::{json, Value};
use std::path::PathBuf;
use strategies::{RollMaker, RollMakerConfig, Strategy, Wanted};

#[derive(Args, Debug)]
pub struct QuoteArgs {
    /// A chain snapshot file (.csv or .csv.gz), or a folder of them.
    #[arg(long)]
    data: PathBuf,
    /// The last snapshot at or before this time: RFC 3339 (2026-02-05T12:00:00Z), or a date
    /// (2026-02-05), meaning the end of that day UTC.
    #[arg(long)]
    at: String,
    /// The strategy config (TOML). Default: the built-in strategies/configs/roll_maker.toml.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Quote both sides of every series (the two-sided baseline) instead of the roll flow.
    #[arg(long)]
    two_sided: bool,
}

pub fn run(args: &QuoteArgs) -> Result<()> {
    let config = match &args.config {
        Some(path) => RollMakerConfig::load(path)?,
        None => RollMakerConfig::default_config(),
    };
    let at = parse_at("--at", &args.at)?;
    let snapshot = snapshot_at(&args.data, at, &args.at)?;
    let mut instruments = Instruments::new();
    let state = state_from_snapshot(&snapshot, &mut instruments)
        .with_context(|| format!("snapshot at {}", snapshot.timestamp))?;
    let mut maker = if args.two_sided {
        RollMaker::two_sided(config)
    } else {
        RollMaker::new(config)
    };
    let mut wanted = Wanted::default();
    maker.quotes(&state, &mut wanted);

    let quotes: Vec<Value> = (wanted.quotes.iter())
        .map(|q| quote_json(q, &instruments, &state))
        .collect();
    let pulled: Vec<Value> = wanted
        .pulled
        .iter()
        .map(|p| {
            json!({
                "instrument": p.series.map(|id| instruments.get(id).name().to_string()),
                "reason": p.reason.to_string(),
            })
        })
        .collect();
    let count = |side: Side| {
        wanted
            .quotes
            .iter()
            .filter(|q| q.key.side == side && q.key.level == 0)
            .count()
    };
    let out = json!({
        "timestamp": snapshot.timestamp.to_string(),
        "strategy": maker.name(),
        "index": state.index.map(|i| i.value),
        "series": state.series.len(),
        "sell_series": count(Side::Sell),
        "buy_series": count(Side::Buy),
        "quotes": quotes,
        "pulled": pulled,
    });
    out!("{out}");
    Ok(())
}

/// One wanted quote, with where it sits against the fair value (vol points of vega away).
fn quote_json(q: &WantedQuote, instruments: &Instruments, state: &State) -> Value {
    let surface = state.surface.as_ref().map(|s| &s.surface);
    let inst = instruments.get(q.key.instrument);
    let series = state.series.iter().find(|s| s.id == q.key.instrument);
    // Fair value and vega again, for the reader: where the quote sits against them.
    let fair = series.and_then(|s| {
        let e = &state.expiries[s.expiry];
        let t = state.now.years_until(e.settles);
        let vol = surface?.vol((s.strike / e.forward).ln(), t)?;
        let kind = OptionType::from(s.right);
        Some((coin::greeks(kind, e.forward, s.strike, t, vol, e.df), vol))
    });
    let price = inst.price_f64(q.price);
    let (fair_eth, vol, distance) = match fair {
        Some((g, vol)) => {
            let away = match q.key.side {
                Side::Sell => price - g.price,
                Side::Buy => g.price - price,
            };
            (
                json!(g.price),
                json!(100.0 * vol),
                json!(away / (g.vega / 100.0)),
            )
        }
        None => (Value::Null, Value::Null, Value::Null),
    };
    json!({
        "instrument": inst.name(),
        "side": q.key.side.to_string(),
        "level": q.key.level,
        "price": inst.price_decimal(q.price).to_string(),
        "lots": q.qty.0,
        "fair": fair_eth,
        "vol_points": vol,
        "distance_vol_points": distance,
    })
}
