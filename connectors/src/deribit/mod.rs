//! Deribit API v2 (JSON-RPC over WebSocket): the wire and the session without I/O, and the socket
//! around them.
//!
//! - [`frame`]: requests as text; a venue message told apart as an answer, a refusal, channel
//!   data or a heartbeat, or refused with its raw text.
//! - [`book`]: book channel data in the engine's units, applied to its mirror.
//! - [`budget`]: the client's own request budget, matching engine apart.
//! - [`changes`]: our orders' and trades' channel as the trader's venue events.
//! - [`connection`]: the socket (tokio) around a session: reconnects with jittered backoff.
//! - [`credentials`]: the API key, from the environment or an owner-only file, never shown.
//! - [`deliveries`]: expired options' positions paid out, from the settlement history.
//! - [`orders`]: the trader's actions as requests, our client id as the label.
//! - [`reconcile`]: after a (re)connect, the venue's orders, trades and positions against the
//!   trader's.
//! - [`trades`]: the market's trades channels, read by the connector and matched by the venue.
//! - [`ticker`]: marks, mark IVs and the index, read by the connector and written by the venue.
//! - [`signature`]: `client_signature` auth (HMAC-SHA256), for the venue and clients.
//! - [`session`]: one connection's requests, auth, heartbeat and subscriptions, time passed in.

pub mod book;
pub mod budget;
pub mod changes;
pub mod connection;
pub mod credentials;
pub mod deliveries;
pub mod frame;
pub mod orders;
pub mod reconcile;
pub mod session;
pub mod signature;
pub mod ticker;
pub mod trades;
