//! The backtester: data readers (Deribit chain snapshots, Tardis.dev CSV, our binary event
//! format), the synthetic market, roll demand, fill simulation (queues, latency, fees,
//! settlement), the baselines, and reports. The loop itself is [`sim::run`].

pub mod amm;
pub mod baselines;
pub mod binary;
pub mod calibrate;
pub mod chain;
pub mod chain_state;
pub mod chain_surface;
pub mod config;
pub mod csv_file;
pub mod events;
pub mod fees;
pub mod fields;
pub mod queue;
pub mod quote_check;
pub mod replay;
pub mod report;
pub mod roll_flow;
pub mod settlement;
pub mod sim;
pub mod sweep;
pub mod synthetic;
pub mod tardis;
pub mod tardis_binary;
