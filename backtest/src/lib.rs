//! The backtester: data readers, synthetic market, roll demand, fill simulation, reports.
//! So far: the Deribit chain snapshot reader, the surface fit over its snapshots, a snapshot as the
//! strategy's state, the event timeline and latency models, and the synthetic index path.

pub mod baselines;
pub mod binary;
pub mod chain;
pub mod chain_state;
pub mod chain_surface;
pub mod config;
pub mod csv_file;
pub mod events;
pub mod fees;
pub mod queue;
pub mod replay;
pub mod report;
pub mod roll_flow;
pub mod settlement;
pub mod sim;
pub mod sweep;
pub mod synthetic;
pub mod tardis;
