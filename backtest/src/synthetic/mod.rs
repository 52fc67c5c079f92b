//! The synthetic market, seeded and built in so that a backtest needs no files.
//!
//! - [`path`]: the ETH index path: stochastic volatility (Heston) with jumps (Merton), and the
//!   presets `calm`, `trend-down` and `crash` (a fall of 30% or more within one hour).
//! - [`l2_stream`]: a seeded 25-level L2 incremental stream with trades, for replay benchmarks.
//! - [`listing`]: Deribit-like expiries (dailies, weeklies, monthlies, quarterlies) and strikes.
//! - [`smile`]: the SVI surface at each moment, its level and skew moving with the path's variance.
//! - [`tardis_export`]: the synthetic market written as Tardis CSV, for the replay of Tardis data.

pub mod l2_stream;
pub mod listing;
pub mod path;
pub mod smile;
pub mod tardis_export;
