//! Implied vol over a grid of 1,030,301 (K, t, vol) points at F = 3000: ten minutes to ten years,
//! vol from 0.1% to 1000%, and strikes from 30 standard deviations in the money to 30 out
//! (ln F/K = h·σ√t for h in [-30, 30], capped at ±8): price, invert with the scalar solver and
//! with the batch (SIMD) one, compare.
//!
//! Every point either inverts to within 1e-12 relative of its vol, or to within what its own price
//! can resolve (two units in the last place of the price, plus 4e-15 of its time value for the
//! pricer's own rounding, divided by vega·vol), or has no time value left in double precision and
//! says so with an error, never a NaN. Prices below 1e-290 lose digits to gradual underflow and
//! are only checked for a finite answer or a clear refusal.

mod common;

use common::ulp;
use engine::pricing::implied_vol_batch::{implied_vol_batch, IvInput};
use engine::pricing::{black76, ImpliedVolError, OptionType};

const N: usize = 101;

fn lerp(lo: f64, hi: f64, i: usize) -> f64 {
    lo + (hi - lo) * i as f64 / (N - 1) as f64
}

/// A grid point: the price to invert, its vol, and the relative vol error its price can resolve.
struct Point {
    input: IvInput,
    vol: f64,
    attainable: f64,
}

fn grid() -> Vec<Point> {
    let f = 3000.0;
    let mut points = Vec::with_capacity(N * N * N);
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
                let input = IvInput {
                    kind,
                    price: p,
                    f,
                    k,
                    t,
                    df: 1.0,
                };
                points.push(Point {
                    input,
                    vol,
                    attainable,
                });
            }
        }
    }
    points
}

/// Checks one solver's answers; returns (resolved, limited, no time value, worst resolved error).
fn check(name: &str, points: &[Point], answers: &[Result<f64, ImpliedVolError>]) {
    let mut worst_resolved = 0.0f64;
    let (mut resolved, mut limited, mut no_time_value) = (0usize, 0usize, 0usize);
    for (pt, answer) in points.iter().zip(answers) {
        let c = &pt.input;
        let (vol, attainable) = (pt.vol, pt.attainable);
        let at = format!("{name}: k {} t {} vol {vol} {}", c.k, c.t, c.kind);
        match *answer {
            Ok(iv) => {
                assert!(iv.is_finite() && iv > 0.0, "{at}: {iv}");
                let rel = ((iv - vol) / vol).abs();
                if attainable <= 1e-12 {
                    assert!(rel <= 1e-12, "{at}: iv {iv} rel {rel:e}");
                    worst_resolved = worst_resolved.max(rel);
                    resolved += 1;
                } else {
                    assert!(
                        rel <= 2.0 * attainable || attainable.is_infinite(),
                        "{at}: iv {iv} rel {rel:e} attainable {attainable:e}"
                    );
                    limited += 1;
                }
            }
            Err(ImpliedVolError::AtIntrinsic { .. } | ImpliedVolError::AboveMaximum { .. }) => {
                assert!(
                    c.price == 0.0 || attainable > 1e-3,
                    "{at}: price {} refused, attainable {attainable:e}",
                    c.price
                );
                no_time_value += 1;
            }
            Err(ref e) => panic!("{at}: {e}"),
        }
    }
    eprintln!(
        "{name}: {resolved} points resolved to 1e-12 (worst {worst_resolved:.2e}), {limited} limited by their price's precision, {no_time_value} with no time value in double precision"
    );
    assert_eq!(resolved + limited + no_time_value, points.len());
    assert!(resolved > points.len() * 2 / 5);
}

#[test]
fn a_million_points_price_then_invert() {
    let points = grid();
    let scalar: Vec<_> = points.iter().map(|p| p.input.implied_vol()).collect();
    check("scalar", &points, &scalar);
    let inputs: Vec<IvInput> = points.iter().map(|p| p.input).collect();
    let mut batch = vec![Ok(0.0); inputs.len()];
    implied_vol_batch(&inputs, &mut batch);
    check("batch", &points, &batch);
}
