//! The synthetic market's surface at moments along a crash path: the listing's strikes priced off
//! the synthetic smile, fitted back by the engine's SVI fit, are free of butterfly and calendar
//! arbitrage before, during and after the crash, and the fit returns the smile it was given.

use backtest::synthetic::listing::listing;
use backtest::synthetic::path::{IndexPath, Preset};
use backtest::synthetic::smile::{slice, SmileConfig};
use engine::pricing::surface::{SliceInput, Surface};
use engine::pricing::svi::SlicePoint;

#[test]
fn arbitrage_free_along_a_crash() {
    let config = Preset::Crash.config();
    let smile = SmileConfig::default();
    let points: Vec<_> = IndexPath::new(config.clone(), 3).collect();
    // Day 1, just before the crash, right after it, and ten days later.
    for minute in [1440, 14_399, 14_470, 28_800] {
        let p = points[minute];
        let v = p.vol * p.vol;
        let inputs: Vec<SliceInput> = listing(p.at, p.price)
            .into_iter()
            .map(|e| {
                let t = p.at.years_until(e.expiry.settlement_time());
                let params = slice(&config, &smile, v, t);
                SliceInput {
                    expiry: e.expiry.to_string(),
                    t,
                    forward: p.price,
                    points: e
                        .strikes
                        .iter()
                        .map(|k| {
                            let k = (k / p.price).ln();
                            SlicePoint::mid(k, params.vol(k, t), 1.0)
                        })
                        .collect(),
                }
            })
            .collect();
        let surface = Surface::fit(inputs.clone());
        for (s, input) in surface.slices.iter().zip(&inputs) {
            let fit = s
                .fit
                .as_ref()
                .unwrap_or_else(|e| panic!("minute {minute} {}: {e}", s.expiry));
            assert!(s.arbitrage_free(), "minute {minute} {}: {s:?}", s.expiry);
            let worst = input
                .points
                .iter()
                .map(|q| (fit.params.vol(q.k, s.t) - q.vol).abs())
                .fold(0.0, f64::max);
            assert!(
                worst < 1e-3,
                "minute {minute} {}: refit off by {worst}",
                s.expiry
            );
        }
    }
}
