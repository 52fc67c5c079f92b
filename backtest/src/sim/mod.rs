//! Backtests: on the synthetic market, or replaying chain snapshots.
//!
//! - [`market`]: what the loop needs of a market; the synthetic one (listing, fair values, the
//!   venue's book around them).
//! - [`chain_market`]: the market replayed from Deribit chain snapshots.
//! - [`run`]: the loop: strategy, quote manager, simulated venue, roll demand, settlement.

pub mod chain_market;
pub mod market;
pub mod run;
pub mod synthetic_market;
