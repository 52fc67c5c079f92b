//! Every snapshot of the shared Deribit chain data gets a surface; the fit error against Deribit's
//! own mark IVs and the arbitrage-free share are printed and bounded.

#[path = "../../engine/tests/common/mod.rs"]
mod common;

use backtest::chain::ChainReader;
use backtest::chain_surface::{fit_snapshot, summarise};

#[test]
fn every_snapshot_fits_close_to_deribit_marks() {
    let Some(files) = common::chain_files() else {
        return;
    };
    let mut fits = Vec::new();
    for path in &files {
        for snapshot in ChainReader::open(path).expect("readable file") {
            let snapshot = snapshot.unwrap_or_else(|e| panic!("{e}"));
            fits.push(fit_snapshot(&snapshot));
        }
    }
    let s = summarise(&fits);
    eprintln!("{s:?}");
    // Measured when written: 813 snapshots, 9,486 of 9,656 slices fitted, RMSE median 0.45 and
    // p95 1.47 vol points, 8,960 slices free of both arbitrages.
    assert!(s.snapshots > 800, "{s:?}");
    assert!(s.fitted as f64 > 0.95 * s.slices as f64, "{s:?}");
    assert!(
        s.median_rmse_points < 1.0 && s.p95_rmse_points < 3.0,
        "{s:?}"
    );
    assert!(s.arbitrage_free as f64 > 0.9 * s.fitted as f64, "{s:?}");
}
