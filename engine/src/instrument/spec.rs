//! Contract terms (ticks, lots, contract size, settlement) and the exact conversions they define.
//!
//! This is where ticks and lot sizes are applied to money: a decimal price or amount enters the
//! engine only through [`Instrument::price`] / [`Instrument::qty`] (or their `parse_` forms), which
//! refuse anything off the grid instead of rounding it.

use super::name::{InstrumentKind, InstrumentName, NameError};
use crate::scale::{Scale, ScaleError};
use crate::tick_rule::{Rounding, TickRule, TickRuleError, TickStep};
use crate::units::{Price, Qty};
use rust_decimal::Decimal;
use thiserror::Error;

/// How a position's profit is counted in the settlement currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PnlStyle {
    /// Price and settlement in the same currency: PnL = price change x amount x contract size.
    /// Deribit's coin-margined options (priced in ETH, settled in ETH) and the P/N tokens.
    Linear,
    /// Amount in USD, price in USD per coin, settled in coin: PnL = amount x (1/entry - 1/exit).
    /// Deribit's ETH futures and perpetual.
    Inverse,
}

/// Contract terms. Live, these should come from the venue's `public/get_instruments`;
/// [`Instrument::deribit`] carries the values seen for Deribit ETH as defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractSpec {
    /// What one integer price unit is worth: the finest tick.
    pub price_unit: Decimal,
    /// The tick up to the first step (Deribit's `tick_size`).
    pub tick_size: Decimal,
    /// `(above_price, tick_size)`: strictly above `above_price` prices are multiples of that tick
    /// (Deribit's `tick_size_steps`).
    pub tick_size_steps: Vec<(Decimal, Decimal)>,
    /// Underlying per contract (options: 1 ETH) or USD per contract (inverse futures: 1 USD).
    pub contract_size: Decimal,
    /// The minimum amount and amount step: what one lot is worth, in contracts.
    pub min_amount: Decimal,
    pub settlement_currency: String,
    pub pnl: PnlStyle,
    /// False for the index and synthetic forwards: they have prices but no book to trade.
    pub tradeable: bool,
}

#[derive(Clone, Debug)]
pub struct Instrument {
    name: String,
    parsed: InstrumentName,
    spec: ContractSpec,
    price_scale: Scale,
    lot_scale: Scale,
    tick_rule: TickRule,
    /// The terms models read, as f64, converted once here (a strategy reads them per series
    /// at every requote, and a decimal conversion costs more than the rest of its work).
    float_terms: FloatTerms,
}

/// Equal names and terms (the float terms follow from them).
impl PartialEq for Instrument {
    fn eq(&self, other: &Instrument) -> bool {
        (&self.name, &self.parsed, &self.spec) == (&other.name, &other.parsed, &other.spec)
            && (self.price_scale, self.lot_scale) == (other.price_scale, other.lot_scale)
            && self.tick_rule == other.tick_rule
    }
}

impl Eq for Instrument {}

/// An instrument's terms as f64, for models (never for booking money).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatTerms {
    /// USD strike of an option or token (NaN for others).
    pub strike: f64,
    /// Price per price unit (0.0001 ETH on Deribit options).
    pub price_unit: f64,
    /// Underlying per lot: min_amount x contract_size (1 ETH on Deribit options).
    pub lot: f64,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SpecError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("{name}: no built-in contract spec for underlying {underlying}; give one explicitly")]
    NoBuiltInSpec { name: String, underlying: String },
    #[error("{name}: {field}: {source}")]
    Scale {
        name: String,
        field: &'static str,
        source: ScaleError,
    },
    #[error("{name}: tick steps: {source}")]
    Ticks { name: String, source: TickRuleError },
}

/// A price or amount from outside that the instrument refuses; says which and why.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{instrument}: {what} {value}: {reason}")]
pub struct ValueError {
    pub instrument: String,
    pub what: &'static str,
    pub value: String,
    pub reason: String,
}

fn dec(mantissa: i64, scale: u32) -> Decimal {
    Decimal::new(mantissa, scale)
}

impl Instrument {
    pub fn new(parsed: InstrumentName, spec: ContractSpec) -> Result<Instrument, SpecError> {
        let name = parsed.to_string();
        let scale = |field, unit| {
            Scale::new(unit).map_err(|source| SpecError::Scale {
                name: name.clone(),
                field,
                source,
            })
        };
        let price_scale = scale("price_unit", spec.price_unit)?;
        let lot_scale = scale("min_amount", spec.min_amount)?;
        scale("contract_size", spec.contract_size)?;
        let units = |field, v| {
            price_scale.to_units(v).map_err(|source| SpecError::Scale {
                name: name.clone(),
                field,
                source,
            })
        };
        let base_tick = units("tick_size", spec.tick_size)?;
        let mut steps = Vec::with_capacity(spec.tick_size_steps.len());
        for (above, tick) in &spec.tick_size_steps {
            steps.push(TickStep {
                above: Price(units("tick_size_steps.above_price", *above)?),
                tick: units("tick_size_steps.tick_size", *tick)?,
            });
        }
        let tick_rule =
            TickRule::stepped(base_tick, &steps).map_err(|source| SpecError::Ticks {
                name: name.clone(),
                source,
            })?;
        let f = |d: Decimal| f64::try_from(d).unwrap_or(f64::NAN);
        let strike = match &parsed.kind {
            InstrumentKind::Option { strike, .. }
            | InstrumentKind::PToken { strike, .. }
            | InstrumentKind::NToken { strike, .. } => f(*strike),
            _ => f64::NAN,
        };
        let float_terms = FloatTerms {
            strike,
            price_unit: f(spec.price_unit),
            lot: f(spec.min_amount * spec.contract_size),
        };
        Ok(Instrument {
            name,
            parsed,
            spec,
            price_scale,
            lot_scale,
            tick_rule,
            float_terms,
        })
    }

    /// Parses a Deribit name and gives it Deribit's ETH contract terms (seen on the venue in 2026;
    /// verify live with `public/get_instruments`):
    /// options 0.0001 ETH up to 0.005 and 0.0005 above, 1 ETH a contract, 1 contract minimum;
    /// futures and perpetual 0.05 USD tick, 1 USD contracts, inverse; P/N tokens 0.0001 ETH tick and
    /// 0.001 token lots; index and synthetic forwards 0.01 USD, not tradeable.
    pub fn deribit(name: &str) -> Result<Instrument, SpecError> {
        let parsed = InstrumentName::parse(name)?;
        if parsed.underlying != "ETH" {
            return Err(SpecError::NoBuiltInSpec {
                name: name.to_string(),
                underlying: parsed.underlying,
            });
        }
        let eth = || "ETH".to_string();
        let spec = match parsed.kind {
            InstrumentKind::Option { .. } => ContractSpec {
                price_unit: dec(1, 4),
                tick_size: dec(1, 4),
                tick_size_steps: vec![(dec(5, 3), dec(5, 4))],
                contract_size: Decimal::ONE,
                min_amount: Decimal::ONE,
                settlement_currency: eth(),
                pnl: PnlStyle::Linear,
                tradeable: true,
            },
            InstrumentKind::PToken { .. } | InstrumentKind::NToken { .. } => ContractSpec {
                price_unit: dec(1, 4),
                tick_size: dec(1, 4),
                tick_size_steps: vec![],
                contract_size: Decimal::ONE,
                min_amount: dec(1, 3),
                settlement_currency: eth(),
                pnl: PnlStyle::Linear,
                tradeable: true,
            },
            InstrumentKind::Future { .. } | InstrumentKind::Perpetual => ContractSpec {
                price_unit: dec(5, 2),
                tick_size: dec(5, 2),
                tick_size_steps: vec![],
                contract_size: Decimal::ONE,
                min_amount: Decimal::ONE,
                settlement_currency: eth(),
                pnl: PnlStyle::Inverse,
                tradeable: true,
            },
            InstrumentKind::SyntheticForward { .. } | InstrumentKind::Index { .. } => {
                ContractSpec {
                    price_unit: dec(1, 2),
                    tick_size: dec(1, 2),
                    tick_size_steps: vec![],
                    contract_size: Decimal::ONE,
                    min_amount: Decimal::ONE,
                    settlement_currency: "USD".to_string(),
                    pnl: PnlStyle::Linear,
                    tradeable: false,
                }
            }
        };
        Instrument::new(parsed, spec)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn parsed(&self) -> &InstrumentName {
        &self.parsed
    }
    pub fn kind(&self) -> &InstrumentKind {
        &self.parsed.kind
    }
    pub fn spec(&self) -> &ContractSpec {
        &self.spec
    }
    pub fn tick_rule(&self) -> &TickRule {
        &self.tick_rule
    }
    pub fn float_terms(&self) -> FloatTerms {
        self.float_terms
    }
    pub fn price_scale(&self) -> Scale {
        self.price_scale
    }
    pub fn lot_scale(&self) -> Scale {
        self.lot_scale
    }

    fn refuse(&self, what: &'static str, value: impl ToString, reason: String) -> ValueError {
        ValueError {
            instrument: self.name.clone(),
            what,
            value: value.to_string(),
            reason,
        }
    }

    /// A decimal price as integer units: positive, on the unit grid and on the tick that applies.
    pub fn price(&self, value: Decimal) -> Result<Price, ValueError> {
        if value <= Decimal::ZERO {
            return Err(self.refuse("price", value, "must be positive".into()));
        }
        let p = Price(
            self.price_scale
                .to_units(value)
                .map_err(|e| self.refuse("price", value, e.to_string()))?,
        );
        if !self.tick_rule.is_on_tick(p) {
            let tick = self.tick_size_at(p);
            return Err(self.refuse("price", value, format!("off tick: tick here is {tick}")));
        }
        Ok(p)
    }

    /// A decimal amount as integer lots: positive and a whole number of `min_amount`s.
    pub fn qty(&self, value: Decimal) -> Result<Qty, ValueError> {
        if value <= Decimal::ZERO {
            return Err(self.refuse("amount", value, "must be positive".into()));
        }
        self.lot_scale
            .to_units(value)
            .map(Qty)
            .map_err(|e| self.refuse("amount", value, e.to_string()))
    }

    /// [`Instrument::price`] of a float read from data: its shortest decimal form, never rounded
    /// onto the grid (the same answer and errors as `parse_price(&value.to_string())`, without
    /// formatting the float where [`Scale::units_of_f64`] proves it is on the grid).
    pub fn price_of_f64(&self, value: f64) -> Result<Price, ValueError> {
        match self.price_scale.units_of_f64(value) {
            Some(n) if n > 0 && self.tick_rule.is_on_tick(Price(n)) => Ok(Price(n)),
            _ => self.parse_price(&value.to_string()),
        }
    }

    /// A model's float price (`value`, the price currency) onto the grid, `rounding` the way
    /// asked (a seller's limit up, a buyer's down: never past it); None where that is not a
    /// positive price.
    pub fn price_rounded_f64(&self, value: f64, rounding: Rounding) -> Option<Price> {
        let units = value / self.float_terms().price_unit;
        let units = match rounding {
            Rounding::Down => units.floor(),
            Rounding::Up => units.ceil(),
        };
        if !(units >= 1.0 && units < i64::MAX as f64) {
            return None;
        }
        Some(self.tick_rule.round(Price(units as i64), rounding))
    }

    /// [`Instrument::qty`] of a float read from data, as [`Instrument::price_of_f64`].
    pub fn qty_of_f64(&self, value: f64) -> Result<Qty, ValueError> {
        match self.lot_scale.units_of_f64(value) {
            Some(n) if n > 0 => Ok(Qty(n)),
            _ => self.parse_qty(&value.to_string()),
        }
    }

    /// [`Instrument::price`] from text (a file field or wire value); NaN and junk are refused.
    pub fn parse_price(&self, text: &str) -> Result<Price, ValueError> {
        let v: Decimal = text
            .trim()
            .parse()
            .map_err(|_| self.refuse("price", text, "not a decimal number".into()))?;
        self.price(v)
    }

    /// [`Instrument::qty`] from text.
    pub fn parse_qty(&self, text: &str) -> Result<Qty, ValueError> {
        let v: Decimal = text
            .trim()
            .parse()
            .map_err(|_| self.refuse("amount", text, "not a decimal number".into()))?;
        self.qty(v)
    }

    pub fn price_decimal(&self, p: Price) -> Decimal {
        self.price_scale.to_decimal(p.0)
    }
    /// The price as f64, for models and reports (money is booked with [`Self::price_decimal`]).
    pub fn price_f64(&self, p: Price) -> f64 {
        use rust_decimal::prelude::ToPrimitive;
        self.price_decimal(p).to_f64().unwrap_or(f64::NAN)
    }
    pub fn qty_decimal(&self, q: Qty) -> Decimal {
        self.lot_scale.to_decimal(q.0)
    }
    /// The amount as f64 (contracts, or USD for an inverse future), for models, reports and the
    /// wire's JSON numbers (money is booked with [`Self::qty_decimal`]).
    pub fn qty_f64(&self, q: Qty) -> f64 {
        use rust_decimal::prelude::ToPrimitive;
        self.qty_decimal(q).to_f64().unwrap_or(f64::NAN)
    }
    /// The tick size, as a decimal, that applies at `p`.
    pub fn tick_size_at(&self, p: Price) -> Decimal {
        self.price_scale.to_decimal(self.tick_rule.tick_at(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn a_model_price_is_rounded_onto_the_grid_the_way_asked() {
        let o = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        // Above 0.005 the tick is 0.0005: a seller's limit up, a buyer's down, never past it.
        assert_eq!(o.price_rounded_f64(0.05004, Rounding::Up), Some(Price(505)));
        assert_eq!(
            o.price_rounded_f64(0.05004, Rounding::Down),
            Some(Price(500))
        );
        assert_eq!(o.price_rounded_f64(0.00494, Rounding::Up), Some(Price(50)));
        assert_eq!(o.price_rounded_f64(0.0, Rounding::Down), None);
        assert_eq!(o.price_rounded_f64(f64::NAN, Rounding::Up), None);
    }

    #[test]
    fn deribit_option_prices_convert_exactly_and_check_the_tick() {
        let o = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        assert_eq!(o.price(d("0.0049")), Ok(Price(49)));
        assert_eq!(o.price_f64(Price(49)), 0.0049);
        assert_eq!(o.price(d("0.0055")), Ok(Price(55)));
        assert_eq!(o.price_decimal(Price(55)), d("0.0055"));
        assert_eq!(o.tick_size_at(Price(49)), d("0.0001"));
        assert_eq!(o.tick_size_at(Price(50)), d("0.0001"));
        assert_eq!(o.tick_size_at(Price(51)), d("0.0005"));
        assert_eq!(o.price(d("0.0050")), Ok(Price(50)));
        let err = o.price(d("0.0052")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ETH-27MAR26-2000-C: price 0.0052: off tick: tick here is 0.0005"
        );
        assert!(o
            .price(d("0.00005"))
            .unwrap_err()
            .reason
            .contains("multiple"));
        assert!(o.price(d("-0.01")).is_err());
        assert!(o.price(Decimal::ZERO).is_err());
        assert!(o.parse_price("NaN").is_err());
        assert!(o.parse_price("").is_err());
        assert_eq!(o.parse_price("0.0120"), Ok(Price(120)));
    }

    #[test]
    fn amounts_must_be_whole_lots() {
        let o = Instrument::deribit("ETH-27MAR26-2000-C").unwrap();
        assert_eq!(o.qty(d("3")), Ok(Qty(3)));
        assert_eq!(o.qty_decimal(Qty(3)), d("3"));
        assert!(o.qty(d("0.5")).is_err());
        assert!(o.parse_qty("-1").is_err());
        let p = Instrument::deribit("P.ETH-27MAR26-2000").unwrap();
        assert_eq!(p.qty(d("0.125")), Ok(Qty(125)));
    }

    #[test]
    fn specs_follow_the_kind() {
        let perp = Instrument::deribit("ETH-PERPETUAL").unwrap();
        assert_eq!(perp.spec().pnl, PnlStyle::Inverse);
        assert_eq!(perp.price(d("3000.05")), Ok(Price(60001)));
        assert!(perp.price(d("3000.01")).is_err());
        assert!(!Instrument::deribit("eth_usd").unwrap().spec().tradeable);
        assert!(matches!(
            Instrument::deribit("BTC-PERPETUAL"),
            Err(SpecError::NoBuiltInSpec { .. })
        ));
        assert!(matches!(
            Instrument::deribit("ETH-27MAR26-2000"),
            Err(SpecError::Name(_))
        ));
    }

    #[test]
    fn inconsistent_specs_are_refused() {
        let parsed = InstrumentName::parse("ETH-27MAR26-2000-C").unwrap();
        let mut spec = Instrument::deribit("ETH-27MAR26-2000-C")
            .unwrap()
            .spec()
            .clone();
        spec.tick_size_steps = vec![(d("0.005"), d("0.00015"))];
        let err = Instrument::new(parsed.clone(), spec.clone()).unwrap_err();
        assert!(
            err.to_string().contains("tick_size_steps.tick_size"),
            "{err}"
        );
        spec.tick_size_steps = vec![(d("0.005"), d("0.0003"))];
        let err = Instrument::new(parsed.clone(), spec.clone()).unwrap_err();
        assert!(err.to_string().contains("tick steps"), "{err}");
        spec.tick_size_steps = vec![];
        spec.min_amount = Decimal::ZERO;
        assert!(Instrument::new(parsed, spec).is_err());
    }
}
