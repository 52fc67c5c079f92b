//! `rollmaker surface`: SVI slices per expiry for the snapshots of a Deribit chain file, their
//! fit error against Deribit's mark IVs and their arbitrage flags, as JSON.

use crate::out::out;
use crate::snapshots::{files, parse_at};
use anyhow::{bail, Result};
use backtest::chain::ChainReader;
use backtest::chain_surface::{fit_snapshot, summarise, SnapshotSurface};
use clap::Args;
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SurfaceArgs {
    /// A chain snapshot file (.csv or .csv.gz), or a folder of them.
    #[arg(long)]
    data: PathBuf,
    /// Only the last snapshot at or before this time: RFC 3339 (2026-02-05T12:00:00Z), or a date
    /// (2026-02-05), meaning the end of that day UTC. Without it, every snapshot.
    #[arg(long)]
    at: Option<String>,
}

pub fn run(args: &SurfaceArgs) -> Result<()> {
    let at = args
        .at
        .as_deref()
        .map(|t| parse_at("--at", t))
        .transpose()?;
    let mut fits: Vec<SnapshotSurface> = Vec::new();
    for file in files(&args.data)? {
        for snapshot in ChainReader::open(&file)? {
            let snapshot = snapshot?;
            match at {
                Some(at) if snapshot.timestamp > at => break,
                Some(_) => {
                    // Keep only the latest snapshot at or before `at`.
                    fits.clear();
                    fits.push(fit_snapshot(&snapshot));
                }
                None => fits.push(fit_snapshot(&snapshot)),
            }
        }
    }
    if fits.is_empty() {
        match &args.at {
            Some(at) => bail!("no snapshot at or before {at} in {}", args.data.display()),
            None => bail!("no snapshots in {}", args.data.display()),
        }
    }
    let summary = summarise(&fits);
    let out = json!({
        "snapshots": fits.iter().map(snapshot_json).collect::<Vec<_>>(),
        "summary": {
            "snapshots": summary.snapshots,
            "slices": summary.slices,
            "fitted": summary.fitted,
            "arbitrage_free": summary.arbitrage_free,
            "butterfly_violations": summary.butterfly_violations,
            "calendar_violations": summary.calendar_violations,
            "median_rmse_vs_mark_points": summary.median_rmse_points,
            "p95_rmse_vs_mark_points": summary.p95_rmse_points,
        },
    });
    out!("{out}");
    Ok(())
}

fn snapshot_json(fit: &SnapshotSurface) -> Value {
    let slices: Vec<Value> = fit
        .surface
        .slices
        .iter()
        .zip(&fit.rmse_vs_mark_points)
        .map(|(slice, rmse)| {
            let (svi, error, weighted) = match &slice.fit {
                Ok(f) => {
                    let p = f.params;
                    (
                        json!({"a": p.a, "b": p.b, "rho": p.rho, "m": p.m, "sigma": p.sigma}),
                        Value::Null,
                        json!(100.0 * f.weighted_rmse),
                    )
                }
                Err(e) => (Value::Null, json!(e.to_string()), Value::Null),
            };
            json!({
                "expiry": slice.expiry,
                "t": slice.t,
                "forward": slice.forward,
                "svi": svi,
                "error": error,
                "k_range": [slice.k_range.0, slice.k_range.1],
                "weighted_rmse_vs_mids_points": weighted,
                "rmse_vs_mark_points": rmse,
                "butterfly_arbitrage": slice.butterfly_arbitrage,
                "min_butterfly_g": if slice.min_butterfly_g.is_finite() { json!(slice.min_butterfly_g) } else { Value::Null },
                "calendar_arbitrage": slice.calendar_arbitrage,
                "arbitrage_free": slice.arbitrage_free(),
            })
        })
        .collect();
    json!({"timestamp": fit.timestamp.to_string(), "slices": slices})
}
