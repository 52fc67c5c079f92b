//! Black-76 price, delta, gamma and vega of many options held as columns (one array per
//! argument): what a requote of the whole chain reads, nothing more.
//!
//! The same lane arithmetic as [`greeks_batch`](super::batch::greeks_batch), so the four values
//! are bit for bit the batch's on each path; what differs is the layout. The row-wise batch
//! spends about a third of its instructions moving options into lanes and seven greeks back out;
//! here the lanes load and store whole vectors, and theta, vanna and volga are never computed.

use super::batch::{lane, MIN_S};
use super::black76;
use super::greeks::OptionType;
use super::simd::BatchPath;

/// Inputs of [`first_greeks`]: the arguments of [`black76::greeks`] in one column each (the
/// option type as its sign, +1 a call, -1 a put). Filled row by row after [`BlackColumns::start`];
/// the columns keep their length between batches (only the first `len` rows count), so that
/// refilling them costs no capacity check per value.
#[derive(Clone, Debug, Default)]
pub struct BlackColumns {
    sign: Vec<f64>,
    f: Vec<f64>,
    k: Vec<f64>,
    t: Vec<f64>,
    vol: Vec<f64>,
    df: Vec<f64>,
    len: usize,
}

impl BlackColumns {
    /// Empty, with room for `capacity` options.
    pub fn start(&mut self, capacity: usize) {
        for c in self.columns_mut() {
            if c.len() < capacity {
                c.resize(capacity, 0.0);
            }
        }
        self.len = 0;
    }

    /// Appends one option. Panics beyond the capacity given to [`BlackColumns::start`].
    #[inline]
    pub fn push(&mut self, kind: OptionType, f: f64, k: f64, t: f64, vol: f64, df: f64) {
        let j = self.len;
        self.sign[j] = kind.sign();
        self.f[j] = f;
        self.k[j] = k;
        self.t[j] = t;
        self.vol[j] = vol;
        self.df[j] = df;
        self.len = j + 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn columns(&self) -> [&[f64]; 6] {
        let n = self.len;
        [
            &self.sign[..n],
            &self.f[..n],
            &self.k[..n],
            &self.t[..n],
            &self.vol[..n],
            &self.df[..n],
        ]
    }

    fn columns_mut(&mut self) -> [&mut Vec<f64>; 6] {
        [
            &mut self.sign,
            &mut self.f,
            &mut self.k,
            &mut self.t,
            &mut self.vol,
            &mut self.df,
        ]
    }
}

/// What [`first_greeks`] prices in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denomination {
    /// USD, as [`black76::greeks`].
    Usd,
    /// The coin, as [`coin::from_usd`](super::coin::from_usd) of the USD greeks (the same
    /// operations: the same bits), Deribit's convention for inverse options.
    Coin,
}

/// Outputs of [`first_greeks`]: price, delta, gamma and vega (per 1.00 of vol) per option.
#[derive(Clone, Debug, Default)]
pub struct FirstGreeks {
    pub price: Vec<f64>,
    pub delta: Vec<f64>,
    pub gamma: Vec<f64>,
    pub vega: Vec<f64>,
}

/// Price, delta, gamma and vega of every option in `inputs`, in `denomination`, into `out`
/// (resized to match), on the widest path. Inputs are assumed valid, as for
/// [`black76::greeks`].
pub fn first_greeks(inputs: &BlackColumns, denomination: Denomination, out: &mut FirstGreeks) {
    first_greeks_on(super::simd::batch_path(), inputs, denomination, out);
}

/// [`first_greeks`] on a given path; a path this CPU lacks falls back to the next narrower one.
pub fn first_greeks_on(
    path: BatchPath,
    inputs: &BlackColumns,
    denomination: Denomination,
    out: &mut FirstGreeks,
) {
    match denomination {
        Denomination::Usd => run_on::<false>(path, inputs, out),
        Denomination::Coin => run_on::<true>(path, inputs, out),
    }
}

/// The dispatch, with the denomination a constant (`COIN`) so that the lanes never branch on it.
fn run_on<const COIN: bool>(path: BatchPath, inputs: &BlackColumns, out: &mut FirstGreeks) {
    let n = inputs.len();
    for c in [
        &mut out.price,
        &mut out.delta,
        &mut out.gamma,
        &mut out.vega,
    ] {
        c.resize(n, 0.0);
    }
    #[cfg(target_arch = "x86_64")]
    {
        let have = super::simd::batch_path();
        if path == BatchPath::Avx512 && have == BatchPath::Avx512 {
            // SAFETY: the CPU has AVX-512 F/DQ/VL and FMA (checked just above).
            unsafe { run_avx512::<COIN>(inputs, out) };
            return;
        }
        if path != BatchPath::Scalar && have != BatchPath::Scalar {
            // SAFETY: the CPU has AVX2 and FMA (every non-scalar path includes them).
            unsafe { run_avx2::<COIN>(inputs, out) };
            return;
        }
    }
    let _ = path;
    for i in 0..n {
        scalar::<COIN>(inputs, i, out, i);
    }
}

/// `[price, delta, gamma, vega]` in USD at forward `f` as the coin's (`coin::from_usd`).
#[inline(always)]
fn in_coin([price, delta, gamma, vega]: [f64; 4], f: f64) -> [f64; 4] {
    let price = price / f;
    let delta = delta - price;
    [price, delta, gamma - delta / f, vega / f]
}

/// Option `i` of `inputs` through the scalar pricer, into entry `at` of `out`.
fn scalar<const COIN: bool>(inputs: &BlackColumns, i: usize, out: &mut FirstGreeks, at: usize) {
    let [sign, f, k, t, vol, df] = inputs.columns().map(|c| c[i]);
    let kind = if sign > 0.0 {
        OptionType::Call
    } else {
        OptionType::Put
    };
    let g = black76::greeks(kind, f, k, t, vol, df);
    let mut g = [g.price, g.delta, g.gamma, g.vega];
    if COIN {
        g = in_coin(g, f);
    }
    out.price[at] = g[0];
    out.delta[at] = g[1];
    out.gamma[at] = g[2];
    out.vega[at] = g[3];
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,fma")]
fn run_avx512<const COIN: bool>(inputs: &BlackColumns, out: &mut FirstGreeks) {
    run::<8, COIN>(inputs, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<const COIN: bool>(inputs: &BlackColumns, out: &mut FirstGreeks) {
    run::<4, COIN>(inputs, out);
}

/// Whole blocks of W in place; the last, partial one through a padded copy.
#[inline(always)]
fn run<const W: usize, const COIN: bool>(inputs: &BlackColumns, out: &mut FirstGreeks) {
    let n = inputs.len();
    let whole = n - n % W;
    let c = inputs.columns();
    for at in (0..whole).step_by(W) {
        let columns = c.map(|c| -> [f64; W] { std::array::from_fn(|i| c[at + i]) });
        let g = block::<W, COIN>(&columns);
        store(&g, out, at, W);
        for i in 0..W {
            if !has_time_value(&columns, i) {
                scalar::<COIN>(inputs, at + i, out, at + i);
            }
        }
    }
    if whole < n {
        // The pad is any valid option (that of the row-wise batch).
        let pad = [1.0, 1.0, 1.0, 1.0, 0.5, 1.0];
        let mut columns = pad.map(|p| [p; W]);
        for (column, input) in columns.iter_mut().zip(c) {
            column[..n - whole].copy_from_slice(&input[whole..]);
        }
        let g = block::<W, COIN>(&columns);
        store(&g, out, whole, n - whole);
        for i in 0..n - whole {
            if !has_time_value(&columns, i) {
                scalar::<COIN>(inputs, whole + i, out, whole + i);
            }
        }
    }
}

/// Whether the lanes' value of option `i` stands: σ√t at least [`MIN_S`] (not for NaN either),
/// the row-wise batch's test.
#[inline(always)]
fn has_time_value<const W: usize>(columns: &[[f64; W]; 6], i: usize) -> bool {
    let (t, vol) = (columns[3][i], columns[4][i]);
    vol * vol * t >= MIN_S * MIN_S
}

/// The lanes of one block: `[price, delta, gamma, vega]` columns.
#[inline(always)]
fn block<const W: usize, const COIN: bool>(c: &[[f64; W]; 6]) -> [[f64; W]; 4] {
    let mut g = [[0.0; W]; 4];
    for i in 0..W {
        let [price, delta, gamma, vega, ..] =
            lane(c[0][i], c[1][i], c[2][i], c[3][i], c[4][i], c[5][i]);
        let mut v = [price, delta, gamma, vega];
        if COIN {
            v = in_coin(v, c[1][i]);
        }
        for (column, v) in g.iter_mut().zip(v) {
            column[i] = v;
        }
    }
    g
}

/// The first `n` lanes of `g` into `out` from entry `at`.
#[inline(always)]
fn store<const W: usize>(g: &[[f64; W]; 4], out: &mut FirstGreeks, at: usize, n: usize) {
    let columns = [
        &mut out.price,
        &mut out.delta,
        &mut out.gamma,
        &mut out.vega,
    ];
    for (column, lanes) in columns.into_iter().zip(g) {
        column[at..at + n].copy_from_slice(&lanes[..n]);
    }
}
