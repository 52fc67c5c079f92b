//! Raw SVI slices (Gatheral 2004): total implied variance at log-moneyness k = ln(K/F)
//! `w(k) = a + b (ρ (k - m) + √((k - m)² + σ²))`, fitted per expiry to market vols.
//!
//! The fit is the quasi-explicit one of Zeliade (2009): for fixed (m, σ) the slice is linear in
//! `(a, d, c) = (a, ρbσ, bσ)` with `y = (k - m)/σ`: `w = a + d y + c √(y² + 1)`, a weighted 3×3
//! least-squares solve kept inside the no-arbitrage box `0 <= c`, `|d| <= c`, `c + |d| <= 2σ`
//! (Lee's wing bound b(1+|ρ|) <= 2) and `a + √(c² - d²) >= 0` (variance never negative); an
//! outer Nelder-Mead searches (m, ln σ) from a few starts. Butterfly arbitrage is checked
//! afterwards with Gatheral's density g(k) >= 0.

use super::nelder_mead::Search;
use super::svi_inner::{Data, LANES};
use thiserror::Error;

/// Raw SVI parameters of one expiry (total variance, not variance).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SviParams {
    pub a: f64,
    pub b: f64,
    pub rho: f64,
    pub m: f64,
    pub sigma: f64,
}

impl SviParams {
    /// Total implied variance w(k).
    #[inline]
    pub fn total_variance(&self, k: f64) -> f64 {
        let z = k - self.m;
        self.a + self.b * (self.rho * z + (z * z + self.sigma * self.sigma).sqrt())
    }

    /// Implied vol at log-moneyness k for time t.
    #[inline]
    pub fn vol(&self, k: f64, t: f64) -> f64 {
        (self.total_variance(k).max(0.0) / t).sqrt()
    }

    /// w'(k) and w''(k).
    fn derivatives(&self, k: f64) -> (f64, f64) {
        let z = k - self.m;
        let r = (z * z + self.sigma * self.sigma).sqrt();
        (
            self.b * (self.rho + z / r),
            self.b * self.sigma * self.sigma / (r * r * r),
        )
    }

    /// Gatheral's g(k): the risk-neutral density is g(k)/√(2πw) · e^{-d₋²/2}, so g < 0 is a
    /// butterfly arbitrage.
    pub fn butterfly_g(&self, k: f64) -> f64 {
        let w = self.total_variance(k);
        let (w1, w2) = self.derivatives(k);
        let first = 1.0 - k * w1 / (2.0 * w);
        first * first - 0.25 * w1 * w1 * (1.0 / w + 0.25) + 0.5 * w2
    }

    /// The smallest g on `n` points of [lo, hi] and where it is.
    pub fn min_butterfly_g(&self, lo: f64, hi: f64, n: usize) -> (f64, f64) {
        (0..n)
            .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
            .map(|k| (self.butterfly_g(k), k))
            .fold(
                (f64::INFINITY, lo),
                |best, cur| if cur.0 < best.0 { cur } else { best },
            )
    }
}

/// One market point of a slice: log-moneyness, an implied vol, and what that vol is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SlicePoint {
    pub k: f64,
    pub vol: f64,
    /// For a mid: the weight of its squared vol error (1 / bid-ask spread in vol, squared).
    /// Ignored for bounds.
    pub weight: f64,
    pub kind: PointKind,
}

/// How a point enters the fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointKind {
    /// A two-sided quote's mid: fitted.
    Mid,
    /// An ask with no bid: the slice must not be above it.
    UpperBound,
    /// A bid with no ask: the slice must not be below it.
    LowerBound,
}

impl SlicePoint {
    pub fn mid(k: f64, vol: f64, weight: f64) -> SlicePoint {
        SlicePoint {
            k,
            vol,
            weight,
            kind: PointKind::Mid,
        }
    }
}

/// Why a slice could not be fitted.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SviError {
    #[error("{count} usable two-sided quotes; an SVI slice needs at least {needed}")]
    TooFewPoints { count: usize, needed: usize },
    #[error("no SVI parameters inside the no-arbitrage box fit these quotes")]
    NoFit,
    #[error("t = {0} is not a positive time to expiry")]
    BadTime(f64),
}

/// Fewest points for five parameters with one to spare.
pub const MIN_POINTS: usize = 6;

/// A fitted slice and its fit error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SviFit {
    pub params: SviParams,
    /// Weighted RMS error in vol (fraction, not points) over the fitted points.
    pub weighted_rmse: f64,
}

/// Rounds of adding violated bounds as fitted points.
const BOUND_ROUNDS: usize = 3;

/// Fit a raw SVI slice to the mids among `points` at time `t`, then keep it inside the one-sided
/// quotes: a bound the fit crosses joins the fit as a point at the bound (with the median mid
/// weight) and the slice is refitted, for a few rounds. Without this, a slice fitted to a narrow
/// band of two-sided quotes can put 500% vols on wing strikes offered at 150%.
pub fn fit(points: &[SlicePoint], t: f64) -> Result<SviFit, SviError> {
    if !(t > 0.0 && t.is_finite()) {
        return Err(SviError::BadTime(t));
    }
    let valid = |p: &&SlicePoint| p.k.is_finite() && p.vol > 0.0 && p.vol.is_finite();
    let mut usable: Vec<SlicePoint> = points
        .iter()
        .filter(valid)
        .filter(|p| p.kind == PointKind::Mid && p.weight > 0.0)
        .copied()
        .collect();
    if usable.len() < MIN_POINTS {
        return Err(SviError::TooFewPoints {
            count: usable.len(),
            needed: MIN_POINTS,
        });
    }
    let mids = usable.len();
    let mut weights: Vec<f64> = usable.iter().map(|p| p.weight).collect();
    weights.sort_by(f64::total_cmp);
    let bound_weight = weights[weights.len() / 2];
    let bounds: Vec<SlicePoint> = points
        .iter()
        .filter(valid)
        .filter(|p| p.kind != PointKind::Mid)
        .copied()
        .collect();
    let mut params = fit_mids(&usable, t)?;
    for _ in 0..BOUND_ROUNDS {
        let crossed: Vec<SlicePoint> = bounds
            .iter()
            .filter(|b| {
                let v = params.vol(b.k, t);
                match b.kind {
                    PointKind::UpperBound => v > b.vol,
                    PointKind::LowerBound => v < b.vol,
                    PointKind::Mid => false,
                }
            })
            .filter(|b| !usable[mids..].iter().any(|u| u.k == b.k))
            .map(|b| SlicePoint::mid(b.k, b.vol, bound_weight))
            .collect();
        if crossed.is_empty() {
            break;
        }
        usable.extend(crossed);
        params = fit_mids(&usable, t)?;
    }
    // The reported error is over the market's mids only.
    let (sum_w, sum_e) = usable[..mids].iter().fold((0.0, 0.0), |(sw, se), p| {
        let e = params.vol(p.k, t) - p.vol;
        (sw + p.weight, se + p.weight * e * e)
    });
    Ok(SviFit {
        params,
        weighted_rmse: (sum_e / sum_w).sqrt(),
    })
}

/// The weighted least-squares fit to mids (no bounds).
fn fit_mids(usable: &[SlicePoint], t: f64) -> Result<SviParams, SviError> {
    // Work in total variance: a vol error δσ is a variance error 2σt·δσ.
    let mut data = Data::new(usable.iter().map(|p| {
        let scale = 2.0 * p.vol * t;
        (p.k, p.vol * p.vol * t, p.weight / (scale * scale))
    }));
    let k_lo = data.k().iter().copied().fold(f64::INFINITY, f64::min);
    let k_hi = data.k().iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let k_at_min = data
        .k()
        .iter()
        .zip(data.w())
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|d| *d.0)
        .unwrap_or(0.0);
    // The four starts' searches side by side: each step evaluates every pending point in one
    // pass over the data (the searches take the steps they would alone).
    let width = (k_hi - k_lo).max(0.05);
    // One lane each: as many starts as lanes.
    let starts: [(f64, f64); LANES] = [
        (k_at_min, 0.1 * width),
        (k_at_min, 0.4 * width),
        (0.0, 0.1 * width),
        (0.0, 0.4 * width),
    ];
    let mut searches =
        starts.map(|(m0, sigma0)| Search::new([m0, sigma0.ln()], [0.1 * width, 0.5], 120));
    // Each round: the searches still going and their points (m, σ), at most one lane each.
    let (mut going, mut points) = ([0usize; LANES], [(0.0, 0.0); LANES]);
    loop {
        let mut n = 0;
        for (i, s) in searches.iter().enumerate() {
            if let Some(p) = s.wants() {
                (going[n], points[n]) = (i, (p[0], p[1].exp()));
                n += 1;
            }
        }
        if n == 0 {
            break;
        }
        let solved = data.solve(&points[..n]);
        for (&i, r) in going[..n].iter().zip(solved) {
            searches[i].tell(r.map_or(f64::INFINITY, |(_, sse)| sse));
        }
    }
    let mut best: Option<(f64, f64, f64)> = None;
    for (m, ls, f) in searches.iter().map(Search::best) {
        if f.is_finite() && best.is_none_or(|b| f < b.2) {
            best = Some((m, ls, f));
        }
    }
    let (m, ln_sigma, _) = best.ok_or(SviError::NoFit)?;
    let sigma = ln_sigma.exp();
    let [solved, ..] = data.solve(&[(m, sigma)]);
    let ((a, d, c), _) = solved.ok_or(SviError::NoFit)?;
    let b = c / sigma;
    let rho = if c > 0.0 {
        (d / c).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    Ok(SviParams {
        a,
        b,
        rho,
        m,
        sigma,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slice generated from known parameters is recovered, and its fit error is tiny.
    #[test]
    fn recovers_known_parameters() {
        let truth = SviParams {
            a: 0.02,
            b: 0.15,
            rho: -0.3,
            m: 0.05,
            sigma: 0.2,
        };
        let t = 0.5;
        let points: Vec<SlicePoint> = (0..40)
            .map(|i| {
                let k = -0.8 + 1.6 * i as f64 / 39.0;
                SlicePoint::mid(k, truth.vol(k, t), 1.0)
            })
            .collect();
        let fit = fit(&points, t).unwrap();
        assert!(fit.weighted_rmse < 1e-6, "rmse {}", fit.weighted_rmse);
        for p in &points {
            assert!((fit.params.vol(p.k, t) - p.vol).abs() < 1e-5);
        }
        assert!(truth.min_butterfly_g(-2.0, 2.0, 200).0 > 0.0);
    }

    #[test]
    fn too_few_points_is_an_error() {
        let p = [SlicePoint::mid(0.0, 0.5, 1.0); 3];
        assert_eq!(
            fit(&p, 0.1),
            Err(SviError::TooFewPoints {
                count: 3,
                needed: MIN_POINTS
            })
        );
        assert_eq!(fit(&p, 0.0), Err(SviError::BadTime(0.0)));
    }

    /// g(k) is negative for a slice with too much curvature in the wings (a known arbitrage).
    #[test]
    fn butterfly_check_flags_an_arbitrage() {
        let bad = SviParams {
            a: -0.05,
            b: 1.6,
            rho: 0.0,
            m: 0.0,
            sigma: 0.05,
        };
        assert!(bad.min_butterfly_g(-1.0, 1.0, 401).0 < 0.0);
    }
}
