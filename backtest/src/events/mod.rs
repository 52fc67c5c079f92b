//! The event-driven core of a backtest: one timeline of everything that happens, in time order.
//!
//! - [`timeline`]: the queue (time, then arrival order: deterministic on ties).
//! - [`latency`]: how long market data takes to reach the strategy and orders the venue.

pub mod latency;
pub mod timeline;
