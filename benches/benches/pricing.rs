//! Pricing: Φ and Φ⁻¹ (ours and statrs), price and price+greeks, implied vol, one 40-strike SVI
//! fit, and a whole-chain reprice, with the `implied-vol` crate (a port of Jaeckel's Let's Be
//! Rational) beside ours as the anchor. Greeks, implied vols and the reprice are timed both one
//! option per call (scalar) and through the batch functions (SIMD lanes across options; `_avx2`
//! forces the narrower path). Run: `cargo bench -p benches --bench pricing`.
//!
//! Inputs: 1,024 options cycled through (so no single branch is predicted perfectly): forward
//! 3000, vols 40% to 120%, calls and puts; the whole chain (strikes 0.5x to 2x the forward, 1 day
//! to 1 year) and its liquid middle (`_liquid`: 0.8x to 1.25x, 1 week to 3 months). Times are per
//! option (criterion's element throughput).

#[path = "common/chain.rs"]
mod chain;

use ::implied_vol::{DefaultSpecialFn, PriceBlackScholes};
use chain::{anchor_implied_vol, spread, Case, F};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine::pricing::batch::{batch_path, greeks_batch, greeks_batch_on, BatchPath, BlackInput};
use engine::pricing::implied_vol_batch::{implied_vol_batch_on, IvInput};
use engine::pricing::normal::{inverse_norm_cdf, norm_cdf};
use engine::pricing::svi::{self, SlicePoint, SviParams};
use engine::pricing::{black76, implied_vol, Greeks, OptionType};
use statrs::distribution::{ContinuousCDF, Normal};
use std::hint::black_box;

const N: usize = 1024;

/// The whole chain: strikes 0.5x-2x, 1 day to 1 year.
fn cases() -> Vec<Case> {
    spread(N, (0.5, 2.0), (1.0, 365.0))
}

/// The liquid middle of the chain: strikes 0.8x-1.25x, 1 week to 3 months.
fn liquid() -> Vec<Case> {
    spread(N, (0.8, 1.25), (7.0, 90.0))
}

fn normal(c: &mut Criterion) {
    let xs: Vec<f64> = (0..N).map(|i| -12.0 + 14.0 * i as f64 / N as f64).collect();
    let ps: Vec<f64> = xs.iter().map(|x| norm_cdf(*x)).collect();
    let statrs = Normal::standard();
    let mut g = c.benchmark_group("normal");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("cdf/ours", |b| {
        b.iter(|| xs.iter().map(|x| norm_cdf(black_box(*x))).sum::<f64>())
    });
    g.bench_function("cdf/statrs", |b| {
        b.iter(|| xs.iter().map(|x| statrs.cdf(black_box(*x))).sum::<f64>())
    });
    // Φ⁻¹ is statrs's erfc⁻¹: measured faster than Wichura's AS241 at equal accuracy.
    g.bench_function("inverse", |b| {
        b.iter(|| {
            ps.iter()
                .map(|p| inverse_norm_cdf(black_box(*p)))
                .sum::<f64>()
        })
    });
    g.finish();
}

fn price(c: &mut Criterion) {
    for (name, set) in [("black76", cases()), ("black76_liquid", liquid())] {
        price_group(c, name, &set);
    }
}

fn price_group(c: &mut Criterion, name: &str, cases: &[Case]) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("price/ours", |b| {
        b.iter(|| {
            cases
                .iter()
                .map(|c| black76::price(c.kind, F, black_box(c.k), c.t, c.vol, 1.0))
                .sum::<f64>()
        })
    });
    g.bench_function("price/anchor", |b| {
        b.iter(|| {
            cases
                .iter()
                .map(|c| {
                    PriceBlackScholes::builder()
                        .forward(F)
                        .strike(black_box(c.k))
                        .volatility(c.vol)
                        .expiry(c.t)
                        .is_call(c.kind == OptionType::Call)
                        .build_unchecked()
                        .calculate::<DefaultSpecialFn>()
                })
                .sum::<f64>()
        })
    });
    g.bench_function("price_and_greeks/ours", |b| {
        b.iter(|| {
            cases
                .iter()
                .map(|c| {
                    let g = black76::greeks(c.kind, F, black_box(c.k), c.t, c.vol, 1.0);
                    g.price + g.delta + g.gamma + g.vega + g.theta + g.vanna + g.volga
                })
                .sum::<f64>()
        })
    });
    // The same options through the batch pricer (SIMD lanes across options).
    let inputs: Vec<BlackInput> = cases
        .iter()
        .map(|c| BlackInput {
            kind: c.kind,
            f: F,
            k: c.k,
            t: c.t,
            vol: c.vol,
            df: 1.0,
        })
        .collect();
    let mut out = vec![Greeks::default(); inputs.len()];
    // The widest path this CPU has (AVX-512 here), then the AVX2 path most machines have.
    for (label, path) in [
        ("price_and_greeks/batch", batch_path()),
        ("price_and_greeks/batch_avx2", BatchPath::Avx2),
    ] {
        g.bench_function(label, |b| {
            b.iter(|| {
                greeks_batch_on(path, black_box(&inputs), &mut out);
                out.iter()
                    .map(|g| g.price + g.delta + g.gamma + g.vega + g.theta + g.vanna + g.volga)
                    .sum::<f64>()
            })
        });
    }
    g.finish();
}

fn iv(c: &mut Criterion) {
    for (name, set) in [("implied_vol", cases()), ("implied_vol_liquid", liquid())] {
        iv_group(c, name, &set);
    }
}

fn iv_group(c: &mut Criterion, name: &str, cases: &[Case]) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("ours", |b| {
        b.iter(|| {
            cases
                .iter()
                .map(|c| implied_vol(c.kind, black_box(c.price), F, c.k, c.t, 1.0).unwrap_or(0.0))
                .sum::<f64>()
        })
    });
    // The same prices through the batch solver (SIMD lanes across options).
    let inputs: Vec<IvInput> = cases
        .iter()
        .map(|c| IvInput {
            kind: c.kind,
            price: c.price,
            f: F,
            k: c.k,
            t: c.t,
            df: 1.0,
        })
        .collect();
    let mut out = vec![Ok(0.0); inputs.len()];
    for (label, path) in [("batch", batch_path()), ("batch_avx2", BatchPath::Avx2)] {
        g.bench_function(label, |b| {
            b.iter(|| {
                implied_vol_batch_on(path, black_box(&inputs), &mut out);
                out.iter().map(|r| r.clone().unwrap_or(0.0)).sum::<f64>()
            })
        });
    }
    g.bench_function("anchor", |b| {
        b.iter(|| {
            cases
                .iter()
                .map(|c| anchor_implied_vol(c.kind, black_box(c.price), F, c.k, c.t))
                .sum::<f64>()
        })
    });
    g.finish();
}

/// A 40-strike slice from known parameters with ±0.3 vol points of deterministic noise.
fn slice_40() -> (Vec<SlicePoint>, f64) {
    let truth = SviParams {
        a: 0.02,
        b: 0.12,
        rho: -0.25,
        m: 0.02,
        sigma: 0.25,
    };
    let t = 0.25;
    let points = (0..40)
        .map(|i| {
            let k = -0.7 + 1.4 * i as f64 / 39.0;
            let noise = 0.003 * ((i as f64 * 0.618_034).fract() - 0.5) * 2.0;
            SlicePoint::mid(k, truth.vol(k, t) + noise, 1.0 / (0.01f64).powi(2))
        })
        .collect();
    (points, t)
}

fn surface(c: &mut Criterion) {
    let (points, t) = slice_40();
    c.bench_function("svi_fit/40_strikes", |b| {
        b.iter(|| svi::fit(black_box(&points), t).map(|f| f.params.a))
    });
    // An ETH chain: 8 expiries x 125 strikes; each option's vol read off its expiry's SVI slice,
    // then priced with all greeks (out-of-the-money side). Strikes are log-spaced over +-5
    // standard deviations at 70% vol (at least +-15%), as Deribit lists them: the 2026-03-01
    // snapshot spans about -3.4 to +3.5 standard deviations per expiry, -7.4 to +7.7 at most.
    let expiries: Vec<(f64, SviParams, Vec<f64>)> = [1.0, 2.0, 7.0, 14.0, 28.0, 56.0, 91.0, 182.0]
        .iter()
        .map(|days| {
            let t = days / 365.0;
            let params = SviParams {
                a: 0.3 * t,
                b: 0.1 + 0.2 * t,
                rho: -0.3,
                m: 0.0,
                sigma: 0.2,
            };
            let half_width = (5.0 * 0.7 * t.sqrt()).max(0.15);
            let strikes = (0..125)
                .map(|i| F * (half_width * (2.0 * i as f64 / 124.0 - 1.0)).exp())
                .collect();
            (t, params, strikes)
        })
        .collect();
    let mut g = c.benchmark_group("chain_reprice");
    g.throughput(Throughput::Elements(1000));
    g.bench_function("1000_options", |b| {
        b.iter(|| {
            let mut total = 0.0;
            for (t, params, strikes) in &expiries {
                for &k in strikes {
                    let kind = if k >= F {
                        OptionType::Call
                    } else {
                        OptionType::Put
                    };
                    let vol = params.vol((k / F).ln(), *t);
                    let g = black76::greeks(kind, black_box(F), k, *t, vol, 1.0);
                    total += g.price + g.delta + g.gamma + g.vega + g.theta;
                }
            }
            total
        })
    });
    // The same reprice through the batch pricer: vols off the slices, then one batch call.
    let mut inputs: Vec<BlackInput> = Vec::with_capacity(1000);
    let mut out = vec![Greeks::default(); 1000];
    g.bench_function("1000_options_batch", |b| {
        b.iter(|| {
            inputs.clear();
            for (t, params, strikes) in &expiries {
                for &k in strikes {
                    let kind = if k >= F {
                        OptionType::Call
                    } else {
                        OptionType::Put
                    };
                    let vol = params.vol((k / F).ln(), *t);
                    inputs.push(BlackInput {
                        kind,
                        f: black_box(F),
                        k,
                        t: *t,
                        vol,
                        df: 1.0,
                    });
                }
            }
            greeks_batch(&inputs, &mut out);
            out.iter()
                .map(|g| g.price + g.delta + g.gamma + g.vega + g.theta)
                .sum::<f64>()
        })
    });
    g.finish();
}

criterion_group! {
    name = pricing;
    config = benches::criterion();
    targets = normal, price, iv, surface
}
criterion_main!(pricing);
