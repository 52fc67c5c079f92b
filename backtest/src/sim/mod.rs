//! Backtests: on the synthetic market, or replaying chain snapshots or Tardis.dev data.
//!
//! - [`market`]: what the loop needs of a market; [`synthetic_market`] (its books in
//!   [`synthetic_book`]), [`chain_market`] and [`tardis_market`] are the three.
//! - [`venue`]: the simulated venue (latency, queues, fill rule, fees, settlement payouts).
//! - [`desk`]: the roll demand: holders starting rolls and working their legs.
//! - [`baselines`]: the holders' alternatives (taker, AMM, lending, never rolling).
//! - [`settler`]: the TWAP window and expiry; [`attribution`]: the PnL split;
//!   [`sampler`]: hourly samples and the final [`summary`].
//! - [`quoting`]: when and on what the trader requotes (schedule, feed latency, surface).
//! - [`prices`]: what a series, a crossing or a P token costs on a market.
//! - [`perpetual`]: the perpetual the maker hedges on, modelled from the index.
//! - [`l2_loop`]: the loop on one instrument's L2 stream, for the comparison with hftbacktest.
//! - [`run`]: the loop that joins them with the engine's trader; [`run_config`]: its config.

pub mod attribution;
pub mod baselines;
pub mod chain_market;
pub mod desk;
pub mod every;
pub mod l2_loop;
pub mod market;
pub mod packages;
pub mod perpetual;
pub mod prices;
pub mod quoting;
pub mod roll_log;
pub mod run;
pub mod run_config;
pub mod sampler;
pub mod settler;
pub mod summary;
pub mod synthetic_book;
pub mod synthetic_market;
pub mod tardis_market;
#[cfg(test)]
mod test_market;
pub mod venue;
