//! `rollmaker l2-stream` (write a seeded L2 stream in the binary event format) and
//! `rollmaker replay` (replay such a file through the book mirror and the queue simulator).

use anyhow::{bail, Result};
use backtest::binary::{Reader, Writer};
use backtest::replay::{replay, ReplayStrategy};
use backtest::synthetic::l2_stream::{L2Stream, L2StreamConfig};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args, Debug)]
pub struct StreamArgs {
    /// Records to write.
    #[arg(long, default_value_t = 2_000_000)]
    records: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    out: PathBuf,
}

pub fn run_stream(args: &StreamArgs) -> Result<()> {
    let mut w = Writer::create(&args.out)?;
    let mut n = 0u64;
    for r in L2Stream::new(L2StreamConfig::default(), args.records, args.seed) {
        w.write(&r)?;
        n += 1;
    }
    w.finish()?;
    println!("wrote {n} records to {}", args.out.display());
    Ok(())
}

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// A file in the binary event format.
    #[arg(long)]
    file: PathBuf,
    /// noop, or requote (a bid and an ask at the best, moved with it).
    #[arg(long, default_value = "noop")]
    strategy: String,
}

pub fn run_replay(args: &ReplayArgs) -> Result<()> {
    let strategy = match args.strategy.as_str() {
        "noop" => ReplayStrategy::Noop,
        "requote" => ReplayStrategy::Requote { lots: 1 },
        other => bail!("--strategy {other:?} is not noop or requote"),
    };
    let started = Instant::now();
    let mut error = None;
    let records = Reader::open(&args.file)?.map_while(|r| match r {
        Ok(r) => Some(r),
        Err(e) => {
            error = Some(e);
            None
        }
    });
    let stats = replay(records, strategy);
    if let Some(e) = error {
        return Err(e.into());
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{} events ({} trades) in {wall:.2} s: {:.1} M events/s; {} orders, {} fills ({} lots); {} refused deltas",
        stats.events,
        stats.trades,
        stats.events as f64 / wall / 1e6,
        stats.orders,
        stats.fills,
        stats.filled_lots,
        stats.refused
    );
    Ok(())
}
