//! The generalised Black-Scholes-Merton form: spot `S`, rate `r`, continuous carry yield `q`
//! (a dividend yield, or the foreign rate of a currency pair). It is Black-76 on the forward
//! `F = S e^{(r-q)t}` with `df = e^{-rt}`; greeks are with respect to spot, and theta holds `S`
//! (not `F`) fixed.

use super::black76;
use super::greeks::{Greeks, OptionType};
use super::input::{self, InputError};

/// The inputs of the spot form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpotInputs {
    pub spot: f64,
    pub strike: f64,
    pub rate: f64,
    pub yield_: f64,
    pub t: f64,
    pub vol: f64,
}

impl SpotInputs {
    pub fn check(&self) -> Result<(), InputError> {
        input::positive("spot", self.spot)?;
        input::positive("strike", self.strike)?;
        input::finite("rate", self.rate)?;
        input::finite("yield", self.yield_)?;
        input::non_negative("t", self.t)?;
        input::non_negative("vol", self.vol)?;
        Ok(())
    }

    /// The forward and the discount factor.
    pub fn forward_and_df(&self) -> (f64, f64) {
        let carry = ((self.rate - self.yield_) * self.t).exp();
        (self.spot * carry, (-self.rate * self.t).exp())
    }
}

/// The price.
pub fn price(kind: OptionType, inputs: &SpotInputs) -> f64 {
    let (f, df) = inputs.forward_and_df();
    black76::price(kind, f, inputs.strike, inputs.t, inputs.vol, df)
}

/// Price and greeks with respect to spot.
pub fn greeks(kind: OptionType, inputs: &SpotInputs) -> Greeks {
    let (f, df) = inputs.forward_and_df();
    let g = black76::greeks(kind, f, inputs.strike, inputs.t, inputs.vol, df);
    let df_ds = f / inputs.spot; // ∂F/∂S
    Greeks {
        price: g.price,
        delta: g.delta * df_ds,
        gamma: g.gamma * df_ds * df_ds,
        vega: g.vega,
        // Holding S, the forward drifts at r - q: -∂V/∂t|_S = theta|_F - ∂V/∂F · (r - q) F.
        theta: g.theta - g.delta * (inputs.rate - inputs.yield_) * f,
        vanna: g.vanna * df_ds,
        volga: g.volga,
    }
}
