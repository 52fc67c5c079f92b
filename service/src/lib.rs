//! The live service (`rollmaker run`) around the same strategy, trader and accounting the
//! backtester runs, with time and the venue coming in from outside:
//!
//! - [`config`]: the service's TOML (venue, credentials, files, kill-switch limits);
//! - [`run`]: the wiring: metrics server, connection, listing, journal replay, signals;
//! - [`gateway`]: the connection's events read into the engine's terms, over to the desk;
//!   [`listing`]: what the venue lists, at start and while running;
//! - [`desk`]: the trading thread (strategy, trader, journal) and [`reconciling`] after every
//!   (re)connect; [`trading_thread`]: where it runs (its core, the connection beside it); [`market`]: the live market as the strategy's state; [`account`]: exposure;
//! - [`journal`]: what it meant to send and what the venue answered, durable before it counts,
//!   and [`record`]: the entries written and read back;
//! - [`metrics`]: Prometheus metrics and health over HTTP; [`latency`]: where the time goes.

pub mod account;
pub mod config;
pub mod desk;
pub mod first_listing;
pub mod gateway;
pub mod journal;
pub mod latency;
pub mod listing;
pub mod market;
pub mod metrics;
pub mod reconciling;
pub mod record;
pub mod run;
pub mod trading_thread;
