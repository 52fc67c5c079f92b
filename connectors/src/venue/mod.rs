//! The local venue: a subset of Deribit's JSON-RPC methods and channels over the engine's
//! matching engine, so the connector and the service can be run and tested on one machine.
//! The core has no I/O ([`core::VenueCore`]: text in, text out, time passed in); [`server`] puts
//! it on a socket.
//!
//! - [`core`]: connections, auth, heartbeats, the method table; what subscribers are sent in
//!   `channels`.
//! - [`faults`]: the faults it injects on purpose, seeded and counted.
//! - [`house`]: the venue's own market: a book shown and background takers.
//! - [`server`]: the core on a WebSocket (and [`http`]: over HTTP), one task owning it.
//! - [`trading`]: orders on the matching engine, our fills and positions, and the book and
//!   `user.changes` notifications they cause.

mod auth;
mod channels;
pub mod core;
pub mod faults;
pub mod house;
pub mod http;
pub mod server;
pub mod trading;

/// A connection to the venue.
pub type ConnId = u64;

/// What the venue sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A text frame to one connection.
    Text(ConnId, String),
    /// Close the connection (a missed heartbeat, too many requests).
    Close(ConnId),
}
