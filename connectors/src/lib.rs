//! Venue connectors: Deribit's ([`deribit`]: the wire, the session, the connection) and the local
//! venue that speaks the same protocol over the engine's matching engine ([`venue`]). The
//! reconciliation, the venue's socket server and the service come next (issue 13).

pub mod deribit;
pub mod venue;
