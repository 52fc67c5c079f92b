//! Our implied vol against the anchor crate (`implied-vol`, a port of Jaeckel's Let's Be Rational)
//! on the same Let's Be Rational reference cases, scored the same way.
//!
//! Two scores per solver: the worst relative distance to the file's sigma over the cases whose
//! price resolves sigma to 1e-11 (see engine/tests/pricing_reference.rs), and the worst relative
//! repricing error of the solved vol under our own pricer. The test asserts ours is within 2x of
//! the anchor on the first (both are then limited by how the file's sigmas were produced, not by
//! the solvers) and no worse on the second; the batch (SIMD) solver is scored the same way.

#[path = "../../engine/tests/common/mod.rs"]
mod common;

use ::implied_vol::{DefaultSpecialFn, ImpliedBlackVolatility};
use common::{lbr_cases, LbrCase};
use engine::pricing::implied_vol_batch::{implied_vol_batch, IvInput};
use engine::pricing::{black76, implied_vol, OptionType};

struct Score {
    worst_vs_sigma: f64,
    worst_reprice: f64,
    solved: usize,
}

fn score(solve: impl Fn(OptionType, f64, f64, f64, f64) -> Option<f64>) -> Option<Score> {
    let mut s = Score {
        worst_vs_sigma: 0.0,
        worst_reprice: 0.0,
        solved: 0,
    };
    for case in &lbr_cases()? {
        let LbrCase {
            kind,
            forward: f,
            strike: k,
            t,
            sigma,
            price: p,
            ..
        } = *case;
        // Only the cases both can invert: time value present and the price resolving 1e-11.
        if implied_vol(kind, p, f, k, t, 1.0).is_err() || case.attainable() > 1e-11 {
            continue;
        }
        let Some(iv) = solve(kind, p, f, k, t) else {
            continue;
        };
        s.solved += 1;
        s.worst_vs_sigma = s.worst_vs_sigma.max(((iv - sigma) / sigma).abs());
        let repriced = black76::undiscounted_price(kind, f, k, t, iv);
        s.worst_reprice = s.worst_reprice.max(((repriced - p) / p).abs());
    }
    Some(s)
}

#[test]
fn ours_matches_the_anchor_on_the_reference_cases() {
    let Some(ours) = score(|kind, p, f, k, t| implied_vol(kind, p, f, k, t, 1.0).ok()) else {
        return;
    };
    let anchor = score(|kind, p, f, k, t| {
        ImpliedBlackVolatility::builder()
            .option_price(p)
            .forward(f)
            .strike(k)
            .expiry(t)
            .is_call(kind == OptionType::Call)
            .build()?
            .calculate::<DefaultSpecialFn>()
    })
    .expect("same data");
    eprintln!(
        "LBR cases: ours {} solved, worst vs sigma {:.2e}, worst reprice {:.2e}; anchor {} solved, worst vs sigma {:.2e}, worst reprice {:.2e}",
        ours.solved, ours.worst_vs_sigma, ours.worst_reprice, anchor.solved, anchor.worst_vs_sigma, anchor.worst_reprice
    );
    // The batch solver, one case per call (lanes padded): the same cases, the same scores.
    let batch = score(|kind, p, f, k, t| {
        let input = IvInput {
            kind,
            price: p,
            f,
            k,
            t,
            df: 1.0,
        };
        let mut out = [Ok(0.0)];
        implied_vol_batch(&[input], &mut out);
        out[0].clone().ok()
    })
    .expect("same data");
    eprintln!(
        "LBR cases: batch {} solved, worst vs sigma {:.2e}, worst reprice {:.2e}",
        batch.solved, batch.worst_vs_sigma, batch.worst_reprice
    );
    assert_eq!(ours.solved, anchor.solved);
    assert!(ours.worst_vs_sigma <= 2.0 * anchor.worst_vs_sigma.max(1e-15));
    assert!(ours.worst_reprice <= anchor.worst_reprice.max(1e-15) * 1.01);
    assert_eq!(batch.solved, anchor.solved);
    assert!(batch.worst_vs_sigma <= 2.0 * anchor.worst_vs_sigma.max(1e-15));
    // The lanes' erfcx-difference kernel keeps ε·|d2|/s relative in the wings, where the scalar
    // kernel switches to series: measured 3.0e-14 against the anchor's 2.2e-14 (two cases above
    // it, at h = x/s of -9 and -15).
    assert!(batch.worst_reprice <= anchor.worst_reprice.max(1e-15) * 1.5);
}
