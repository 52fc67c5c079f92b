//! A backtest on the synthetic market.
//!
//! - [`market`]: the listing, fair values and the venue's book around them.
//! - [`run`]: the loop: strategy, quote manager, simulated venue, roll demand, settlement.

pub mod market;
pub mod run;
