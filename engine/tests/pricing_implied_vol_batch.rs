//! The batch implied vol beside the scalar one: the same errors for bad input, the same answers
//! on every vector path and at every length. (Accuracy on the million-point grid and the Let's
//! Be Rational cases is checked with the scalar solver's, in pricing_implied_vol_grid.rs and
//! pricing_reference.rs.)

use engine::pricing::implied_vol_batch::{
    implied_vol_batch, implied_vol_batch_on, BatchPath, IvInput,
};
use engine::pricing::{black76, ImpliedVolError, OptionType};

fn option(kind: OptionType, price: f64, k: f64, t: f64) -> IvInput {
    IvInput {
        kind,
        price,
        f: 3000.0,
        k,
        t,
        df: 1.0,
    }
}

/// A chain's prices with bad inputs mixed in at every lane position.
fn mixed(n: usize) -> Vec<IvInput> {
    (0..n)
        .map(|i| {
            let kind = if i % 2 == 0 {
                OptionType::Call
            } else {
                OptionType::Put
            };
            let k = 2000.0 + 37.0 * i as f64;
            let t = 0.02 + 0.01 * i as f64;
            let price = black76::price(kind, 3000.0, k, t, 0.4 + 0.01 * i as f64, 1.0);
            let intrinsic = (kind.sign() * (3000.0 - k)).max(0.0);
            match i % 9 {
                0 => option(kind, f64::NAN, k, t),
                1 => option(kind, -1.0, k, t),
                2 => option(kind, intrinsic * 0.5, k, t), // below intrinsic (or negative)
                3 => option(kind, 1e9, k, t),             // above the maximum
                4 => option(kind, price, k, 0.0),         // at expiry
                5 => IvInput {
                    f: -3000.0,
                    ..option(kind, price, k, t)
                },
                _ => option(kind, price, k, t),
            }
        })
        .collect()
}

#[test]
fn errors_are_the_scalar_errors() {
    let inputs = mixed(45);
    let mut out = vec![Ok(0.0); inputs.len()];
    implied_vol_batch(&inputs, &mut out);
    let mut errors = 0;
    for (c, got) in inputs.iter().zip(&out) {
        match (got, c.implied_vol()) {
            (Err(e), Err(want)) => {
                // By message: an error holding a NaN input is not equal to itself.
                assert_eq!(e.to_string(), want.to_string(), "{c:?}");
                errors += 1;
            }
            (Ok(v), Ok(want)) => assert!(((v - want) / want).abs() < 1e-13, "{c:?}: {v} vs {want}"),
            (got, want) => panic!("{c:?}: batch {got:?}, scalar {want:?}"),
        }
    }
    assert_eq!(errors, 30);
    assert!(matches!(out[4], Err(ImpliedVolError::AtExpiry)));
}

#[test]
fn every_path_and_length_gives_the_same_answers() {
    let pool = mixed(40);
    for len in 0..=pool.len() {
        let inputs = &pool[..len];
        // Compared through Debug text: exact for the vols (shortest round-trip digits), and an
        // error holding a NaN input is not equal to itself.
        let run = |path| {
            let mut out = vec![Ok(0.0); len];
            implied_vol_batch_on(path, inputs, &mut out);
            format!("{out:?}")
        };
        // The same lane arithmetic at both widths (on a CPU without AVX-512 both are AVX2).
        assert_eq!(run(BatchPath::Avx512), run(BatchPath::Avx2), "length {len}");
        let scalar: Vec<_> = inputs.iter().map(IvInput::implied_vol).collect();
        assert_eq!(
            run(BatchPath::Scalar),
            format!("{scalar:?}"),
            "length {len}"
        );
    }
}

/// Below MIN_S (σ√t = 0.01) the lanes hand the price to the scalar solver: its answer exactly.
#[test]
fn small_s_goes_to_the_scalar_solver() {
    let inputs: Vec<IvInput> = (1..=16)
        .map(|i| {
            let t = 1e-4 * i as f64; // σ√t from 0.003 to 0.012 at 30%
            option(
                OptionType::Call,
                black76::price(OptionType::Call, 3000.0, 3010.0, t, 0.3, 1.0),
                3010.0,
                t,
            )
        })
        .collect();
    let mut out = vec![Ok(0.0); inputs.len()];
    implied_vol_batch(&inputs, &mut out);
    for (c, got) in inputs.iter().zip(&out) {
        let want = c.implied_vol();
        let vol = *got.as_ref().expect("a price with time value");
        if vol * c.t.sqrt() < 0.01 {
            assert_eq!(*got, want, "{c:?}");
        }
        assert!((vol - 0.3).abs() < 1e-12, "{c:?}: {vol}");
    }
}
