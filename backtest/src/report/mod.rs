//! A run's report under a folder: `summary.json` (the caller's), `timeseries.csv` (the hourly
//! samples), `rolls.csv` (a row a roll, from request to fill), `fills.csv` (a row a fill of the
//! maker's) and `report.html`, whose plots are inline SVG, so it opens in a browser with no
//! network: the summary as a table, then, on calendar dates (a gap in the data breaks a line),
//! the index, the maker's PnL and its parts (its delta hedge's among them), its drawdown, its delta, its
//! contracts and vega per expiry, holders' roll cost against the baselines, the share of the
//! rolled value done by hours after the request, the maker's share so far, and holders' peg
//! drift rolling and never rolling.

use crate::sim::run::{Sample, Summary};
use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;

mod chart;
pub mod frontier;
mod page;

use chart::{chart, Axis, Lines};
pub use page::flatten;
use page::page;

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("writing {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("writing a csv file: {0}")]
    Csv(#[from] csv::Error),
    #[error("plot {0}: {1}")]
    Plot(&'static str, String),
}

/// Checks, before a run, that the report can be written under `dir` (created if needed): a
/// probe file is written there and removed.
pub fn check_dir(dir: &Path) -> Result<(), ReportError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let probe = dir.join(format!(".rollmaker-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(io(&probe))?;
    std::fs::remove_file(&probe).map_err(io(&probe))
}

/// Writes `summary.json` (the given text), `timeseries.csv`, `rolls.csv`, `fills.csv` and
/// `report.html` into `dir`. All five are written under temporary names first and renamed only once all are whole, so a
/// failed write leaves the previous report as it was, never a new file beside an old one.
pub fn write(
    dir: &Path,
    title: &str,
    summary_json: &str,
    summary: &Summary,
) -> Result<(), ReportError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| ReportError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let names = [
        "summary.json",
        "timeseries.csv",
        "rolls.csv",
        "fills.csv",
        "report.html",
    ];
    let tmp = |name: &str| dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        std::fs::write(tmp(names[0]), summary_json).map_err(io(&tmp(names[0])))?;
        write_csv(&tmp(names[1]), &summary.series)?;
        write_records(&tmp(names[2]), &summary.roll_records)?;
        write_records(&tmp(names[3]), &summary.fill_records)?;
        let page = html(title, summary_json, summary)?;
        std::fs::write(tmp(names[4]), page).map_err(io(&tmp(names[4])))
    })();
    if let Err(e) = written {
        for name in names {
            std::fs::remove_file(tmp(name)).ok();
        }
        return Err(e);
    }
    for name in names {
        let path = dir.join(name);
        std::fs::rename(tmp(name), &path).map_err(io(&path))?;
    }
    Ok(())
}

fn write_csv(path: &Path, series: &[Sample]) -> Result<(), ReportError> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "timestamp",
        "index",
        "maker_pnl_usd",
        "spread_usd",
        "inventory_usd",
        "settlement_usd",
        "net_vega_eth_per_vol_point",
        "rolling_drift_bps",
        "no_roll_drift_bps",
        "holder_cost_bps",
        "taker_cost_bps",
        "amm_cost_bps",
        "liquidation_loss_bps",
        "delta_eth",
        "hedge_usd",
    ])?;
    for s in series {
        let net_vega: f64 = s.vega_by_expiry.iter().map(|v| v.1).sum();
        w.write_record([
            s.at.to_string(),
            s.index.to_string(),
            s.maker_pnl_usd.to_string(),
            s.spread_usd.to_string(),
            s.inventory_usd.to_string(),
            s.settlement_usd.to_string(),
            net_vega.to_string(),
            s.rolling_drift_bps.to_string(),
            s.no_roll_drift_bps.to_string(),
            s.holder_cost_bps.to_string(),
            s.taker_cost_bps.to_string(),
            s.amm_cost_bps.to_string(),
            s.liquidation_loss_bps.to_string(),
            s.delta_eth.to_string(),
            s.hedge_usd.to_string(),
        ])?;
    }
    w.flush().map_err(|source| ReportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(())
}

/// One row a record (no rows, and no header, when there are none).
fn write_records<R: serde::Serialize>(path: &Path, records: &[R]) -> Result<(), ReportError> {
    let mut w = csv::Writer::from_path(path)?;
    for r in records {
        w.serialize(r)?;
    }
    w.flush().map_err(|source| ReportError::Io {
        path: path.display().to_string(),
        source,
    })
}
fn html(title: &str, summary_json: &str, summary: &Summary) -> Result<String, ReportError> {
    let series = &summary.series;
    let t0 = series.first().map_or(0, |s| s.at.0);
    let day = |s: &Sample| (s.at.0 - t0) as f64 / 86_400e9;
    let line = |label: &str, f: &dyn Fn(&Sample) -> f64| {
        (
            label.to_string(),
            series.iter().map(|s| (day(s), f(s))).collect::<Vec<_>>(),
        )
    };
    let dates = Axis::Dates(t0);
    let (vega, contracts, drawdown) = inventory_lines(series, &day);
    let charts = [
        (
            "Index (USD)",
            chart(
                "index",
                "USD",
                dates,
                &vec![line("ETH index", &|s| s.index)],
            )?,
        ),
        (
            "Maker PnL and its parts (USD)",
            chart(
                "pnl",
                "USD",
                dates,
                &vec![
                    line("total", &|s| s.maker_pnl_usd),
                    line("spread", &|s| s.spread_usd),
                    line("inventory", &|s| s.inventory_usd),
                    line("settlement", &|s| s.settlement_usd),
                    line("delta hedge (the perpetual)", &|s| s.hedge_usd),
                    line("total without the hedge", &|s| {
                        s.maker_pnl_usd - s.hedge_usd
                    }),
                ],
            )?,
        ),
        (
            "Maker drawdown (USD)",
            chart("drawdown", "USD", dates, &drawdown)?,
        ),
        (
            "Maker delta (ETH: cash, options and the perpetual)",
            chart(
                "delta",
                "ETH",
                dates,
                &vec![line("delta", &|s| s.delta_eth)],
            )?,
        ),
        (
            "Maker inventory by expiry (net contracts)",
            chart("contracts", "contracts", dates, &contracts)?,
        ),
        (
            "Maker net vega by expiry (ETH per vol point)",
            chart("vega", "ETH / vol pt", dates, &vega)?,
        ),
        (
            "Holders' roll cost against the baselines (bps of rolled notional, cumulative)",
            chart("costs", "bps", dates, &cost_lines(&line))?,
        ),
        (
            "Rolls done: share of the rolled value, by hours after the request",
            chart("fill_time", "share", Axis::Hours, &fill_time(summary))?,
        ),
        (
            "Share of the rolled value the maker filled, so far",
            chart("maker_share", "share", dates, &maker_share(summary, t0))?,
        ),
        (
            "Holders' peg drift (bps of starting value)",
            chart("drift", "bps", dates, &drift_lines(&line))?,
        ),
    ];
    Ok(page(title, summary_json, &charts))
}

/// The maker's vega and contracts by expiry (the five largest), and its drawdown.
fn inventory_lines(series: &[Sample], day: &dyn Fn(&Sample) -> f64) -> (Lines, Lines, Lines) {
    let vega = top_by_expiry(series, day, &|s| {
        let v = &s.vega_by_expiry;
        v.iter().map(|(e, x)| (e.clone(), *x)).collect()
    });
    let contracts = top_by_expiry(series, day, &|s| {
        let c = &s.contracts_by_expiry;
        c.iter().map(|(e, n)| (e.clone(), *n as f64)).collect()
    });
    let mut peak = f64::NEG_INFINITY;
    let below: Vec<(f64, f64)> = series
        .iter()
        .map(|s| {
            peak = peak.max(s.maker_pnl_usd);
            (day(s), s.maker_pnl_usd - peak)
        })
        .collect();
    (
        vega,
        contracts,
        vec![("below its running peak".to_string(), below)],
    )
}

/// A labelled line of one figure of the samples.
type LineOf<'a> = &'a dyn Fn(&str, &dyn Fn(&Sample) -> f64) -> (String, Vec<(f64, f64)>);

fn drift_lines(line: LineOf<'_>) -> Lines {
    vec![
        line("rolling (after costs)", &|s| s.rolling_drift_bps),
        line("never rolling", &|s| s.no_roll_drift_bps),
    ]
}

fn cost_lines(line: LineOf<'_>) -> Lines {
    vec![
        line("rolling with the maker", &|s| s.holder_cost_bps),
        line("crossing the book", &|s| s.taker_cost_bps),
        line("AMM", &|s| s.amm_cost_bps),
        line("liquidation losses (bps of collateral)", &|s| {
            s.liquidation_loss_bps
        }),
    ]
}

/// The share of the rolled value done within each number of hours of its request.
fn fill_time(summary: &Summary) -> Lines {
    let total: f64 = summary.roll_records.iter().map(|r| r.value_usd).sum();
    let mut done: Vec<(f64, f64)> = summary
        .roll_records
        .iter()
        .filter_map(|r| Some((r.hours_to_fill()?, r.value_usd)))
        .collect();
    done.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut seen = 0.0;
    let mut points = vec![(0.0, 0.0)];
    for (h, v) in done {
        seen += v;
        points.push((h, if total > 0.0 { seen / total } else { 0.0 }));
    }
    vec![("done".to_string(), points)]
}

/// The maker's share of the rolled value asked for so far, at each roll's request.
fn maker_share(summary: &Summary, t0: i64) -> Lines {
    let (mut value, mut maker) = (0.0, 0.0);
    let points = summary
        .roll_records
        .iter()
        .map(|r| {
            value += r.value_usd;
            maker += r.maker_usd;
            let x = (r.requested.0 - t0) as f64 / 86_400e9;
            (x, if value > 0.0 { maker / value } else { 0.0 })
        })
        .collect();
    vec![("maker".to_string(), points)]
}

/// The five expiries with the largest of `by`'s figure at any time, each over the run's days.
fn top_by_expiry(
    series: &[Sample],
    day: &dyn Fn(&Sample) -> f64,
    by: &dyn Fn(&Sample) -> Vec<(String, f64)>,
) -> Lines {
    let mut by_expiry: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for s in series {
        for (e, v) in by(s) {
            by_expiry.entry(e).or_default().push((day(s), v));
        }
    }
    let mut lines: Lines = by_expiry.into_iter().collect();
    lines.sort_by(|a, b| {
        let peak = |l: &Vec<(f64, f64)>| l.iter().map(|p| p.1.abs()).fold(0.0, f64::max);
        peak(&b.1).total_cmp(&peak(&a.1))
    });
    lines.truncate(5);
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_break_at_gaps_and_numbers_read_as_a_person_reads_them() {
        let pts = [
            (0.0, 1.0),
            (0.25, 2.0),
            (2.0, 3.0),
            (2.25, f64::NAN),
            (2.5, 4.0),
        ];
        let segs = super::chart::segments(&pts, super::chart::GAP_DAYS);
        assert_eq!(
            segs,
            vec![
                vec![(0.0, 1.0), (0.25, 2.0)],
                vec![(2.0, 3.0)],
                vec![(2.5, 4.0)]
            ]
        );
        assert_eq!(super::page::readable(1234567.0), "1,234,567");
        assert_eq!(super::page::readable(-1234.4), "-1,234");
        assert_eq!(super::page::readable(0.12345), "0.123");
        let table =
            super::page::summary_table(r#"{"a": 1500, "b": {"c": 0.5}, "d": null, "e": [1]}"#);
        assert!(
            table.contains("<td>b.c</td><td class=\"v\">0.500</td>"),
            "{table}"
        );
        assert!(table.contains("1,500") && table.contains("none") && !table.contains(">e<"));
    }

    use super::*;

    #[test]
    fn a_failed_write_leaves_the_previous_report_whole() {
        let dir = std::env::temp_dir().join(format!("rollmaker-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let summary = Summary::default();
        write(&dir, "t", "{\"old\": 1}\n", &summary).unwrap();
        let old = std::fs::read_to_string(dir.join("report.html")).unwrap();
        // The CSV's temporary name is taken by a folder: its write fails.
        let blocker = dir.join(format!(".timeseries.csv.tmp-{}", std::process::id()));
        std::fs::create_dir_all(&blocker).unwrap();
        assert!(write(&dir, "t", "{\"new\": 2}\n", &summary).is_err());
        let summary_json = std::fs::read_to_string(dir.join("summary.json")).unwrap();
        assert_eq!(summary_json, "{\"old\": 1}\n");
        assert_eq!(
            std::fs::read_to_string(dir.join("report.html")).unwrap(),
            old
        );
        std::fs::remove_dir(&blocker).unwrap();
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp-"))
            .collect();
        assert!(left.is_empty(), "temporary files left: {left:?}");
        // And a folder that cannot be made is found before a run.
        assert!(check_dir(&dir.join("summary.json").join("sub")).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
