//! A vol surface of one underlying at one moment: a raw SVI slice per expiry
//! ([`super::svi`]), total variance interpolated linearly in time at fixed log-moneyness
//! k = ln(K/F) between slices, and the two static-arbitrage checks: butterfly (g(k) >= 0 within
//! each slice) and calendar (total variance rising with expiry at every k), both checked where
//! the slices have quotes.

use super::simd::BatchPath;
use super::svi::{self, SlicePoint, SviError, SviFit, SviParams};

/// The market data of one expiry.
#[derive(Clone, Debug, PartialEq)]
pub struct SliceInput {
    /// A label for reports, e.g. the Deribit expiry code `27MAR26`.
    pub expiry: String,
    /// Years to expiry.
    pub t: f64,
    pub forward: f64,
    pub points: Vec<SlicePoint>,
}

/// A slice after fitting, with its arbitrage flags.
#[derive(Clone, Debug, PartialEq)]
pub struct Slice {
    pub expiry: String,
    pub t: f64,
    pub forward: f64,
    /// The fit, or why there is none (the slice is then left out of interpolation).
    pub fit: Result<SviFit, SviError>,
    /// Log-moneyness range of the quotes the slice was fitted to.
    pub k_range: (f64, f64),
    /// min g(k) over the quoted range (two-sided and one-sided quotes).
    pub min_butterfly_g: f64,
    pub butterfly_arbitrage: bool,
    /// Total variance falls below the previous fitted expiry's somewhere in the range both have
    /// quotes for.
    pub calendar_arbitrage: bool,
}

impl Slice {
    pub fn arbitrage_free(&self) -> bool {
        self.fit.is_ok() && !self.butterfly_arbitrage && !self.calendar_arbitrage
    }
}

/// The surface of one snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Surface {
    /// By increasing t.
    pub slices: Vec<Slice>,
}

/// The surface at one time: total variance `scale · ((1 - u)·w_lo(k) + u·w_hi(k))`, linear in t
/// between the bracketing slices, at constant vol beyond the first and the last.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AtTime {
    lo: SviParams,
    hi: SviParams,
    u: f64,
    scale: f64,
}

impl AtTime {
    fn one(params: SviParams, scale: f64) -> AtTime {
        AtTime {
            lo: params,
            hi: params,
            u: 0.0,
            scale,
        }
    }

    /// Total implied variance at log-moneyness `k`.
    pub fn total_variance(&self, k: f64) -> f64 {
        let w = if self.u == 0.0 {
            self.lo.total_variance(k)
        } else {
            (1.0 - self.u) * self.lo.total_variance(k) + self.u * self.hi.total_variance(k)
        };
        self.scale * w
    }

    /// The implied vol at time `t` of each strike of one forward, `√(max(w(k), 0) / t)` with
    /// `k = ln K - ln F` (`ln_strikes[i] - ln_forward`), into `out` (of the same length): the
    /// same operations as [`AtTime::total_variance`] per strike, hence the same bits, several
    /// strikes at once on the widest vector unit (two square roots and a division a strike
    /// measured a third of a chain's pricing one by one).
    pub fn vols(&self, ln_forward: f64, ln_strikes: &[f64], t: f64, out: &mut [f64]) {
        assert_eq!(ln_strikes.len(), out.len(), "one vol per strike");
        #[cfg(target_arch = "x86_64")]
        match super::simd::batch_path() {
            // SAFETY: the CPU has the features each path enables (batch_path checked them).
            BatchPath::Avx512 => {
                return unsafe { self.vols_avx512(ln_forward, ln_strikes, t, out) }
            }
            BatchPath::Avx2 => return unsafe { self.vols_avx2(ln_forward, ln_strikes, t, out) },
            BatchPath::Scalar => {}
        }
        self.vols_lanes(ln_forward, ln_strikes, t, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,fma")]
    fn vols_avx512(&self, ln_forward: f64, ln_strikes: &[f64], t: f64, out: &mut [f64]) {
        self.vols_lanes(ln_forward, ln_strikes, t, out);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn vols_avx2(&self, ln_forward: f64, ln_strikes: &[f64], t: f64, out: &mut [f64]) {
        self.vols_lanes(ln_forward, ln_strikes, t, out);
    }

    /// [`AtTime::vols`] as plain loops the compiler vectorises (no FMA: Rust never fuses).
    #[inline(always)]
    fn vols_lanes(&self, ln_forward: f64, ln_strikes: &[f64], t: f64, out: &mut [f64]) {
        let vol = |w: f64| (w.max(0.0) / t).sqrt();
        let (lo, hi, u, scale) = (&self.lo, &self.hi, self.u, self.scale);
        if u == 0.0 {
            for (o, &ln_k) in out.iter_mut().zip(ln_strikes) {
                *o = vol(scale * lo.total_variance(ln_k - ln_forward));
            }
        } else {
            for (o, &ln_k) in out.iter_mut().zip(ln_strikes) {
                let k = ln_k - ln_forward;
                let w = (1.0 - u) * lo.total_variance(k) + u * hi.total_variance(k);
                *o = vol(scale * w);
            }
        }
    }
}

/// Points on which g and the calendar order are checked.
const CHECK_POINTS: usize = 201;

impl Surface {
    /// Fit every expiry and check both arbitrages.
    pub fn fit(mut inputs: Vec<SliceInput>) -> Surface {
        inputs.sort_by(|a, b| a.t.total_cmp(&b.t));
        let mut slices: Vec<Slice> = inputs.into_iter().map(fit_slice).collect();
        let mut previous: Option<(SviFit, (f64, f64))> = None;
        for slice in &mut slices {
            let Ok(fit) = slice.fit.clone() else { continue };
            if let Some((earlier, earlier_range)) = &previous {
                // Where both slices have quotes; beyond, one of them is extrapolating.
                let (lo, hi) = overlap(*earlier_range, slice.k_range);
                slice.calendar_arbitrage = lo < hi
                    && grid(lo, hi).any(|k| {
                        fit.params.total_variance(k) < earlier.params.total_variance(k) - 1e-9
                    });
            }
            previous = Some((fit, slice.k_range));
        }
        Surface { slices }
    }

    /// A surface from known slices (label, t, forward, parameters), as a generator that knows
    /// its own smile supplies it: nothing is fitted, and the arbitrage flags are left unchecked
    /// (false).
    pub fn from_params(slices: Vec<(String, f64, f64, SviParams)>) -> Surface {
        let mut slices: Vec<Slice> = slices
            .into_iter()
            .map(|(expiry, t, forward, params)| Slice {
                expiry,
                t,
                forward,
                fit: Ok(SviFit {
                    params,
                    weighted_rmse: 0.0,
                }),
                k_range: (f64::NEG_INFINITY, f64::INFINITY),
                min_butterfly_g: f64::NAN,
                butterfly_arbitrage: false,
                calendar_arbitrage: false,
            })
            .collect();
        slices.sort_by(|a, b| a.t.total_cmp(&b.t));
        Surface { slices }
    }

    fn fitted(&self) -> impl Iterator<Item = (&Slice, &SviFit)> {
        self.slices
            .iter()
            .filter_map(|s| s.fit.as_ref().ok().map(|f| (s, f)))
    }

    /// Total implied variance at log-moneyness `k` and time `t`: linear in t between fitted
    /// slices, proportional to t before the first, constant vol after the last. None if no
    /// slice was fitted.
    pub fn total_variance(&self, k: f64, t: f64) -> Option<f64> {
        self.at(t).map(|at| at.total_variance(k))
    }

    /// The surface at one time `t`, for evaluating many strikes: the bracketing slices are found
    /// once. None if no slice was fitted.
    pub fn at(&self, t: f64) -> Option<AtTime> {
        let mut before: Option<(&Slice, &SviFit)> = None;
        for (slice, fit) in self.fitted() {
            if before.is_none() && t <= slice.t {
                // Before the first slice (or on it): its smile at constant vol.
                return Some(AtTime::one(fit.params, t / slice.t));
            }
            if slice.t == t {
                return Some(AtTime::one(fit.params, 1.0));
            }
            if slice.t > t {
                let (s0, f0) = before?;
                return Some(AtTime {
                    lo: f0.params,
                    hi: fit.params,
                    u: (t - s0.t) / (slice.t - s0.t),
                    scale: 1.0,
                });
            }
            before = Some((slice, fit));
        }
        let (last, fit) = before?;
        Some(AtTime::one(fit.params, t / last.t))
    }

    /// Implied vol at log-moneyness `k` and time `t`.
    pub fn vol(&self, k: f64, t: f64) -> Option<f64> {
        self.total_variance(k, t).map(|w| (w.max(0.0) / t).sqrt())
    }
}

fn fit_slice(input: SliceInput) -> Slice {
    let ks = input.points.iter().map(|p| p.k);
    let k_range = (
        ks.clone().fold(f64::INFINITY, f64::min),
        ks.fold(f64::NEG_INFINITY, f64::max),
    );
    let fit = svi::fit(&input.points, input.t);
    let (min_g, arb) = match &fit {
        Ok(f) => {
            let (g, _) = f.params.min_butterfly_g(k_range.0, k_range.1, CHECK_POINTS);
            (g, g < 0.0)
        }
        Err(_) => (f64::NAN, false),
    };
    Slice {
        expiry: input.expiry,
        t: input.t,
        forward: input.forward,
        fit,
        k_range,
        min_butterfly_g: min_g,
        butterfly_arbitrage: arb,
        calendar_arbitrage: false,
    }
}

fn overlap(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0.max(b.0), a.1.min(b.1))
}

fn grid(lo: f64, hi: f64) -> impl Iterator<Item = f64> {
    (0..CHECK_POINTS).map(move |i| lo + (hi - lo) * i as f64 / (CHECK_POINTS - 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::svi::SviParams;

    fn input(expiry: &str, t: f64, params: SviParams) -> SliceInput {
        let points = (0..30)
            .map(|i| {
                let k = -0.6 + 1.2 * i as f64 / 29.0;
                SlicePoint::mid(k, params.vol(k, t), 1.0)
            })
            .collect();
        SliceInput {
            expiry: expiry.into(),
            t,
            forward: 3000.0,
            points,
        }
    }

    #[test]
    fn interpolates_in_total_variance_and_flags_calendar_arbitrage() {
        let near = SviParams {
            a: 0.01,
            b: 0.1,
            rho: -0.2,
            m: 0.0,
            sigma: 0.2,
        };
        let far = SviParams {
            a: 0.04,
            b: 0.15,
            rho: -0.2,
            m: 0.0,
            sigma: 0.3,
        };
        let s = Surface::fit(vec![input("FAR", 0.5, far), input("NEAR", 0.1, near)]);
        assert_eq!(s.slices[0].expiry, "NEAR");
        assert!(s.slices.iter().all(Slice::arbitrage_free));
        let mid = s.total_variance(0.1, 0.3).unwrap();
        let (w0, w1) = (near.total_variance(0.1), far.total_variance(0.1));
        assert!(
            (mid - (w0 + w1) / 2.0).abs() < 1e-4,
            "{mid} vs {}",
            (w0 + w1) / 2.0
        );
        // Before the first slice and after the last: constant vol.
        let before = s.total_variance(0.1, 0.05).unwrap();
        assert!(
            (before - w0 * 0.5).abs() < 1e-4 * w0,
            "{before} vs {}",
            w0 * 0.5
        );
        let after = s.total_variance(0.1, 1.0).unwrap();
        assert!(
            (after - w1 * 2.0).abs() < 1e-4 * w1,
            "{after} vs {}",
            w1 * 2.0
        );
        assert_eq!(
            s.total_variance(0.1, 0.5),
            Some(s.slices[1].fit.as_ref().unwrap().params.total_variance(0.1))
        );
        // A later expiry with less total variance than the earlier one is a calendar arbitrage.
        let s = Surface::fit(vec![input("NEAR", 0.1, far), input("FAR", 0.5, near)]);
        assert!(s.slices[1].calendar_arbitrage);
        assert!(!s.slices[0].calendar_arbitrage);
    }
}
