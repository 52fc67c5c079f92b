//! Φ and Φ⁻¹ against 50-digit values (computed with mpmath while writing this test, at the double
//! nearest each argument), and `statrs`
//! measured on the same points: the issue asks for about 1e-15 relative in the tails and for the
//! faster of the two implementations that meets it. statrs's `Normal::cdf` forms `erfc(-x/√2)`
//! from the rounded argument, which costs up to 2y²·ε relative in the lower tail (1e-13 near
//! x = -37), so ours is the one used; the printed figures show the difference.

// Reference values keep the digits they were computed with.
#![allow(clippy::excessive_precision)]

use engine::pricing::normal::{inverse_norm_cdf, norm_cdf};
use statrs::distribution::{ContinuousCDF, Normal};

const CDF: [(f64, f64); 16] = [
    (-38.0, 2.885_428_360_068_784_3e-316),
    (-30.0, 4.906_713_927_148_187e-198),
    (-20.0, 2.753_624_118_606_233_7e-89),
    (-12.5, 3.732_564_298_877_713_4e-36),
    (-10.0, 7.619_853_024_160_526e-24),
    (-7.0, 1.279_812_543_885_835e-12),
    (-5.0, 2.866_515_718_791_939e-7),
    (-3.0, 1.349_898_031_630_094_5e-3),
    (-2.0, 2.275_013_194_817_920_7e-2),
    (-1.0, 0.158_655_253_931_457_05),
    (-0.5, 0.308_537_538_725_986_9),
    (-0.1, 0.460_172_162_722_971),
    (0.3, 0.617_911_422_188_952_6),
    (1.0, 0.841_344_746_068_542_9),
    (2.5, 0.993_790_334_674_223_9),
    (5.0, 0.999_999_713_348_428_1),
];

const QUANTILES: [(f64, f64); 11] = [
    (1e-300, -37.047_096_299_361_2),
    (1e-100, -21.273_453_560_965_324),
    (1e-20, -9.262_340_089_798_408),
    (1e-8, -5.612_001_244_174_789),
    (0.001, -3.090_232_306_167_813_5),
    (0.02, -2.053_748_910_631_823),
    (0.2, -0.841_621_233_572_914_2),
    (0.45, -0.125_661_346_855_074_03),
    (0.6, 0.253_347_103_135_799_8),
    (0.97, 1.880_793_608_151_251),
    (0.999_999, 4.753_424_308_817_088),
];

fn rel(a: f64, b: f64) -> f64 {
    ((a - b) / b).abs()
}

#[test]
fn cdf_is_accurate_to_1e15_in_both_tails_and_statrs_is_measured() {
    let statrs = Normal::standard();
    let (mut ours_worst, mut statrs_worst) = (0.0f64, 0.0f64);
    for (x, want) in CDF {
        // -38 is subnormal: only the digits a subnormal holds are asked for.
        let tol = if want < f64::MIN_POSITIVE {
            1e-7
        } else {
            1e-15
        };
        let ours = rel(norm_cdf(x), want);
        assert!(
            ours < tol,
            "Φ({x}) = {:e}, want {want:e} (rel {ours:e})",
            norm_cdf(x)
        );
        if want >= f64::MIN_POSITIVE {
            ours_worst = ours_worst.max(ours);
            statrs_worst = statrs_worst.max(rel(statrs.cdf(x), want));
        }
    }
    eprintln!("Φ worst relative error: ours {ours_worst:.1e}, statrs {statrs_worst:.1e}");
}

#[test]
fn inverse_is_accurate_and_statrs_is_measured() {
    let statrs = Normal::standard();
    let (mut ours_worst, mut statrs_worst) = (0.0f64, 0.0f64);
    for (p, want) in QUANTILES {
        let ours = rel(inverse_norm_cdf(p), want);
        assert!(
            ours < 1e-15,
            "Φ⁻¹({p}) = {}, want {want} (rel {ours:e})",
            inverse_norm_cdf(p)
        );
        ours_worst = ours_worst.max(ours);
        statrs_worst = statrs_worst.max(rel(statrs.inverse_cdf(p), want));
    }
    eprintln!("Φ⁻¹ worst relative error: ours {ours_worst:.1e}, statrs {statrs_worst:.1e}");
}
