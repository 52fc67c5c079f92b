//! Venue connectors: Deribit's ([`deribit`]: the wire, the session, the connection, the
//! reconciliation) and the local venue that speaks the same protocol over the engine's matching
//! engine ([`venue`]: WebSocket and HTTP, its own market, faults on purpose). The service that
//! runs the strategy over them is the `service` crate.

pub mod deribit;
pub mod venue;
