//! One implied vol at a time by Let's Be Rational's branch, ours beside the anchor (`implied-vol`
//! 2.1.0), on the `pricing` bench's whole chain (8,192 options: strikes 0.5x to 2x the forward,
//! 1 day to 1 year, vols 40% to 120%, calls and puts) split by the branch its price falls in:
//! where the whole chain's time goes, and where ours differs. The top branch (prices above
//! b_u) has no option in this chain. Run: `cargo bench -p benches --bench implied_vol_branches`.

#[path = "common/chain.rs"]
mod chain;

use chain::{anchor_implied_vol, spread, Case, F};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine::pricing::implied_vol;
use engine::pricing::normal::{one_minus_erfcx, FRAC_1_SQRT_2PI};
use engine::pricing::normalised::black_and_vega;
use std::hint::black_box;

/// Each branch's options cycled to this many per iteration.
const N: usize = 4096;

/// The `pricing` bench's whole-chain spread, 8,192 options.
fn chain() -> Vec<Case> {
    spread(2 * N, (0.5, 2.0), (1.0, 365.0))
}

/// 0 lowest, 1 lower middle, 2 upper middle, 3 top: as `normalised_implied_s` splits them.
fn branch(c: &Case) -> usize {
    let intrinsic = (c.kind.sign() * (F - c.k)).max(0.0);
    let x = -(F / c.k).ln().abs();
    let beta = (c.price - intrinsic) / (F * c.k).sqrt();
    let b_max = (F.min(c.k) / F.max(c.k)).sqrt();
    let s_c = (-2.0 * x).sqrt();
    let b_c = 0.5 * b_max * one_minus_erfcx((-x).sqrt());
    let v_c = b_max * FRAC_1_SQRT_2PI;
    if beta < b_c {
        let (b_l, _) = black_and_vega(x, s_c - b_c / v_c, b_max);
        usize::from(beta >= b_l)
    } else {
        let (b_u, _) = black_and_vega(x, s_c + (b_max - b_c) / v_c, b_max);
        if beta <= b_u {
            2
        } else {
            3
        }
    }
}

fn by_branch(c: &mut Criterion) {
    let all = chain();
    for (b, name) in ["lowest", "lower_middle", "upper_middle"]
        .iter()
        .enumerate()
    {
        let in_branch: Vec<Case> = all.iter().filter(|c| branch(c) == b).copied().collect();
        let cases: Vec<Case> = in_branch.iter().cycle().take(N).copied().collect();
        let mut g = c.benchmark_group(format!("implied_vol_branch/{name}"));
        g.throughput(Throughput::Elements(N as u64));
        g.bench_function("ours", |bch| {
            bch.iter(|| {
                (cases.iter())
                    .map(|c| implied_vol(c.kind, black_box(c.price), F, c.k, c.t, 1.0))
                    .map(|v| v.unwrap_or(0.0))
                    .sum::<f64>()
            })
        });
        g.bench_function("anchor", |bch| {
            bch.iter(|| {
                (cases.iter())
                    .map(|c| anchor_implied_vol(c.kind, black_box(c.price), F, c.k, c.t))
                    .sum::<f64>()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, by_branch);
criterion_main!(benches);
