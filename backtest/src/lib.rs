//! The backtester: data readers, synthetic market, roll demand, fill simulation, reports.
//! So far: the Deribit chain snapshot reader and the surface fit over its snapshots.

pub mod chain;
pub mod chain_state;
pub mod chain_surface;
pub mod synthetic;
