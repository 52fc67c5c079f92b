//! [`Data::solve`]'s passes over the points on AVX2: the four lanes' (m, σ) in one 256-bit
//! vector, one point an iteration. Written out because the compiler, left to vectorise the plain
//! loops, turned the basis pass across points (a transpose, run-time overlap checks, a scalar
//! tail) and spilled to the stack, and how fast that ran depended on where the stack landed.
//! Each lane's operations are the plain loops' in the same order (no fused multiply-add), so
//! the results are theirs bit for bit.

use std::arch::x86_64::{
    __m256d, _mm256_add_pd, _mm256_div_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd,
    _mm256_setzero_pd, _mm256_sqrt_pd, _mm256_storeu_pd, _mm256_sub_pd,
};

use super::{boxed, refit_a, Data, Lanes, Solved, LANES};

/// [`super::solve_lanes`] with the passes over the points on AVX2.
#[target_feature(enable = "avx2,fma")]
pub(super) fn solve(data: &mut Data, m: Lanes, sigma: Lanes) -> [Solved; LANES] {
    basis(data, load(&m), load(&sigma));
    let mut adc = boxed(data, &normal_sums(data), &sigma);
    let num = refit_sums(data, &adc);
    refit_a(data, &mut adc, &num);
    let sse = sse_sums(data, &adc);
    std::array::from_fn(|l| (adc[l], sse[l]))
}

#[target_feature(enable = "avx2,fma")]
fn load(x: &Lanes) -> __m256d {
    // SAFETY: reads the four f64 of `x` (no alignment needed).
    unsafe { _mm256_loadu_pd(x.as_ptr()) }
}

#[target_feature(enable = "avx2,fma")]
fn store(to: &mut Lanes, x: __m256d) {
    // SAFETY: writes the four f64 of `to` (no alignment needed).
    unsafe { _mm256_storeu_pd(to.as_mut_ptr(), x) }
}

/// Each lane's `(a, d, c)` as three vectors.
#[target_feature(enable = "avx2,fma")]
fn columns(adc: &[(f64, f64, f64); LANES]) -> [__m256d; 3] {
    [
        load(&adc.map(|p| p.0)),
        load(&adc.map(|p| p.1)),
        load(&adc.map(|p| p.2)),
    ]
}

/// [`super::basis`].
#[target_feature(enable = "avx2,fma")]
fn basis(data: &mut Data, m: __m256d, sigma: __m256d) {
    let one = _mm256_set1_pd(1.0);
    let rows = data.k.iter().zip(data.y.iter_mut().zip(data.z.iter_mut()));
    for (&k, (y, z)) in rows {
        let yv = _mm256_div_pd(_mm256_sub_pd(_mm256_set1_pd(k), m), sigma);
        store(y, yv);
        store(z, _mm256_sqrt_pd(_mm256_add_pd(_mm256_mul_pd(yv, yv), one)));
    }
}

/// The points of `data` with their basis: (wt, w, y, z).
fn points(data: &Data) -> impl Iterator<Item = (f64, f64, &Lanes, &Lanes)> {
    let rows = data.wt.iter().zip(&data.w).zip(data.y.iter().zip(&data.z));
    rows.map(|((&wt, &w), (y, z))| (wt, w, y, z))
}

/// [`super::normal_sums`].
#[target_feature(enable = "avx2,fma")]
fn normal_sums(data: &Data) -> [Lanes; 8] {
    let mut s = [_mm256_setzero_pd(); 8];
    for (wt, w, y, z) in points(data) {
        let (wt, w, y, z) = (_mm256_set1_pd(wt), _mm256_set1_pd(w), load(y), load(z));
        let (wy, wz) = (_mm256_mul_pd(wt, y), _mm256_mul_pd(wt, z));
        s[0] = _mm256_add_pd(s[0], wy);
        s[1] = _mm256_add_pd(s[1], wz);
        s[2] = _mm256_add_pd(s[2], _mm256_mul_pd(wy, y));
        s[3] = _mm256_add_pd(s[3], _mm256_mul_pd(wy, z));
        s[4] = _mm256_add_pd(s[4], _mm256_mul_pd(wz, y));
        s[5] = _mm256_add_pd(s[5], _mm256_mul_pd(wz, z));
        s[6] = _mm256_add_pd(s[6], _mm256_mul_pd(wy, w));
        s[7] = _mm256_add_pd(s[7], _mm256_mul_pd(wz, w));
    }
    let mut out = [[0.0; LANES]; 8];
    for (o, v) in out.iter_mut().zip(s) {
        store(o, v);
    }
    out
}

/// [`super::refit_sums`].
#[target_feature(enable = "avx2,fma")]
fn refit_sums(data: &Data, adc: &[(f64, f64, f64); LANES]) -> Lanes {
    let [_, d, c] = columns(adc);
    let mut num = _mm256_setzero_pd();
    for (wt, w, y, z) in points(data) {
        let r = _mm256_sub_pd(_mm256_set1_pd(w), _mm256_mul_pd(d, load(y)));
        let r = _mm256_sub_pd(r, _mm256_mul_pd(c, load(z)));
        num = _mm256_add_pd(num, _mm256_mul_pd(_mm256_set1_pd(wt), r));
    }
    let mut out = [0.0; LANES];
    store(&mut out, num);
    out
}

/// [`super::sse_sums`].
#[target_feature(enable = "avx2,fma")]
fn sse_sums(data: &Data, adc: &[(f64, f64, f64); LANES]) -> Lanes {
    let [a, d, c] = columns(adc);
    let mut sse = _mm256_setzero_pd();
    for (wt, w, y, z) in points(data) {
        let e = _mm256_add_pd(a, _mm256_mul_pd(d, load(y)));
        let e = _mm256_sub_pd(
            _mm256_add_pd(e, _mm256_mul_pd(c, load(z))),
            _mm256_set1_pd(w),
        );
        let we = _mm256_mul_pd(_mm256_set1_pd(wt), e);
        sse = _mm256_add_pd(sse, _mm256_mul_pd(we, e));
    }
    let mut out = [0.0; LANES];
    store(&mut out, sse);
    out
}
