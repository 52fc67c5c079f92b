//! Backtests: on the synthetic market, or replaying chain snapshots or Tardis.dev data.
//!
//! - [`market`]: what the loop needs of a market.
//! - [`synthetic_market`]: the synthetic one (listing of calls and puts, fair values, the venue's
//!   book levels deep around them, background takers).
//! - [`chain_market`]: the market replayed from Deribit chain snapshots.
//! - [`tardis_market`]: the market replayed from Tardis.dev options_chain, L2 books and trades.
//! - [`run`]: the loop: strategy, quote manager, simulated venue, roll demand, settlement.

pub mod chain_market;
pub mod market;
pub mod run;
pub mod synthetic_market;
pub mod tardis_market;
