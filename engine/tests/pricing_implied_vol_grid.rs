//! Implied vol over a grid of 1,030,301 (K, t, vol) points at F = 3000: ten minutes to ten years,
//! vol from 0.1% to 1000%, and strikes from 30 standard deviations in the money to 30 out
//! (ln F/K = h·σ√t for h in [-30, 30], capped at ±8): price, invert, compare.
//!
//! Every point either inverts to within 1e-12 relative of its vol, or to within what its own price
//! can resolve (two units in the last place of the price, plus 4e-15 of its time value for the
//! pricer's own rounding, divided by vega·vol), or has no time value left in double precision and
//! says so with an error, never a NaN. Prices below 1e-290 lose digits to gradual underflow and
//! are only checked for a finite answer or a clear refusal.

mod common;

use common::ulp;
use engine::pricing::{black76, implied_vol, ImpliedVolError, OptionType};

const N: usize = 101;

fn lerp(lo: f64, hi: f64, i: usize) -> f64 {
    lo + (hi - lo) * i as f64 / (N - 1) as f64
}

#[test]
fn a_million_points_price_then_invert() {
    let f = 3000.0;
    let mut worst_resolved = 0.0f64;
    let (mut resolved, mut limited, mut no_time_value) = (0usize, 0usize, 0usize);
    for i in 0..N {
        let h = lerp(-30.0, 30.0, i);
        for j in 0..N {
            let t = (lerp((10.0 / 525_600.0f64).ln(), 10f64.ln(), j)).exp();
            for l in 0..N {
                let vol = lerp(0.001f64.ln(), 10f64.ln(), l).exp();
                let x = (h * vol * t.sqrt()).clamp(-8.0, 8.0);
                let k = f * (-x).exp();
                let kind = if (i + j + l) % 2 == 0 {
                    OptionType::Call
                } else {
                    OptionType::Put
                };
                let g = black76::greeks(kind, f, k, t, vol, 1.0);
                let p = g.price;
                let intrinsic = (kind.sign() * (f - k)).max(0.0);
                let mut attainable = (2.0 * ulp(p) + 4e-15 * (p - intrinsic)) / (g.vega * vol);
                if p < 1e-290 {
                    // Gradual underflow: the pricer's intermediates lose digits, so the price
                    // pins nothing; only a finite answer or a clear refusal is asserted.
                    attainable = f64::INFINITY;
                }
                match implied_vol(kind, p, f, k, t, 1.0) {
                    Ok(iv) => {
                        assert!(iv.is_finite() && iv > 0.0, "k {k} t {t} vol {vol}: {iv}");
                        let rel = ((iv - vol) / vol).abs();
                        if attainable <= 1e-12 {
                            assert!(
                                rel <= 1e-12,
                                "k {k} t {t} vol {vol} {kind}: iv {iv} rel {rel:e}"
                            );
                            worst_resolved = worst_resolved.max(rel);
                            resolved += 1;
                        } else {
                            assert!(rel <= 2.0 * attainable || attainable.is_infinite(), "k {k} t {t} vol {vol} {kind}: iv {iv} rel {rel:e} attainable {attainable:e}");
                            limited += 1;
                        }
                    }
                    Err(
                        ImpliedVolError::AtIntrinsic { .. } | ImpliedVolError::AboveMaximum { .. },
                    ) => {
                        assert!(p == 0.0 || attainable > 1e-3, "k {k} t {t} vol {vol} {kind}: price {p} refused, attainable {attainable:e}");
                        no_time_value += 1;
                    }
                    Err(e) => panic!("k {k} t {t} vol {vol}: {e}"),
                }
            }
        }
    }
    eprintln!(
        "grid: {resolved} points resolved to 1e-12 (worst {worst_resolved:.2e}), {limited} limited by their price's precision, {no_time_value} with no time value in double precision"
    );
    assert_eq!(resolved + limited + no_time_value, N * N * N);
    assert!(resolved > N * N * N * 2 / 5);
}
