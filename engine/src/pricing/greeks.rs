//! The result types every pricer returns.

use std::fmt;
use std::str::FromStr;

/// Call or put.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptionType {
    Call,
    Put,
}

/// A listed option's right as the pricing functions take it.
impl From<crate::instrument::OptionRight> for OptionType {
    fn from(right: crate::instrument::OptionRight) -> OptionType {
        match right {
            crate::instrument::OptionRight::Call => OptionType::Call,
            crate::instrument::OptionRight::Put => OptionType::Put,
        }
    }
}

impl OptionType {
    /// +1 for a call, -1 for a put: the θ of Jaeckel's notation.
    #[inline]
    pub fn sign(self) -> f64 {
        match self {
            OptionType::Call => 1.0,
            OptionType::Put => -1.0,
        }
    }
}

impl FromStr for OptionType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "call" | "c" => Ok(OptionType::Call),
            "put" | "p" => Ok(OptionType::Put),
            _ => Err(format!("option type {s:?} is not call or put")),
        }
    }
}

impl fmt::Display for OptionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OptionType::Call => "call",
            OptionType::Put => "put",
        })
    }
}

/// A price and its sensitivities. Which underlying `delta`, `gamma` and `vanna` refer to (forward or
/// spot) and the currency of `price` are set by the function that returns it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Greeks {
    pub price: f64,
    /// ∂price/∂underlying
    pub delta: f64,
    /// ∂²price/∂underlying²
    pub gamma: f64,
    /// ∂price/∂σ, per 1.00 of vol
    pub vega: f64,
    /// -∂price/∂t, per year
    pub theta: f64,
    /// ∂²price/∂underlying∂σ
    pub vanna: f64,
    /// ∂²price/∂σ²
    pub volga: f64,
}

impl Greeks {
    /// Every field multiplied by `k` (a position size, a sign, a currency conversion).
    pub fn scaled(self, k: f64) -> Greeks {
        Greeks {
            price: self.price * k,
            delta: self.delta * k,
            gamma: self.gamma * k,
            vega: self.vega * k,
            theta: self.theta * k,
            vanna: self.vanna * k,
            volga: self.volga * k,
        }
    }
}
