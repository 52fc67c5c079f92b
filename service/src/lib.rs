//! The live service (`rollmaker run`, issue 13) around the same strategy, trader and accounting
//! the backtester runs. So far its journal ([`journal`]: what it meant to send and what the venue
//! answered, durable before it counts) and its metrics and health over HTTP ([`metrics`]).

pub mod journal;
pub mod metrics;
