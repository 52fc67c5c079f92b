//! The rollmaker command line: argument parsing and wiring only.

mod backtest_cmd;
mod book_demo;
mod calibrate_cmd;
mod data_replay;
mod export_cmd;
mod instrument_cmd;
mod iv_cmd;
mod journal_cmd;
mod out;
mod price_cmd;
mod quote_cmd;
mod replay_cmd;
mod run_cmd;
mod snapshots;
mod surface_cmd;
mod sweep_cmd;
mod venue_cmd;
mod venue_market;
mod venue_rolls;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "rollmaker",
    version,
    about = "Passive one-sided market making in option rolls"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the roll maker on a synthetic market (calm, trend-down or crash) or on replayed data
    /// and print a summary.
    Backtest(backtest_cmd::BacktestArgs),
    /// Run a short scripted session on the matching engine and print the events, the book and
    /// the positions.
    BookDemo,
    /// Parse Deribit instrument names and print their contract terms.
    Instrument {
        /// Names such as ETH-27MAR26-2000-C, ETH-27MAR26, ETH-PERPETUAL, P.ETH-27MAR26-2000.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Price a call, put, P or N token (Black-76 on a forward, or the spot form) and print the
    /// price and greeks as JSON (vega per 1.00 of vol, theta per year).
    Price(price_cmd::PriceArgs),
    /// The implied volatility of a price, or of every row of a CSV file.
    Iv(iv_cmd::IvArgs),
    /// Fit SVI slices to the snapshots of a Deribit chain file and report fit error and
    /// arbitrage, as JSON.
    Surface(surface_cmd::SurfaceArgs),
    /// What the roll maker (or, with --two-sided, the two-sided baseline) would rest on one chain
    /// snapshot with a given config, as JSON: quotes against fair value, and what was pulled.
    Quote(quote_cmd::QuoteArgs),
    /// Measure the chain snapshots' spreads by expiry and moneyness, as the synthetic market's
    /// `[book.spread]` table.
    Calibrate(calibrate_cmd::CalibrateArgs),
    /// Run one shard (I of N) of a grid of backtests; results as JSON lines under --out.
    Sweep(sweep_cmd::SweepArgs),
    /// Merge the results of a sweep's shards into one CSV table on stdout.
    SweepMerge(sweep_cmd::MergeArgs),
    /// Write the synthetic market as Tardis.dev CSV (options_chain, incremental_book_L2, trades),
    /// for `backtest --data`.
    ExportTardis(export_cmd::ExportArgs),
    /// Write a seeded 25-level L2 stream (7% trades) in the binary event format.
    L2Stream(replay_cmd::StreamArgs),
    /// Write Tardis.dev book and trade files in the binary event format.
    TardisToBinary(replay_cmd::ToBinaryArgs),
    /// Replay one instrument of a binary event file through the book mirror and the queue
    /// simulator.
    Replay(replay_cmd::ReplayArgs),
    /// Run the local venue (Deribit's JSON-RPC over WebSocket on 127.0.0.1) over the matching
    /// engine, listing the synthetic market's instruments, until stopped.
    Venue(venue_cmd::VenueArgs),
    /// Run the roll maker live against a venue (the local one, or Deribit) until SIGINT or
    /// SIGTERM: quotes, journal, metrics on 127.0.0.1:9184.
    Run(run_cmd::RunArgs),
    /// What a stopped service's journal holds (fills, trade ids, deliveries, positions), read
    /// back as a restart books it, as JSON.
    Journal(journal_cmd::JournalArgs),
}

fn main() -> ExitCode {
    // Diagnostics (skipped rows, progress of a sweep) on stderr; RUST_LOG tunes them
    // (`RUST_LOG=warn` for warnings only, `RUST_LOG=debug` for more).
    let command = Cli::parse().command;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    // The service's logs carry the time; a one-off command's do not need it.
    if matches!(command, Command::Run(_)) {
        logs.init();
    } else {
        logs.without_time().init();
    }
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early (`| head`) is not an error.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            // A failed read or write (a missing file, a full disk) is 1; bad input (a name, a
            // number, a malformed row) is 2, as clap does for flags.
            if is_io(&e) {
                ExitCode::from(1)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Backtest(args) => backtest_cmd::run(&args),
        Command::BookDemo => book_demo::run(),
        Command::Instrument { names } => instrument_cmd::run(&names),
        Command::Price(args) => price_cmd::run(&args),
        Command::Iv(args) => iv_cmd::run(&args),
        Command::Surface(args) => surface_cmd::run(&args),
        Command::Quote(args) => quote_cmd::run(&args),
        Command::Calibrate(args) => calibrate_cmd::run(&args),
        Command::Sweep(args) => sweep_cmd::run_sweep(&args),
        Command::SweepMerge(args) => sweep_cmd::run_merge(&args),
        Command::ExportTardis(args) => export_cmd::run(&args),
        Command::L2Stream(args) => replay_cmd::run_stream(&args),
        Command::Replay(args) => replay_cmd::run_replay(&args),
        Command::TardisToBinary(args) => replay_cmd::run_to_binary(&args),
        Command::Venue(args) => venue_cmd::run(&args),
        Command::Run(args) => run_cmd::run(&args),
        Command::Journal(args) => journal_cmd::run(&args),
    }
}

/// A failed read or write; a stream that is corrupt or cut short (a bad .gz) is bad input.
fn is_io(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::{InvalidData, InvalidInput, UnexpectedEof};
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| !matches!(io.kind(), InvalidData | InvalidInput | UnexpectedEof))
    })
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
