//! The columns batch (price, delta, gamma, vega) against the row-wise batch it shares its lanes
//! with: bit for bit on every path and every length, in USD and in the coin, options handed to
//! the scalar pricer (no time value, σ√t below MIN_S) included.

use engine::pricing::batch::{greeks_batch_on, BatchPath, BlackInput};
use engine::pricing::batch_columns::{first_greeks_on, BlackColumns, Denomination, FirstGreeks};
use engine::pricing::{coin, Greeks, OptionType};
use proptest::prelude::*;

mod common;

const PATHS: [BatchPath; 3] = [BatchPath::Avx512, BatchPath::Avx2, BatchPath::Scalar];

fn columns(inputs: &[BlackInput]) -> BlackColumns {
    let mut c = BlackColumns::default();
    // More room than needed, and stale rows past the end: only the pushed ones count.
    c.start(inputs.len() + 9);
    for _ in 0..inputs.len() + 9 {
        c.push(OptionType::Put, 7.0, 5.0, 0.3, 0.4, 0.9);
    }
    c.start(inputs.len());
    for i in inputs {
        c.push(i.kind, i.f, i.k, i.t, i.vol, i.df);
    }
    c
}

/// Both batches on `path`, in USD and in the coin (the row-wise batch's through
/// `coin::from_usd`); panics on the first value that differs in any bit.
fn assert_same(path: BatchPath, inputs: &[BlackInput]) {
    let mut usd = vec![Greeks::default(); inputs.len()];
    greeks_batch_on(path, inputs, &mut usd);
    let in_coin = usd
        .iter()
        .zip(inputs)
        .map(|(g, i)| coin::from_usd(*g, i.f))
        .collect();
    for (denomination, rows) in [(Denomination::Usd, usd), (Denomination::Coin, in_coin)] {
        assert_denomination(path, inputs, denomination, &rows);
    }
}

fn assert_denomination(
    path: BatchPath,
    inputs: &[BlackInput],
    denomination: Denomination,
    rows: &[Greeks],
) {
    let mut out = FirstGreeks::default();
    first_greeks_on(path, &columns(inputs), denomination, &mut out);
    assert_eq!(out.price.len(), inputs.len());
    for (i, g) in rows.iter().enumerate() {
        let got = [out.price[i], out.delta[i], out.gamma[i], out.vega[i]];
        let want = [g.price, g.delta, g.gamma, g.vega];
        assert_eq!(
            got.map(f64::to_bits),
            want.map(f64::to_bits),
            "{path:?} {denomination:?} option {i}: {:?}",
            inputs[i]
        );
    }
}

fn option(kind: OptionType, f: f64, moneyness: f64, t: f64, vol: f64, df: f64) -> BlackInput {
    BlackInput {
        kind,
        f,
        k: f * moneyness,
        t,
        vol,
        df,
    }
}

#[test]
fn every_length_around_the_lane_widths() {
    let pool = common::lane_edges::lane_edge_pool(0.99);
    for path in PATHS {
        for len in 0..=pool.len() {
            assert_same(path, &pool[..len]);
        }
    }
}

proptest! {
    #[test]
    fn random_chains_match_the_row_wise_batch(
        options in prop::collection::vec(
            (any::<bool>(), 1.0f64..1e5, 0.2f64..5.0, 1e-4f64..3.0, 0.01f64..3.0, 0.8f64..1.0),
            0..60,
        )
    ) {
        let inputs: Vec<BlackInput> = options
            .iter()
            .map(|&(call, f, m, t, vol, df)| {
                let kind = if call { OptionType::Call } else { OptionType::Put };
                option(kind, f, m, t, vol, df)
            })
            .collect();
        for path in PATHS {
            assert_same(path, &inputs);
        }
    }
}
