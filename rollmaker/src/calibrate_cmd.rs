//! `rollmaker calibrate --data DIR`: the chain snapshots' spreads as the synthetic market's
//! `[book.spread]` table (median half-spread in vol points by expiry and moneyness bucket), printed
//! for the backtest config.

use crate::out::out;
use crate::snapshots::files;
use anyhow::{Context, Result};
use backtest::calibrate::{to_toml, Calibration};
use backtest::chain::ChainReader;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    /// Deribit chain snapshots: a .csv(.gz) file or a folder of them
    /// (../shared/data/deribit_eth_chain/).
    #[arg(long)]
    pub data: PathBuf,
}

pub fn run(args: &CalibrateArgs) -> Result<()> {
    let mut c = Calibration::default();
    let mut snapshots = 0u64;
    for file in files(&args.data)? {
        let reader =
            ChainReader::open(&file).with_context(|| format!("opening {}", file.display()))?;
        for snapshot in reader {
            let snapshot = snapshot?;
            snapshots += 1;
            for row in &snapshot.rows {
                c.add(row);
            }
        }
    }
    let table = c.table();
    out!(
        "# Measured by `rollmaker calibrate --data {}`: {} snapshots, {} of {} rows quoted on",
        args.data.display(),
        snapshots,
        c.used,
        c.rows
    );
    out!("# both sides. Median half-spread in vol points (in the money beyond 5%: in bps of the");
    out!("# USD delta); rows: expiry within `days`, columns: strike / forward within `moneyness`");
    out!("# (the last of each open-ended).");
    out!("{}", to_toml(&table).trim_end());
    Ok(())
}
