//! The batch pricer against the scalar one it vectorises (`black76::greeks`), option by option:
//! the same numbers to 1e-13 relative wherever a value is above 1e-6 of its natural size (the
//! price in units of the lanes' known extra loss where the scalar pricer switches to a series,
//! [`lane_loss`]), and to
//! 4e-15 of that size everywhere; identical across the AVX-512 and AVX2 paths; the options it
//! hands to the scalar pricer (no time value, σ√t below MIN_S) bit for bit.

use engine::pricing::batch::{greeks_batch, greeks_batch_on, BatchPath, BlackInput, MIN_S};
use engine::pricing::{Greeks, OptionType};
use proptest::prelude::*;

mod common;

const NAMES: [&str; 7] = ["price", "delta", "gamma", "vega", "theta", "vanna", "volga"];

/// Each greek's natural size for this option (its at-the-money order of magnitude), so that an
/// absolute error can be judged where the value itself is tiny.
fn scales(c: &BlackInput) -> [f64; 7] {
    let rt = c.t.sqrt();
    let s = c.vol * rt;
    let size = c.df * c.f.max(c.k);
    [
        size,
        c.df,
        c.df / (c.f * s),
        c.df * c.f * rt,
        c.df * c.f * c.vol / rt + size / c.t,
        c.df / c.vol,
        c.df * c.f * rt / c.vol,
    ]
}

/// How many times more the lanes' price may lose than the scalar's: the lanes always take the
/// erfcx difference (or its complement), which loses about max(1, H)/(2t) ulps (H = |ln F/K|/s,
/// t = s/2), where the scalar pricer switches to the small-t series below
/// t = max(1, H)/32, i.e. past a loss of 16 (`normalised::small_t_limit`). Relative errors of
/// the price are judged in units of this factor (1 where both take the same form).
fn lane_loss(c: &BlackInput) -> f64 {
    let s = c.vol * c.t.sqrt();
    let big_h = (c.f / c.k).ln().abs() / s;
    (big_h.max(1.0) / (32.0 * 0.5 * s)).max(1.0)
}

fn fields(g: &Greeks) -> [f64; 7] {
    [g.price, g.delta, g.gamma, g.vega, g.theta, g.vanna, g.volga]
}

/// The worst relative error (over values above 1e-6 of their size) and the worst absolute error
/// (over all, in units of the size), per greek.
fn worst(inputs: &[BlackInput], out: &[Greeks]) -> ([f64; 7], [f64; 7]) {
    let (mut rel, mut abs) = ([0.0f64; 7], [0.0f64; 7]);
    for (c, b) in inputs.iter().zip(out) {
        let s = fields(&c.greeks());
        // Theta is a sum, -vol decay + r·price, that can cancel (a deep in-the-money discounted
        // put): judge it against the larger term, as both pricers round each term.
        let carry = (c.df.ln() / c.t * s[0]).abs();
        // Vanna and volga are vega times d2/σ and d1·d2/σ: where d1 or d2 crosses 0 they lose
        // every digit to the subtraction inside d = h ± s/2 (in both pricers), so they are
        // judged against |h| + s/2 in place of |d|.
        let sd = c.vol * c.t.sqrt();
        let h = (c.f / c.k).ln().abs() / sd + 0.5 * sd;
        let vanna_size = (s[3] / (c.f * c.t.sqrt()) * h / c.vol).abs();
        let volga_size = (s[3] * h * h / c.vol).abs();
        let loss = lane_loss(c);
        for (n, (bv, m)) in fields(b).iter().zip(scales(c)).enumerate() {
            let err = (bv - s[n]).abs();
            assert!(bv.is_finite(), "{} of {c:?} is {bv}", NAMES[n]);
            abs[n] = abs[n].max(err / m);
            let size = match n {
                4 => s[n].abs().max(carry),
                5 => s[n].abs().max(vanna_size),
                6 => s[n].abs().max(volga_size),
                _ => s[n].abs(),
            };
            if size > 1e-6 * m {
                // The price, and theta through r·price, carry the lanes' extra loss.
                let allowed = if n == 0 || n == 4 { loss } else { 1.0 };
                rel[n] = rel[n].max(err / size / allowed);
            }
        }
    }
    (rel, abs)
}

fn assert_close(inputs: &[BlackInput], out: &[Greeks]) {
    let (rel, abs) = worst(inputs, out);
    for n in 0..7 {
        assert!(rel[n] <= 1e-13, "{}: relative {:.2e}", NAMES[n], rel[n]);
        assert!(abs[n] <= 4e-15, "{}: absolute {:.2e}", NAMES[n], abs[n]);
    }
}

/// 103,320 options: forwards 1 to 1e5, strikes ±4 log-units, 1 hour to 10 years, vols 1% to
/// 500%, calls undiscounted and puts discounted.
fn grid() -> Vec<BlackInput> {
    let mut v = Vec::new();
    for &f in &[1.0, 3000.0, 1e5] {
        for i in 0..41 {
            let x = -4.0 + 8.0 * i as f64 / 40.0;
            for j in 0..20 {
                let t = 1.0 / 8760.0 * (87_600f64).powf(j as f64 / 19.0);
                for l in 0..21 {
                    let vol = 0.01 * 500f64.powf(l as f64 / 20.0);
                    for (kind, df) in [(OptionType::Call, 1.0), (OptionType::Put, 0.93)] {
                        v.push(BlackInput {
                            kind,
                            f,
                            k: f * (-x).exp(),
                            t,
                            vol,
                            df,
                        });
                    }
                }
            }
        }
    }
    v
}

#[test]
fn grid_matches_scalar() {
    let inputs = grid();
    let mut out = vec![Greeks::default(); inputs.len()];
    greeks_batch(&inputs, &mut out);
    let (rel, abs) = worst(&inputs, &out);
    for n in 0..7 {
        println!(
            "{:6} relative {:.2e}  absolute {:.2e}",
            NAMES[n], rel[n], abs[n]
        );
    }
    assert_close(&inputs, &out);
}

#[test]
fn paths_agree() {
    let inputs = grid();
    let run = |path| {
        let mut out = vec![Greeks::default(); inputs.len()];
        greeks_batch_on(path, &inputs, &mut out);
        out
    };
    // Same lane arithmetic at both widths; on a CPU without AVX-512 both are the AVX2 path.
    assert_eq!(run(BatchPath::Avx512), run(BatchPath::Avx2));
    let scalar: Vec<Greeks> = inputs.iter().map(BlackInput::greeks).collect();
    assert_eq!(run(BatchPath::Scalar), scalar);
}

/// Lengths around the lane widths, with options the lanes hand back to the scalar pricer mixed in.
#[test]
fn ragged_lengths_and_scalar_lanes() {
    let pool = common::lane_edges::lane_edge_pool(1.0);
    for len in 0..=pool.len() {
        let inputs = &pool[..len];
        let mut out = vec![Greeks::default(); len];
        greeks_batch(inputs, &mut out);
        assert_close(inputs, &out);
        for (c, g) in inputs.iter().zip(&out) {
            if c.vol * c.t.sqrt() < MIN_S {
                assert_eq!(*g, c.greeks(), "{c:?} should go through the scalar pricer");
            }
        }
    }
}

#[test]
#[should_panic(expected = "one output per input")]
fn lengths_must_match() {
    let mut out = vec![Greeks::default(); 1];
    greeks_batch(&[], &mut out);
}

/// A case the random chains found: a short-dated out-of-the-money put where the scalar pricer
/// takes the small-t series and the lanes the erfcx difference (1.15e-13 apart; 9.7 times the loss at the border).
#[test]
fn small_t_out_of_the_money_put() {
    let f = 10.0f64;
    let inputs = [BlackInput {
        kind: OptionType::Put,
        f,
        k: f * (-0.05611853182677029f64).exp(),
        t: 0.03791266344089257,
        vol: 0.09755637225349384,
        df: 0.8,
    }];
    let mut out = [Greeks::default()];
    greeks_batch(&inputs, &mut out);
    assert!(lane_loss(&inputs[0]) > 5.0);
    assert_close(&inputs, &out);
}

proptest! {
    #[test]
    fn random_chains_match_scalar(
        options in prop::collection::vec(
            (any::<bool>(), 10.0..1e5f64, -3.0..3.0f64, 1e-3..5.0f64, 0.05..3.0f64, 0.8..1.0f64),
            1..40,
        )
    ) {
        let inputs: Vec<BlackInput> = options
            .iter()
            .map(|&(call, f, x, t, vol, df)| BlackInput {
                kind: if call { OptionType::Call } else { OptionType::Put },
                f,
                k: f * x.exp(),
                t,
                vol,
                df,
            })
            .collect();
        let mut out = vec![Greeks::default(); inputs.len()];
        greeks_batch(&inputs, &mut out);
        assert_close(&inputs, &out);
    }
}
