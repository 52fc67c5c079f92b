//! A float read from data becomes the same price and size by the fast path
//! (`Instrument::price_of_f64`, `qty_of_f64`) as by parsing its shortest decimal form, for values
//! on the grid, off it, off the tick, and anything else.

use engine::Instrument;
use proptest::prelude::*;

fn same(inst: &Instrument, v: f64) -> Result<(), TestCaseError> {
    let text = v.to_string();
    prop_assert_eq!(inst.price_of_f64(v), inst.parse_price(&text), "price {}", v);
    prop_assert_eq!(inst.qty_of_f64(v), inst.parse_qty(&text), "amount {}", v);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn grid_values_match_the_decimal_path(n in -10i64..100_000_000, k in 0u32..9) {
        let option = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        let perp = Instrument::deribit("ETH-PERPETUAL").unwrap();
        let v = n as f64 / 10f64.powi(k as i32);
        same(&option, v)?;
        same(&perp, v)?;
    }

    #[test]
    fn any_float_matches_the_decimal_path(v in proptest::num::f64::ANY) {
        let option = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        same(&option, v)?;
    }

    #[test]
    fn floats_near_the_grid_match_the_decimal_path(n in 1i64..10_000_000, ulps in -3i64..=3) {
        let option = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        let v = n as f64 / 1e4;
        let v = f64::from_bits((v.to_bits() as i64 + ulps) as u64);
        same(&option, v)?;
    }
}
