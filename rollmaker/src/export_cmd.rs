//! `rollmaker export-tardis`: the synthetic market written as Tardis.dev CSV files.

use crate::out::out;
use anyhow::{bail, Context, Result};
use backtest::synthetic::path::{check_days, Preset};
use backtest::synthetic::tardis_export::{export, ExportConfig};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The synthetic market.
    #[arg(long, value_enum, default_value_t = Preset::Calm)]
    preset: Preset,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 1.0)]
    days: f64,
    /// Options expiring within this many days are written.
    #[arg(long, default_value_t = 45.0)]
    max_expiry_days: f64,
    /// Seconds between book updates, and between chain quotes.
    #[arg(long, default_value_t = 60.0)]
    book_seconds: f64,
    #[arg(long, default_value_t = 60.0)]
    chain_seconds: f64,
    /// Stamp a step's rows with the step's time (default: a microsecond apart, as real data).
    #[arg(long)]
    same_timestamps: bool,
    /// The backtest config whose venue section shapes the market (default: the built-in one).
    #[arg(long)]
    backtest_config: Option<PathBuf>,
    /// The folder to write into (created if needed).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: &ExportArgs) -> Result<()> {
    let preset = args.preset;
    check_days("--days", args.days).map_err(anyhow::Error::msg)?;
    for (flag, v) in [
        ("--max-expiry-days", args.max_expiry_days),
        ("--book-seconds", args.book_seconds),
        ("--chain-seconds", args.chain_seconds),
    ] {
        if !(v.is_finite() && v > 0.0) {
            bail!("{flag} {v} must be a number above 0");
        }
    }
    let mut run_config = backtest::sim::run::RunConfig::new(preset, args.seed);
    if let Some(path) = &args.backtest_config {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        run_config = backtest::config::apply(&text, &path.display().to_string(), &run_config)?;
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let config = ExportConfig {
        days: args.days,
        book_seconds: args.book_seconds,
        chain_seconds: args.chain_seconds,
        max_expiry_days: args.max_expiry_days,
        distinct_timestamps: !args.same_timestamps,
    };
    let e = export(
        preset.config(),
        run_config.market,
        args.seed,
        &config,
        &args.out,
    )?;
    out!(
        "wrote {} quotes, {} book levels and {} trades:",
        e.quotes,
        e.levels,
        e.trades
    );
    for f in &e.files {
        out!("  {}", f.display());
    }
    Ok(())
}
