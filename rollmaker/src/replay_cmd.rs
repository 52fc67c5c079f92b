//! `rollmaker l2-stream` (write a seeded L2 stream in the binary event format),
//! `rollmaker tardis-to-binary` (Tardis.dev book and trade files in that format), and
//! `rollmaker replay` (replay such a file through the book mirror and the queue simulator).

use crate::data_replay::tardis_readers;
use crate::out::out;
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
    out!("wrote {n} records to {}", args.out.display());
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
    /// The instrument id to replay (a file converted from Tardis may hold several; ids are the
    /// lines of its `.symbols` file, from 0).
    #[arg(long, default_value_t = 0)]
    instrument: u32,
}

pub fn run_replay(args: &ReplayArgs) -> Result<()> {
    let strategy = match args.strategy.as_str() {
        "noop" => ReplayStrategy::Noop,
        "requote" => ReplayStrategy::Requote { lots: 1 },
        other => bail!("--strategy {other:?} is not noop or requote"),
    };
    let started = Instant::now();
    let mut error = None;
    let mut others = 0u64;
    let records = Reader::open(&args.file)?
        .records()
        .map_while(|r| match r {
            Ok(r) => Some(r),
            Err(e) => {
                error = Some(e);
                None
            }
        })
        .filter(|r| {
            let ours = r.instrument.0 == args.instrument;
            others += u64::from(!ours);
            ours
        });
    let stats = replay(records, strategy);
    if let Some(e) = error {
        return Err(e.into());
    }
    let wall = started.elapsed().as_secs_f64();
    out!(
        "{} events ({} trades) in {wall:.2} s: {:.1} M events/s; {} orders, {} fills ({} lots); {} refused deltas",
        stats.events,
        stats.trades,
        stats.events as f64 / wall / 1e6,
        stats.orders,
        stats.fills,
        stats.filled_lots,
        stats.refused
    );
    if others > 0 {
        out!("passed over {others} records of other instruments");
    }
    if stats.events == 0 {
        bail!(
            "no records of instrument {} in {}",
            args.instrument,
            args.file.display()
        );
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct ToBinaryArgs {
    /// Tardis.dev files: a .csv(.gz) file or a folder of them (options_chain,
    /// incremental_book_L2, book_snapshot_25, trades): every row is written, for `rollmaker
    /// backtest --data FILE` to replay (and `replay` one book of it).
    #[arg(long)]
    data: PathBuf,
    /// Only this instrument's rows (e.g. ETH-PERPETUAL).
    #[arg(long)]
    symbol: Option<String>,
    /// The binary file to write; its symbol table goes beside it (`<out>.symbols`).
    #[arg(long)]
    out: PathBuf,
}

pub fn run_to_binary(args: &ToBinaryArgs) -> Result<()> {
    let inputs = crate::snapshots::files(&args.data)?;
    let symbols = backtest::tardis_binary::symbols_path(&args.out);
    for target in [&args.out, &symbols] {
        // Writing over an input would destroy the data being read.
        if let Ok(t) = target.canonicalize() {
            if let Some(f) = inputs
                .iter()
                .find(|f| f.canonicalize().is_ok_and(|c| c == t))
            {
                bail!(
                    "--out {}: that is an input ({})",
                    args.out.display(),
                    f.display()
                );
            }
        }
    }
    let (readers, other) = tardis_readers(inputs, false)?;
    if let Some(f) = other.first() {
        bail!("{} is not a Tardis file", f.display());
    }
    let rows = backtest::tardis::merge(readers);
    let done = backtest::tardis_binary::convert(rows, &args.out, args.symbol.as_deref())?;
    out!(
        "wrote {} records ({} of them options_chain quotes) of {} instruments to {} (symbols in {}){}",
        done.records,
        done.quotes,
        done.symbols.len(),
        args.out.display(),
        backtest::tardis_binary::symbols_path(&args.out).display(),
        if args.symbol.is_some() {
            format!(" and {} rows of other symbols", done.other_symbols)
        } else {
            String::new()
        }
    );
    if done.records == 0 {
        bail!("no rows in {}", args.data.display());
    }
    Ok(())
}
