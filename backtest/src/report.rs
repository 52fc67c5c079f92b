//! A run's report under a folder: `summary.json` (the caller's), `timeseries.csv` (the hourly
//! samples), `rolls.csv` (a row a roll, from request to fill), `fills.csv` (a row a fill of the
//! maker's) and `report.html`, whose plots are inline SVG, so it opens in a browser with no
//! network: the index path, the maker's PnL and its parts, its vega per expiry, holders' roll
//! cost against the baselines, and holders' peg drift rolling and never rolling.

use crate::sim::run::{Sample, Summary};
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use thiserror::Error;

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
        let page = html(title, summary_json, &summary.series)?;
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

/// Lines on one chart: (label, points as (days since start, value)).
type Lines = Vec<(String, Vec<(f64, f64)>)>;

fn chart(name: &'static str, y_label: &str, lines: &Lines) -> Result<String, ReportError> {
    let err = |e: String| ReportError::Plot(name, e);
    let pts = lines.iter().flat_map(|l| l.1.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in pts {
        if y.is_finite() {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    // No finite points, or one x: a unit range (NaN bounds compare false).
    if x0.partial_cmp(&x1) != Some(std::cmp::Ordering::Less) {
        x0 = 0.0;
        x1 = 1.0;
    }
    if y0.partial_cmp(&y1) != Some(std::cmp::Ordering::Less) {
        let c = if y0.is_finite() { y0 } else { 0.0 };
        y0 = c - 1.0;
        y1 = c + 1.0;
    }
    let pad = 0.05 * (y1 - y0);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (860, 300)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut c = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
            .map_err(|e| err(e.to_string()))?;
        c.configure_mesh()
            .x_desc("days")
            .y_desc(y_label)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        for (i, (label, points)) in lines.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            c.draw_series(LineSeries::new(
                points.iter().copied().filter(|p| p.1.is_finite()),
                color.stroke_width(2),
            ))
            .map_err(|e| err(e.to_string()))?
            .label(label.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        }
        c.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

fn html(title: &str, summary_json: &str, series: &[Sample]) -> Result<String, ReportError> {
    let t0 = series.first().map_or(0, |s| s.at.0);
    let day = |s: &Sample| (s.at.0 - t0) as f64 / 86_400e9;
    let line = |label: &str, f: &dyn Fn(&Sample) -> f64| {
        (
            label.to_string(),
            series.iter().map(|s| (day(s), f(s))).collect::<Vec<_>>(),
        )
    };
    let vega = top_vega(series, &day);
    let charts = [
        (
            "Index (USD)",
            chart("index", "USD", &vec![line("ETH index", &|s| s.index)])?,
        ),
        (
            "Maker PnL and its parts (USD)",
            chart(
                "pnl",
                "USD",
                &vec![
                    line("total", &|s| s.maker_pnl_usd),
                    line("spread", &|s| s.spread_usd),
                    line("inventory", &|s| s.inventory_usd),
                    line("settlement", &|s| s.settlement_usd),
                ],
            )?,
        ),
        (
            "Maker net vega by expiry (ETH per vol point)",
            chart("vega", "ETH / vol pt", &vega)?,
        ),
        (
            "Holders' roll cost against the baselines (bps of rolled notional, cumulative)",
            chart(
                "costs",
                "bps",
                &vec![
                    line("rolling with the maker", &|s| s.holder_cost_bps),
                    line("crossing the book", &|s| s.taker_cost_bps),
                    line("AMM", &|s| s.amm_cost_bps),
                    line("liquidation losses (bps of collateral)", &|s| {
                        s.liquidation_loss_bps
                    }),
                ],
            )?,
        ),
        (
            "Holders' peg drift (bps of starting value)",
            chart(
                "drift",
                "bps",
                &vec![
                    line("rolling (after costs)", &|s| s.rolling_drift_bps),
                    line("never rolling", &|s| s.no_roll_drift_bps),
                ],
            )?,
        ),
    ];
    Ok(page(title, summary_json, &charts))
}

/// The five expiries with the largest vega exposure at any time, each over the run's days.
fn top_vega(series: &[Sample], day: &dyn Fn(&Sample) -> f64) -> Lines {
    let mut by_expiry: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    for s in series {
        for (e, v) in &s.vega_by_expiry {
            by_expiry.entry(e.clone()).or_default().push((day(s), *v));
        }
    }
    let mut vega: Lines = by_expiry.into_iter().collect();
    vega.sort_by(|a, b| {
        let peak = |l: &Vec<(f64, f64)>| l.iter().map(|p| p.1.abs()).fold(0.0, f64::max);
        peak(&b.1).total_cmp(&peak(&a.1))
    });
    vega.truncate(5);
    vega
}

/// The page: the charts under their headings, then the summary.
fn page(title: &str, summary_json: &str, charts: &[(&str, String)]) -> String {
    let mut page = String::new();
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let _ = write!(
        page,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}}\
         pre{{background:#f6f6f6;padding:1em;overflow:auto}}h2{{font-size:1.1em;margin-top:2em}}</style>\
         </head><body><h1>{t}</h1>",
        t = esc(title)
    );
    for (heading, svg) in charts {
        let _ = write!(page, "<h2>{}</h2>{svg}", esc(heading));
    }
    let _ = writeln!(
        page,
        "<h2>Summary</h2><pre>{}</pre></body></html>",
        esc(summary_json)
    );
    page
}

#[cfg(test)]
mod tests {
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
