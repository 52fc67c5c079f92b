//! Exact conversion between decimals at the edges (config, wire, files, reports) and the integer
//! units of the hot path. A value that is not a whole number of units is an error, never rounded.

use rust_decimal::Decimal;
use thiserror::Error;

/// One integer unit is worth `unit` (e.g. 0.0001 ETH per price unit, 1 contract per lot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    unit: Decimal,
    /// k where the unit is 10^-k (0 to 15), for [`Scale::units_of_f64`].
    decimals: Option<usize>,
}

/// 10^k, exact in f64 for k up to 22.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ScaleError {
    #[error("unit {0} must be positive")]
    NonPositiveUnit(Decimal),
    #[error("{value} is not a whole multiple of {unit}")]
    OffGrid { value: Decimal, unit: Decimal },
    #[error("{value} is out of range for {unit} units")]
    Overflow { value: Decimal, unit: Decimal },
    #[error("'{text}' is not a decimal number")]
    NotANumber { text: String },
}

impl Scale {
    pub fn new(unit: Decimal) -> Result<Scale, ScaleError> {
        if unit <= Decimal::ZERO {
            return Err(ScaleError::NonPositiveUnit(unit));
        }
        let unit = unit.normalize();
        let decimals = (unit.mantissa() == 1)
            .then_some(unit.scale() as usize)
            .filter(|k| *k < POW10.len());
        Ok(Scale { unit, decimals })
    }

    /// `value`, a float read from data, in units, where the unit is a power of ten and `value`
    /// is the float nearest a whole number n of units (n / 10^k == value, both exact in f64):
    /// then n is what parsing `value`'s shortest decimal form (`value.to_string()`) gives, since
    /// that form has no more digits than n·10^-k and two grid values are further apart than
    /// `value`'s rounding interval. None: take the decimal path (off the grid, or not a float
    /// this proves).
    pub fn units_of_f64(&self, value: f64) -> Option<i64> {
        let p = POW10[self.decimals?];
        let n = (value * p).round();
        (n.abs() < 9.0e15 && n / p == value).then_some(n as i64)
    }

    pub fn unit(&self) -> Decimal {
        self.unit
    }

    /// The exact count of units in `value`, or an error if it is not a whole number of them.
    pub fn to_units(&self, value: Decimal) -> Result<i64, ScaleError> {
        let overflow = || ScaleError::Overflow {
            value,
            unit: self.unit,
        };
        let n = value.checked_div(self.unit).ok_or_else(overflow)?;
        if !n.fract().is_zero() {
            return Err(ScaleError::OffGrid {
                value,
                unit: self.unit,
            });
        }
        i64::try_from(n).map_err(|_| overflow())
    }

    /// The decimal worth of `units`; exact (a Decimal holds 96 bits of mantissa).
    pub fn to_decimal(&self, units: i64) -> Decimal {
        Decimal::from(units) * self.unit
    }

    /// Exact worth of a wide integer count (products of prices and sizes); `None` past Decimal's range.
    pub fn to_decimal_wide(&self, units: i128) -> Option<Decimal> {
        Decimal::try_from_i128_with_scale(units, 0)
            .ok()?
            .checked_mul(self.unit)
    }

    /// Parses text (a file field, a wire value) and converts it; the error quotes the text.
    pub fn parse(&self, text: &str) -> Result<i64, ScaleError> {
        let value: Decimal = text.trim().parse().map_err(|_| ScaleError::NotANumber {
            text: text.to_string(),
        })?;
        self.to_units(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn converts_exact_multiples_both_ways() {
        let s = Scale::new(d("0.0001")).unwrap();
        assert_eq!(s.to_units(d("0.0075")), Ok(75));
        assert_eq!(s.to_units(d("15.0")), Ok(150_000));
        assert_eq!(s.to_decimal(75), d("0.0075"));
        assert_eq!(s.parse(" 0.0120 "), Ok(120));
    }

    #[test]
    fn off_grid_values_are_errors_not_rounded() {
        let s = Scale::new(d("0.0005")).unwrap();
        let err = s.to_units(d("0.0012")).unwrap_err();
        assert_eq!(err.to_string(), "0.0012 is not a whole multiple of 0.0005");
        assert!(matches!(s.parse("abc"), Err(ScaleError::NotANumber { .. })));
        assert!(matches!(s.parse("NaN"), Err(ScaleError::NotANumber { .. })));
        assert!(matches!(
            s.to_units(Decimal::MAX),
            Err(ScaleError::Overflow { .. })
        ));
        assert!(Scale::new(d("-1")).is_err());
    }

    proptest! {
        #[test]
        fn round_trip_is_exact(n in -10_000_000_000i64..10_000_000_000, exp in 0u32..9) {
            let s = Scale::new(Decimal::new(5, exp)).unwrap();
            prop_assert_eq!(s.to_units(s.to_decimal(n)), Ok(n));
        }
    }
}
