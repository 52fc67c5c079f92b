//! A vol surface from one chain snapshot, and its fit error against Deribit's own mark IVs.
//!
//! Per expiry and strike, the out-of-the-money option (call at or above the forward, put below)
//! gives the point: its mid's implied vol, weighted by 1/(ask IV - bid IV)², the spread floored
//! at half a vol point so one tight quote cannot dominate. A lone ask is an upper bound on the
//! slice and a lone bid a lower one ([`PointKind`]). Quotes whose price has no implied vol
//! (below intrinsic, above the maximum) are skipped.
//!
//! The fit error is measured where the slice is informed: over every option of the expiry (calls
//! and puts) whose strike lies within the range of the two-sided quotes. Beyond it the SVI wings
//! are extrapolations, as are Deribit's marks there.

use crate::chain::{ChainRow, Snapshot};
use engine::pricing::surface::{SliceInput, Surface};
use engine::pricing::svi::{PointKind, SlicePoint};
use engine::pricing::{implied_vol, OptionType};
use engine::Timestamp;
use std::collections::BTreeMap;

/// The spread floor, in vol.
const MIN_VOL_SPREAD: f64 = 0.005;

/// A fitted surface and, per slice (same order), the RMSE in vol points of the SVI vol against
/// the mark IV of every option of that expiry (None when the slice has no fit).
#[derive(Clone, Debug)]
pub struct SnapshotSurface {
    pub timestamp: Timestamp,
    pub surface: Surface,
    pub rmse_vs_mark_points: Vec<Option<f64>>,
}

/// The implied vol of a coin price (ETH per option).
fn coin_iv(row: &ChainRow, coin_price: f64) -> Option<f64> {
    implied_vol(
        row.kind,
        coin_price * row.underlying,
        row.underlying,
        row.strike,
        row.t,
        1.0,
    )
    .ok()
}

fn point(row: &ChainRow) -> Option<SlicePoint> {
    let k = (row.strike / row.underlying).ln();
    let bid = row.bid.filter(|b| *b > 0.0);
    match (bid, row.ask) {
        (Some(bid), Some(ask)) if ask > bid => {
            let vol = coin_iv(row, 0.5 * (bid + ask))?;
            let spread = (coin_iv(row, ask)? - coin_iv(row, bid)?).max(MIN_VOL_SPREAD);
            Some(SlicePoint::mid(k, vol, 1.0 / (spread * spread)))
        }
        (None, Some(ask)) => Some(SlicePoint {
            k,
            vol: coin_iv(row, ask)?,
            weight: 0.0,
            kind: PointKind::UpperBound,
        }),
        (Some(bid), None) => Some(SlicePoint {
            k,
            vol: coin_iv(row, bid)?,
            weight: 0.0,
            kind: PointKind::LowerBound,
        }),
        _ => None,
    }
}

fn out_of_the_money(row: &ChainRow) -> bool {
    match row.kind {
        OptionType::Call => row.strike >= row.underlying,
        OptionType::Put => row.strike < row.underlying,
    }
}

/// The live rows by expiry, and each expiry's slice to fit.
fn slices(snapshot: &Snapshot) -> (BTreeMap<&str, Vec<&ChainRow>>, Vec<SliceInput>) {
    let mut by_expiry: BTreeMap<&str, Vec<&ChainRow>> = BTreeMap::new();
    for row in snapshot.rows.iter().filter(|r| r.t > 0.0) {
        by_expiry.entry(&*row.expiry).or_default().push(row);
    }
    let inputs: Vec<SliceInput> = by_expiry
        .iter()
        .map(|(expiry, rows)| SliceInput {
            expiry: expiry.to_string(),
            t: rows[0].t,
            forward: rows[0].underlying,
            points: rows
                .iter()
                .filter(|r| out_of_the_money(r))
                .filter_map(|r| point(r))
                .collect(),
        })
        .collect();
    (by_expiry, inputs)
}

/// The snapshot's surface alone: what a replay quotes on (the fit error against the marks is a
/// diagnostic, [`fit_snapshot`]).
pub fn fit_surface(snapshot: &Snapshot) -> Surface {
    Surface::fit(slices(snapshot).1)
}

/// Fit the snapshot's surface, and measure it against the marks.
pub fn fit_snapshot(snapshot: &Snapshot) -> SnapshotSurface {
    let (by_expiry, inputs) = slices(snapshot);
    let mid_ranges: BTreeMap<String, (f64, f64)> = inputs
        .iter()
        .filter_map(|input| Some((input.expiry.clone(), mid_range(input)?)))
        .collect();
    let surface = Surface::fit(inputs);
    let rmse_vs_mark_points = surface
        .slices
        .iter()
        .map(|slice| {
            let fit = slice.fit.as_ref().ok()?;
            let &(lo, hi) = mid_ranges.get(&slice.expiry)?;
            let rows = by_expiry.get(slice.expiry.as_str())?;
            let errors: Vec<f64> = rows
                .iter()
                .map(|r| ((r.strike / r.underlying).ln(), r))
                .filter(|(k, _)| (lo..=hi).contains(k))
                .map(|(k, r)| fit.params.vol(k, r.t) - r.mark_iv)
                .collect();
            let mean_square =
                errors.iter().map(|e| e * e).sum::<f64>() / errors.len().max(1) as f64;
            Some(100.0 * mean_square.sqrt())
        })
        .collect();
    SnapshotSurface {
        timestamp: snapshot.timestamp,
        surface,
        rmse_vs_mark_points,
    }
}

/// The k range of an expiry's two-sided quotes.
fn mid_range(input: &SliceInput) -> Option<(f64, f64)> {
    let ks = input
        .points
        .iter()
        .filter(|p| p.kind == PointKind::Mid)
        .map(|p| p.k);
    let lo = ks.clone().fold(f64::INFINITY, f64::min);
    let hi = ks.fold(f64::NEG_INFINITY, f64::max);
    (lo <= hi).then_some((lo, hi))
}

/// Fit statistics over many snapshots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FitSummary {
    pub snapshots: usize,
    pub slices: usize,
    pub fitted: usize,
    pub arbitrage_free: usize,
    pub butterfly_violations: usize,
    pub calendar_violations: usize,
    /// Median and 95th percentile of the per-slice RMSE against mark IV, in vol points.
    pub median_rmse_points: f64,
    pub p95_rmse_points: f64,
}

/// Summarise fitted snapshots.
pub fn summarise<'a>(fits: impl IntoIterator<Item = &'a SnapshotSurface>) -> FitSummary {
    let mut s = FitSummary::default();
    let mut errors = Vec::new();
    for fit in fits {
        s.snapshots += 1;
        for (slice, rmse) in fit.surface.slices.iter().zip(&fit.rmse_vs_mark_points) {
            s.slices += 1;
            s.fitted += usize::from(slice.fit.is_ok());
            s.arbitrage_free += usize::from(slice.arbitrage_free());
            s.butterfly_violations += usize::from(slice.butterfly_arbitrage);
            s.calendar_violations += usize::from(slice.calendar_arbitrage);
            errors.extend(*rmse);
        }
    }
    errors.sort_by(f64::total_cmp);
    if let (Some(_), n) = (errors.first(), errors.len()) {
        s.median_rmse_points = errors[n / 2];
        s.p95_rmse_points = errors[(n * 95 / 100).min(n - 1)];
    }
    s
}
