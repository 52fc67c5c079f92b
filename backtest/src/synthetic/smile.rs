//! The synthetic vol surface, moving with the index path: at instantaneous variance `v`, the
//! at-the-money total variance of an expiry `t` years out is what the path's own Heston dynamics
//! expect over it, `t·(θ + (v - θ)(1 - e^{-κt})/(κt))`, so a shock lifts the short end most (an
//! inverted term structure after a crash) and it decays back. The smile around it is a raw SVI
//! with a put skew that steepens as vol rises above its long-run level, and wings that stay well
//! inside Lee's bound.

use super::path::PathConfig;
use engine::pricing::svi::SviParams;

/// The smile's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct SmileConfig {
    /// SVI σ (curvature at the money, in log-moneyness).
    pub curvature: f64,
    /// Wing slope b per unit of √(ATM total variance).
    pub wing: f64,
    /// ρ at the long-run vol, and how much it falls per unit of vol/long-run vol above 1.
    pub skew: f64,
    pub skew_per_vol: f64,
}

impl Default for SmileConfig {
    fn default() -> Self {
        SmileConfig {
            curvature: 0.2,
            wing: 0.4,
            skew: -0.25,
            skew_per_vol: 0.15,
        }
    }
}

/// Expected average variance to `t` under the path's variance dynamics, from variance `v` now.
pub fn expected_variance(path: &PathConfig, v: f64, t: f64) -> f64 {
    let kt = path.kappa * t;
    let weight = if kt < 1e-8 {
        1.0
    } else {
        (1.0 - (-kt).exp()) / kt
    };
    path.theta + (v - path.theta) * weight
}

/// The SVI slice of an expiry `t` years out when the instantaneous variance is `v`.
pub fn slice(path: &PathConfig, smile: &SmileConfig, v: f64, t: f64) -> SviParams {
    let atm_w = expected_variance(path, v.max(1e-6), t) * t;
    let b = smile.wing * atm_w.sqrt();
    let vol_ratio = (v.max(0.0) / path.theta).sqrt();
    let rho = (smile.skew - smile.skew_per_vol * (vol_ratio - 1.0)).clamp(-0.9, 0.5);
    let sigma = smile.curvature;
    // w(0) = a + b·σ (m = 0) is the at-the-money total variance.
    SviParams {
        a: atm_w - b * sigma,
        b,
        rho,
        m: 0.0,
        sigma,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::path::Preset;

    #[test]
    fn at_the_money_and_skew() {
        let path = Preset::Calm.config();
        let smile = SmileConfig::default();
        for t in [1.0 / 365.0, 0.1, 1.0] {
            let s = slice(&path, &smile, path.theta, t);
            // At the long-run variance the ATM vol is the long-run vol at every expiry.
            assert!((s.vol(0.0, t) - path.theta.sqrt()).abs() < 1e-12, "t {t}");
            // A put skew: lower strikes have higher vol.
            assert!(s.vol(-0.2, t) > s.vol(0.2, t));
            // Total variance positive everywhere in a wide range.
            assert!((-3..=3).all(|i| s.total_variance(i as f64) > 0.0));
        }
        // After a shock (variance quadrupled), the short end rises most.
        let shocked = 4.0 * path.theta;
        let short = slice(&path, &smile, shocked, 7.0 / 365.0).vol(0.0, 7.0 / 365.0);
        let long = slice(&path, &smile, shocked, 1.0).vol(0.0, 1.0);
        assert!(short > long && long > path.theta.sqrt(), "{short} {long}");
    }
}
