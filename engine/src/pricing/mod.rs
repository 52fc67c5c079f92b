//! Option pricing: pure functions of numbers, no I/O and no instruments.
//!
//! - [`normal`]: Φ, φ and Φ⁻¹ to full double precision in the tails; [`exp`]: an inlined e^x.
//! - [`normalised`]: Jaeckel's normalised Black function, the kernel of prices and implied vols.
//! - [`black76`]: Black-76 prices and greeks on a forward; [`bsm`]: the generalised
//!   Black-Scholes-Merton form on spot with rate and carry yield.
//! - [`batch`]: price and greeks of a whole chain at once, in SIMD lanes ([`lanes`]: the
//!   branch-free e^x, ln x and erfcx it runs on; [`simd`]: the dispatch to AVX-512 or AVX2).
//! - [`coin`]: Deribit-style coin-margined prices (USD price / forward) and their greeks.
//! - [`tokens`]: the P and N tokens of a series (ROLLS.md) in ETH and USD.
//! - [`implied_vol`](mod@implied_vol): implied volatility in the manner of "Let's Be Rational";
//!   [`implied_vol_batch`]: the same for a whole chain at once, in SIMD lanes.
//! - [`svi`] and [`surface`]: raw SVI slices per expiry and the surface across expiries.
//! - [`input`]: checks for numbers from outside, with errors that name them.
//!
//! Units: times in years (365 days), vols as fractions (0.65 = 65%), vega per 1.00 of vol, theta
//! per year (calendar decay, -∂V/∂t).

mod as241;
pub mod batch;
pub mod batch_columns;
pub mod black76;
pub mod bsm;
pub mod coin;
pub mod exp;
pub mod greeks;
pub mod implied_vol;
pub mod implied_vol_batch;
pub mod input;
pub mod lanes;
mod lbr_borders;
mod nelder_mead;
pub mod normal;
pub mod normalised;
mod rational_cubic;
pub mod simd;
pub mod surface;
pub mod svi;
mod svi_inner;
pub mod tokens;

pub use greeks::{Greeks, OptionType};
pub use implied_vol::{implied_vol, ImpliedVolError};
