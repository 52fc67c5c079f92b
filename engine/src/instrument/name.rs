//! Deribit instrument names, parsed into their parts and printed back unchanged.
//!
//! | name | kind |
//! |---|---|
//! | `ETH-27MAR26-2000-C`, `ETH-5JAN26-1500-P` | option (strike `1d5` = 1.5 on linear books) |
//! | `ETH-27MAR26` | dated future |
//! | `ETH-PERPETUAL`, `ETH_USDC-PERPETUAL` | perpetual |
//! | `SYN.ETH-27MAR26` | Deribit's synthetic forward for an expiry with no listed future |
//! | `P.ETH-27MAR26-2000`, `N.ETH-27MAR26-2000` | rollmaker's P and N tokens of a series (ROLLS.md) |
//! | `eth_usd` | the index |
//!
//! Only the canonical spelling parses, so that printing a parsed name always gives the input back.

use super::expiry::Expiry;
use rust_decimal::Decimal;
use std::fmt;
use thiserror::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptionRight {
    Call,
    Put,
}

/// What an instrument is, as far as its name says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InstrumentKind {
    Option {
        expiry: Expiry,
        strike: Decimal,
        right: OptionRight,
    },
    /// Pays `min(1, K / S_T)` of the underlying at expiry.
    PToken {
        expiry: Expiry,
        strike: Decimal,
    },
    /// Pays `max(0, 1 - K / S_T)` of the underlying at expiry: a coin-margined call.
    NToken {
        expiry: Expiry,
        strike: Decimal,
    },
    Future {
        expiry: Expiry,
    },
    SyntheticForward {
        expiry: Expiry,
    },
    Perpetual,
    /// The index the venue settles on; `quote` in lower case as Deribit writes it (`usd`).
    Index {
        quote: String,
    },
}

impl InstrumentKind {
    pub fn expiry(&self) -> Option<Expiry> {
        match self {
            InstrumentKind::Option { expiry, .. }
            | InstrumentKind::PToken { expiry, .. }
            | InstrumentKind::NToken { expiry, .. }
            | InstrumentKind::Future { expiry }
            | InstrumentKind::SyntheticForward { expiry } => Some(*expiry),
            InstrumentKind::Perpetual | InstrumentKind::Index { .. } => None,
        }
    }
    pub fn strike(&self) -> Option<Decimal> {
        match self {
            InstrumentKind::Option { strike, .. }
            | InstrumentKind::PToken { strike, .. }
            | InstrumentKind::NToken { strike, .. } => Some(*strike),
            _ => None,
        }
    }
}

/// A parsed name: the underlying as written (`ETH`, `ETH_USDC`) and the kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InstrumentName {
    pub underlying: String,
    pub kind: InstrumentKind,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error("instrument name '{name}': {reason}")]
pub struct NameError {
    pub name: String,
    pub reason: &'static str,
}

impl InstrumentName {
    pub fn parse(name: &str) -> Result<InstrumentName, NameError> {
        parse(name).map_err(|reason| NameError {
            name: name.to_string(),
            reason,
        })
    }
}

impl std::str::FromStr for InstrumentName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        InstrumentName::parse(s)
    }
}

fn parse(name: &str) -> Result<InstrumentName, &'static str> {
    if name.is_empty() {
        return Err("empty");
    }
    if !name.is_ascii() {
        return Err("must be ASCII");
    }
    if let Some((base, quote)) = index_parts(name) {
        return Ok(InstrumentName {
            underlying: base.to_ascii_uppercase(),
            kind: InstrumentKind::Index {
                quote: quote.to_string(),
            },
        });
    }
    let (prefix, rest) = match name.split_once('.') {
        Some((p @ ("SYN" | "P" | "N"), rest)) => (Some(p), rest),
        Some((p, _)) if !p.contains('-') => return Err("the only prefixes are SYN., P. and N."),
        _ => (None, name),
    };
    let parts: Vec<&str> = rest.split('-').collect();
    let underlying = parts[0];
    check_underlying(underlying)?;
    let kind = match (prefix, parts.as_slice()) {
        (None, [_, "PERPETUAL"]) => InstrumentKind::Perpetual,
        (None, [_, e]) => InstrumentKind::Future {
            expiry: Expiry::parse(e)?,
        },
        (Some("SYN"), [_, e]) => InstrumentKind::SyntheticForward {
            expiry: Expiry::parse(e)?,
        },
        (None, [_, e, k, r]) => InstrumentKind::Option {
            expiry: Expiry::parse(e)?,
            strike: parse_strike(k)?,
            right: match *r {
                "C" => OptionRight::Call,
                "P" => OptionRight::Put,
                _ => return Err("option right must be C or P"),
            },
        },
        (Some("P"), [_, e, k]) => InstrumentKind::PToken {
            expiry: Expiry::parse(e)?,
            strike: parse_strike(k)?,
        },
        (Some("N"), [_, e, k]) => InstrumentKind::NToken {
            expiry: Expiry::parse(e)?,
            strike: parse_strike(k)?,
        },
        _ => return Err("expected UNDERLYING-PERPETUAL, -DMMMYY or -DMMMYY-STRIKE-C|P"),
    };
    Ok(InstrumentName {
        underlying: underlying.to_string(),
        kind,
    })
}

/// `eth_usd`: lower-case letters on both sides of one underscore.
fn index_parts(name: &str) -> Option<(&str, &str)> {
    let (base, quote) = name.split_once('_')?;
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_lowercase());
    (lower(base) && lower(quote)).then_some((base, quote))
}

/// `ETH`, `BTC`, `ETH_USDC`: capitals and digits, optionally `_` and a capital settlement currency.
fn check_underlying(u: &str) -> Result<(), &'static str> {
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    let valid = match u.split_once('_') {
        Some((a, b)) => ok(a) && ok(b),
        None => ok(u),
    };
    if valid {
        Ok(())
    } else {
        Err("underlying must be capitals like ETH or ETH_USDC")
    }
}

/// Strikes are positive decimals written with `d` for the point (`1d5`), in canonical form: no
/// leading zeros, no trailing fractional zeros.
fn parse_strike(text: &str) -> Result<Decimal, &'static str> {
    let (int, frac) = match text.split_once('d') {
        Some((i, f)) => (i, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err("strike must be digits, with 'd' for a decimal point");
    }
    if int.len() > 1 && int.starts_with('0') {
        return Err("strike has a leading zero");
    }
    if frac.is_some_and(|f| f.ends_with('0')) {
        return Err("strike has a trailing zero after its decimal point");
    }
    let plain = match frac {
        Some(f) => format!("{int}.{f}"),
        None => int.to_string(),
    };
    let strike: Decimal = plain.parse().map_err(|_| "strike out of range")?;
    if strike <= Decimal::ZERO {
        return Err("strike must be positive");
    }
    Ok(strike)
}

fn write_strike(f: &mut fmt::Formatter<'_>, strike: Decimal) -> fmt::Result {
    f.write_str(&strike.normalize().to_string().replace('.', "d"))
}

impl fmt::Display for InstrumentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = &self.underlying;
        match &self.kind {
            InstrumentKind::Option {
                expiry,
                strike,
                right,
            } => {
                write!(f, "{u}-{expiry}-")?;
                write_strike(f, *strike)?;
                f.write_str(match right {
                    OptionRight::Call => "-C",
                    OptionRight::Put => "-P",
                })
            }
            InstrumentKind::PToken { expiry, strike } => {
                write!(f, "P.{u}-{expiry}-")?;
                write_strike(f, *strike)
            }
            InstrumentKind::NToken { expiry, strike } => {
                write!(f, "N.{u}-{expiry}-")?;
                write_strike(f, *strike)
            }
            InstrumentKind::Future { expiry } => write!(f, "{u}-{expiry}"),
            InstrumentKind::SyntheticForward { expiry } => write!(f, "SYN.{u}-{expiry}"),
            InstrumentKind::Perpetual => write!(f, "{u}-PERPETUAL"),
            InstrumentKind::Index { quote } => write!(f, "{}_{quote}", u.to_ascii_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(s: &str) -> InstrumentName {
        let n = InstrumentName::parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.to_string(), s);
        n
    }

    #[test]
    fn parses_every_kind_and_prints_it_back() {
        let o = round_trip("ETH-27MAR26-2000-C");
        assert_eq!(o.underlying, "ETH");
        assert_eq!(
            o.kind,
            InstrumentKind::Option {
                expiry: Expiry::parse("27MAR26").unwrap(),
                strike: Decimal::from(2000),
                right: OptionRight::Call
            }
        );
        assert!(matches!(
            round_trip("ETH-5JAN26-1500-P").kind,
            InstrumentKind::Option {
                right: OptionRight::Put,
                ..
            }
        ));
        assert!(matches!(
            round_trip("ETH-27MAR26").kind,
            InstrumentKind::Future { .. }
        ));
        assert_eq!(round_trip("ETH-PERPETUAL").kind, InstrumentKind::Perpetual);
        assert_eq!(round_trip("ETH_USDC-PERPETUAL").underlying, "ETH_USDC");
        assert!(matches!(
            round_trip("SYN.ETH-23JAN26").kind,
            InstrumentKind::SyntheticForward { .. }
        ));
        assert!(matches!(
            round_trip("P.ETH-27MAR26-2000").kind,
            InstrumentKind::PToken { .. }
        ));
        assert!(matches!(
            round_trip("N.ETH-27MAR26-2000").kind,
            InstrumentKind::NToken { .. }
        ));
        let idx = round_trip("eth_usd");
        assert_eq!(idx.underlying, "ETH");
        let linear = round_trip("XRP_USDC-27MAR26-2d5-C");
        assert_eq!(linear.kind.strike(), Some(Decimal::new(25, 1)));
    }

    #[test]
    fn malformed_names_are_errors_naming_the_input() {
        let cases = [
            ("", "empty"),
            ("ETH-27MAR26-2000-X", "option right must be C or P"),
            ("ETH-27MAR26-2000", "expected"),
            ("ETH-05JAN26-2000-C", "leading zero"),
            ("ETH-27MAR26-02000-C", "strike has a leading zero"),
            ("ETH-27MAR26-0-C", "strike must be positive"),
            ("ETH-27MAR26-2d50-C", "trailing zero"),
            ("ETH-27MAR26-20.5-C", "strike must be digits"),
            ("eth-27MAR26-2000-C", "underlying"),
            ("X.ETH-27MAR26", "prefixes"),
            ("ETH-30FEB26-2000-C", "no such calendar date"),
            ("ETH-PERPETUAL-C", "expected"),
            ("ETH-27MAR26-2000-C-C", "expected"),
            ("ETH-27MÄR26-2000-C", "ASCII"),
        ];
        for (name, reason) in cases {
            let err = InstrumentName::parse(name).unwrap_err();
            assert!(
                err.to_string().contains(reason),
                "{name}: got '{err}', wanted '{reason}'"
            );
            assert!(err.to_string().contains(name));
        }
    }
}
