//! The inner step of the quasi-explicit SVI fit ([`svi`](super::svi)): for fixed (m, σ), the
//! best `(a, d, c)` of `w ≈ a + d y + c √(y² + 1)`, `y = (k - m)/σ`, inside the no-arbitrage
//! box, and its weighted squared error. The outer searches call it a few hundred times a slice,
//! each waiting on the last (every sum over the points is a chain of additions), so up to
//! [`LANES`] independent searches are evaluated at once, one lane each, in one pass over the
//! points; the sums that do not depend on (m, σ) are taken once a fit. Each lane's sums are
//! still taken point by point in the same order, so the results are those of one evaluation at
//! a time bit for bit. On x86-64 the passes over the points run on AVX2 ([`avx2`]), the plain
//! loops elsewhere.

use super::simd::{batch_path, BatchPath};

#[cfg(target_arch = "x86_64")]
mod avx2;

/// The points of a fit in total variance: log-moneyness, variance and weight, as columns, with
/// the sums that stay the same at every (m, σ).
pub(super) struct Data {
    k: Vec<f64>,
    w: Vec<f64>,
    wt: Vec<f64>,
    /// Σ wt and Σ wt·w, in point order.
    sum_wt: f64,
    sum_wt_w: f64,
    w_max: f64,
    /// Scratch: each point's basis (y, z) at each lane's (m, σ).
    y: Vec<[f64; LANES]>,
    z: Vec<[f64; LANES]>,
    path: BatchPath,
}

impl Data {
    /// From (k, w, weight) points.
    pub fn new(points: impl Iterator<Item = (f64, f64, f64)>) -> Data {
        let (mut k, mut w, mut wt) = (Vec::new(), Vec::new(), Vec::new());
        for (ki, wi, wti) in points {
            k.push(ki);
            w.push(wi);
            wt.push(wti);
        }
        let sum_wt = wt.iter().fold(0.0, |s, x| s + x);
        let sum_wt_w = wt.iter().zip(&w).fold(0.0, |s, (a, b)| s + a * b);
        let w_max = w.iter().copied().fold(0.0, f64::max);
        let n = k.len();
        Data {
            k,
            w,
            wt,
            sum_wt,
            sum_wt_w,
            w_max,
            y: vec![[0.0; LANES]; n],
            z: vec![[0.0; LANES]; n],
            path: batch_path(),
        }
    }

    pub fn k(&self) -> &[f64] {
        &self.k
    }

    pub fn w(&self) -> &[f64] {
        &self.w
    }

    /// For each of up to [`LANES`] fixed (m, σ): the best (a, d, c) inside the box and its
    /// weighted squared error (None where (m, σ) is out of range), computed side by side.
    pub fn solve(&mut self, ms: &[(f64, f64)]) -> [Option<Solved>; LANES] {
        debug_assert!(!ms.is_empty() && ms.len() <= LANES);
        let usable = |&(m, sigma): &(f64, f64)| sigma > 1e-6 && sigma < 10.0 && m.is_finite();
        let lane = |l: usize| ms.get(l).filter(|p| usable(p));
        // Unused and out-of-range lanes compute at a harmless (0, 1), and are dropped.
        let (mut m, mut sigma) = ([0.0; LANES], [1.0; LANES]);
        for l in 0..LANES {
            if let Some(&(ml, sl)) = lane(l) {
                (m[l], sigma[l]) = (ml, sl);
            }
        }
        let solved = match self.path {
            // SAFETY: `path` is `batch_path()`'s: the CPU has AVX2 and FMA (both vector paths
            // include them).
            #[cfg(target_arch = "x86_64")]
            BatchPath::Avx512 | BatchPath::Avx2 => unsafe { avx2::solve(self, m, sigma) },
            _ => solve_lanes(self, m, sigma),
        };
        std::array::from_fn(|l| lane(l).map(|_| solved[l]))
    }
}

/// Evaluations run side by side: one pass over the points serves this many (m, σ).
pub(super) const LANES: usize = 4;

/// A solved (m, σ): `(a, d, c)` and the weighted squared error.
pub(super) type Solved = ((f64, f64, f64), f64);

/// One number per lane.
type Lanes = [f64; LANES];

/// The solve of [`Data::solve`] for every lane: each lane's arithmetic is that of one
/// evaluation at a time, in the same order, and the lanes are independent.
fn solve_lanes(data: &mut Data, m: Lanes, sigma: Lanes) -> [Solved; LANES] {
    basis(data, m, sigma);
    let mut adc = boxed(data, &normal_sums(data), &sigma);
    let num = refit_sums(data, &adc);
    refit_a(data, &mut adc, &num);
    let sse = sse_sums(data, &adc);
    std::array::from_fn(|l| (adc[l], sse[l]))
}

/// Each point's basis `y = (k - m)/σ`, `z = √(y² + 1)` at each lane's (m, σ), into the scratch.
// Lane loops index several arrays by the same lane: clearer than zipped iterators.
#[allow(clippy::needless_range_loop)]
fn basis(data: &mut Data, m: Lanes, sigma: Lanes) {
    for i in 0..data.k.len() {
        for l in 0..LANES {
            let y = (data.k[i] - m[l]) / sigma[l];
            data.y[i][l] = y;
            data.z[i][l] = (y * y + 1.0).sqrt();
        }
    }
}

/// The weighted normal equations of `w ≈ a + d y + c z` per lane: each entry of `AᵀWA` and
/// `AᵀWw` is `Σ wt·rᵢ·rⱼ` (or `·w`) for the row `r = (1, y, z)`, so those with a 1 in them
/// equal their transposes exactly (a product with 1 is exact) and the constant column's are
/// [`Data::new`]'s. Returned: Σ wt·y, Σ wt·z, Σ wt·y·y, Σ wt·y·z, Σ wt·z·y, Σ wt·z·z,
/// Σ wt·y·w, Σ wt·z·w.
#[allow(clippy::needless_range_loop)]
fn normal_sums(data: &Data) -> [Lanes; 8] {
    let mut s = [[0.0; LANES]; 8];
    for i in 0..data.k.len() {
        let (wt, w) = (data.wt[i], data.w[i]);
        for l in 0..LANES {
            let (y, z) = (data.y[i][l], data.z[i][l]);
            let (wy, wz) = (wt * y, wt * z);
            s[0][l] += wy;
            s[1][l] += wz;
            s[2][l] += wy * y;
            s[3][l] += wy * z;
            s[4][l] += wz * y;
            s[5][l] += wz * z;
            s[6][l] += wy * w;
            s[7][l] += wz * w;
        }
    }
    s
}

/// Each lane's best `(a, d, c)` from [`normal_sums`]'s `s`, projected onto the box
/// `0 <= c <= 2σ`, `|d| <= min(c, 2σ - c)` (a is refitted afterwards by [`refit_a`]).
#[inline(always)]
fn boxed(data: &Data, s: &[Lanes; 8], sigma: &Lanes) -> [(f64, f64, f64); LANES] {
    let splat = |x: f64| [x; LANES];
    let ata = [
        [splat(data.sum_wt), s[0], s[1]],
        [s[0], s[2], s[3]],
        [s[1], s[4], s[5]],
    ];
    let atb = [splat(data.sum_wt_w), s[6], s[7]];
    let mut adc = solve3(&ata, &atb).map(|s| s.unwrap_or((data.w_max * 0.5, 0.0, 0.0)));
    for ((_, d, c), sigma) in adc.iter_mut().zip(sigma) {
        *c = c.clamp(0.0, 2.0 * sigma);
        let d_cap = c.min(2.0 * sigma - *c);
        *d = d.clamp(-d_cap, d_cap);
    }
    adc
}

/// Per lane, `Σ wt·(w - d y - c z)`: for fixed (d, c) the error is a quadratic in a alone,
/// least at this over Σ wt.
#[allow(clippy::needless_range_loop)]
fn refit_sums(data: &Data, adc: &[(f64, f64, f64); LANES]) -> Lanes {
    let mut num = [0.0; LANES];
    for i in 0..data.k.len() {
        for l in 0..LANES {
            let (_, d, c) = adc[l];
            num[l] += data.wt[i] * (data.w[i] - d * data.y[i][l] - c * data.z[i][l]);
        }
    }
    num
}

/// a refitted from [`refit_sums`]'s `num`, kept inside the box.
#[inline(always)]
fn refit_a(data: &Data, adc: &mut [(f64, f64, f64); LANES], num: &Lanes) {
    for ((a, d, c), num) in adc.iter_mut().zip(num) {
        if data.sum_wt > 0.0 {
            *a = num / data.sum_wt;
        }
        *a = a.clamp(-(*c * *c - *d * *d).max(0.0).sqrt(), data.w_max);
    }
}

/// Per lane, the weighted squared error `Σ wt·(a + d y + c z - w)²`.
#[allow(clippy::needless_range_loop)]
fn sse_sums(data: &Data, adc: &[(f64, f64, f64); LANES]) -> Lanes {
    let mut sse = [0.0; LANES];
    for i in 0..data.k.len() {
        for l in 0..LANES {
            let (a, d, c) = adc[l];
            let e = a + d * data.y[i][l] + c * data.z[i][l] - data.w[i];
            sse[l] += data.wt[i] * e * e;
        }
    }
    sse
}

/// Cramer's rule for a 3×3 system in every lane; None in a lane where it is singular.
#[inline(always)]
fn solve3(m: &[[Lanes; 3]; 3], b: &[Lanes; 3]) -> [Option<(f64, f64, f64)>; LANES] {
    let d = det(m);
    let scale: Lanes = std::array::from_fn(|l| {
        m.iter()
            .flatten()
            .fold(0.0f64, |acc, v| acc.max(v[l].abs()))
    });
    // Cramer: column `col` replaced by b (called with constants: no loop over columns).
    let solve_for = |col: usize| -> Lanes {
        let mut mc = *m;
        for row in 0..3 {
            mc[row][col] = b[row];
        }
        let dc = det(&mc);
        std::array::from_fn(|l| dc[l] / d[l])
    };
    let out = [solve_for(0), solve_for(1), solve_for(2)];
    std::array::from_fn(|l| {
        // Not `>`: a NaN determinant is not called singular.
        let singular = d[l].abs() <= 1e-14 * scale[l] * scale[l] * scale[l];
        (!singular).then_some((out[0][l], out[1][l], out[2][l]))
    })
}

/// The determinant in every lane.
#[inline(always)]
fn det(m: &[[Lanes; 3]; 3]) -> Lanes {
    std::array::from_fn(|l| {
        let e = |i: usize, j: usize| m[i][j][l];
        e(0, 0) * (e(1, 1) * e(2, 2) - e(1, 2) * e(2, 1))
            - e(0, 1) * (e(1, 0) * e(2, 2) - e(1, 2) * e(2, 0))
            + e(0, 2) * (e(1, 0) * e(2, 1) - e(1, 1) * e(2, 0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each lane's result is the one that (m, σ) gets alone: lanes do not leak into each other,
    /// and an out-of-range (m, σ) gives None without disturbing the rest.
    #[test]
    fn lanes_are_independent_evaluations() {
        let points: Vec<(f64, f64, f64)> = (0..23)
            .map(|i| {
                let k = -0.6 + 0.05 * i as f64;
                (k, 0.04 + 0.1 * k * k - 0.02 * k, 1.0 + (i % 5) as f64)
            })
            .collect();
        let mut data = Data::new(points.iter().copied());
        let asked = [(0.0, 0.2), (0.1, 0.05), (-0.2, 0.6), (0.05, 20.0)];
        let together = data.solve(&asked);
        for (l, p) in asked.iter().enumerate() {
            let [alone, ..] = data.solve(&[*p]);
            assert_eq!(together[l], alone, "lane {l}");
        }
        assert!(together[3].is_none(), "σ = 20 is out of range");
        let ((a, d, c), sse) = together[0].expect("in range");
        assert!(sse.is_finite() && sse >= 0.0 && c >= 0.0 && d.abs() <= c && a.is_finite());
        // Fewer asked than lanes: the rest are None.
        let two = data.solve(&asked[..2]);
        assert_eq!(two[..2], together[..2]);
        assert!(two[2].is_none() && two[3].is_none());
    }

    /// The AVX2 passes give the plain loops' results bit for bit, on a smooth slice, on one
    /// with wild weights, and on two points (a singular system: the fallback and the box).
    #[test]
    fn the_vector_passes_match_the_plain_loops_bit_for_bit() {
        if batch_path() == BatchPath::Scalar {
            return;
        }
        let smooth: Vec<_> = (0..41)
            .map(|i| {
                let k = -1.0 + 0.05 * i as f64;
                (k, 0.04 + 0.1 * k * k - 0.02 * k, 1.0)
            })
            .collect();
        let wild: Vec<_> = (0..37)
            .map(|i| {
                let k = -0.9 + 0.047 * i as f64;
                (k, 0.02 + 0.3 * (k - 0.1).abs(), 10f64.powi(i % 7 - 3))
            })
            .collect();
        let two = vec![(-0.1, 0.05, 1.0), (0.1, 0.06, 2.0)];
        let asked = [(0.0, 0.2), (0.13, 0.031), (-0.4, 1.7), (0.02, 0.0007)];
        for points in [smooth, wild, two] {
            let mut data = Data::new(points.iter().copied());
            let vector = data.solve(&asked);
            data.path = BatchPath::Scalar;
            let plain = data.solve(&asked);
            for (v, p) in vector.iter().zip(&plain) {
                let ((a, d, c), e) = v.expect("in range");
                let ((pa, pd, pc), pe) = p.expect("in range");
                let bits = |x: [f64; 4]| x.map(f64::to_bits);
                assert_eq!(bits([a, d, c, e]), bits([pa, pd, pc, pe]), "{points:?}");
            }
        }
    }
}
