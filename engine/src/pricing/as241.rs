//! Wichura's AS241 (PPND16, Applied Statistics 1988): Φ⁻¹ as three rational forms to about
//! 1e-16, one near the middle and two in the tail in r = √(-ln p). The lanes ([`super::lanes`])
//! evaluate all three and select; here, [`inverse_norm_cdf_of_ln`] takes ln p rather than p, so
//! that a caller holding a power of p (the implied vol's lowest-branch guess inverts Φ at a cube
//! root) needs no root: ln p is a third of the power's logarithm.

// The published coefficients keep all their digits.
#![allow(clippy::excessive_precision, clippy::unreadable_literal)]

use super::exp::exp;

/// Below this p (ln p below its log), AS241 takes the tail forms.
const CENTRAL_LOW: f64 = 0.075;

/// Φ⁻¹(p) for 0 < p <= 0.925 (the central form's top; callers take p <= 1/2), from `ln_p` =
/// ln p.
pub fn inverse_norm_cdf_of_ln(ln_p: f64) -> f64 {
    debug_assert!(ln_p <= 0.925f64.ln());
    if ln_p > CENTRAL_LOW.ln() {
        let q = exp(ln_p) - 0.5;
        let r = 0.180_625 - q * q;
        return q * horner(&AS241_A, r) / horner(&AS241_B, r);
    }
    let r = (-ln_p).sqrt();
    if r <= 5.0 {
        -horner(&AS241_C, r - 1.6) / horner(&AS241_D, r - 1.6)
    } else {
        -horner(&AS241_E, r - 5.0) / horner(&AS241_F, r - 5.0)
    }
}

/// Horner with coefficients from the constant term up (plain multiply-adds: no FMA needed).
#[inline(always)]
fn horner(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

pub(super) const AS241_A: [f64; 8] = [
    3.387_132_872_796_366_6,
    1.331_416_678_917_843_8e2,
    1.971_590_950_306_551_4e3,
    1.373_169_376_550_946_1e4,
    4.592_195_393_154_987e4,
    6.726_577_092_700_87e4,
    3.343_057_558_358_813e4,
    2.509_080_928_730_122_7e3,
];
pub(super) const AS241_B: [f64; 8] = [
    1.0,
    4.231_333_070_160_091e1,
    6.871_870_074_920_579e2,
    5.394_196_021_424_751e3,
    2.121_379_430_158_659_7e4,
    3.930_789_580_009_271e4,
    2.872_908_573_572_194_3e4,
    5.226_495_278_852_854_5e3,
];
pub(super) const AS241_C: [f64; 8] = [
    1.423_437_110_749_683_5,
    4.630_337_846_156_546,
    5.769_497_221_460_691,
    3.647_848_324_763_204_5,
    1.270_458_252_452_368_4,
    2.417_807_251_774_506e-1,
    2.272_384_498_926_918_4e-2,
    7.745_450_142_783_414e-4,
];
pub(super) const AS241_D: [f64; 8] = [
    1.0,
    2.053_191_626_637_758_8,
    1.676_384_830_183_803_8,
    6.897_673_349_851e-1,
    1.481_039_764_274_800_7e-1,
    1.519_866_656_361_645_7e-2,
    5.475_938_084_995_345e-4,
    1.050_750_071_644_416_8e-9,
];
pub(super) const AS241_E: [f64; 8] = [
    6.657_904_643_501_103_8,
    5.463_784_911_164_114,
    1.784_826_539_917_291_3,
    2.965_605_718_285_048_7e-1,
    2.653_218_952_657_612_4e-2,
    1.242_660_947_388_078_4e-3,
    2.711_555_568_743_487_6e-5,
    2.010_334_399_292_288_1e-7,
];
pub(super) const AS241_F: [f64; 8] = [
    1.0,
    5.998_322_065_558_879_4e-1,
    1.369_298_809_227_358e-1,
    1.487_536_129_085_061_5e-2,
    7.868_691_311_456_133e-4,
    1.846_318_317_510_054_8e-5,
    1.421_511_758_316_445_9e-7,
    2.044_263_103_389_939_8e-15,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::normal::inverse_norm_cdf;

    /// Against statrs's Φ⁻¹ from 1e-300 to 1/2, across both forms' borders.
    #[test]
    fn matches_the_inverse_of_p() {
        let mut worst = 0.0f64;
        for i in 0..=20_000 {
            let ln_p = -690.0 + (690.0 - std::f64::consts::LN_2) * i as f64 / 20_000.0;
            let want = inverse_norm_cdf(ln_p.exp());
            let got = inverse_norm_cdf_of_ln(ln_p);
            worst = worst.max(((got - want) / want).abs());
        }
        assert!(worst < 1e-14, "worst relative {worst:e}");
        assert_eq!(inverse_norm_cdf_of_ln(-std::f64::consts::LN_2), 0.0);
    }
}
