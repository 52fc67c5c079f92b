//! Options at the batch lanes' edges, for the batch pricers' tests.

use engine::pricing::batch::BlackInput;
use engine::pricing::OptionType;

/// 40 options, calls and puts in turn, forward 3000, strikes 2000 up by 50, discounted by `df`;
/// one in five at each case the lanes hand to the scalar pricer (t = 0, vol = 0, σ√t under
/// `MIN_S`), the rest ordinary.
pub fn lane_edge_pool(df: f64) -> Vec<BlackInput> {
    (0..40)
        .map(|i| {
            let (t, vol) = match i % 5 {
                0 => (0.0, 0.5),
                1 => (0.25, 0.0),
                2 => (1.0 / 8760.0, 0.3), // σ√t = 0.0032 < MIN_S
                _ => (0.1 + 0.01 * i as f64, 0.6),
            };
            BlackInput {
                kind: [OptionType::Call, OptionType::Put][i % 2],
                f: 3000.0,
                k: 2000.0 + 50.0 * i as f64,
                t,
                vol,
                df,
            }
        })
        .collect()
}
